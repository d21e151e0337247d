"""Reusing one group's resolution for the next group of targets, when it provably holds there.

Most targets of a matrix resolve to nearly the same versions; running the backtracking resolver
again for each costs more than the rest of a warm lock.  A previous resolution holds for a new
group when, walking the dependency graph from the roots with the new group's markers:

- every package reached is pinned in the previous resolution at a version its requirements allow,
  whose Requires-Python fits the new targets, and
- every pin is the newest version the new group could use under all the requirements placed on it
  (its wheels fit every new target; caps and cutoff apply).

Then every package is at the newest version its requirements and wheels allow — the fixed point
that a per-target resolution without backtracking reaches.  Starting from the previous group's
versions, packages that are not at that fixed point are moved to it and the walk repeats, for a
few rounds; if that does not settle, the caller resolves the group with resolvelib.  (With
cyclic constraints two fixed points can exist; the one nearest the previous group's is kept,
which also keeps versions alike across targets.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import Wheel
from omniwheel.platform.target import Target
from omniwheel.resolve.candidates import admits
from omniwheel.resolve.provider import PYTHON, GroupProvider, Req
from omniwheel.resolve.resolution import GroupResolution, group_resolution

ROUNDS = 4


def reuse_resolution(
    previous: GroupResolution, provider: GroupProvider, roots: Sequence[Req]
) -> GroupResolution | None:
    """The previous group's pins, adjusted, as this group's resolution; None if they do not hold.

    Versions that are not the newest the new group could use are replaced by that newest one and
    the graph is walked again, a few rounds at most (a release with no wheel for one platform
    usually changes one package, not the graph).
    """
    versions = {name: pin.version for name, pin in previous.pins.items()}
    for _ in range(ROUNDS):
        walk = _walk(versions, provider, roots)
        if walk is None:
            return None
        specifiers, children, requires_python = walk
        newest = _newest_under(specifiers, provider)
        if newest is None:
            return None
        changed = {name for name, (version, _) in newest.items() if version != versions[name]}
        if not changed:
            return group_resolution(
                provider.targets,
                newest,
                children=children,
                requires_python=requires_python,
                roots=(root.name for root in roots),
                resolved_by="reuse",
            )
        versions.update({name: newest[name][0] for name in changed})
    return None


def _newest_under(
    specifiers: Mapping[NormalizedName, list[SpecifierSet]], provider: GroupProvider
) -> dict[NormalizedName, tuple[Version, dict[Target, Wheel]]] | None:
    """For each package reached, the newest version the group can use under all requirements."""
    found: dict[NormalizedName, tuple[Version, dict[Target, Wheel]]] = {}
    for name, specs in specifiers.items():
        newest = provider.first_choice(name, specs)
        if newest is None:
            return None
        found[name] = newest
    return found


_Walk = tuple[
    dict[NormalizedName, list[SpecifierSet]],
    dict[NormalizedName, set[NormalizedName]],
    dict[NormalizedName, str | None],
]


def _walk(
    versions: dict[NormalizedName, Version], provider: GroupProvider, roots: Sequence[Req]
) -> _Walk | None:
    """Every requirement reachable from the roots under the previous versions, or None if one
    cannot be met by them.  A package the previous group did not need (a Windows-only
    dependency, say) gets the newest version its first requirement allows; the final check
    that every version is the newest under all requirements covers it too."""
    specifiers: dict[NormalizedName, list[SpecifierSet]] = {}
    children: dict[NormalizedName, set[NormalizedName]] = {}
    requires_python: dict[NormalizedName, str | None] = {}
    expanded: set[tuple[NormalizedName, frozenset[NormalizedName]]] = set()
    queue = list(roots)
    while queue:
        requirement = queue.pop()
        version = versions.get(requirement.name)
        if version is None:
            newest = provider.first_choice(requirement.name, [requirement.specifier])
            if newest is None:
                return None
            version = versions[requirement.name] = newest[0]
        if not admits(requirement.specifier, version):
            return None
        specifiers.setdefault(requirement.name, []).append(requirement.specifier)
        key = (requirement.name, requirement.extras)
        if key in expanded:
            continue
        expanded.add(key)
        metadata = provider.metadata_for(requirement.name, version)
        spec = metadata.requires_python
        if spec is not None and not provider.python_fits(spec):
            return None
        requires_python[requirement.name] = str(spec) if spec is not None else None
        if requirement.extras:
            base = f"=={version}"
            name = requirement.name
            queue.append(Req(name=name, specifier=SpecifierSet(base), text=name + base))
        active = requirement.extras or frozenset({NormalizedName("")})
        for dependency in provider.dependencies_of(metadata, active):
            if dependency.name == PYTHON:
                continue
            if dependency.name != requirement.name:
                children.setdefault(requirement.name, set()).add(dependency.name)
            queue.append(dependency)
    return specifiers, children, requires_python
