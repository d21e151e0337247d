"""Packages a target needs only on some patch releases of its Python, and the marker saying which.

Target ``3.12`` stands for every ``3.12.y``.  A dependency written ``late; python_full_version >=
"3.12.4"`` is needed on 3.12.5 but not on 3.12.1, so the resolver includes it (markers are
evaluated at the lowest and highest release the target stands for), and the lock must keep that
marker so that the installer decides on the real interpreter.  This module walks a group's
resolution from the requirements of one root of the project (its dependencies, an extra, a
dependency group) and gives each package that root reaches only through such patch-dependent
edges the condition under which it needs it: the edge markers, joined along paths (``and``) and
across paths (``or``).  Each root is walked on its own, so a package the project's dependencies
need everywhere and a group needs from 3.12.4 on is conditional for the group alone, and two
roots' conditions never mix.  Markers that mention ``extra`` are not carried (the lock's marker
language has no ``extra`` variable): their packages stay unconditional, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.project.roots import Root
from omniwheel.resolve.provider import GroupProvider
from omniwheel.resolve.resolution import Pin

# A condition longer than this is not worth carrying: the package is treated as always needed.
MAX_CONDITION = 400

Condition = str | None  # None: needed on every patch release


def root_conditions(
    pins: Mapping[NormalizedName, Pin],
    provider: GroupProvider,
    roots: Mapping[Root, Sequence[Requirement]],
) -> dict[Root, dict[NormalizedName, str]]:
    """Each root's packages needed only on some patch releases, with the condition along that
    root's paths (:func:`patch_conditions` of its requirements); roots with none are left out."""
    found = {root: patch_conditions(pins, provider, reqs) for root, reqs in roots.items()}
    return {root: conditions for root, conditions in found.items() if conditions}


def patch_conditions(
    pins: Mapping[NormalizedName, Pin],
    provider: GroupProvider,
    roots: Sequence[Requirement],
) -> dict[NormalizedName, str]:
    """Each pinned package needed only on some patch releases, with its condition."""
    conditions: dict[NormalizedName, Condition] = {}
    expanded: dict[tuple[NormalizedName, frozenset[NormalizedName]], Condition] = {}
    queue: list[tuple[NormalizedName, frozenset[NormalizedName], Condition]] = []
    for requirement in roots:
        if provider.applies(requirement.marker, [""]):
            edge = _edge(provider, requirement.marker, [""])
            queue.append((_name(requirement), _extras(requirement), edge))
    while queue:
        name, extras, incoming = queue.pop()
        if name not in pins:
            continue
        merged = _either(conditions.get(name, _UNSEEN), incoming)
        conditions[name] = merged
        key = (name, extras)
        if key in expanded and expanded[key] == merged:
            continue
        expanded[key] = merged
        metadata = provider.metadata_for(name, pins[name].version)
        active = [*extras, ""]
        for dependency, marker, text in provider.applicable(metadata, active):
            edge = _edge(provider, marker, active, text)
            queue.append((dependency.name, dependency.extras, _both(merged, edge)))
    return {name: cond for name, cond in sorted(conditions.items()) if isinstance(cond, str)}


_UNSEEN = "<unseen>"


def _edge(
    provider: GroupProvider, marker: Marker | None, extras: Iterable[str], text: str | None = None
) -> Condition:
    """The marker's text when the edge holds on some patch releases only (``text`` is
    ``str(marker)`` when the caller has it)."""
    if marker is None or not provider.patch_dependent(marker, extras):
        return None
    text = str(marker) if text is None else text
    return None if "extra" in text else text


def _either(current: Condition, incoming: Condition) -> Condition:
    """Needed when either holds (``or``); unconditional if one is."""
    if current == _UNSEEN:
        return incoming
    if current is None or incoming is None:
        return None
    if current == incoming:
        return current
    joined = f"({current}) or ({incoming})"
    return joined if len(joined) <= MAX_CONDITION else None


def _both(parent: Condition, edge: Condition) -> Condition:
    """Needed when the parent is and the edge holds (``and``)."""
    if parent is None:
        return edge
    if edge is None or edge == parent:
        return parent
    joined = f"({parent}) and ({edge})"
    return joined if len(joined) <= MAX_CONDITION else None


def _name(requirement: Requirement) -> NormalizedName:
    return canonicalize_name(requirement.name)


def _extras(requirement: Requirement) -> frozenset[NormalizedName]:
    return frozenset(canonicalize_name(extra) for extra in requirement.extras)
