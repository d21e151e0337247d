"""``omniwheel lock``: from a project and options to a written (or checked) pylock.toml.

The orchestration only: decide the lock inputs (command line, then what an existing lock recorded,
then ``[tool.omniwheel]``, then defaults), open an index session, resolve the matrix, build the
model, pin the interpreters when asked (from the release's ``SHA256SUMS``: metadata only, read
before resolving so that a bad mirror fails fast), render it and compare it with what is on disk.
Each step is a call into the part that owns it; nothing here prints.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel._atomic import write_atomic
from omniwheel.errors import LockFileError, ProjectError
from omniwheel.index.discovery import IndexLocation
from omniwheel.lock.pylock import LOCK_FILENAME, ExistingLock, read_pylock, render_pylock
from omniwheel.lock.resolved_stamp import remember, resolved_here
from omniwheel.lock.tool_table import (
    LockedPython,
    LockInputs,
    recorded_inputs,
    single_use_change,
)
from omniwheel.platform.matrix import expand_targets
from omniwheel.platform.target import Target
from omniwheel.project.pyproject import Project, Settings
from omniwheel.project.roots import (
    MAIN,
    all_requirements,
    project_roots,
    requirement_origins,
)
from omniwheel.python.pbs import (
    DEFAULT_PYTHON_RELEASE,
    InterpreterError,
    PbsRelease,
    PinnedPython,
    check_mirror,
    pin_targets,
)

if TYPE_CHECKING:
    # The resolving machinery (index client, resolver, lock model) is imported by
    # lock_project itself: current_lock, a relock with nothing to do, needs none of it.
    from omniwheel.index.client import IndexClient, IndexStats
    from omniwheel.index.models import CoreMetadata
    from omniwheel.index.session import IndexSession
    from omniwheel.lock.closure import RootNeeds
    from omniwheel.lock.model import Lock
    from omniwheel.resolve.divergence import Divergence
    from omniwheel.resolve.resolution import MatrixResolution, ResolveRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    """What the command line asked for; empty/None means "not given"."""

    platforms: tuple[str, ...] = ()
    python_versions: tuple[str, ...] = ()
    exclude_newer: datetime | None = None
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    prerelease: bool = False
    uniform: bool = False
    refresh: bool = False
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    pin_python: bool | None = None
    """``--pin-python`` (True) or ``--no-pin-python`` (False); None: not given."""
    python_release: str | None = None
    python_mirror: str | None = None
    """Where to fetch the release's ``SHA256SUMS`` (checked by ``pbs.check_mirror``); machine
    configuration, never recorded.  None: ``[tool.omniwheel] python-mirror``, else the
    canonical host."""


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
    changes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptLock:
    """A relock that had nothing to do (:func:`current_lock`): what the summary reports."""

    path: Path
    packages: int
    """Distinct package names in the lock."""
    targets: tuple[Target, ...]
    """The targets the lock has packages for."""
    seconds: float


class StaleLockError(LockFileError):
    """``--check`` found that the lock does not match what locking now would write."""

    def __init__(self, path: Path, changes: tuple[str, ...]) -> None:
        listed = "\n".join(f"  - {change}" for change in changes)
        super().__init__(
            f"{path.name} is out of date:\n{listed}",
            hint="run `omniwheel lock` and commit the result",
        )
        self.changes = changes


def current_lock(
    project: Project, options: LockOptions, *, location: IndexLocation, cache_root: Path
) -> KeptLock | None:
    """The existing lock, when relocking could only write it again: the inputs a relock would
    use are the ones it recorded (so every locked version would be kept), nothing asks for a
    new resolution (``--refresh``, ``--upgrade``, ``--upgrade-package``), and this omniwheel
    version resolved exactly its text before (:mod:`omniwheel.lock.resolved_stamp`).  None
    otherwise.  Asks the index nothing; files published since for the locked versions are
    noticed only by a resolution, as with uv's ``lock``."""
    started = time.monotonic()
    if options.refresh or options.upgrade or options.upgrade_packages:
        return None
    path = project.root / LOCK_FILENAME
    existing = read_pylock(path)
    if existing is None or existing.tool is None:
        return None
    if not resolved_here(cache_root, existing.text):
        return None
    inputs, _ = decide_inputs(project, options, existing, location)
    if _changed_inputs(existing, inputs):
        return None
    return KeptLock(
        path=path,
        packages=len(existing.versions),
        targets=existing.tool.locked_targets,
        seconds=time.monotonic() - started,
    )


def lock_project(
    project: Project,
    options: LockOptions,
    *,
    location: IndexLocation,
    cache_root: Path,
    check: bool = False,
) -> LockOutcome:
    """Resolve the project for its targets and write pylock.toml (or, with ``check``, compare)."""
    from omniwheel.index.cache import IndexCache
    from omniwheel.index.client import IndexClient
    from omniwheel.index.session import IndexSession
    from omniwheel.lock.model import build_lock
    from omniwheel.resolve.divergence import find_divergences
    from omniwheel.resolve.matrix import resolve_matrix

    started = time.monotonic()
    path = project.root / LOCK_FILENAME
    existing = read_pylock(path)
    inputs, targets = decide_inputs(project, options, existing, location)
    release = _python_release(project, options, inputs, location, cache_root)
    pins = pin_targets(release, targets, requires_python=project.requires_python) if release else {}
    resolving = {target: _resolved_at(target, pins) for target in targets}
    kept = locked_versions(existing, targets, options)
    request = _request(
        project,
        inputs,
        tuple(resolving.values()),
        {resolving[target]: versions for target, versions in kept.items()},
    )
    cache = IndexCache(cache_root, location.public_url)

    def client() -> IndexClient:
        return IndexClient(
            location=location,
            cache=cache,
            exclude_newer=inputs.exclude_newer,
            refresh=options.refresh,
        )

    with IndexSession(client) as session:
        resolved = resolve_matrix(request, session)
        divergences = tuple(find_divergences(resolved, session.page, request.policy))
        resolution = resolved.unpinned()
        lock = build_lock(resolution, inputs, _root_needs(project, resolution, session, request))
        if pins:
            lock = replace(lock, pythons=locked_pythons(lock, pins))
        text = render_pylock(lock)
        stats = session.stats
    changed = existing is None or existing.text != text
    changes = describe_changes(existing, lock) if changed else ()
    if check and changed:
        raise StaleLockError(path, changes or ("the file's text differs from a fresh lock",))
    if changed and not check:
        write_atomic(path, text.encode(), durable=True)
    remember(cache_root, text)
    return LockOutcome(
        lock=lock,
        text=text,
        path=path,
        resolution=resolution,
        divergences=divergences,
        stats=stats,
        seconds=time.monotonic() - started,
        changed=changed,
        changes=changes,
    )


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
    project: Project, resolution: MatrixResolution, session: IndexSession, request: ResolveRequest
) -> RootNeeds:
    """Which root needs each pinned package where, walked through the metadata the resolver
    read (the session has it in memory)."""
    from omniwheel.lock.closure import root_needs
    from omniwheel.resolve.candidates import metadata_wheel

    def metadata_of(name: NormalizedName, version: Version) -> CoreMetadata:
        page = session.page(name)
        assert page is not None  # a pinned version was read from its page
        return session.metadata(metadata_wheel(page, version, request.policy))

    return root_needs(resolution, project_roots(project), metadata_of)


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


def decide_inputs(
    project: Project,
    options: LockOptions,
    existing: ExistingLock | None,
    location: IndexLocation,
) -> tuple[LockInputs, tuple[Target, ...]]:
    """The lock inputs: command line first, then the existing lock's, then the project's."""
    settings = project.settings
    recorded = existing.tool.inputs if existing is not None and existing.tool else None
    targets, from_cli = _targets(project, options, recorded)
    _refuse_lock_time_extras(options)
    roots = project_roots(project)
    chosen, options_from_cli = _options(options, settings, recorded)
    release, options_from_cli = _python_release_input(chosen, options_from_cli, options, recorded)
    inputs = LockInputs(
        targets=targets,
        targets_from_cli=from_cli,
        options_from_cli=options_from_cli,
        index_url=location.public_url,
        exclude_newer=chosen["exclude-newer"],
        prerelease=bool(chosen["prerelease"]),
        uniform=bool(chosen["uniform"]),
        no_wheel=settings.no_wheel,
        requirements=_texts(roots[MAIN]),
        optional_dependencies={
            root.name: _texts(requirements)
            for root, requirements in roots.items()
            if root.kind == "extra"
        },
        dependency_groups={
            root.name: _texts(requirements)
            for root, requirements in roots.items()
            if root.kind == "group"
        },
        default_groups=sync_default_groups(project),
        requires_python=str(project.requires_python) if project.requires_python else None,
        pin_python=release is not None,
        python_release=release,
    )
    return inputs, targets


def _targets(
    project: Project, options: LockOptions, recorded: LockInputs | None
) -> tuple[tuple[Target, ...], bool]:
    """The targets, and whether they come from a command line (this one or the lock's)."""
    settings = project.settings
    from_cli = bool(options.platforms or options.python_versions)
    if not from_cli and recorded is not None and recorded.targets_from_cli and recorded.targets:
        return recorded.targets, True
    platforms, platforms_from = (
        (options.platforms, "--platform")
        if options.platforms
        else (settings.platforms, "[tool.omniwheel] platforms")
    )
    versions, versions_from = (
        (options.python_versions, "--python-version")
        if options.python_versions
        else (settings.python_versions, "[tool.omniwheel] python-versions")
    )
    targets = expand_targets(
        platforms,
        versions,
        project.requires_python,
        platforms_from=platforms_from,
        versions_from=versions_from,
    )
    return targets, from_cli


def _options(
    options: LockOptions, settings: Settings, recorded: LockInputs | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``exclude-newer``, ``prerelease``, ``uniform``, ``pin-python`` and ``python-release``,
    and which came from a command line.

    Like targets: what the command line gives applies and is recorded, and later relocks
    (``--check``, ``sync``, ``run``) keep it; otherwise ``[tool.omniwheel]`` decides, so a
    setting removed from ``pyproject.toml`` stops applying.  (``python-release`` has one more
    fallback, the release the lock has: see :func:`_python_release_input`.)
    """
    earlier = set(recorded.options_from_cli) if recorded is not None else set()
    # key, given on this command line, from this command line, as recorded, [tool.omniwheel]
    rows = (
        (
            "exclude-newer",
            options.exclude_newer is not None,
            options.exclude_newer,
            recorded.exclude_newer if recorded is not None else None,
            settings.exclude_newer,
        ),
        (
            "prerelease",
            options.prerelease,
            options.prerelease,
            recorded is not None and recorded.prerelease,
            settings.prerelease,
        ),
        (
            "uniform",
            options.uniform,
            options.uniform,
            recorded is not None and recorded.uniform,
            settings.uniform,
        ),
        (
            "pin-python",
            options.pin_python is not None,  # --no-pin-python is given too
            options.pin_python,
            recorded is not None and recorded.pin_python,
            settings.pin_python,
        ),
        (
            "python-release",
            options.python_release is not None,
            options.python_release,
            recorded.python_release if recorded is not None else None,
            settings.python_release,
        ),
    )
    chosen: dict[str, Any] = {}
    from_cli: list[str] = []
    for key, given, value, kept, configured in rows:
        if given or key in earlier:
            chosen[key] = value if given else kept
            from_cli.append(key)
        else:
            chosen[key] = configured
    return chosen, tuple(from_cli)


def _python_release_input(
    chosen: Mapping[str, Any],
    from_cli: tuple[str, ...],
    options: LockOptions,
    recorded: LockInputs | None,
) -> tuple[str | None, tuple[str, ...]]:
    """The release to pin from (None when the lock pins nothing), and ``from_cli`` adjusted.

    A release that is given (command line, ``[tool.omniwheel]``) applies.  Otherwise the lock
    keeps the release it has, like a locked version, so a newer omniwheel naming a newer
    default does not move the pins; ``--upgrade`` drops it for :data:`DEFAULT_PYTHON_RELEASE`.
    """
    if not chosen["pin-python"]:
        if options.python_release is not None:
            raise InterpreterError(
                f"`--python-release {options.python_release}` names a release to pin "
                "interpreters from, but this lock pins none",
                hint="add `--pin-python` (or `pin-python = true` in [tool.omniwheel])",
            )
        return None, tuple(key for key in from_cli if key != "python-release")
    release: str | None = chosen["python-release"]
    if release is None and recorded is not None and recorded.pin_python and not options.upgrade:
        release = recorded.python_release
    return release or DEFAULT_PYTHON_RELEASE, from_cli


def _refuse_lock_time_extras(options: LockOptions) -> None:
    """``lock --extra`` / ``--all-extras``: extras are no longer chosen at lock time."""
    if options.extras or options.all_extras:
        given = "--all-extras" if options.all_extras else f"--extra {options.extras[0]}"
        raise ProjectError(
            f"`lock {given}`: the lock holds every extra and dependency group of the project, "
            "so none is chosen when locking",
            hint="drop the option from `omniwheel lock`; choose at sync time "
            "(`omniwheel sync --extra NAME`, `--all-extras`, `--group NAME`)",
        )


def _texts(requirements: tuple[Requirement, ...]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(str(requirement) for requirement in requirements)))


class UnknownDefaultGroupError(ProjectError):
    """``[tool.omniwheel] default-groups`` names groups the project does not declare."""

    def __init__(self, unknown: tuple[str, ...], known: tuple[str, ...]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(
            f"[tool.omniwheel] default-groups names groups that [dependency-groups] does not "
            f"declare: {', '.join(unknown)} (declared: {listed})",
            hint="declare them under [dependency-groups], or remove them from default-groups",
        )
        self.unknown = unknown


def sync_default_groups(project: Project) -> tuple[str, ...]:
    """The groups omniwheel's ``sync`` installs by default: ``[tool.omniwheel]
    default-groups`` (``"all"``: every group), else ``dev`` when the project declares it."""
    declared = tuple(sorted(project.dependency_groups))
    configured = project.settings.default_groups
    if configured is None:
        return ("dev",) if "dev" in project.dependency_groups else ()
    if configured == "all":
        return declared
    unknown = tuple(name for name in configured if name not in project.dependency_groups)
    if unknown:
        raise UnknownDefaultGroupError(unknown, declared)
    return tuple(sorted(configured))


def input_changes(
    project: Project, existing: ExistingLock | None, location: IndexLocation
) -> tuple[str, ...]:
    """How the inputs a plain relock would use differ from those ``existing`` recorded; empty
    when the lock is current for ``pyproject.toml``.  Reads no index: ``run`` and ``sync`` use
    it to decide whether to relock."""
    if existing is None:
        return ("no lock file yet",)
    inputs, _ = decide_inputs(project, LockOptions(), existing, location)
    return tuple(_changed_inputs(existing, inputs))


def _changed_inputs(existing: ExistingLock, inputs: LockInputs) -> list[str]:
    """Each recorded input that differs, as ``key: old → new`` (all, for another tool's lock);
    an extra or a group as ``dependency-groups.dev: old → new``.  A lock written before locks
    became multi-use is said so first."""
    old_inputs = _flat(recorded_inputs(existing.tool.inputs)) if existing.tool is not None else {}
    new_inputs = _flat(recorded_inputs(inputs))
    changes = []
    if existing.tool is not None and existing.tool.single_use_extras is not None:
        changes.append(single_use_change(existing.tool.single_use_extras))
    for key in sorted(set(new_inputs) | set(old_inputs)):
        old, new = old_inputs.get(key), new_inputs.get(key)
        if old != new:
            changes.append(f"{key}: {_short(old)} → {_short(new)}")
    return changes


def _flat(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded inputs with each named-requirements table spread into ``table.name`` keys."""
    flat: dict[str, Any] = {}
    for key, value in recorded.items():
        if isinstance(value, Mapping):
            flat.update((f"{key}.{name}", inner) for name, inner in value.items())
        else:
            flat[key] = value
    return flat


def describe_changes(existing: ExistingLock | None, lock: Lock) -> tuple[str, ...]:
    """What differs between an existing lock and a new one: inputs first, then versions."""
    if existing is None:
        return ("no lock file yet",)
    changes = _changed_inputs(existing, lock.inputs)
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


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
