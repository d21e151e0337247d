"""The ``omniwheel`` command: argument parsing, wiring of real adapters, and error rendering.

Domain code never prints; this module turns results into a short summary on stderr (data goes to
stdout: ``lock --json`` and ``sync --json`` write a report there instead of the summary, see
:mod:`omniwheel.cli.json_report`) and every :class:`OmniwheelError` into ``error: …`` plus
``hint: …`` on stderr with a non-zero exit and no traceback.

Exit codes: 0 success; 1 a deliberate failure (the message says what and what to do); 2 bad usage.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from omniwheel.cachedir import cache_root

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any

    from omniwheel.cli.output import Output

    Runner = Callable[[argparse.Namespace, Output], int]

# Commands import what they need when they run (see the ruff ignore of PLC0415): `run` on an
# environment that is already in sync must not pay for the resolver and index client, nor even
# for this module's parser: a `sync` or `run` with nothing to do is answered before it is built
# (omniwheel.cli.unchanged_venv), with no import of argparse, dataclasses or typing.  For the
# same reason the modules of the other commands are imported only to run them, or when the whole
# parser is needed (`omniwheel --help`, a mistyped command).

_SYNC_MODULE = "omniwheel.cli.sync_commands"
_GROUPS = {
    # module: the function registering its commands, then each command (and alias) -> its runner
    _SYNC_MODULE: (
        "add_sync_commands",
        {"sync": "run_sync", "instantiate": "run_sync", "run": "run_run"},
    ),
    "omniwheel.cli.project_commands": (
        "add_project_commands",
        {"init": "run_init", "add": "run_add", "remove": "run_remove"},
    ),
    "omniwheel.cli.cache_commands": ("add_cache_command", {"cache": "run_cache"}),
    "omniwheel.cli.artifacts_commands": ("add_artifacts_commands", {"artifacts": "run_artifacts"}),
    "omniwheel.cli.python_commands": ("add_python_command", {"python": "run_python"}),
}
"""Every command but ``lock`` (registered here), in the order ``--help`` lists them."""


def _module_of(command: str) -> str | None:
    return next((module for module, (_, runners) in _GROUPS.items() if command in runners), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given ``command``, only that command's group is registered
    (it parses that command's arguments exactly as the whole parser does)."""
    import argparse
    import importlib

    from omniwheel import __version__

    parser = argparse.ArgumentParser(
        prog="omniwheel",
        description="Lock Python dependencies once for every platform; install them anywhere.",
    )
    parser.add_argument("--version", action="version", version=f"omniwheel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command is None or command == "lock":
        _add_lock_command(commands)
    for module, (register, _) in _GROUPS.items():
        if command is None or _module_of(command) == module:
            getattr(importlib.import_module(module), register)(commands)
    return parser


def _add_lock_command(commands: Any) -> None:
    import argparse

    from omniwheel.cli.options import (
        add_index_options,
        add_json_option,
        add_pin_python_options,
        add_upgrade_options,
    )

    lock = commands.add_parser(
        "lock",
        help="resolve the project for its target platforms and write pylock.toml",
        description="Resolve pyproject.toml for a matrix of targets from index metadata alone "
        "and write pylock.toml (PEP 751) next to it.",
    )
    _add_project_options(lock)
    lock.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="TARGET",
        help="target platform, e.g. linux-x86_64, macos-arm64@3.12, x86_64-w64-mingw32 "
        "(repeatable; default: [tool.omniwheel] platforms, else the default matrix)",
    )
    lock.add_argument(
        "--python-version",
        action="append",
        default=[],
        metavar="X.Y",
        help="Python version for platforms given without @X.Y (repeatable)",
    )
    lock.add_argument(
        "--exclude-newer",
        metavar="DATE",
        help="ignore files uploaded after this date (UTC midnight) or RFC 3339 time",
    )
    # Extras were chosen here before locks became multi-use.  The options stay, out of --help,
    # so that a script still passing them fails with a hint to choose at sync time (the README
    # documents them as refused) rather than argparse's bare "unrecognized arguments".
    lock.add_argument("--extra", action="append", default=[], help=argparse.SUPPRESS)
    lock.add_argument("--all-extras", action="store_true", help=argparse.SUPPRESS)
    lock.add_argument("--prerelease", action="store_true", help="allow pre-release versions")
    lock.add_argument(
        "--uniform", action="store_true", help="one version per package across all targets"
    )
    add_index_options(lock, verb="lock")
    add_pin_python_options(lock)
    lock.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 saying what changed if pylock.toml is out of date",
    )
    add_upgrade_options(lock, relock=False)
    lock.add_argument(
        "--refresh", action="store_true", help="ask the index again instead of using cached pages"
    )
    lock.add_argument(
        "--artifacts",
        type=Path,
        metavar="PATH",
        help="then write the Julia Artifacts.toml at PATH (default: [tool.omniwheel] artifacts, "
        "when set); not with --check",
    )
    add_json_option(lock)


def _add_project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="the project directory (default: the nearest one holding pyproject.toml)",
    )
    parser.add_argument(
        "--index-url",
        metavar="URL",
        help="simple-API index (default: OMNIWHEEL_INDEX_URL, [tool.omniwheel] index-url, "
        "pip's configuration, pip's default)",
    )


def run_lock(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.cli.locking import IndexOptions, configured_indexes, pin_python_options
    from omniwheel.cli.unchanged_lock import Recorded, UnchangedLock

    started = time.monotonic()
    unchanged = UnchangedLock.of(args, environ=os.environ, home=Path.home())
    recorded = None if unchanged is None else unchanged.recall(cache_root())
    if recorded is not None:
        output.recorded_lock_summary(recorded, seconds=time.monotonic() - started)
        return 0

    from omniwheel.cli.output import kept_lock_lines
    from omniwheel.lock.inputs import LockOptions, current_lock
    from omniwheel.project.pyproject import find_project, load_project
    from omniwheel.project.timestamp import parse_exclude_newer

    root = args.project if args.project is not None else find_project(Path.cwd())
    project = load_project(root)
    indexes = configured_indexes(project, IndexOptions.of(args))
    for note in indexes.default.notes:
        output.note(note)
    options = LockOptions(
        platforms=tuple(args.platform),
        python_versions=tuple(args.python_version),
        exclude_newer=parse_exclude_newer(args.exclude_newer) if args.exclude_newer else None,
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        prerelease=args.prerelease,
        uniform=args.uniform,
        refresh=args.refresh,
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        **pin_python_options(args),
    )
    # --check and --json report a resolution (divergences, index use): they always resolve.
    kept = None
    if not args.check and not args.json:
        kept = current_lock(project, options, indexes=indexes, cache_root=cache_root())
    current: tuple[str, ...] | None = None  # the summary of a lock found current
    if kept is not None:
        current = kept_lock_lines(
            lock_name=kept.path.name,
            packages=kept.packages,
            targets=kept.targets,
            shadowed=kept.shadowed,
        )
        output.kept_lock_summary(current, seconds=kept.seconds)
    else:
        from omniwheel.lock.locker import lock_project
        from omniwheel.store.usage import shared_lease

        with shared_lease(cache_root()), output.status("Resolving"):
            outcome = lock_project(
                project, options, indexes=indexes, cache_root=cache_root(), check=args.check
            )
        if args.json:
            output.lock_warnings(outcome)
        else:
            output.lock_summary(outcome, indexes=indexes, check=args.check)
        if not outcome.lock.skipped:  # else the summary of a later run would hide the warnings
            current = kept_lock_lines(
                lock_name=outcome.path.name,
                packages=outcome.packages,
                targets=outcome.locked_targets,
                shadowed=outcome.shadowed,
            )
        unchanged = None  # read again below: the lock's bytes may have just been written
    artifacts = args.artifacts is not None or project.settings.artifacts
    if current is not None and not artifacts:
        done = unchanged or UnchangedLock.of(args, environ=os.environ, home=Path.home())
        if done is not None:  # None with --check, --json, …
            record = Recorded(notes=tuple(indexes.default.notes), lines=current)
            done.remember(cache_root(), record)
    if not args.check and artifacts:
        from omniwheel.cli.artifacts_commands import ArtifactsRequest, write_artifacts

        request = ArtifactsRequest(
            project=project.root, artifacts=args.artifacts, index_url=args.index_url
        )
        write_artifacts(request, output)
    if args.json:
        from omniwheel.cli.json_report import lock_report, write_report

        write_report(lock_report(outcome, check=args.check))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    quick = None
    if arguments and _module_of(arguments[0]) == _SYNC_MODULE:
        from omniwheel.cli.unchanged_venv import quick_invocation

        quick = quick_invocation(arguments)
    args = None if quick is not None else _parse(arguments)
    from omniwheel.cli.output import Output

    output = Output.for_terminal()
    try:
        if quick is not None:
            code = quick.answer(output)
            if code is not None:
                return code
            args = _parse(arguments)  # the usual way: it checks everything again
        assert args is not None
        return _runner(args.command)(args, output)
    except KeyboardInterrupt:
        output.plain("interrupted")
        return 130
    except Exception as exc:
        from omniwheel.errors import OmniwheelError  # imported when one is raised

        if not isinstance(exc, OmniwheelError):
            raise
        output.error(exc)
        return 1


def _parse(arguments: list[str]) -> argparse.Namespace:
    """``arguments`` parsed by the parser of their command (the whole one when the first is
    no command: ``--help``, a typo)."""
    first = arguments[0] if arguments else None
    known = first is not None and (first == "lock" or _module_of(first) is not None)
    return build_parser(first if known else None).parse_args(arguments)


def _runner(command: str) -> Runner:
    if command == "lock":
        return run_lock
    import importlib

    module = _module_of(command)
    assert module is not None  # argparse accepted only registered commands
    runner: Runner = getattr(importlib.import_module(module), _GROUPS[module][1][command])
    return runner


if __name__ == "__main__":
    sys.exit(main())
