"""The lock as one in-memory model, built from a matrix resolution.

One entry per (package, version), with the targets that need it, the wheels those targets take, the
roots (project dependencies, extras, dependency groups) that need it on each of those targets, and
the marker that selects exactly those targets for exactly those roots: the root clauses are PEP 751
lock-file markers (``"plot" in extras``, ``"dev" in dependency_groups``; the project's own
dependencies are the synthetic group ``default`` when the project has groups, so that they can be
deselected), joined to each target set's environment marker.  Only positive ``in`` tests appear,
so a union of roots selects the union of their closures.  Lock inputs (targets, index, cutoff,
policy, every root's requirements; :class:`~omniwheel.lock.tool_table.LockInputs`, the
``[tool.omniwheel]`` model) travel with it so that ``--check`` can say what changed.  Writers
(pylock.toml, Artifacts.toml) read this model and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import DistFile
from omniwheel.lock.closure import RootNeeds
from omniwheel.lock.markers import EnvKey, environment_marker, selecting_marker
from omniwheel.lock.tool_table import LockedPython, LockInputs
from omniwheel.platform.target import Target
from omniwheel.project.roots import MAIN, Root
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
    roots: Mapping[Root, tuple[Target, ...]] = field(default_factory=dict, hash=False)
    """Each root that needs this entry, with the targets where it does (sorted; in root
    order).  Empty: the project's dependencies, on every one of ``targets``."""

    def roots_on(self, target: Target) -> frozenset[Root]:
        """The roots that need this entry on ``target``."""
        if not self.roots:
            return frozenset({MAIN}) if target in self.targets else frozenset()
        return frozenset(root for root, targets in self.roots.items() if target in targets)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    inputs: LockInputs
    targets: tuple[Target, ...]
    skipped: tuple[tuple[Target, str], ...]
    environments: tuple[str, ...]
    packages: tuple[LockedPackage, ...]
    pythons: tuple[LockedPython, ...] = ()
    """The interpreter builds pinned per target (empty unless ``inputs.pin_python``)."""

    @property
    def extras(self) -> tuple[NormalizedName, ...]:
        """The extras an installer may select (PEP 751 ``extras``), sorted."""
        return tuple(sorted(NormalizedName(name) for name in self.inputs.optional_dependencies))

    @property
    def groups(self) -> tuple[NormalizedName, ...]:
        """The dependency groups an installer may select (``dependency-groups``), sorted."""
        return tuple(sorted(NormalizedName(name) for name in self.inputs.dependency_groups))


def env_key(target: Target) -> EnvKey:
    return target.marker_key


def build_lock(
    resolution: MatrixResolution, inputs: LockInputs, needs: RootNeeds | None = None
) -> Lock:
    """The lock model for a resolution: entries sorted by name then version, wheels by filename.

    ``needs`` (:func:`omniwheel.lock.closure.root_needs`): which roots need each entry where;
    None when the project's dependencies are the only root."""
    targets = tuple(
        sorted((t for group in resolution.groups for t in group.targets), key=Target.sort_key)
    )
    everything = {env_key(t) for t in targets}
    wanted: dict[tuple[NormalizedName, Version], dict[Target, DistFile]] = {}
    dependencies: dict[tuple[NormalizedName, Version], set[NormalizedName]] = {}
    requires_python: dict[tuple[NormalizedName, Version], str | None] = {}
    conditions: dict[tuple[NormalizedName, Version], dict[Target, str]] = {}
    for group in resolution.groups:
        for pin in group.pins.values():
            key = (pin.name, pin.version)
            condition = group.conditions.get(pin.name)
            for target in group.targets:
                wanted.setdefault(key, {})[target] = pin.wheels[target].file
                if condition is not None:
                    conditions.setdefault(key, {})[target] = condition
            dependencies.setdefault(key, set()).update(pin.dependencies)
            requires_python[key] = pin.requires_python
    has_groups = bool(inputs.dependency_groups)
    packages = []
    for (name, version), per_target in sorted(wanted.items()):
        users = tuple(sorted(per_target, key=Target.sort_key))
        condition_of = conditions.get((name, version), {})
        roots = _roots(users, None if needs is None else needs.get((name, version)))
        packages.append(
            LockedPackage(
                name=name,
                version=version,
                targets=users,
                marker=_marker(users, condition_of, everything, roots, has_groups=has_groups),
                conditions=condition_of,
                requires_python=requires_python[(name, version)],
                wheels=_wheels(per_target),
                dependencies=tuple(sorted(dependencies[(name, version)])),
                roots=roots,
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


def _roots(
    users: tuple[Target, ...], found: Mapping[Root, frozenset[Target]] | None
) -> dict[Root, tuple[Target, ...]]:
    """The entry's roots with their targets, in root order.  A target that no root reaches (a
    resolution the walk could not follow) counts as the project's own, so nothing is lost."""
    per_root = {root: set(targets) for root, targets in (found or {}).items()}
    reached = set().union(*per_root.values()) if per_root else set()
    orphans = set(users) - reached
    if orphans:
        per_root.setdefault(MAIN, set()).update(orphans)
    return {
        root: tuple(sorted(per_root[root], key=Target.sort_key))
        for root in sorted(per_root, key=Root.sort_key)
    }


def _marker(
    users: tuple[Target, ...],
    condition_of: Mapping[Target, str],
    everything: set[EnvKey],
    roots: Mapping[Root, tuple[Target, ...]],
    *,
    has_groups: bool,
) -> str | None:
    """The entry's marker: for each set of targets that the same roots need it on (with the same
    patch-release condition), those roots' clauses and those targets' environment marker."""
    buckets: dict[tuple[tuple[Root, ...], str | None], list[Target]] = {}
    for target in users:
        on_target = [root for root in roots if target in roots[root]]
        if MAIN in on_target and not has_groups:
            on_target = [MAIN]  # always installed: the other roots add nothing here
        buckets.setdefault((tuple(on_target), condition_of.get(target)), []).append(target)
    clauses = []
    ordered = sorted(
        buckets.items(),
        key=lambda item: ([r.sort_key() for r in item[0][0]], item[0][1] or ""),
    )
    for (needing, condition), members in ordered:
        selecting = selecting_marker({env_key(t) for t in members}, everything)
        clause = _conjoin(selecting, condition)
        chosen = [m for m in (r.marker(has_groups=has_groups) for r in needing) if m]
        if chosen:
            clause = _all_of([" or ".join(chosen), clause])
        clauses.append(clause)
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" for clause in clauses if clause)


def _all_of(parts: list[str | None]) -> str:
    present = [part for part in parts if part]
    if len(present) == 1:
        return present[0]
    return " and ".join(
        f"({part})" if " or " in part or " and " in part else part for part in present
    )


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
