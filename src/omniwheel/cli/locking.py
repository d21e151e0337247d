"""Locking on behalf of other commands: ``run``, ``sync``, ``add`` and ``remove``.

``run`` and ``sync`` first make sure ``pylock.toml`` is current for ``pyproject.toml``, the way
``uv run`` does: a lock whose recorded inputs (requirements, requires-python, targets, index,
…) differ from what the project now says is relocked, keeping the versions it has unless
``--upgrade`` / ``--upgrade-package`` say otherwise.  ``--locked`` turns a stale lock into an
error that lists what changed; ``--frozen`` uses the lock as it is and reads no project file.
A lock that omniwheel did not write (no ``[tool.omniwheel]`` inputs), or a directory with a
lock and no ``pyproject.toml``, is used as it is.

The check reads no index, but it does import the locker and parse both files — a few hundred
milliseconds that the no-op ``run`` should not pay each time.  So once a lock is known to be
current, a stamp under the cache root records a digest of both files and of the index settings
the check used; while they are unchanged, the check is a digest comparison
(:mod:`omniwheel.cli.lock_stamp`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

# Re-exported (the `as` form tells mypy so): defined with the stamp, which the no-op reads alone.
from omniwheel.cli.lock_stamp import PYPROJECT as PYPROJECT  # noqa: PLC0414
from omniwheel.cli.lock_stamp import STAMP_DIR as STAMP_DIR  # noqa: PLC0414
from omniwheel.cli.lock_stamp import read_stamp, stamp_digest, stamp_path, write_stamp
from omniwheel.errors import LockFileError
from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    import argparse

    from omniwheel.cli.output import Output
    from omniwheel.index.indexes import IndexList
    from omniwheel.lock.inputs import LockOptions
    from omniwheel.lock.locker import LockOutcome
    from omniwheel.project.indexes import IndexEntry
    from omniwheel.project.pyproject import Project


Freshness = Literal["relock", "locked", "frozen"]
"""What to do about a lock that is out of date with ``pyproject.toml``."""


class PinPythonOptions(TypedDict):
    """The interpreter-pinning fields of :class:`~omniwheel.lock.inputs.LockOptions`."""

    pin_python: bool | None
    python_release: str | None
    python_mirror: str | None


def pin_python_options(args: argparse.Namespace) -> PinPythonOptions:
    """``omniwheel lock``'s ``--[no-]pin-python``, ``--python-release`` (checked) and the mirror:
    ``--python-mirror``, else ``OMNIWHEEL_PYTHON_MIRROR`` (else, in the locker,
    ``[tool.omniwheel] python-mirror``)."""
    release: str | None = args.python_release
    options: PinPythonOptions = {
        "pin_python": args.pin_python,
        "python_release": None,
        "python_mirror": None,
    }
    if release or args.python_mirror or _MIRROR_VARIABLE in os.environ:
        # Imported only then: the interpreter builds' module is for locks that pin one.
        from omniwheel.python.pbs import check_release_tag, python_mirror

        options["python_release"] = check_release_tag(release) if release else None
        options["python_mirror"] = python_mirror(args.python_mirror, os.environ)
    return options


_MIRROR_VARIABLE = "OMNIWHEEL_PYTHON_MIRROR"  # pbs.MIRROR_VARIABLE, named here to be read early


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexOptions:
    """The command line's index options, as given: ``--index-url``, ``--index``,
    ``--find-links`` (the settings and environment they add to are read by
    :func:`configured_indexes`)."""

    index_url: str | None = None
    indexes: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()

    @classmethod
    def of(cls, args: argparse.Namespace) -> IndexOptions:
        return cls(
            index_url=args.index_url, indexes=tuple(args.index), find_links=tuple(args.find_links)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockPolicy:
    freshness: Freshness = "relock"
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    index: IndexOptions = IndexOptions()

    @property
    def upgrading(self) -> bool:
        return self.upgrade or bool(self.upgrade_packages)


def configured_indexes(project: Project, options: IndexOptions) -> IndexList:
    """The indexes to lock ``project`` from: ``--index`` items (else ``OMNIWHEEL_INDEX``),
    ``[[tool.omniwheel.index]]``, find-links sources, then the default index."""
    from omniwheel.index.discovery import discover_index
    from omniwheel.index.indexes import decide_indexes

    default = discover_index(
        cli_url=options.index_url,
        tool_url=project.settings.index_url,
        environ=os.environ,
        home=Path.home(),
        keyring_provider=project.settings.keyring_provider,
    )
    return decide_indexes(
        default,
        cli=options.indexes,
        settings=project.settings,
        environ=os.environ,
        home=Path.home(),
        find_links=options.find_links,
    )


def relock(
    project: Project,
    options: LockOptions,
    *,
    index: IndexOptions,
    cache_root: Path,
    output: Output,
    check: bool = False,
) -> LockOutcome:
    """``omniwheel lock`` for another command: the same inputs, a short summary.  Refuses
    (:class:`DroppedIndexError`) to relock without an index the lock was made with."""
    from omniwheel.lock.locker import lock_project

    indexes = configured_indexes(project, index)
    _refuse_dropped_indexes(project, indexes)
    with output.status("Resolving"):
        outcome = lock_project(
            project, options, indexes=indexes, cache_root=cache_root, check=check
        )
    if outcome.changed:
        packages = len({package.name for package in outcome.lock.packages})
        output.plain(
            f"Resolved {packages} packages in {outcome.seconds:.1f}s; updated {outcome.path.name}"
        )
        for change in outcome.changes[:20]:
            output.plain(f"  {change}")
    return outcome


class DroppedIndexError(LockFileError):
    """A relock on behalf of ``sync``/``run``/``add``/``remove`` would go without indexes the
    lock was made with (given to ``omniwheel lock --index`` only, say): their packages could
    then come from another index, so only ``omniwheel lock`` may drop them."""

    def __init__(self, dropped: tuple[IndexEntry, ...]) -> None:
        from omniwheel.project.find_links import FIND_LINKS_PREFIX

        listed = ", ".join(f"`{entry.name}` ({entry.url})" for entry in dropped)
        flat = [e for e in dropped if e.name.startswith(f"{FIND_LINKS_PREFIX}-")]
        ways = []
        if len(flat) < len(dropped):
            ways.append(
                "an index: `--index NAME=URL`, `OMNIWHEEL_INDEX=NAME=URL` or "
                "[[tool.omniwheel.index]] in pyproject.toml"
            )
        if flat:
            ways.append(
                "a find-links source, in the same order: `--find-links PATH_OR_URL`, "
                "`OMNIWHEEL_FIND_LINKS` or [tool.omniwheel] find-links"
            )
        super().__init__(
            f"{LOCK_FILENAME} needs relocking, and was locked with the index {listed}, which "
            "this run does not configure; relocking without it could take its packages from "
            "another index, so nothing was relocked",
            hint=f"configure it again ({'; '.join(ways)}), or relock without it on purpose "
            "with `omniwheel lock`",
        )
        self.dropped = dropped


def _refuse_dropped_indexes(project: Project, indexes: IndexList) -> None:
    from omniwheel.lock.pylock import read_pylock

    existing = read_pylock(project.root / LOCK_FILENAME)
    if existing is None or existing.tool is None:
        return
    names = {index.name for index in indexes.indexes}
    dropped = tuple(e for e in existing.tool.inputs.indexes if e.name not in names)
    if dropped:
        raise DroppedIndexError(dropped)


def ensure_current_lock(
    root: Path, policy: LockPolicy, *, cache_root: Path, output: Output, dry_run: bool = False
) -> None:
    """Relock ``root``'s project if its lock is stale (or on upgrade), as ``policy`` says.

    With ``dry_run`` nothing is written: a stale lock is only reported in a note."""
    if policy.freshness == "frozen" or not (root / PYPROJECT).is_file():
        return
    stamp = stamp_path(cache_root, root)
    if not policy.upgrading and read_stamp(stamp) == _digest(root, policy.index):
        return
    from omniwheel.lock.inputs import LockOptions
    from omniwheel.project.pyproject import load_project
    from omniwheel.python.pbs import python_mirror

    project = load_project(root)
    options: LockOptions | None = None
    if policy.upgrading:
        options = LockOptions(
            upgrade=policy.upgrade,
            upgrade_packages=policy.upgrade_packages,
            python_mirror=python_mirror(None, os.environ),
        )
    else:
        changes = _input_changes(project, policy.index)
        if changes:
            _refuse_if_locked(root, policy, changes)
            if dry_run:
                output.note(
                    f"{LOCK_FILENAME} is out of date with {PYPROJECT} ({'; '.join(changes)}); "
                    "a dry run does not relock, so this plan is for the lock as it is"
                )
                return
            options = LockOptions(python_mirror=python_mirror(None, os.environ))
    if options is not None:
        relock(project, options, index=policy.index, cache_root=cache_root, output=output)
    write_stamp(stamp, _digest(root, policy.index))


def _input_changes(project: Project, index: IndexOptions) -> tuple[str, ...]:
    from omniwheel.lock.inputs import input_changes
    from omniwheel.lock.pylock import read_pylock

    existing = read_pylock(project.root / LOCK_FILENAME)
    if existing is None:
        return ("no lock file yet",)
    if existing.tool is None:
        return ()  # another tool's lock: nothing recorded to compare, so use it as it is
    return input_changes(project, existing.tool, configured_indexes(project, index))


def _refuse_if_locked(root: Path, policy: LockPolicy, changes: tuple[str, ...]) -> None:
    if policy.freshness != "locked":
        return
    from omniwheel.lock.locker import StaleLockError

    error = StaleLockError(root / LOCK_FILENAME, changes)
    error.hint = (
        "run `omniwheel lock` and commit the result, or drop --locked to relock "
        "(--frozen uses the lock as it is)"
    )
    raise error


def _digest(root: Path, index: IndexOptions) -> str:
    return stamp_digest(
        root, index_url=index.index_url, indexes=index.indexes, find_links=index.find_links
    )
