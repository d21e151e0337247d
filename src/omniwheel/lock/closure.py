"""Which roots (project dependencies, extras, groups) need each locked package, on which targets.

All roots are resolved together, so one resolution per group of targets holds every package any
root needs.  A root's closure within it is walked from the root's requirements through each
pinned version's ``Requires-Dist``, with the extras each edge asks for (``requests[socks]``
brings ``pysocks`` only to the roots that ask for ``socks``).  Markers are evaluated the way the
resolver does (on the lowest and the highest patch release of each target of the group: true on
either counts), so a root's closure is part of what the resolver pinned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.index.models import CoreMetadata
from omniwheel.platform.target import Target
from omniwheel.project.roots import Root
from omniwheel.resolve.marker_answers import MarkerAnswers
from omniwheel.resolve.resolution import GroupResolution, MatrixResolution

MetadataOf = Callable[[NormalizedName, Version], CoreMetadata]
"""The core metadata of a pinned version (what the resolver read for it)."""

RootNeeds = Mapping[tuple[NormalizedName, Version], Mapping[Root, frozenset[Target]]]
"""Per locked (name, version): each root that needs it and the targets where it does."""


def root_needs(
    resolution: MatrixResolution,
    roots: Mapping[Root, Sequence[Requirement]],
    metadata_of: MetadataOf,
    answers: MarkerAnswers | None = None,
) -> RootNeeds:
    """Each locked package's roots and their targets (see the module docstring); ``answers``
    are the marker answers the resolution kept, if the caller has them."""
    answers = answers or MarkerAnswers()
    needs: dict[tuple[NormalizedName, Version], dict[Root, frozenset[Target]]] = {}
    for group in resolution.groups:
        environments = answers.all_environments(group.targets)
        for root, requirements in roots.items():
            for name in _closure(group, requirements, environments, metadata_of, answers):
                key = (name, group.pins[name].version)
                per_root = needs.setdefault(key, {})
                per_root[root] = per_root.get(root, frozenset()) | frozenset(group.targets)
    return needs


def _closure(
    group: GroupResolution,
    requirements: Sequence[Requirement],
    environments: Sequence[Mapping[str, str]],
    metadata_of: MetadataOf,
    answers: MarkerAnswers,
) -> set[NormalizedName]:
    """The pinned packages that ``requirements`` reach in ``group``."""

    def applies(marker: Marker | None, extras: Sequence[str]) -> bool:
        return answers.holds_somewhere(marker, environments, extras)

    reached: set[NormalizedName] = set()
    expanded: set[tuple[NormalizedName, frozenset[NormalizedName]]] = set()
    queue = [_edge(r) for r in requirements if applies(r.marker, [""])]
    while queue:
        name, extras = queue.pop()
        if name not in group.pins or (name, extras) in expanded:
            continue
        expanded.add((name, extras))
        reached.add(name)
        metadata = metadata_of(name, group.pins[name].version)
        active = [*sorted(extras), ""]
        queue.extend(
            _edge(dependency)
            for dependency in metadata.requires_dist
            if applies(dependency.marker, active)
        )
    return reached


def _edge(requirement: Requirement) -> tuple[NormalizedName, frozenset[NormalizedName]]:
    extras = frozenset(canonicalize_name(extra) for extra in requirement.extras)
    return canonicalize_name(requirement.name), extras
