"""The ``sync`` (alias ``instantiate``) and ``run`` commands: options, wiring and summaries.

``main.py`` registers them with :func:`add_sync_commands` and dispatches to :func:`run_sync` /
:func:`run_run`; the work itself is :func:`omniwheel.env.sync.sync` and
:func:`omniwheel.env.run.run_in_venv`.  Summaries and warnings go to stderr; a dry run's plan
(data) goes to stdout.  ``run`` stays quiet when the environment was already in sync, so the
command's own output is all a user sees.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from omniwheel.cachedir import cache_root
from omniwheel.cli.output import Output
from omniwheel.env.run import run_in_venv
from omniwheel.env.sync import LOCK_FILENAME, ClosableFetcher, SyncOutcome, SyncRequest, sync
from omniwheel.env.venv import venv_location
from omniwheel.index.discovery import IndexDiscoveryError, IndexLocation, discover_index
from omniwheel.project.pyproject import find_project
from omniwheel.store.store import OfflineFetcher, Store, WheelFetcher

PYPROJECT = "pyproject.toml"


def add_sync_commands(commands: Any) -> None:
    """Register ``sync``/``instantiate`` and ``run`` on ``main``'s sub-parsers."""
    sync_parser = commands.add_parser(
        "sync",
        aliases=["instantiate"],
        help="make the environment (.venv) match pylock.toml for this machine",
        description="Install exactly what pylock.toml selects for this machine into a venv: "
        "wheels are downloaded once into a verified store and linked from there; packages the "
        "lock no longer has are removed.  No package code runs.",
    )
    _add_environment_options(sync_parser)
    sync_parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    run_parser = commands.add_parser(
        "run",
        help="sync, then run a command inside the environment",
        description="Sync the environment, then run CMD with its bin directory first on PATH "
        "and VIRTUAL_ENV set; the exit code is CMD's.",
    )
    _add_environment_options(run_parser)
    run_parser.add_argument(
        "--frozen",
        action="store_true",
        help="use pylock.toml as it is, even if pyproject.toml changed (this version never "
        "relocks by itself, so this is the default for now)",
    )
    run_parser.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...")


def _add_environment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="the directory holding pylock.toml (default: the nearest one holding "
        "pylock.toml or pyproject.toml)",
    )
    parser.add_argument(
        "--python",
        metavar="VERSION|PATH",
        help="the interpreter for the environment: a version (3.12) or a path "
        "(default: the venv's, else the running one if the lock admits it, else one on PATH)",
    )
    parser.add_argument(
        "--venv",
        type=Path,
        metavar="PATH",
        help="where the environment lives (default: OMNIWHEEL_VENV, else .venv in the project)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="use only the store; download nothing"
    )
    parser.add_argument(
        "--index-url",
        metavar="URL",
        help="the index whose credentials downloads from its host may use (default: "
        "OMNIWHEEL_INDEX_URL, pip's configuration)",
    )


def run_sync(args: argparse.Namespace, output: Output) -> int:
    outcome = _sync(args, output, dry_run=args.dry_run)
    _report(outcome, output, quiet_when_unchanged=False)
    return 0


def run_run(args: argparse.Namespace, output: Output) -> int:
    command = list(args.argv)
    if command[:1] == ["--"]:
        command = command[1:]
    outcome = _sync(args, output, dry_run=False)
    _report(outcome, output, quiet_when_unchanged=True)
    return run_in_venv(outcome.venv, command, environ=os.environ)


def _sync(args: argparse.Namespace, output: Output, *, dry_run: bool) -> SyncOutcome:
    project = args.project.absolute() if args.project is not None else _find_lock_dir()
    request = SyncRequest(
        project=project,
        venv=venv_location(project, cli=args.venv, environ=os.environ),
        python=args.python,
        dry_run=dry_run,
        offline=args.offline,
    )
    index = None if args.offline else _index_for_credentials(args.index_url)

    def open_fetcher() -> ClosableFetcher:
        return OfflineFetcher() if args.offline else WheelFetcher(index=index)

    with output.status("Syncing"):
        return sync(
            request,
            store=Store.in_cache(cache_root()),
            open_fetcher=open_fetcher,
            environ=os.environ,
            home=Path.home(),
        )


def _find_lock_dir() -> Path:
    start = Path.cwd()
    for directory in (start, *start.parents):
        if (directory / LOCK_FILENAME).is_file() or (directory / PYPROJECT).is_file():
            return directory
    return find_project(start)  # raises the usual "no pyproject.toml" error


def _index_for_credentials(cli_url: str | None) -> IndexLocation | None:
    """The configured index, only for its credentials and CA bundle; None when there is none."""
    try:
        return discover_index(cli_url=cli_url, tool_url=None, environ=os.environ, home=Path.home())
    except IndexDiscoveryError:
        return None


def _report(outcome: SyncOutcome, output: Output, *, quiet_when_unchanged: bool) -> None:
    plan = outcome.plan
    if plan is None or (plan.is_empty and quiet_when_unchanged):
        if not quiet_when_unchanged:
            output.plain(f"Audited {_packages(outcome.packages)} in {_duration(outcome.seconds)}")
        return
    for warning in outcome.warnings:
        output.warning(warning)
    if outcome.created_venv:
        verb = "Would create" if outcome.dry_run else "Created"
        output.plain(f"{verb} {outcome.venv} with {outcome.interpreter}")
    for dist in plan.foreign:
        output.note(
            f"{dist.describe()} is not in the lock but was installed by "
            f"{dist.installer or 'an unknown installer'}; left alone"
        )
    if outcome.dry_run:
        _report_dry_run(outcome, output)
        return
    if plan.is_empty:
        output.plain(f"Audited {_packages(outcome.packages)} in {_duration(outcome.seconds)}")
        return
    _report_changes(outcome, output)


def _report_dry_run(outcome: SyncOutcome, output: Output) -> None:
    assert outcome.plan is not None
    plan = outcome.plan
    output.plain(
        f"Would install {_packages(len(plan.link))} ({outcome.fetched} to download), remove "
        f"{len(plan.remove)}, keep {len(plan.keep)} in {outcome.venv}"
    )
    for line in plan.describe():
        sys.stdout.write(f"{line}\n")


def _report_changes(outcome: SyncOutcome, output: Output) -> None:
    assert outcome.plan is not None
    plan = outcome.plan
    if plan.link:
        output.plain(
            f"Installed {_packages(len(plan.link))} in {_duration(outcome.seconds)} "
            f"({len(plan.link) - outcome.fetched} linked from store, "
            f"{outcome.fetched} downloaded)"
        )
    if plan.remove:
        output.plain(f"Removed {_packages(len(plan.remove))}")
    for line in plan.describe():
        output.plain(f" {line}")


def _packages(count: int) -> str:
    return f"{count} package" if count == 1 else f"{count} packages"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"
