"""An omniwheel ``pylock.toml`` read back as the lock model that Artifacts.toml is built from.

:func:`~omniwheel.julia.artifacts_toml.build_artifacts` needs, for every target of the lock, the
version of each package it takes and the wheel.  ``pylock.toml`` records both, in a way any
reader can check:

- the lock's targets are ``[tool.omniwheel] targets`` minus ``skipped-targets``;
- the targets that need a package entry are its ``[packages.tool.omniwheel] targets``;
- the wheel a target takes is the entry's compatible wheel its tags rank best — the rule
  ``Pylock.select`` applies, and omniwheel proved at lock time that it picks the resolver's
  choice on every target.

A multi-use lock also records which roots (the project's dependencies, each extra, each
dependency group) need each entry on which target; :meth:`LockedWheels.selecting` keeps what a
choice of roots needs (:func:`artifacts_choice` answers the ``artifacts`` commands' options
against what the lock declares), so an Artifacts.toml holds a production install unless asked.

Another tool's lock has no such records: it cannot say which targets need what, so it is a
:class:`ForeignLockError`.  The records are read, and checked, by
:func:`~omniwheel.lock.tool_table.read_tool_tables`.  Each wheel also comes back as the
:class:`~omniwheel.store.store.WheelSource` the store fetches and verifies it by.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from packaging.pylock import Package, PackageWheel, Pylock, PylockValidationError
from packaging.tags import Tag, create_compatible_tags_selector
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from omniwheel.env.choice import Choice, ChoiceRequest, LockChoices, resolve_choice
from omniwheel.env.select import chosen_roots, lock_choices
from omniwheel.errors import LockFileError
from omniwheel.index.models import DistFile
from omniwheel.lock.model import Lock, LockedPackage, LockedWheel
from omniwheel.lock.tool_table import (
    LockedPython,
    LockToolTable,
    PackageToolTable,
    read_tool_tables,
)
from omniwheel.platform.target import Target
from omniwheel.project.roots import Root
from omniwheel.store.store import WheelSource


class ForeignLockError(LockFileError):
    """A lock without omniwheel's per-target records (written by another tool, or edited)."""

    def __init__(self, path: Path, missing: str) -> None:
        super().__init__(
            f"{path} was not written by omniwheel: {missing}, so which targets need which "
            "wheels is unknown",
            hint="Julia artifacts are built from omniwheel's own lock: run `omniwheel lock` "
            "in the project to write one",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedWheels:
    """A lock for artifacts: the model, and every wheel's source by sha256."""

    path: Path
    lock: Lock
    sources: Mapping[str, WheelSource]
    tables: tuple[PackageToolTable, ...] = ()
    """Each package's ``[packages.tool.omniwheel]``, in the order of ``lock.packages``."""
    choices: LockChoices | None = None
    """The extras and groups the lock declares (None: not read)."""

    @property
    def pythons(self) -> tuple[LockedPython, ...]:
        """The interpreters pinned per target (``[[tool.omniwheel.python]]``; empty unless
        the lock was written with ``pin-python``)."""
        return self.lock.pythons

    def selecting(self, roots: frozenset[Root]) -> LockedWheels:
        """The lock as far as ``roots`` need it: each package entry on the targets where one of
        them needs it, entries no chosen root needs dropped (``sources`` keep every wheel)."""
        packages: list[LockedPackage] = []
        tables: list[PackageToolTable] = []
        for package, table in zip(self.lock.packages, self.tables, strict=True):
            wheels = []
            for wheel in package.wheels:
                kept = tuple(target for target in wheel.targets if table.roots_on(target) & roots)
                if kept:
                    wheels.append(replace(wheel, targets=kept))
            if wheels:
                targets = {target for wheel in wheels for target in wheel.targets}
                users = tuple(t for t in package.targets if t in targets)
                packages.append(replace(package, targets=users, wheels=tuple(wheels)))
                tables.append(table)
        lock = replace(self.lock, packages=tuple(packages))
        return replace(self, lock=lock, tables=tuple(tables))

    def wheels_for(self, targets: Iterable[Target]) -> tuple[WheelSource, ...]:
        """The sources of the wheels ``targets`` take, each once, in lock order."""
        wanted = frozenset(targets)
        found: dict[str, WheelSource] = {}
        for package in self.lock.packages:
            for wheel in package.wheels:
                sha256 = wheel.file.sha256
                if sha256 is not None and wanted.intersection(wheel.targets):
                    found.setdefault(sha256, self.sources[sha256])
        return tuple(found.values())


def read_locked_wheels(path: Path) -> LockedWheels:
    """Read ``path`` (an omniwheel ``pylock.toml``); see the module docstring."""
    pylock = _load(path)
    tables = read_tool_tables(pylock, path=path)
    tool = _lock_table(path, tables.lock)
    targets = tool.locked_targets
    packages: list[LockedPackage] = []
    package_tables: list[PackageToolTable] = []
    sources: dict[str, WheelSource] = {}
    for package, table in zip(pylock.packages, tables.packages, strict=True):
        checked = _package_table(path, package, table)
        locked, package_sources = _package(path, package, checked)
        packages.append(locked)
        package_tables.append(checked)
        sources.update(package_sources)
    skipped = tuple((entry.target, entry.reason) for entry in tool.skipped)
    lock = Lock(
        inputs=tool.inputs,
        targets=targets,
        skipped=skipped,
        environments=(),
        packages=tuple(packages),
        pythons=tool.pythons,
    )
    return LockedWheels(
        path=path,
        lock=lock,
        sources=MappingProxyType(sources),
        tables=tuple(package_tables),
        choices=lock_choices(pylock, tool),
    )


def artifacts_choice(
    locked: LockedWheels, request: ChoiceRequest
) -> tuple[Choice, frozenset[Root]]:
    """What ``request`` (the ``artifacts`` commands' ``--extra``, ``--group``, … options)
    chooses from ``locked``, and the roots that is.  Unlike ``sync``, no group is added by
    default: an Artifacts.toml is what a Julia package's users install, the project's
    dependencies alone (the lock's own ``default-groups``, as pip installs it).  Names the lock
    does not declare are an :class:`~omniwheel.env.choice.UnknownChoiceError`."""
    assert locked.choices is not None  # read_locked_wheels reads them
    choice = resolve_choice(request, replace(locked.choices, sync_default_groups=()))
    return choice, chosen_roots(choice)


def _load(path: Path) -> Pylock:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockFileError(
            f"no {path.name} in {path.parent}",
            hint="run `omniwheel lock` first to resolve the project and write it",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockFileError(f"cannot read {path}: {exc}") from exc
    try:
        return Pylock.from_dict(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, PylockValidationError) as exc:
        raise LockFileError(
            f"{path} is not a valid PEP 751 lock file: {exc}",
            hint="run `omniwheel lock` to write a new one",
        ) from exc


def _lock_table(path: Path, table: LockToolTable | None) -> LockToolTable:
    if table is None or not table.inputs.targets:
        raise ForeignLockError(path, "it has no `[tool.omniwheel] targets`")
    return table


def _package_table(
    path: Path, package: Package, table: PackageToolTable | None
) -> PackageToolTable:
    if table is None:
        raise ForeignLockError(
            path, f"package `{package.name}` has no `[packages.tool.omniwheel] targets`"
        )
    return table


def _package(
    path: Path, package: Package, table: PackageToolTable
) -> tuple[LockedPackage, dict[str, WheelSource]]:
    version = package.version or Version("0")
    users = tuple(sorted(set(table.targets), key=Target.sort_key))
    chosen: dict[str, tuple[PackageWheel, list[Target]]] = {}
    for target in users:
        best = _best_wheel(path, package, target)
        chosen.setdefault(best.filename, (best, []))[1].append(target)
    wheels = []
    sources = {}
    for wheel, wheel_targets in chosen.values():
        source = _source(path, package, wheel)
        sources[source.sha256] = source
        dist = DistFile(
            filename=source.filename,
            url=source.url or (source.path.as_uri() if source.path else ""),
            sha256=source.sha256,
            size=source.size,
            upload_time=wheel.upload_time,
        )
        wheels.append(LockedWheel(file=dist, targets=tuple(wheel_targets)))
    locked = LockedPackage(
        name=package.name,
        version=version,
        targets=users,
        marker=None if package.marker is None else str(package.marker),
        requires_python=None if package.requires_python is None else str(package.requires_python),
        wheels=tuple(sorted(wheels, key=lambda wheel: wheel.file.filename)),
        dependencies=(),
    )
    return locked, sources


def _best_wheel(path: Path, package: Package, target: Target) -> PackageWheel:
    wheels: Sequence[PackageWheel] = package.wheels or ()
    select = create_compatible_tags_selector(target.tags)
    best = next(iter(select((wheel, _tags(wheel)) for wheel in wheels)), None)
    if best is None:
        raise LockFileError(
            f"{path}: {package.name} {package.version} is locked for {target.name}, but none "
            "of its wheels fits that target",
            hint="the file was edited by hand or is damaged; run `omniwheel lock` again",
        )
    return best


def _tags(wheel: PackageWheel) -> frozenset[Tag]:
    return frozenset(parse_wheel_filename(wheel.filename)[3])


def _source(path: Path, package: Package, wheel: PackageWheel) -> WheelSource:
    sha256 = wheel.hashes.get("sha256")
    if not sha256:
        raise LockFileError(
            f"{path}: {package.name}: the lock gives no sha256 for {wheel.filename}",
            hint="omniwheel verifies every file by sha256; relock with `omniwheel lock`",
        )
    local = None if wheel.path is None else (path.parent / wheel.path).resolve()
    return WheelSource(
        name=package.name,
        version=str(package.version or parse_wheel_filename(wheel.filename)[1]),
        filename=wheel.filename,
        sha256=sha256.lower(),
        size=wheel.size,
        url=wheel.url,
        path=local,
    )
