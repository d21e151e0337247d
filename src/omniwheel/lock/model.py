"""The lock as one in-memory model, built from a matrix resolution.

One entry per (package, version), with the targets that need it, the wheels those targets take, the
roots (project dependencies, extras, dependency groups) that need it on each of those targets, and
the marker that selects exactly those targets for exactly those roots: the root clauses are PEP 751
lock-file markers (``"plot" in extras``, ``"dev" in dependency_groups``; the project's own
dependencies are the synthetic group ``default`` when the project has groups, so that they can be
deselected), each joined to the patch-release condition along that root's paths (a root that
needs the entry only from Python 3.12.4 on says so; see :mod:`omniwheel.resolve.conditions`) and
to each target set's environment marker.  Only positive ``in`` tests appear, so a union of roots
selects the union of their closures.  Lock inputs (targets, index, cutoff,
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
    """Targets that need this entry, with every root selected, only on the patch releases where
    a marker holds (see :mod:`omniwheel.resolve.conditions`), with that marker: the ``or`` of
    :attr:`root_conditions` there, absent where some root needs the entry on every release."""
    requires_python: str | None
    wheels: tuple[LockedWheel, ...]
    dependencies: tuple[NormalizedName, ...]
    index: str | None = None
    """The URL (no credentials) of the index the package was read from; None: the lock's
    default index (:attr:`LockInputs.index_url`).  A local find-links source's ``file://`` URL
    is not written to ``pylock.toml`` (PEP 751 ``index`` names a simple-API index)."""
    roots: Mapping[Root, tuple[Target, ...]] = field(default_factory=dict, hash=False)
    """Each root that needs this entry, with the targets where it does (sorted; in root
    order).  Empty: the project's dependencies, on every one of ``targets``."""
    root_conditions: Mapping[Root, Mapping[Target, str]] = field(default_factory=dict, hash=False)
    """Per root: the targets where it needs this entry only on the patch releases where a marker
    holds, with that marker (part of ``marker``); elsewhere in ``roots`` it needs it always."""

    def roots_on(self, target: Target) -> frozenset[Root]:
        """The roots that need this entry on ``target``."""
        if not self.roots:
            return frozenset({MAIN}) if target in self.targets else frozenset()
        return frozenset(root for root, targets in self.roots.items() if target in targets)

    def condition(self, root: Root, target: Target) -> str | None:
        """The patch-release marker under which ``root`` needs this entry on ``target``; None
        when it needs it on every release there (or not at all: see :meth:`roots_on`)."""
        return self.root_conditions.get(root, {}).get(target)


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
    resolution: MatrixResolution,
    inputs: LockInputs,
    needs: RootNeeds | None = None,
    *,
    index_of: Mapping[NormalizedName, str] | None = None,
) -> Lock:
    """The lock model for a resolution: entries sorted by name then version, wheels by filename.

    ``needs`` (:func:`omniwheel.lock.closure.root_needs`): which roots need each entry where;
    None when the project's dependencies are the only root.  ``index_of``: each package's index
    URL (no credentials); a package it does not name comes from ``inputs.index_url``."""
    targets = tuple(
        sorted((t for group in resolution.groups for t in group.targets), key=Target.sort_key)
    )
    everything = {env_key(t) for t in targets}
    wanted: dict[tuple[NormalizedName, Version], dict[Target, DistFile]] = {}
    dependencies: dict[tuple[NormalizedName, Version], set[NormalizedName]] = {}
    requires_python: dict[tuple[NormalizedName, Version], str | None] = {}
    conditions: dict[tuple[NormalizedName, Version], dict[Root, dict[Target, str]]] = {}
    for group in resolution.groups:
        for pin in group.pins.values():
            key = (pin.name, pin.version)
            for target in group.targets:
                wanted.setdefault(key, {})[target] = pin.wheels[target].file
            for root, of_root in group.conditions.items():
                if pin.name in of_root:
                    per_root = conditions.setdefault(key, {}).setdefault(root, {})
                    per_root.update(dict.fromkeys(group.targets, of_root[pin.name]))
            dependencies.setdefault(key, set()).update(pin.dependencies)
            requires_python[key] = pin.requires_python
    has_groups = bool(inputs.dependency_groups)
    packages = []
    for (name, version), per_target in sorted(wanted.items()):
        users = tuple(sorted(per_target, key=Target.sort_key))
        roots = _roots(users, None if needs is None else needs.get((name, version)))
        of_roots = _root_conditions(roots, conditions.get((name, version), {}))
        needing = {target: _needing(target, roots, of_roots, has_groups) for target in users}
        packages.append(
            LockedPackage(
                name=name,
                version=version,
                targets=users,
                marker=_marker(needing, everything, has_groups=has_groups),
                conditions=_conditions(needing),
                requires_python=requires_python[(name, version)],
                wheels=_wheels(per_target),
                dependencies=tuple(sorted(dependencies[(name, version)])),
                index=(index_of or {}).get(name),
                roots=roots,
                root_conditions=of_roots,
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


def _root_conditions(
    roots: Mapping[Root, tuple[Target, ...]], found: Mapping[Root, Mapping[Target, str]]
) -> dict[Root, dict[Target, str]]:
    """The resolver's per-root conditions, kept where the root needs the entry (in root order)."""
    kept = {
        root: {target: found[root][target] for target in targets if target in found[root]}
        for root, targets in roots.items()
        if root in found
    }
    return {root: conditions for root, conditions in kept.items() if conditions}


Needing = tuple[tuple[Root, str | None], ...]
"""The roots that need an entry on one target, each with its patch-release condition (None:
on every release), in root order."""


def _needing(
    target: Target,
    roots: Mapping[Root, tuple[Target, ...]],
    conditions: Mapping[Root, Mapping[Target, str]],
    has_groups: bool,
) -> Needing:
    """Who needs the entry on ``target``, under which condition.  Without groups the project's
    dependencies are always installed, so a root needing it under their condition adds nothing."""
    on_target = [
        (root, conditions.get(root, {}).get(target)) for root in roots if target in roots[root]
    ]
    main = [condition for root, condition in on_target if root == MAIN]
    if main and not has_groups:
        on_target = [
            (root, condition)
            for root, condition in on_target
            if root == MAIN or (main[0] is not None and condition != main[0])
        ]
    return tuple(on_target)


def _conditions(needing: Mapping[Target, Needing]) -> dict[Target, str]:
    """Per target, the condition under which some root needs the entry (every root selected);
    absent where one needs it on every release."""
    found = {}
    for target, on_target in needing.items():
        conditions = [condition for _, condition in on_target]
        if conditions and None not in conditions:
            found[target] = _any_of(list(dict.fromkeys(c for c in conditions if c)))
    return found


def _marker(
    needing: Mapping[Target, Needing], everything: set[EnvKey], *, has_groups: bool
) -> str | None:
    """The entry's marker: for each set of targets that the same roots need it on under the same
    patch-release conditions, those roots' clauses (each with its condition) and those targets'
    environment marker."""
    buckets: dict[Needing, list[Target]] = {}
    for target, on_target in needing.items():
        buckets.setdefault(on_target, []).append(target)
    clauses = []
    ordered = sorted(
        buckets.items(), key=lambda item: [(r.sort_key(), c or "") for r, c in item[0]]
    )
    for on_target, members in ordered:
        selecting = selecting_marker({env_key(t) for t in members}, everything)
        conditions = list(dict.fromkeys(condition for _, condition in on_target))
        if len(conditions) == 1:  # one condition for every root: written once
            clause = _conjoin(selecting, conditions[0])
            chosen = _root_markers([root for root, _ in on_target], has_groups=has_groups)
            if chosen:
                clause = _all_of([chosen, clause])
        else:
            clause = _all_of([_per_condition(on_target, conditions, has_groups), selecting])
        clauses.append(clause)
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" for clause in clauses if clause)


def _per_condition(on_target: Needing, conditions: list[str | None], has_groups: bool) -> str:
    """``roots or (roots and condition) or …``: each condition with the roots needing the entry
    under it."""
    parts = []
    for condition in conditions:
        roots = [root for root, of_root in on_target if of_root == condition]
        parts.append(_all_of([_root_markers(roots, has_groups=has_groups), condition]))
    return _any_of(parts)


def _root_markers(roots: list[Root], *, has_groups: bool) -> str | None:
    """The ``or`` of the roots' clauses; None when one of them is always installed."""
    markers = [root.marker(has_groups=has_groups) for root in roots]
    if not markers or None in markers:
        return None
    return " or ".join(marker for marker in markers if marker)


def _any_of(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({part})" if " or " in part or " and " in part else part for part in parts)


def _all_of(parts: list[str | None]) -> str:
    """The ``and`` of the parts that are there (at least one must be)."""
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
