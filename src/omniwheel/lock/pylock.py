"""Writing the lock model as PEP 751 ``pylock.toml``, proving it installs what was resolved,
and reading back what omniwheel recorded in it.

The text is written by :mod:`omniwheel.lock.pylock_text` in one fixed order (sorted packages,
sorted wheels, stable keys) so the same inputs give byte-identical files.  The lock is multi-use
(PEP 751): it lists the project's ``extras`` and ``dependency-groups``, and, when the project has
groups, ``default-groups = ["default"]``, the synthetic group its own dependencies belong to.
Before anything is written, the document is validated by ``packaging.pylock`` and, for every
target and every selection (the default, each extra, each group alone, everything),
``Pylock.select`` — what any standard installer does, from markers and tag ranking alone — must
pick exactly the wheels the resolver chose for that selection's roots.  omniwheel's own tables
(``[tool.omniwheel]``, ``[packages.tool.omniwheel]``) are read by
:mod:`omniwheel.lock.tool_table`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from packaging.markers import Environment, Marker
from packaging.pylock import PackageWheel, Pylock, PylockSelectError, PylockValidationError

from omniwheel.errors import LockFileError
from omniwheel.lock.model import Lock, LockedPackage
from omniwheel.lock.pylock_parse import parse_pylock
from omniwheel.lock.pylock_text import pylock_text
from omniwheel.lock.tool_table import (
    RELOCK_HINT,
    LockToolTable,
    read_tool_tables,
)
from omniwheel.platform.releases import environments_of
from omniwheel.platform.target import Target
from omniwheel.project.pyproject import DEFAULT_GROUP
from omniwheel.project.roots import MAIN, Root


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionMismatch:
    """One package a standard installer would take otherwise than the resolver chose."""

    package: str
    resolver: str | None
    """The wheel the resolver chose; None when the target does not need the package."""
    installer: str | None
    """The wheel ``Pylock.select`` picks; None when it picks none."""

    def __str__(self) -> str:
        chose = self.resolver or "nothing (the target does not need it)"
        picks = self.installer or "nothing"
        return f"{self.package}: the resolver chose {chose}, an installer picks {picks}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockSelection:
    """One choice an installer can make from a multi-use lock: the extras, and the groups
    (None: the lock's ``default-groups``), and the roots that choice installs."""

    label: str
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] | None = None
    roots: frozenset[Root]


def lock_selections(lock: Lock) -> tuple[LockSelection, ...]:
    """What :func:`verify_selection` proves: the default install, each extra (with the
    default), each group alone, and everything.  Markers hold only positive ``in`` tests, so
    every other choice selects a union of these."""
    selections = [LockSelection(label="the default selection", roots=frozenset({MAIN}))]
    for extra in lock.extras:
        root = Root(kind="extra", name=extra)
        selections.append(
            LockSelection(label=f"extra `{extra}`", extras=(extra,), roots=frozenset({MAIN, root}))
        )
    for group in lock.groups:
        root = Root(kind="group", name=group)
        selections.append(
            LockSelection(label=f"group `{group}` alone", groups=(group,), roots=frozenset({root}))
        )
    if lock.extras or lock.groups:
        everything = {MAIN}
        everything.update(Root(kind="extra", name=extra) for extra in lock.extras)
        everything.update(Root(kind="group", name=group) for group in lock.groups)
        selections.append(
            LockSelection(
                label="every extra and group",
                extras=lock.extras,
                groups=(DEFAULT_GROUP, *lock.groups) if lock.groups else None,
                roots=frozenset(everything),
            )
        )
    return tuple(selections)


class LockConsistencyError(LockFileError):
    """The written lock would make an installer pick other files than the resolver chose.

    ``target`` and ``python`` (the patch release checked) say where; ``selection`` for which
    choice of extras and groups; ``mismatches`` which packages differ and the two files;
    ``reason`` what ``Pylock.select`` refused, when it did."""

    def __init__(
        self,
        message: str,
        *,
        target: Target | None = None,
        python: str | None = None,
        selection: str | None = None,
        mismatches: tuple[SelectionMismatch, ...] = (),
        reason: str | None = None,
    ) -> None:
        super().__init__(
            message, hint="this is a bug in omniwheel; please report it with the pyproject.toml"
        )
        self.target = target
        self.python = python
        self.selection = selection
        self.mismatches = mismatches
        self.reason = reason


def render_pylock(lock: Lock, *, directory: Path | None = None) -> str:
    """The pylock.toml text for a lock to be written in ``directory`` (local wheels are
    recorded relative to it), after proving it selects the resolved wheels."""
    text = pylock_text(lock, directory=directory)
    verify_selection(lock, tomllib.loads(text))
    return text


def verify_selection(lock: Lock, data: Mapping[str, Any]) -> None:
    """Prove that a standard installer picks, on every target and for every selection of
    :func:`lock_selections`, the wheels the resolver chose for that selection's roots — on the
    lowest patch release the target stands for and, where some root needs an entry only on some
    patch releases, on the highest too; or on the interpreter release the lock pins for the
    target (resolution ran at that release alone)."""
    try:
        pylock = Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise LockConsistencyError(
            f"the generated pylock.toml is not valid PEP 751: {exc}"
        ) from exc
    # Elsewhere no root's need depends on the patch release, so the highest selects the same.
    conditional = {
        target
        for package in lock.packages
        for of_root in package.root_conditions.values()
        for target in of_root
    }
    pinned = {target: entry.build.version for entry in lock.pythons for target in entry.targets}
    with _filenames_parsed_once():
        for target in lock.targets:
            release = pinned.get(target)
            at = target if release is None else target.at_release(release)
            lowest, highest = environments_of(at)
            for selection in lock_selections(lock):
                _verify_target(lock, pylock, target, lowest, selection)
                if target in conditional:
                    _verify_target(lock, pylock, target, highest, selection)


# Pure functions of one string that ``packaging.pylock`` calls by these names for every wheel on
# every ``select``: the filename parser, and the helper taking a wheel's filename from its URL.
_MEMOISED = ("parse_wheel_filename", "_url_name")


@contextmanager
def _filenames_parsed_once() -> Iterator[None]:
    """Within the block, ``Pylock.select`` works out each wheel's filename and tags once, not
    once per call.

    ``select`` takes the filename of every wheel of every package it selects from the wheel's
    URL (parsing the URL) and parses it, on each call: proving a 20-target lock of the bench
    workload did that for its 463 wheels about 7,000 times, most of the proof's time.  The
    functions stay packaging's own, and each answer depends on its one string argument alone:
    the names ``packaging.pylock`` calls them by are bound to memos of them for the block and put
    back after.  A name a later packaging no longer has is left alone (that part is then only
    slower)."""
    import packaging.pylock as standard

    originals = {name: getattr(standard, name) for name in _MEMOISED if hasattr(standard, name)}
    for name, function in originals.items():
        setattr(standard, name, functools.cache(function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(standard, name, function)


@functools.cache
def _marker(text: str) -> Marker:
    """A patch-release condition parsed once: the same few are asked on every target."""
    return Marker(text)


def _needed(
    package: LockedPackage, target: Target, roots: frozenset[Root], environment: Mapping[str, str]
) -> bool:
    """Whether one of ``roots`` needs the entry on ``target`` at this release (under its own
    patch-release condition)."""
    return any(
        condition is None or _marker(condition).evaluate(dict(environment))
        for condition in (
            package.condition(root, target) for root in package.roots_on(target) & roots
        )
    )


def _verify_target(
    lock: Lock,
    pylock: Pylock,
    target: Target,
    environment: Mapping[str, str],
    selection: LockSelection,
) -> None:
    expected = {
        package.name: wheel.file.filename
        for package in lock.packages
        for wheel in package.wheels
        if target in wheel.targets and _needed(package, target, selection.roots, environment)
    }
    python = environment["python_full_version"]
    where = f"on {target.name} (Python {python}, {selection.label})"
    try:
        chosen = {
            package.name: cast(PackageWheel, source).filename
            for package, source in pylock.select(
                environment=cast(Environment, environment),
                tags=target.tags,
                extras=selection.extras,
                dependency_groups=selection.groups,
            )
        }
    except PylockSelectError as exc:
        raise LockConsistencyError(
            f"an installer {where} could not use the generated lock: {exc}",
            target=target,
            python=python,
            selection=selection.label,
            reason=str(exc),
        ) from exc
    if chosen != expected:
        mismatches = tuple(
            SelectionMismatch(package=name, resolver=expected.get(name), installer=chosen.get(name))
            for name in sorted(set(chosen) | set(expected))
            if chosen.get(name) != expected.get(name)
        )
        listed = "\n".join(f"  - {mismatch}" for mismatch in mismatches)
        raise LockConsistencyError(
            f"{where} an installer would pick other wheels than the resolver chose:\n{listed}",
            target=target,
            python=python,
            selection=selection.label,
            mismatches=mismatches,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistingLock:
    """What an existing pylock.toml says: its text, omniwheel's recorded tables, its versions."""

    path: Path
    text: str
    tool: LockToolTable | None
    """``[tool.omniwheel]``; None for a lock another tool wrote."""
    versions: Mapping[str, tuple[str, ...]]
    by_target: Mapping[Target, Mapping[str, str]]
    """Target → package → version, from each entry's ``[packages.tool.omniwheel] targets``."""


def read_pylock(path: Path) -> ExistingLock | None:
    """Read and validate a lock file; None when it does not exist.

    omniwheel's tables are read back by later relocks, so they are checked here too (a
    hand-edited lock fails with the key paths, not deep inside the resolver).
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockFileError(
            f"cannot read {path}: {exc.strerror}", hint="check the file's permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise LockFileError(f"{path} is not UTF-8 text ({exc.reason})", hint=RELOCK_HINT) from exc
    try:
        pylock = parse_pylock(text)
    except (tomllib.TOMLDecodeError, PylockValidationError) as exc:
        raise LockFileError(
            f"{path} is not a valid PEP 751 lock file: {exc}", hint=RELOCK_HINT
        ) from exc
    tables = read_tool_tables(pylock, path=path)
    versions: dict[str, list[str]] = {}
    by_target: dict[Target, dict[str, str]] = {}
    for package, table in zip(pylock.packages, tables.packages, strict=True):
        versions.setdefault(package.name, []).append(str(package.version))
        for target in table.targets if table is not None else ():
            by_target.setdefault(target, {})[package.name] = str(package.version)
    return ExistingLock(
        path=path,
        text=text,
        tool=tables.lock,
        versions={name: tuple(sorted(v)) for name, v in versions.items()},
        by_target=by_target,
    )
