"""Reusing one group's resolution for the next group of targets, when it provably holds there.

Most targets of a matrix resolve to nearly the same versions; running the backtracking resolver
again for each costs more than the rest of a warm lock.  A previous resolution holds for a new
group when, walking the dependency graph from the roots with the new group's markers:

- every package reached is pinned in the previous resolution at a version its requirements allow,
  whose Requires-Python fits the new targets, and
- every pin is the newest version the new group could use under all the requirements placed on it
  (its wheels fit every new target; caps and cutoff apply).

Then every package is at the newest version its requirements and wheels allow — the fixed point
that a per-target resolution without backtracking reaches — so the result is the one resolvelib
would give.  Otherwise (a different version, a package the previous group did not need) the caller
resolves the group from scratch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.resolve.candidates import iter_usable_versions
from omniwheel.resolve.provider import PYTHON, GroupProvider, Req
from omniwheel.resolve.resolution import GroupResolution, Pin


def reuse_resolution(
    previous: GroupResolution,
    provider: GroupProvider,
    roots: Sequence[Req],
    caps: Mapping[NormalizedName, Version],
) -> GroupResolution | None:
    """The previous group's pins as this group's resolution, or None when they do not hold."""
    walk = _walk(previous.pins, provider, roots)
    if walk is None:
        return None
    specifiers, children, requires_python = walk
    pins: dict[NormalizedName, Pin] = {}
    for name, specs in sorted(specifiers.items()):
        page = provider.page(name)
        if page is None:
            return None
        allowed = list(specs)
        if name in caps:
            allowed.append(SpecifierSet(f"<={caps[name]}"))
        newest = next(iter_usable_versions(page, allowed, provider.targets, provider.policy), None)
        if newest is None or newest[0] != previous.pins[name].version:
            return None
        pins[name] = Pin(
            name=name,
            version=newest[0],
            wheels=newest[1],
            dependencies=tuple(sorted(children.get(name, ()))),
            requires_python=requires_python.get(name),
        )
    return GroupResolution(
        targets=provider.targets,
        pins=pins,
        roots=tuple(sorted({root.name for root in roots})),
    )


_Walk = tuple[
    dict[NormalizedName, list[SpecifierSet]],
    dict[NormalizedName, set[NormalizedName]],
    dict[NormalizedName, str | None],
]


def _walk(
    pins: Mapping[NormalizedName, Pin], provider: GroupProvider, roots: Sequence[Req]
) -> _Walk | None:
    """Every requirement reachable from the roots under the previous pins, or None if one
    cannot be met by them."""
    specifiers: dict[NormalizedName, list[SpecifierSet]] = {}
    children: dict[NormalizedName, set[NormalizedName]] = {}
    requires_python: dict[NormalizedName, str | None] = {}
    expanded: set[tuple[NormalizedName, frozenset[NormalizedName]]] = set()
    queue = list(roots)
    while queue:
        requirement = queue.pop()
        pin = pins.get(requirement.name)
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            return None
        specifiers.setdefault(requirement.name, []).append(requirement.specifier)
        key = (requirement.name, requirement.extras)
        if key in expanded:
            continue
        expanded.add(key)
        metadata = provider.metadata_for(requirement.name, pin.version)
        spec = metadata.requires_python
        if spec is not None and not provider.python_fits(spec):
            return None
        requires_python[requirement.name] = str(spec) if spec is not None else None
        if requirement.extras:
            base = f"=={pin.version}"
            queue.append(Req(name=pin.name, specifier=SpecifierSet(base), text=pin.name + base))
        active = requirement.extras or frozenset({NormalizedName("")})
        for dependency in provider.dependencies_of(metadata, active):
            if dependency.name == PYTHON:
                continue
            if dependency.name != requirement.name:
                children.setdefault(requirement.name, set()).add(dependency.name)
            queue.append(dependency)
    return specifiers, children, requires_python
