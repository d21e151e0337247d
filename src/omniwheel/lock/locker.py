"""``omniwheel lock``: from a project and options to a written (or checked) pylock.toml.

The orchestration only: decide the lock inputs (:mod:`omniwheel.lock.inputs`), open an index
session, resolve the matrix, build the model, pin the interpreters when asked (from the release's
``SHA256SUMS``: metadata only, read before resolving so that a bad mirror fails fast), render it
and compare it with what is on disk.
Each step is a call into the part that owns it; nothing here prints.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel._atomic import write_atomic
from omniwheel.errors import LockFileError
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.indexes import IndexList
from omniwheel.lock import LOCK_FILENAME
from omniwheel.lock.inputs import LockOptions, changed_inputs, decide_inputs
from omniwheel.lock.pylock import ExistingLock, read_pylock, render_pylock
from omniwheel.lock.resolved_stamp import remember
from omniwheel.lock.shadowing import Shadowing
from omniwheel.lock.tool_table import (
    LockedPython,
    LockInputs,
    LockToolTable,
)
from omniwheel.platform.target import Target
from omniwheel.project.pyproject import Project
from omniwheel.project.roots import (
    all_requirements,
    project_roots,
    requirement_origins,
)

if TYPE_CHECKING:
    # The resolving machinery (index client, resolver, lock model) is imported by
    # lock_project when it runs: `run` and `sync` import this module to relock only when
    # inputs changed.
    from omniwheel.index.client import IndexClient, IndexStats
    from omniwheel.index.models import CoreMetadata
    from omniwheel.index.routing import AsyncIndex, IndexRouter
    from omniwheel.index.session import IndexSession
    from omniwheel.lock.closure import RootNeeds
    from omniwheel.lock.model import Lock
    from omniwheel.python.pbs import PbsRelease, PinnedPython
    from omniwheel.resolve.divergence import Divergence
    from omniwheel.resolve.explain import ProjectNotListedError
    from omniwheel.resolve.marker_answers import MarkerAnswers
    from omniwheel.resolve.resolution import MatrixResolution, ResolveRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOutcome:
    """A finished lock run: the model, its text, and what the summary reports."""

    lock: Lock
    text: str
    path: Path
    resolution: MatrixResolution
    divergences: tuple[Divergence, ...]
    stats: IndexStats
    seconds: float
    changed: bool
    packages: int
    """Distinct package names in the lock."""
    locked_targets: tuple[Target, ...]
    """The targets the lock has packages for (its targets but the skipped ones)."""
    changes: tuple[str, ...] = field(default=())
    shadowed: Mapping[NormalizedName, Shadowing] = field(default_factory=dict)
    """Locked packages that later indexes list too (none with one index)."""


class StaleLockError(LockFileError):
    """``--check`` found that the lock does not match what locking now would write."""

    def __init__(self, path: Path, changes: tuple[str, ...]) -> None:
        listed = "\n".join(f"  - {change}" for change in changes)
        super().__init__(
            f"{path.name} is out of date:\n{listed}",
            hint="run `omniwheel lock` and commit the result",
        )
        self.changes = changes


def lock_project(
    project: Project,
    options: LockOptions,
    *,
    indexes: IndexList,
    cache_root: Path,
    check: bool = False,
) -> LockOutcome:
    """Resolve the project for its targets and write pylock.toml (or, with ``check``, compare).

    With several indexes each package is read from the one :mod:`omniwheel.index.indexes`
    routes it to and the lock records that index; then the later indexes are asked whether they
    list the locked names too (:attr:`LockOutcome.shadowed`)."""
    from omniwheel.index.session import IndexSession
    from omniwheel.lock.model import build_lock
    from omniwheel.resolve.divergence import find_divergences
    from omniwheel.resolve.explain import ProjectNotListedError
    from omniwheel.resolve.marker_answers import MarkerAnswers
    from omniwheel.resolve.matrix import resolve_matrix

    started = time.monotonic()
    path = project.root / LOCK_FILENAME
    existing = read_pylock(path)
    inputs, targets = decide_inputs(project, options, _tool(existing), indexes)
    release = _python_release(project, options, inputs, indexes.default, cache_root)
    pins = _pins(release, targets, project)
    resolving = {target: _resolved_at(target, pins) for target in targets}
    kept = locked_versions(existing, targets, options)
    request = _request(
        project,
        inputs,
        tuple(resolving.values()),
        {resolving[target]: versions for target, versions in kept.items()},
    )
    routers: list[IndexRouter] = []

    def client() -> AsyncIndex:
        return _index_client(indexes, inputs, options, cache_root, routers)

    answers = MarkerAnswers()
    with IndexSession(client) as session:
        try:
            resolved = resolve_matrix(request, session, answers=answers)
        except ProjectNotListedError as error:
            raise _naming_indexes(error, indexes) from None
        divergences = tuple(find_divergences(resolved, session.page, request.policy))
        resolution = resolved.unpinned() if pins else resolved
        needs = _root_needs(project, resolution, session, request, answers)
        served = _served_by(resolution, indexes, routers)
        lock = build_lock(resolution, inputs, needs, index_of=served)
        if pins:
            lock = replace(lock, pythons=locked_pythons(lock, pins))
        text = render_pylock(lock, directory=path.parent)
        shadowed = _shadowed(session, routers, served)
        stats = session.stats
    changed = existing is None or existing.text != text
    changes = describe_changes(existing, lock) if changed else ()
    if check and changed:
        raise StaleLockError(path, changes or ("the file's text differs from a fresh lock",))
    if changed and not check:
        write_atomic(path, text.encode(), durable=True)
    packages = len({package.name for package in lock.packages})
    table = LockToolTable.of(lock)
    remember(cache_root, text, table=table, packages=packages, shadowed=shadowed)
    return LockOutcome(
        lock=lock,
        text=text,
        path=path,
        resolution=resolution,
        divergences=divergences,
        stats=stats,
        seconds=time.monotonic() - started,
        changed=changed,
        packages=packages,
        locked_targets=table.locked_targets,
        changes=changes,
        shadowed=shadowed,
    )


def _naming_indexes(error: ProjectNotListedError, indexes: IndexList) -> ProjectNotListedError:
    """``error`` naming the indexes asked for its project, and the explicit ones not asked."""
    asked = indexes.candidates(error.project)
    explicit = tuple(i.name for i in indexes.indexes if i.explicit and i not in asked)
    shown = tuple(f"`{index.name}` at {index.location.public_url}" for index in asked)
    return error.looked_in(shown, explicit=explicit)


def _index_client(
    indexes: IndexList,
    inputs: LockInputs,
    options: LockOptions,
    cache_root: Path,
    routers: list[IndexRouter],
) -> AsyncIndex:
    """The default index's client, or, with several indexes, a router over one client each
    (kept in ``routers`` for the locker to ask which index served what)."""
    from omniwheel.index.cache import IndexCache
    from omniwheel.index.client import IndexClient
    from omniwheel.index.routing import IndexRouter

    def one(location: IndexLocation) -> IndexClient:
        return IndexClient(
            location=location,
            cache=IndexCache(cache_root, location.public_url),
            exclude_newer=inputs.exclude_newer,
            refresh=options.refresh,
        )

    if not indexes.several:
        return one(indexes.default)
    router = IndexRouter(indexes, {index.name: one(index.location) for index in indexes.indexes})
    routers.append(router)
    return router


def _served_by(
    resolution: MatrixResolution, indexes: IndexList, routers: list[IndexRouter]
) -> dict[NormalizedName, str]:
    """Each locked package's index URL (no credentials), as the lock records it."""
    names = {pin.name for group in resolution.groups for pin in group.pins.values()}
    if not routers:
        return dict.fromkeys(names, indexes.default.public_url)
    served = {}
    for name in names:
        index = routers[0].index_of(name)
        assert index is not None  # a pinned package was read from a page some index gave
        served[name] = index.location.public_url
    return served


def _shadowed(
    session: IndexSession, routers: list[IndexRouter], served: Mapping[NormalizedName, str]
) -> dict[NormalizedName, Shadowing]:
    """Locked packages that later indexes list too; nothing is asked with one index."""
    if not routers:
        return {}
    router = routers[0]
    found = session.run(lambda _: router.shadowed(sorted(served)))
    shadowed = {}
    for name, also_on in sorted(found.items()):
        taken = router.index_of(name)
        assert taken is not None  # shadowed() reports only names some index served
        shadowed[name] = Shadowing(taken_from=taken.name, also_on=also_on)
    return shadowed


def _python_release(
    project: Project,
    options: LockOptions,
    inputs: LockInputs,
    location: IndexLocation,
    cache_root: Path,
) -> PbsRelease | None:
    """The release to pin interpreters from, read from its ``SHA256SUMS`` (metadata only: no
    archive is downloaded to lock; kept in the cache, read again with ``--refresh``); None
    when the lock pins none."""
    if not inputs.pin_python or inputs.python_release is None:
        return None
    from omniwheel.python.pbs import check_mirror
    from omniwheel.python.release_fetch import fetch_release

    mirror = options.python_mirror
    configured = project.settings.python_mirror
    if mirror is None and configured is not None:
        mirror = check_mirror(configured, source="[tool.omniwheel] python-mirror")
    return fetch_release(
        inputs.python_release,
        mirror=mirror,
        index=location,
        cache_root=cache_root,
        refresh=options.refresh,
    )


def _pins(
    release: PbsRelease | None, targets: Sequence[Target], project: Project
) -> Mapping[Target, PinnedPython]:
    """Each target's pinned interpreter build; none when the lock pins none (the builds'
    module is imported only then)."""
    if release is None:
        return {}
    from omniwheel.python.pbs import pin_targets

    return pin_targets(release, targets, requires_python=project.requires_python)


def _resolved_at(target: Target, pins: Mapping[Target, PinnedPython]) -> Target:
    """The target as resolution sees it: at the interpreter release the lock pins for it (its
    ``python_full_version``, the one release every ``Requires-Python`` must admit), if any."""
    pin = pins.get(target)
    return target if pin is None else target.at_release(pin.version)


def locked_pythons(lock: Lock, pins: Mapping[Target, PinnedPython]) -> tuple[LockedPython, ...]:
    """One :class:`LockedPython` per build the lock's targets pin, its targets sorted; entries
    ordered by triple then version.  Every locked file's ``Requires-Python`` must admit the pin
    of each target that uses it (:class:`PinnedPythonMismatchError` otherwise): resolution ran
    at the pins, so this is a proof of what it chose, not a filter."""
    _check_requires_python(lock, pins)
    served: dict[PinnedPython, list[Target]] = {}
    for target in lock.targets:
        served.setdefault(pins[target], []).append(target)
    return tuple(
        LockedPython(targets=tuple(sorted(targets, key=Target.sort_key)), build=build)
        for build, targets in sorted(
            served.items(), key=lambda item: (item[0].triple, item[0].version)
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PinMismatch:
    """One locked file whose ``Requires-Python`` excludes the interpreter a target pins."""

    package: str
    """``name version``."""
    filename: str
    requires_python: str
    target: Target
    pin: PinnedPython

    def __str__(self) -> str:
        return (
            f"{self.package} ({self.filename}) requires Python {self.requires_python}, which "
            f"excludes {self.pin.describe()}, pinned for {self.target.name}"
        )


class PinnedPythonMismatchError(LockFileError):
    """Locked files whose ``Requires-Python`` excludes the interpreter pinned for a target
    that uses them; every one is in ``mismatches``."""

    def __init__(self, mismatches: tuple[PinMismatch, ...]) -> None:
        lines = "\n".join(f"  - {mismatch}" for mismatch in mismatches)
        super().__init__(
            f"the pinned interpreters do not fit the locked files:\n{lines}",
            hint="pin another release (`--python-release`, `python-release` in "
            "[tool.omniwheel]), or narrow `requires-python` so that the resolver picks files "
            "that fit",
        )
        self.mismatches = mismatches


def _check_requires_python(lock: Lock, pins: Mapping[Target, PinnedPython]) -> None:
    """Every locked file's ``Requires-Python`` (the index's, and its metadata's) must admit the
    pinned version of each target that installs it; a file needed only on some patch releases
    (a ``python_full_version`` condition) counts where that condition holds for the pin."""
    mismatches: list[PinMismatch] = []
    for package in lock.packages:
        for wheel in package.wheels:
            specs = dict.fromkeys(
                spec for spec in (wheel.file.requires_python, package.requires_python) if spec
            )
            for target in wheel.targets:
                pin = pins[target]
                if not _installed_with(package.conditions.get(target), target, pin):
                    continue
                mismatches.extend(
                    PinMismatch(
                        package=f"{package.name} {package.version}",
                        filename=wheel.file.filename,
                        requires_python=spec,
                        target=target,
                        pin=pin,
                    )
                    for spec in specs
                    if not SpecifierSet(spec).contains(pin.version, prereleases=True)
                )
    if mismatches:
        raise PinnedPythonMismatchError(tuple(mismatches))


def _installed_with(condition: str | None, target: Target, pin: PinnedPython) -> bool:
    """Whether a package needed on ``target`` under ``condition`` is installed with ``pin``."""
    if condition is None:
        return True
    environment = target.marker_environment()
    environment["python_full_version"] = environment["implementation_version"] = str(pin.version)
    return Marker(condition).evaluate(dict(environment))


def _root_needs(
    project: Project,
    resolution: MatrixResolution,
    session: IndexSession,
    request: ResolveRequest,
    answers: MarkerAnswers,
) -> RootNeeds:
    """Which root needs each pinned package where, walked through the metadata the resolver
    read (the session has it in memory)."""
    from omniwheel.lock.closure import root_needs
    from omniwheel.resolve.candidates import metadata_wheel

    def metadata_of(name: NormalizedName, version: Version) -> CoreMetadata:
        page = session.page(name)
        assert page is not None  # a pinned version was read from its page
        return session.metadata(metadata_wheel(page, version, request.policy))

    return root_needs(resolution, project_roots(project), metadata_of, answers)


def _request(
    project: Project,
    inputs: LockInputs,
    targets: tuple[Target, ...],
    locked: Mapping[Target, Mapping[NormalizedName, Version]],
) -> ResolveRequest:
    """What the resolver is asked: every root's requirements together, targets, file rules."""
    from omniwheel.resolve.candidates import FilePolicy
    from omniwheel.resolve.resolution import ResolveRequest

    roots = project_roots(project)
    return ResolveRequest(
        requirements=all_requirements(roots),
        targets=targets,
        policy=FilePolicy(exclude_newer=inputs.exclude_newer, allow_prereleases=inputs.prerelease),
        uniform=inputs.uniform,
        skip_targets_without_wheels=inputs.no_wheel == "skip-target",
        locked=locked,
        origins=requirement_origins(roots),
    )


def locked_versions(
    existing: ExistingLock | None, targets: tuple[Target, ...], options: LockOptions
) -> dict[Target, dict[NormalizedName, Version]]:
    """The versions to keep from an existing lock: all but ``--upgrade-package`` ones, or none
    with ``--upgrade``.  A target the lock did not have keeps nothing."""
    if existing is None or options.upgrade:
        return {}
    upgrading = {canonicalize_name(name) for name in options.upgrade_packages}
    kept: dict[Target, dict[NormalizedName, Version]] = {}
    for target in targets:
        recorded = existing.by_target.get(target, {})
        kept[target] = {
            canonicalize_name(name): Version(version)
            for name, version in recorded.items()
            if canonicalize_name(name) not in upgrading
        }
    return kept


def _tool(existing: ExistingLock | None) -> LockToolTable | None:
    return None if existing is None else existing.tool


def describe_changes(existing: ExistingLock | None, lock: Lock) -> tuple[str, ...]:
    """What differs between an existing lock and a new one: inputs first, then versions."""
    if existing is None:
        return ("no lock file yet",)
    changes = changed_inputs(_tool(existing), lock.inputs)
    new_versions: dict[str, set[str]] = {}
    for package in lock.packages:
        new_versions.setdefault(package.name, set()).add(str(package.version))
    for name in sorted(set(new_versions) | set(existing.versions)):
        old_set = set(existing.versions.get(name, ()))
        new_set = new_versions.get(name, set())
        if old_set == new_set:
            continue
        if not old_set:
            changes.append(f"added {name} {', '.join(sorted(new_set))}")
        elif not new_set:
            changes.append(f"removed {name} {', '.join(sorted(old_set))}")
        else:
            changes.append(f"{name}: {', '.join(sorted(old_set))} → {', '.join(sorted(new_set))}")
    changes.extend(_changed_pins(existing.tool.pythons if existing.tool else (), lock.pythons))
    return tuple(changes)


def _changed_pins(old: tuple[LockedPython, ...], new: tuple[LockedPython, ...]) -> list[str]:
    """One line per change of pinned build, naming the targets it concerns."""
    before = {t: entry.build for entry in old for t in entry.targets}
    after = {t: entry.build for entry in new for t in entry.targets}
    moved: dict[tuple[PinnedPython | None, PinnedPython | None], list[Target]] = {}
    for target in sorted(set(before) | set(after), key=Target.sort_key):
        was, now = before.get(target), after.get(target)
        if was != now:
            moved.setdefault((was, now), []).append(target)
    return [_pin_change(was, now, targets) for (was, now), targets in moved.items()]


def _pin_change(was: PinnedPython | None, now: PinnedPython | None, targets: list[Target]) -> str:
    names = ", ".join(target.name for target in targets)
    old_text = was.describe() if was is not None else "none"
    new_text = now.describe() if now is not None else "none"
    if was is not None and now is not None and was.filename == now.filename:
        # The same asset: the release's SHA256SUMS lists other bytes for it now.
        new_text = f"the same build with another sha256 ({was.sha256[:12]}… → {now.sha256[:12]}…)"
    elif was is not None and now is not None and old_text == new_text:
        old_text, new_text = was.filename, now.filename
    return f"pinned interpreter for {names}: {old_text} → {new_text}"
