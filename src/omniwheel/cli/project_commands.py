"""The ``init``, ``add`` and ``remove`` commands: edit ``pyproject.toml``, relock, sync.

The edits themselves are pure functions in :mod:`omniwheel.project.edit`.  This module checks
the edited text is a valid project *before* writing it, writes it atomically, relocks (keeping
the locked versions of everything else) and syncs.  If anything after the write fails — the
resolver finds no solution, a download fails, the user presses Ctrl-C — ``pyproject.toml`` and
``pylock.toml`` are put back byte for byte, so a failed ``add`` leaves the project as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omniwheel._atomic import create_exclusive, write_atomic
from omniwheel.cachedir import cache_root
from omniwheel.cli.locking import PYPROJECT, IndexOptions, relock
from omniwheel.cli.output import Output
from omniwheel.cli.sync_commands import add_environment_options, report, sync_environment
from omniwheel.errors import Problem, ProjectError
from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    from omniwheel.env.choice import ChoiceRequest
    from omniwheel.project.edit import Edited
    from omniwheel.project.pyproject import Project


def add_project_commands(commands: Any) -> None:
    """Register ``init``, ``add`` and ``remove`` on ``main``'s sub-parsers."""
    init = commands.add_parser(
        "init",
        help="write a minimal pyproject.toml in the current (or given) directory",
        description="Write pyproject.toml with a [project] table (name from the directory, "
        "requires-python from the running interpreter, no dependencies) and a commented "
        "[tool.omniwheel] table.  An existing pyproject.toml is never overwritten.",
    )
    init.add_argument(
        "--project", type=Path, metavar="DIR", help="where to write it (default: here)"
    )
    init.add_argument("--name", help="the project's name (default: from the directory's name)")
    add = commands.add_parser(
        "add",
        help="add dependencies to pyproject.toml, relock and sync",
        description="Add requirements to [project].dependencies (or an extra, or a PEP 735 "
        "dependency group), replacing any for the same package and marker; then relock every "
        "extra and group, keeping the other locked versions, and sync the default install "
        "plus what was named.  On failure pyproject.toml and pylock.toml are restored.",
    )
    add.add_argument("requirements", nargs="+", metavar="REQUIREMENT", help='e.g. "httpx>=0.27"')
    remove = commands.add_parser(
        "remove",
        help="remove dependencies from pyproject.toml, relock and sync",
        description="Remove every requirement for the named packages from "
        "[project].dependencies (or an extra, or a dependency group); then relock and sync.  "
        "On failure pyproject.toml and pylock.toml are restored.",
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="package names")
    for parser in (add, remove):
        place = parser.add_mutually_exclusive_group()
        place.add_argument(
            "--optional",
            metavar="EXTRA",
            help="edit the extra [project.optional-dependencies] EXTRA instead (add also "
            "installs it)",
        )
        place.add_argument(
            "--group",
            metavar="GROUP",
            help="edit the PEP 735 group [dependency-groups] GROUP instead (add also installs it)",
        )
        place.add_argument("--dev", action="store_true", help="edit the `dev` group (--group dev)")
        parser.add_argument(
            "--no-sync", action="store_true", help="relock, but leave the environment alone"
        )
        parser.add_argument(
            "--frozen", action="store_true", help="only edit pyproject.toml: no relock, no sync"
        )
        add_environment_options(parser)


# --- init ----------------------------------------------------------------------------------


def run_init(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.project.edit import init_text, project_name_for

    root = (args.project or Path.cwd()).absolute()
    name = args.name or project_name_for(root.name)
    text = init_text(name, (sys.version_info.major, sys.version_info.minor))
    path = root / PYPROJECT
    try:
        created = create_exclusive(path, text.encode())
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc.strerror}") from exc
    if not created:
        raise ProjectError(
            f"{path} already exists; omniwheel init never overwrites it",
            hint="edit it, or add dependencies with `omniwheel add NAME`",
        )
    output.plain(f"Created {path} for project `{name}`")
    output.plain("Next: `omniwheel add PACKAGE`, or `omniwheel lock` when dependencies are listed")
    return 0


# --- add and remove ------------------------------------------------------------------------


def run_add(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.project.edit import add_requirements

    root = _root(args)
    original = _read_text(root / PYPROJECT)
    group = _dependency_group(args)
    edited = add_requirements(
        original, args.requirements, group=args.optional, dependency_group=group
    )
    return _apply(args, output, root, edited, choice=_choice_with(args.optional, group))


def run_remove(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.project.edit import remove_requirements

    root = _root(args)
    original = _read_text(root / PYPROJECT)
    group = _dependency_group(args)
    edited = remove_requirements(original, args.names, group=args.optional, dependency_group=group)
    return _apply(args, output, root, edited, choice=_choice_with(None, None))


def _dependency_group(args: argparse.Namespace) -> str | None:
    return "dev" if args.dev else args.group


def _choice_with(extra: str | None, group: str | None) -> ChoiceRequest:
    """What ``add`` syncs: the default install plus the extra or group it added to."""
    from omniwheel.env.choice import ChoiceRequest

    return ChoiceRequest(
        extras=(extra,) if extra is not None else (),
        groups=(group,) if group is not None else (),
    )


def _apply(
    args: argparse.Namespace,
    output: Output,
    root: Path,
    edited: Edited,
    *,
    choice: ChoiceRequest,
) -> int:
    """Write the edit, relock every root and sync ``choice``; restore both files if any of it
    fails."""
    from omniwheel.lock.inputs import LockOptions

    pyproject = root / PYPROJECT
    project = _validated(pyproject, edited.text)
    with _restored_on_failure(output, pyproject, root / LOCK_FILENAME):
        write_atomic(pyproject, edited.text.encode(), durable=True)
        for change in edited.changes:
            output.plain(f" {change}")
        if args.frozen:
            return 0
        options = LockOptions()  # every extra and group is locked: nothing to choose here
        index = IndexOptions.of(args)
        relock(project, options, index=index, cache_root=cache_root(), output=output)
        if not args.no_sync:
            outcome = sync_environment(args, output, project=root, dry_run=False, choice=choice)
            report(outcome, output, quiet_when_unchanged=False)
    return 0


def _root(args: argparse.Namespace) -> Path:
    from omniwheel.project.pyproject import find_project

    return Path(args.project).absolute() if args.project else find_project(Path.cwd())


def _read_text(path: Path) -> str:
    from omniwheel.project.pyproject import ProjectNotFoundError

    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ProjectNotFoundError(path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from exc


def _validated(path: Path, text: str) -> Project:
    """The project the edited text describes; raises (writing nothing) if it has problems."""
    import tomllib

    from omniwheel.project.pyproject import ProjectValidationError, parse_project

    problems: list[Problem] = []
    project = parse_project(tomllib.loads(text), path, problems)
    if problems:
        raise ProjectValidationError(path, problems)
    return project


@contextlib.contextmanager
def _restored_on_failure(output: Output, *paths: Path) -> Iterator[None]:
    saved = {path: path.read_bytes() if path.is_file() else None for path in paths}
    try:
        yield
    except BaseException:
        restored = [path.name for path, data in saved.items() if _restore(path, data)]
        if restored:
            state = "as it was" if len(restored) == 1 else "as they were"
            output.note(f"restored {' and '.join(restored)} {state}")
        raise


def _restore(path: Path, data: bytes | None) -> bool:
    """Put ``data`` back at ``path`` (None: no file); True if anything had to change."""
    current = path.read_bytes() if path.is_file() else None
    if current == data:
        return False
    if data is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, data, durable=True)
    return True
