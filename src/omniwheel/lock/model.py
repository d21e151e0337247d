"""The lock as one in-memory model, built from a matrix resolution.

One entry per (package, version), with the targets that need it, the wheels those targets take, and
the marker that selects exactly those targets.  Lock inputs (targets, index, cutoff, extras, policy,
requirements; :class:`~omniwheel.lock.tool_table.LockInputs`, the ``[tool.omniwheel]`` model) travel
with it so that ``--check`` can say what changed.  Writers (pylock.toml, Artifacts.toml) read this
model and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import DistFile
from omniwheel.lock.markers import EnvKey, environment_marker, selecting_marker
from omniwheel.lock.tool_table import LockedPython, LockInputs
from omniwheel.platform.target import Target
from omniwheel.resolve.resolution import MatrixResolution


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedWheel:
    file: DistFile
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPackage:
    name: NormalizedName
    version: Version
    targets: tuple[Target, ...]
    marker: str | None
    conditions: Mapping[Target, str] = field(default_factory=dict, hash=False)
    """Targets that need this entry only on the patch releases where a marker holds (see
    :mod:`omniwheel.resolve.conditions`), with that marker; it is part of ``marker``."""
    requires_python: str | None
    wheels: tuple[LockedWheel, ...]
    dependencies: tuple[NormalizedName, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    inputs: LockInputs
    targets: tuple[Target, ...]
    skipped: tuple[tuple[Target, str], ...]
    environments: tuple[str, ...]
    packages: tuple[LockedPackage, ...]
    pythons: tuple[LockedPython, ...] = ()
    """The interpreter builds pinned per target (empty unless ``inputs.pin_python``)."""


def env_key(target: Target) -> EnvKey:
    return target.marker_key


def build_lock(resolution: MatrixResolution, inputs: LockInputs) -> Lock:
    """The lock model for a resolution: entries sorted by name then version, wheels by filename."""
    targets = tuple(
        sorted((t for group in resolution.groups for t in group.targets), key=Target.sort_key)
    )
    everything = {env_key(t) for t in targets}
    needs: dict[tuple[NormalizedName, Version], dict[Target, DistFile]] = {}
    dependencies: dict[tuple[NormalizedName, Version], set[NormalizedName]] = {}
    requires_python: dict[tuple[NormalizedName, Version], str | None] = {}
    conditions: dict[tuple[NormalizedName, Version], dict[Target, str]] = {}
    for group in resolution.groups:
        for pin in group.pins.values():
            key = (pin.name, pin.version)
            condition = group.conditions.get(pin.name)
            for target in group.targets:
                needs.setdefault(key, {})[target] = pin.wheels[target].file
                if condition is not None:
                    conditions.setdefault(key, {})[target] = condition
            dependencies.setdefault(key, set()).update(pin.dependencies)
            requires_python[key] = pin.requires_python
    packages = []
    for (name, version), per_target in sorted(needs.items()):
        users = tuple(sorted(per_target, key=Target.sort_key))
        condition_of = conditions.get((name, version), {})
        packages.append(
            LockedPackage(
                name=name,
                version=version,
                targets=users,
                marker=_marker(users, condition_of, everything),
                conditions=condition_of,
                requires_python=requires_python[(name, version)],
                wheels=_wheels(per_target),
                dependencies=tuple(sorted(dependencies[(name, version)])),
            )
        )
    environments = tuple(dict.fromkeys(environment_marker(t) for t in targets))
    return Lock(
        inputs=inputs,
        targets=targets,
        skipped=tuple((s.target, s.reason) for s in resolution.skipped),
        environments=environments,
        packages=tuple(packages),
    )


def _marker(
    users: tuple[Target, ...], condition_of: Mapping[Target, str], everything: set[EnvKey]
) -> str | None:
    """The entry's marker: its targets, each with the patch-release condition it has (if any)."""
    buckets: dict[str | None, list[Target]] = {}
    for target in users:
        buckets.setdefault(condition_of.get(target), []).append(target)
    clauses = []
    for condition, members in sorted(buckets.items(), key=lambda item: item[0] or ""):
        selecting = selecting_marker({env_key(t) for t in members}, everything)
        clauses.append(_conjoin(selecting, condition))
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" for clause in clauses if clause)


def _conjoin(selecting: str | None, condition: str | None) -> str | None:
    if condition is None or selecting is None:
        return condition or selecting
    return f"({selecting}) and ({condition})"


def _wheels(per_target: dict[Target, DistFile]) -> tuple[LockedWheel, ...]:
    users: dict[str, tuple[DistFile, list[Target]]] = {}
    for target, dist in per_target.items():
        users.setdefault(dist.filename, (dist, []))[1].append(target)
    return tuple(
        LockedWheel(file=dist, targets=tuple(sorted(ts, key=Target.sort_key)))
        for _, (dist, ts) in sorted(users.items())
    )
