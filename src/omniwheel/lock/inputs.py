"""The inputs of a lock: what the command line, the existing lock and the project ask for.

``omniwheel lock`` takes each input from the command line first, then from what the existing
lock recorded in its ``[tool.omniwheel]`` (so a relock keeps targets and options given once on a
command line), then from ``pyproject.toml`` and its ``[tool.omniwheel]``, then defaults.  The same
decision tells ``run`` and ``sync`` whether a lock is stale (:func:`input_changes`) and tells
``lock`` when it has nothing to do (:func:`current_lock`).  Nothing here reads an index or loads
the resolver, so those answers cost only reading the project.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from omniwheel.errors import ProjectError
from omniwheel.index.indexes import IndexList
from omniwheel.lock import LOCK_FILENAME
from omniwheel.lock.resolved_stamp import recall
from omniwheel.lock.shadowing import Shadowing
from omniwheel.lock.tool_table import (
    LockInputs,
    LockToolTable,
    recorded_inputs,
    single_use_change,
)
from omniwheel.platform.matrix import expand_targets
from omniwheel.platform.target import Target
from omniwheel.project.pyproject import Project, Settings
from omniwheel.project.roots import MAIN, project_roots


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
class KeptLock:
    """A relock that had nothing to do (:func:`current_lock`): what the summary reports."""

    path: Path
    packages: int
    """Distinct package names in the lock."""
    targets: tuple[Target, ...]
    """The targets the lock has packages for."""
    seconds: float
    shadowed: Mapping[NormalizedName, Shadowing] = field(default_factory=dict)
    """Locked packages later indexes listed too when the lock was resolved."""


def current_lock(
    project: Project, options: LockOptions, *, indexes: IndexList, cache_root: Path
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
    try:
        data = path.read_bytes()
    except OSError:
        return None  # no lock (or an unreadable one): locking says which
    stamp = recall(cache_root, data)
    if stamp is None:
        return None
    inputs, _ = decide_inputs(project, options, stamp.table, indexes)
    if changed_inputs(stamp.table, inputs):
        return None
    return KeptLock(
        path=path,
        packages=stamp.packages,
        targets=stamp.table.locked_targets,
        seconds=time.monotonic() - started,
        shadowed=stamp.shadowed,
    )


def decide_inputs(
    project: Project,
    options: LockOptions,
    existing: LockToolTable | None,
    indexes: IndexList,
) -> tuple[LockInputs, tuple[Target, ...]]:
    """The lock inputs: command line first, then those the existing lock's ``[tool.omniwheel]``
    recorded, then the project's."""
    settings = project.settings
    recorded = existing.inputs if existing is not None else None
    targets, from_cli = _targets(project, options, recorded)
    _refuse_lock_time_extras(options)
    roots = project_roots(project)
    chosen, options_from_cli = _options(options, settings, recorded)
    release, options_from_cli = _python_release_input(chosen, options_from_cli, options, recorded)
    inputs = LockInputs(
        targets=targets,
        targets_from_cli=from_cli,
        options_from_cli=options_from_cli,
        index_url=indexes.default.public_url,
        indexes=indexes.recorded(project.root),
        sources={str(name): index for name, index in indexes.sources.items()},
        no_index=indexes.no_index,
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
            from omniwheel.python.pbs import InterpreterError

            raise InterpreterError(
                f"`--python-release {options.python_release}` names a release to pin "
                "interpreters from, but this lock pins none",
                hint="add `--pin-python` (or `pin-python = true` in [tool.omniwheel])",
            )
        return None, tuple(key for key in from_cli if key != "python-release")
    release: str | None = chosen["python-release"]
    if release is None and recorded is not None and recorded.pin_python and not options.upgrade:
        release = recorded.python_release
    # Imported here: the interpreter builds' module is for locks that pin one.
    from omniwheel.python.pbs import DEFAULT_PYTHON_RELEASE

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
    project: Project, existing: LockToolTable | None, indexes: IndexList
) -> tuple[str, ...]:
    """How the inputs a plain relock would use differ from those the existing lock's
    ``[tool.omniwheel]`` recorded (all of them for a lock another tool wrote, which has none);
    empty when the lock is current for ``pyproject.toml``.  Reads no index: ``run`` and
    ``sync`` use it to decide whether to relock."""
    inputs, _ = decide_inputs(project, LockOptions(), existing, indexes)
    return tuple(changed_inputs(existing, inputs))


def changed_inputs(existing: LockToolTable | None, inputs: LockInputs) -> list[str]:
    """Each recorded input that differs, as ``key: old → new`` (all, for another tool's lock);
    an extra or a group as ``dependency-groups.dev: old → new``.  A lock written before locks
    became multi-use is said so first."""
    old_inputs = _flat(recorded_inputs(existing.inputs)) if existing is not None else {}
    new_inputs = _flat(recorded_inputs(inputs))
    changes = []
    if existing is not None and existing.single_use_extras is not None:
        changes.append(single_use_change(existing.single_use_extras))
    for key in sorted(set(new_inputs) | set(old_inputs)):
        old, new = old_inputs.get(key), new_inputs.get(key)
        if old != new:
            changes.append(f"{key}: {_short(old)} → {_short(new)}")
    return changes


def _flat(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded inputs with each named-requirements table spread into ``table.name`` keys."""
    flat: dict[str, Any] = {}
    for key, value in recorded.items():
        if key == "indexes":  # one value: their order matters as much as their URLs
            flat[key] = ", ".join(_described_index(entry) for entry in value)
        elif isinstance(value, Mapping):
            flat.update((f"{key}.{name}", inner) for name, inner in value.items())
        else:
            flat[key] = value
    return flat


def _described_index(entry: Mapping[str, Any]) -> str:
    explicit = " (explicit)" if entry.get("explicit") else ""
    return f"{entry['name']}={entry['url']}{explicit}"


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
