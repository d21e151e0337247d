"""The ``sync`` (alias ``instantiate``) and ``run`` commands: options, wiring and summaries.

``main.py`` registers them with :func:`add_sync_commands` and dispatches to :func:`run_sync` /
:func:`run_run`; the work itself is :func:`omniwheel.cli.locking.ensure_current_lock` (relock
when ``pyproject.toml`` changed), :func:`omniwheel.env.sync.sync` and
:func:`omniwheel.env.run.run_in_venv`.  ``add`` and ``remove`` reuse :func:`sync_environment`.
Summaries and warnings go to stderr; a dry run's plan (data) goes to stdout (with ``sync
--json``, the report of :mod:`omniwheel.cli.json_report` replaces plan and summary).  ``run``
stays quiet when the environment was already in sync, so the command's own output is all a user
sees.

A sync holds the cache's shared lease (:func:`omniwheel.store.usage.shared_lease`) while it
works, and records which store entries the environment uses, for ``omniwheel cache prune``.
Heavy modules are imported inside the functions: ``run`` on an environment already in sync
imports neither the index client nor the installer.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omniwheel.cachedir import cache_root
from omniwheel.cli.locking import IndexOptions, LockPolicy, ensure_current_lock
from omniwheel.cli.options import (
    add_index_options,
    add_json_option,
    add_project_option,
    add_selection_options,
    add_upgrade_options,
    choice_request,
)
from omniwheel.cli.output import Output, audited_summary, count_packages, duration
from omniwheel.cli.unchanged_venv import nearest_project
from omniwheel.env.layout import LINK_MODE_VARIABLE, LINK_MODES, link_mode_of, venv_location
from omniwheel.errors import OmniwheelError

if TYPE_CHECKING:
    from collections.abc import Callable

    from omniwheel.env.choice import ChoiceRequest
    from omniwheel.env.layout import LinkMode
    from omniwheel.env.sync import ClosableFetcher, SyncOutcome, SyncRequest
    from omniwheel.store.store import WheelSource


class UsageError(OmniwheelError):
    """Options that contradict each other."""


def add_sync_commands(commands: Any) -> None:
    """Register ``sync``/``instantiate`` and ``run`` on ``main``'s sub-parsers."""
    sync_parser = commands.add_parser(
        "sync",
        aliases=["instantiate"],
        help="make the environment (.venv) match pylock.toml for this machine",
        description="Install exactly what pylock.toml selects for this machine into a venv: "
        "wheels are downloaded once into a verified store and linked from there; packages "
        "omniwheel installed that the lock no longer has are removed (others' are left alone "
        "and reported).  No package code runs.  Like `run`, it first relocks when "
        "pyproject.toml changed since pylock.toml was written (keeping the locked versions), "
        "unless --locked or --frozen.",
    )
    add_environment_options(sync_parser)
    add_selection_options(sync_parser)
    add_lock_policy_options(sync_parser)
    sync_parser.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    sync_parser.add_argument(
        "--julia-depot",
        type=Path,
        metavar="DIR",
        help="instead of the environment, place this machine's Julia artifact trees (from "
        "Artifacts.toml) at DIR/artifacts and record them in DIR/logs/artifact_usage.toml",
    )
    sync_parser.add_argument(
        "--all-targets",
        action="store_true",
        help="with --julia-depot: the trees of every target of the lock",
    )
    add_json_option(sync_parser)
    run_parser = commands.add_parser(
        "run",
        help="sync, then run a command inside the environment",
        description="Relock if pyproject.toml changed (unless --locked or --frozen), sync the "
        "environment, then run CMD with its bin directory first on PATH and VIRTUAL_ENV set; "
        "the exit code is CMD's.",
    )
    add_environment_options(run_parser)
    add_selection_options(run_parser)
    add_lock_policy_options(run_parser)
    run_parser.add_argument(
        "--artifacts",
        action="store_true",
        help="instead of the environment, run CMD with this machine's Julia artifact trees "
        "on sys.path (see `omniwheel artifacts run`)",
    )
    run_parser.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...")


def add_environment_options(parser: argparse.ArgumentParser) -> None:
    """Where the environment is, which interpreter, and how it is filled."""
    add_project_option(parser)
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
        help="the index to relock from, and whose credentials downloads from its host may use "
        "(default: OMNIWHEEL_INDEX_URL, [tool.omniwheel] index-url, pip's configuration)",
    )
    add_index_options(parser, verb="relock")
    parser.add_argument(
        "--link-mode",
        choices=LINK_MODES,
        help=f"how files come from the store: hardlink (default; copies where hardlinks "
        f"fail), copy, or symlink (the environment then needs the store entry to stay); "
        f"default: {LINK_MODE_VARIABLE}, else hardlink",
    )
    parser.add_argument(
        "--compile-bytecode",
        action="store_true",
        help="compile the installed .py files to .pyc with the environment's interpreter",
    )


def add_lock_policy_options(parser: argparse.ArgumentParser) -> None:
    """``--locked``/``--frozen`` and the upgrade options of a relock."""
    freshness = parser.add_mutually_exclusive_group()
    freshness.add_argument(
        "--locked",
        action="store_true",
        help="fail, saying what changed, if pylock.toml is out of date with pyproject.toml",
    )
    freshness.add_argument(
        "--frozen",
        action="store_true",
        help="use pylock.toml as it is, without reading pyproject.toml or any index",
    )
    add_upgrade_options(parser, relock=True)


def lock_policy(args: argparse.Namespace) -> LockPolicy:
    upgrading = args.upgrade or args.upgrade_package
    if upgrading and (args.locked or args.frozen):
        flag = "--locked" if args.locked else "--frozen"
        raise UsageError(
            f"--upgrade and --upgrade-package relock, which {flag} forbids",
            hint=f"drop {flag}, or the upgrade options",
        )
    return LockPolicy(
        freshness="locked" if args.locked else "frozen" if args.frozen else "relock",
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        index=IndexOptions.of(args),
    )


def run_sync(args: argparse.Namespace, output: Output) -> int:
    if args.json and args.julia_depot is not None:
        raise UsageError(
            "--json reports a sync of the environment, not of a Julia depot",
            hint="drop --json, or --julia-depot",
        )
    if args.julia_depot is not None and not choice_request(args).is_default:
        raise UsageError(
            "--julia-depot places the trees Artifacts.toml names, so extras and groups are "
            "chosen when it is written, not here",
            hint="choose them with `omniwheel artifacts write --extra NAME` (or --group, "
            "--all-extras, …), then run `omniwheel sync --julia-depot DIR` without them",
        )
    if args.julia_depot is not None:
        from omniwheel.cli.artifacts_commands import ArtifactsRequest, install_depot

        request = ArtifactsRequest.from_args(args)
        return install_depot(request, output, depot=args.julia_depot, all_targets=args.all_targets)
    project = project_dir(args)
    policy = lock_policy(args)
    if args.dry_run and policy.upgrading:
        raise UsageError(
            "--upgrade and --upgrade-package relock, which --dry-run does not do",
            hint="run `omniwheel lock --upgrade` (or --upgrade-package) first",
        )
    ensure_current_lock(
        project, policy, cache_root=cache_root(), output=output, dry_run=args.dry_run
    )
    if args.json:
        return _sync_json(args, output, project=project)
    outcome = sync_environment(args, output, project=project, dry_run=args.dry_run)
    report(outcome, output, quiet_when_unchanged=False)
    return 0


def _sync_json(args: argparse.Namespace, output: Output, *, project: Path) -> int:
    """``sync --json``: the report on stdout instead of the summary; warnings stay on stderr."""
    from omniwheel.cli.json_report import FetchLog, sync_report, write_report
    from omniwheel.env.select import lock_choice

    fetch_log = FetchLog()
    choice = choice_request(args)
    outcome = sync_environment(
        args, output, project=project, dry_run=args.dry_run, on_fetched=fetch_log, choice=choice
    )
    _diagnostics(outcome, output)
    chosen = lock_choice(outcome.lock_path, choice)
    write_report(sync_report(outcome, fetched=fetch_log.wheels, choice=chosen))
    return 0


def run_run(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.env.run import run_in_venv

    command = list(args.argv)
    if command[:1] == ["--"]:
        command = command[1:]
    if args.artifacts:
        from omniwheel.cli.artifacts_commands import ArtifactsRequest, run_with_artifacts

        request = ArtifactsRequest.from_args(args)
        return run_with_artifacts(request, output, command=command, depot=None)
    project = project_dir(args)
    ensure_current_lock(project, lock_policy(args), cache_root=cache_root(), output=output)
    outcome = sync_environment(args, output, project=project, dry_run=False)
    report(outcome, output, quiet_when_unchanged=True)
    return run_in_venv(outcome.venv, command, environ=os.environ)


def sync_environment(
    args: argparse.Namespace,
    output: Output,
    *,
    project: Path,
    dry_run: bool,
    on_fetched: Callable[[WheelSource, bool], None] | None = None,
    choice: ChoiceRequest | None = None,
) -> SyncOutcome:
    """Sync ``project``'s environment as the environment options in ``args`` say;
    ``on_fetched``: called for each wheel the store ensured, and whether it was downloaded;
    ``choice``: the extras and groups (None: as the selection options in ``args`` say)."""
    from omniwheel.env.sync import SyncRequest, in_sync

    request = SyncRequest(
        project=project,
        venv=venv_location(project, cli=args.venv, environ=os.environ),
        python=args.python,
        dry_run=dry_run,
        offline=args.offline,
        link_mode=_link_mode(args.link_mode),
        compile_bytecode=args.compile_bytecode,
        choice=choice if choice is not None else choice_request(args),
    )
    if not dry_run:
        unchanged = in_sync(request)
        if unchanged is not None:
            return unchanged
    return _sync_changes(request, args, output, on_fetched)


def _sync_changes(
    request: SyncRequest,
    args: argparse.Namespace,
    output: Output,
    on_fetched: Callable[[WheelSource, bool], None] | None,
) -> SyncOutcome:
    from omniwheel.env.selection_memo import SelectionMemo
    from omniwheel.env.sync import sync
    from omniwheel.store.store import Store
    from omniwheel.store.usage import shared_lease

    def open_fetcher() -> ClosableFetcher:
        from omniwheel.cli.fetchers import sync_fetcher
        from omniwheel.store.download import OfflineFetcher

        if args.offline:
            return OfflineFetcher()
        return sync_fetcher(request.project, cli_url=args.index_url)

    root = cache_root()
    with shared_lease(root), output.status("Syncing"):
        outcome = sync(
            request,
            store=Store.in_cache(root),
            open_fetcher=open_fetcher,
            environ=os.environ,
            home=Path.home(),
            on_fetched=on_fetched,
            memo=SelectionMemo.in_cache(root),
        )
        if outcome.plan is not None and not outcome.dry_run:
            _record_usage(root, outcome, output)
    return outcome


def _link_mode(cli: str | None) -> LinkMode:
    mode = link_mode_of(cli, os.environ)
    if mode is None:  # --link-mode has argparse's choices: the variable is wrong
        raise UsageError(
            f"{LINK_MODE_VARIABLE}={os.environ.get(LINK_MODE_VARIABLE)!r} is not a link mode",
            hint=f"use one of {', '.join(LINK_MODES)}",
        )
    return mode


def _record_usage(root: Path, outcome: SyncOutcome, output: Output) -> None:
    from omniwheel.store.usage import record_usage

    try:
        record_usage(
            root,
            lock=outcome.lock_path,
            venv=outcome.venv,
            entries=outcome.entries,
            pythons=outcome.pythons,
        )
    except OSError as exc:
        output.warning(
            f"could not record the environment's store entries in {root}: {exc.strerror}; "
            "`omniwheel cache prune` may remove them"
        )


def project_dir(args: argparse.Namespace) -> Path:
    """``--project``, else the nearest directory holding pylock.toml or pyproject.toml."""
    found = nearest_project(None if args.project is None else Path(args.project))
    if found is not None:
        return found
    from omniwheel.project.pyproject import find_project

    return find_project(Path.cwd())  # raises the usual "no pyproject.toml" error


def report(outcome: SyncOutcome, output: Output, *, quiet_when_unchanged: bool) -> None:
    """Summarise a sync on stderr (a dry run's plan goes to stdout)."""
    plan = outcome.plan
    if plan is None or (plan.is_empty and quiet_when_unchanged):
        if not quiet_when_unchanged:
            output.plain(audited_summary(outcome.packages, outcome.seconds))
        return
    _diagnostics(outcome, output)
    _report_interpreter(outcome, output)
    for dist in plan.foreign:
        output.note(
            f"{dist.describe()} is not in the lock, but has no RECORD to remove it by "
            f"(installed by {dist.installer or 'an unknown installer'}); left alone"
        )
    if outcome.dry_run:
        _report_dry_run(outcome, output)
        return
    if plan.is_empty:
        output.plain(audited_summary(outcome.packages, outcome.seconds))
        return
    _report_changes(outcome, output)


def _report_interpreter(outcome: SyncOutcome, output: Output) -> None:
    """The pinned build downloaded (or to be), and the venv made (or to be) on it."""
    build = outcome.python_build
    if build is not None and outcome.python_fetched:
        if outcome.dry_run:
            output.plain(f"Would download {build.describe()} from {build.url} (or the mirror)")
        else:
            output.plain(f"Downloaded and verified {build.describe()} into the store")
    if outcome.created_venv:
        verb = "Would create" if outcome.dry_run else "Created"
        on = f"the pinned {build.describe()}" if build is not None else outcome.interpreter
        output.plain(f"{verb} {outcome.venv} with {on}")


def _diagnostics(outcome: SyncOutcome, output: Output) -> None:
    """The sync's warnings and notes, and each drift the audit found, on stderr."""
    for warning in outcome.warnings:
        output.warning(warning)
    for note in outcome.notes:
        output.note(note)
    for drift in outcome.drift:
        output.note(f"changed since the last sync: {drift}")


def _report_dry_run(outcome: SyncOutcome, output: Output) -> None:
    assert outcome.plan is not None
    plan = outcome.plan
    output.plain(
        f"Would install {count_packages(len(plan.link))} ({outcome.fetched} to download), remove "
        f"{len(plan.remove)}, keep {len(plan.keep)} in {outcome.venv}"
    )
    for line in plan.describe():
        sys.stdout.write(f"{line}\n")


def _report_changes(outcome: SyncOutcome, output: Output) -> None:
    assert outcome.plan is not None
    plan = outcome.plan
    if plan.link:
        output.plain(
            f"Installed {count_packages(len(plan.link))} in {duration(outcome.seconds)} "
            f"({len(plan.link) - outcome.fetched} linked from store, "
            f"{outcome.fetched} downloaded)"
        )
    if plan.remove:
        output.plain(f"Removed {count_packages(len(plan.remove))}")
    for line in plan.describe():
        output.plain(f" {line}")
