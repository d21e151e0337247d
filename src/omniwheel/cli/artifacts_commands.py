"""The ``artifacts`` commands (``write``, ``pack``, ``depot``, ``run``): options, wiring, summaries.

``main.py`` registers them with :func:`add_artifacts_commands` and dispatches to
:func:`run_artifacts`; ``lock --artifacts``, ``sync --julia-depot`` and ``run --artifacts`` call
:func:`write_artifacts`, :func:`install_depot` and :func:`run_with_artifacts`.  The work itself is
:class:`omniwheel.julia.workflow.ArtifactsWorkflow`.

The Artifacts.toml is ``--artifacts PATH``, else ``[tool.omniwheel] artifacts`` (relative to the
project), else ``Artifacts.toml`` next to ``pyproject.toml``.  Trees for "this machine" are those of
the Python a Julia package's augmented selection will ask for (``--python``, else
``OMNIWHEEL_PYTHON_VERSION``, ``JULIA_PYTHONCALL_EXE``, ``PYTHON``, ``python3`` on ``PATH``).  When
the lock pins interpreters, the version the lock pins for this machine's platform comes before
asking any Python (as the generated augmentation does), no host Python is involved, and
``run --artifacts`` runs the pinned interpreter placed in the depot.  Interpreter archives are
fetched from ``OMNIWHEEL_PYTHON_MIRROR``, else ``[tool.omniwheel] python-mirror``, else their
canonical URL; the Artifacts.toml always names the canonical URL.

``write`` and ``pack`` take sync's ``--extra``, ``--all-extras``, ``--group``, … options
(:func:`~omniwheel.cli.options.add_selection_options`).  Without any, they write what
``[tool.omniwheel] artifacts-extras`` / ``artifacts-groups`` record, else the project's
dependencies alone: a Julia package's users need neither its test tools nor its optional
features.  Given options replace that choice and are recorded there, so the next
``artifacts write`` (or ``lock --artifacts``) writes the same.  ``depot`` places what the
Artifacts.toml names, so it follows the choice it was written with.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omniwheel.cachedir import cache_root
from omniwheel.cli.locking import PYPROJECT
from omniwheel.cli.options import add_project_option, add_selection_options, choice_request
from omniwheel.cli.output import Output
from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    from omniwheel.env.choice import Choice, ChoiceRequest
    from omniwheel.julia.workflow import ArtifactsWorkflow, DepotOutcome, WriteOutcome
    from omniwheel.platform.target import Target

# The work is imported when a command runs (as in main.py): registering these commands must not
# make every other command pay for the Julia modules.

DEFAULT_ARTIFACTS = "Artifacts.toml"
RUN_DEPOT = "julia-depot-v1"
# The depot `run --artifacts` uses unless --julia-depot says otherwise: trees only, the layout
# of a Julia depot.  Bump with julia-trees-v1 (julia/treecache.py) when what a tree holds changes.


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactsRequest:
    """Where the project is and how wheels may be fetched, from the command line."""

    project: Path | None = None
    artifacts: Path | None = None
    python: str | None = None
    offline: bool = False
    index_url: str | None = None
    choice: ChoiceRequest | None = None
    """The extras and groups ``--extra``, ``--group``, … asked for; None: none was given, so
    the recorded choice (else the project's dependencies alone) applies."""

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, *, artifacts: Path | None = None
    ) -> ArtifactsRequest:
        return cls(
            project=getattr(args, "project", None),
            artifacts=artifacts,
            python=getattr(args, "python", None),
            offline=getattr(args, "offline", False),
            index_url=getattr(args, "index_url", None),
        )


def add_artifacts_commands(commands: Any) -> None:
    """Register ``artifacts write|pack|depot|run`` on ``main``'s sub-parsers."""
    parser = commands.add_parser(
        "artifacts",
        help="write, pack and install the lock's wheels as Julia artifacts",
        description="Julia's face of omniwheel: each locked package becomes an artifact "
        "(its wheel as installed into site-packages) in Artifacts.toml, per platform and "
        "Python version.",
    )
    actions = parser.add_subparsers(dest="artifacts_command", required=True, metavar="ACTION")
    write = actions.add_parser(
        "write",
        help="(re)write Artifacts.toml from pylock.toml",
        description="Write omniwheel's entries of Artifacts.toml from pylock.toml (other "
        "entries are kept), with .pkg/platform_augmentation.jl and .pkg/select_artifacts.jl "
        "beside it.  Downloads every target's wheels once, to hash their trees.",
    )
    _add_common_options(write)
    add_selection_options(write, artifacts=True)
    pack = actions.add_parser(
        "pack",
        help="write a <git-tree-sha1>.tar.gz per tree and record where they will be hosted",
        description="Write one deterministic <git-tree-sha1>.tar.gz per tree into --out and "
        "add a download source under --base-url to each entry of Artifacts.toml.",
    )
    _add_common_options(pack)
    pack.add_argument("--out", type=Path, required=True, metavar="DIR", help="tarball directory")
    pack.add_argument(
        "--base-url",
        required=True,
        metavar="URL",
        help="the URL the tarballs will be uploaded under, e.g. https://example.org/releases/v1/",
    )
    add_selection_options(pack, artifacts=True)
    depot = actions.add_parser(
        "depot",
        help="place this machine's trees in a Julia depot (same as `sync --julia-depot`)",
        description="Place the trees Julia selects for this machine at "
        "DIR/artifacts/<git-tree-sha1> and record Artifacts.toml in DIR/logs/artifact_usage.toml.",
    )
    _add_common_options(depot)
    _add_python_option(depot)
    depot.add_argument("depot", type=Path, metavar="DIR", help="the Julia depot, e.g. ~/.julia")
    depot.add_argument(
        "--all-targets", action="store_true", help="place the trees of every target of the lock"
    )
    run = actions.add_parser(
        "run",
        help="run a command with this machine's trees on sys.path (same as `run --artifacts`)",
        description="Run CMD with the trees Julia selects for this machine on sys.path (their "
        ".pth files work), the interpreter's own site-packages left out, and the trees' "
        "scripts first on PATH; the exit code is CMD's.",
    )
    _add_common_options(run)
    _add_python_option(run)
    run.add_argument(
        "--julia-depot",
        type=Path,
        metavar="DIR",
        help="the depot to take the trees from, placing missing ones (default: omniwheel's "
        "own, in its cache)",
    )
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...")


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument(
        "--artifacts",
        type=Path,
        metavar="PATH",
        help="the Artifacts.toml (default: [tool.omniwheel] artifacts, else Artifacts.toml "
        "in the project)",
    )
    parser.add_argument("--offline", action="store_true", help="use only the store")
    parser.add_argument(
        "--index-url",
        metavar="URL",
        help="the index whose credentials downloads from its host may use",
    )


def _add_python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        metavar="VERSION|PATH",
        help="the Python the trees are for (default: the one Julia's augmentation asks: "
        "OMNIWHEEL_PYTHON_VERSION, JULIA_PYTHONCALL_EXE, PYTHON, python3 on PATH)",
    )


def run_artifacts(args: argparse.Namespace, output: Output) -> int:
    request = ArtifactsRequest.from_args(args, artifacts=args.artifacts)
    if args.artifacts_command in ("write", "pack"):
        given = choice_request(args)
        request = replace(request, choice=None if given.is_default else given)
    if args.artifacts_command == "write":
        write_artifacts(request, output)
        return 0
    if args.artifacts_command == "pack":
        return _pack(request, output, out_dir=args.out, base_url=args.base_url)
    if args.artifacts_command == "depot":
        return install_depot(request, output, depot=args.depot, all_targets=args.all_targets)
    command = list(args.argv)
    return run_with_artifacts(request, output, command=command, depot=args.julia_depot)


# --- the commands ------------------------------------------------------------------------------


def write_artifacts(request: ArtifactsRequest, output: Output) -> WriteOutcome:
    """``artifacts write`` (and ``lock --artifacts``): write, then say what was written."""
    root = _project_dir(request.project)
    with _workflow(request) as workflow, output.status("Writing artifacts"):
        outcome = workflow.write(_asked(request, root))
    _report_write(outcome, output)
    _record_choice(request, root, outcome.choice, output)
    return outcome


def _pack(request: ArtifactsRequest, output: Output, *, out_dir: Path, base_url: str) -> int:
    root = _project_dir(request.project)
    with _workflow(request) as workflow, output.status("Packing artifacts"):
        outcome = workflow.pack(out_dir.absolute(), base_url, _asked(request, root))
    reused = sum(1 for packed in outcome.tarballs if packed.reused)
    output.plain(
        f"Packed {_count(len(outcome.tarballs), 'tree')} into {out_dir} "
        f"({reused} already there, kept as they were)"
    )
    _report_write(outcome.write, output)
    _record_choice(request, root, outcome.write.choice, output)
    return 0


def _asked(request: ArtifactsRequest, root: Path) -> ChoiceRequest:
    """The options given, else the choice ``[tool.omniwheel]`` records (else the default: the
    project's dependencies alone)."""
    from omniwheel.env.choice import ChoiceRequest
    from omniwheel.project.pyproject import load_project

    if request.choice is not None:
        return request.choice
    if not (root / PYPROJECT).is_file():
        return ChoiceRequest()
    settings = load_project(root).settings
    return ChoiceRequest(extras=settings.artifacts_extras, groups=settings.artifacts_groups)


def _record_choice(request: ArtifactsRequest, root: Path, choice: Choice, output: Output) -> None:
    """Record a choice given by options as ``[tool.omniwheel] artifacts-extras`` /
    ``artifacts-groups``, so that the next ``artifacts write`` makes the same; say so."""
    from omniwheel._atomic import write_atomic
    from omniwheel.project.edit import set_artifacts_choice

    if request.choice is None:
        return
    path = root / PYPROJECT
    if not path.is_file():
        output.warning(
            f"the choice of extras and groups is not recorded: there is no {PYPROJECT} in "
            f"{root}; give the same options to the next `omniwheel artifacts write`"
        )
        return
    edited = set_artifacts_choice(
        path.read_text(encoding="utf-8"), extras=choice.extras, groups=choice.groups
    )
    if edited.changes:
        write_atomic(path, edited.text.encode(), durable=True)
        output.plain(f"Recorded the choice in {path}: {'; '.join(edited.changes)}")


def install_depot(
    request: ArtifactsRequest, output: Output, *, depot: Path, all_targets: bool
) -> int:
    """``artifacts depot`` (and ``sync --julia-depot``)."""
    with _workflow(request) as workflow:
        host = None if all_targets else _host(request, workflow)[1]
        with output.status("Placing artifacts"):
            outcome = workflow.install_depot(
                depot.expanduser().absolute(), host=host, all_targets=all_targets
            )
    _report_depot(outcome, output)
    return 0


def run_with_artifacts(
    request: ArtifactsRequest, output: Output, *, command: Sequence[str], depot: Path | None
) -> int:
    """``artifacts run`` (and ``run --artifacts``): place the trees, then run ``command`` —
    with the pinned interpreter from the depot when the lock pins one, never a host Python."""
    from omniwheel.julia.run import run_with_trees
    from omniwheel.julia.workflow import artifact_paths

    if command[:1] == ["--"]:
        command = command[1:]
    place = (depot or cache_root() / RUN_DEPOT).expanduser().absolute()
    with _workflow(request) as workflow:
        python, host = _host(request, workflow)
        with output.status("Placing artifacts"):
            outcome = workflow.install_depot(place, host=host)
            trees = artifact_paths(workflow.artifacts_path, host, [place])
            pinned = workflow.interpreter([place], host)
    if outcome.placed:
        output.plain(f"Placed {_count(len(outcome.placed), 'tree')} in {place}")
    environ = dict(os.environ)
    if pinned is not None:
        python = pinned
        # The interpreter is an artifact named by its content: bytecode written beside its
        # stdlib (root ignores read-only bits) would change the tree Julia shares.
        environ["PYTHONDONTWRITEBYTECODE"] = "1"
    if python is None:  # pragma: no cover - _host finds one whenever nothing is pinned
        from omniwheel.julia import ArtifactError

        raise ArtifactError(f"{workflow.artifacts_path} gives no interpreter for {host.name}")
    return run_with_trees(trees, command, python=python, environ=environ)


# --- wiring ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _workflow(request: ArtifactsRequest) -> Iterator[ArtifactsWorkflow]:
    from omniwheel.julia.treecache import TreeHashCache
    from omniwheel.julia.workflow import ArtifactsWorkflow
    from omniwheel.store.download import OfflineFetcher
    from omniwheel.store.per_index import ClosingFetcher
    from omniwheel.store.store import Fetcher, Store
    from omniwheel.store.usage import shared_lease

    root = _project_dir(request.project)
    cache = cache_root()
    fetcher: Fetcher
    closing: ClosingFetcher | None = None
    if request.offline:
        fetcher = OfflineFetcher()
    else:
        from omniwheel.cli.fetchers import sync_fetcher

        # Each package's wheels come from its own index, with that index's credentials.
        fetcher = closing = sync_fetcher(root, cli_url=request.index_url)
    try:
        # The store is read and filled: `cache clean` and `prune` wait, as for a sync.
        with shared_lease(cache):
            yield ArtifactsWorkflow(
                lock_path=root / LOCK_FILENAME,
                artifacts_path=_artifacts_path(root, request.artifacts),
                store=Store.in_cache(cache),
                trees=TreeHashCache.in_cache(cache),
                fetcher=fetcher,
                python_trees=TreeHashCache.for_pythons(cache),
                python_mirror=_python_mirror(root),
            )
    finally:
        if closing is not None:
            closing.close()


def _project_dir(project: Path | None) -> Path:
    from omniwheel.project.pyproject import find_project

    if project is not None:
        return project.absolute()
    start = Path.cwd()
    for directory in (start, *start.parents):
        if (directory / LOCK_FILENAME).is_file() or (directory / PYPROJECT).is_file():
            return directory
    return find_project(start)  # raises the usual "no pyproject.toml" error


def default_artifacts_path(root: Path) -> Path:
    """``[tool.omniwheel] artifacts`` (relative to ``root``), else ``root/Artifacts.toml``."""
    from omniwheel.project.pyproject import load_project

    if (root / PYPROJECT).is_file():
        configured = load_project(root).settings.artifacts
        if configured:
            return (root / configured).absolute()
    return root / DEFAULT_ARTIFACTS


def _python_mirror(root: Path) -> str | None:
    """``OMNIWHEEL_PYTHON_MIRROR``, else ``[tool.omniwheel] python-mirror``, checked."""
    from omniwheel.project.pyproject import load_project
    from omniwheel.python.pbs import check_mirror, python_mirror

    mirror = python_mirror(None, os.environ)
    if mirror is None and (root / PYPROJECT).is_file():
        configured = load_project(root).settings.python_mirror
        if configured:
            mirror = check_mirror(configured, source="[tool.omniwheel] python-mirror")
    return mirror


def _artifacts_path(root: Path, given: Path | None) -> Path:
    return given.expanduser().absolute() if given is not None else default_artifacts_path(root)


def _host(request: ArtifactsRequest, workflow: ArtifactsWorkflow) -> tuple[Path | None, Target]:
    """The interpreter the trees are for, and this machine as a target with its Python.

    With pinned interpreters and a Python version (``--python X.Y``,
    ``OMNIWHEEL_PYTHON_VERSION``, else the one pinned for this machine's platform) no
    interpreter is looked for: the first item is None, the pinned one is used.
    """
    from omniwheel.julia.python_artifact import default_python
    from omniwheel.julia.selection import PYTHON_VERSION_VARIABLE, julia_python_request
    from omniwheel.platform.host import probe_interpreter, running_executable
    from omniwheel.platform.target import parse_python_version
    from omniwheel.python.discovery import find_interpreter

    pinned = workflow.pinned_pythons()
    if pinned:
        platform = probe_interpreter(running_executable()).machine.suggested_platform()
        given = request.python or os.environ.get(PYTHON_VERSION_VARIABLE) or None
        version = given if given is not None else default_python(pinned, platform)
        if version is not None and _is_version(version):
            return None, platform.at(parse_python_version(version))
    wanted = request.python or julia_python_request(os.environ, shutil.which)
    found = find_interpreter(
        request=wanted, requires_python=None, environ=os.environ, home=Path.home()
    )
    interpreter = probe_interpreter(found.executable)
    platform = interpreter.machine.suggested_platform()
    return found.executable, platform.at(interpreter.version[:2])


def _is_version(text: str) -> bool:
    from omniwheel.errors import TargetError
    from omniwheel.platform.target import parse_python_version

    try:
        parse_python_version(text)
    except TargetError:
        return False
    return True


# --- summaries ---------------------------------------------------------------------------------


def _report_write(outcome: WriteOutcome, output: Output) -> None:
    artifacts = outcome.doc.artifacts
    entries = sum(len(artifact.entries) for artifact in artifacts.values())
    what = f"{_count(len(artifacts), 'artifact')} ({_count(entries, 'entry')})"
    fetched = f"; {_count(outcome.fetched, 'wheel')} downloaded to hash" if outcome.fetched else ""
    verb = "Wrote" if outcome.changed else "Unchanged:"
    output.plain(f"{verb} {outcome.path}: {what} for {_described(outcome.choice)}{fetched}")


def _described(choice: Choice) -> str:
    """``the project's dependencies``, ``… with extras excel; groups docs``."""
    chosen = [f"extras {', '.join(choice.extras)}"] if choice.extras else []
    chosen += [f"groups {', '.join(choice.groups)}"] if choice.groups else []
    return "the project's dependencies" + (f" with {'; '.join(chosen)}" if chosen else "")


def _report_depot(outcome: DepotOutcome, output: Output) -> None:
    output.plain(
        f"Placed {_count(len(outcome.placed), 'tree')} in {outcome.depot / 'artifacts'} "
        f"({len(outcome.reused)} already there); usage recorded in {outcome.usage_log}"
    )


def _count(number: int, noun: str) -> str:
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1]}ies" if noun.endswith("y") else f"{number} {noun}s"
