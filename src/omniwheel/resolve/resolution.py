"""What resolution produces: per group of targets, a pin per package with each target's wheel.

Plain values shared by the matrix driver, the cross-target reuse check, the lock model and the
divergence report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import Wheel
from omniwheel.platform.target import Target
from omniwheel.resolve.candidates import FilePolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveRequest:
    """Everything resolution depends on, besides the index."""

    requirements: tuple[Requirement, ...]
    targets: tuple[Target, ...]
    policy: FilePolicy
    uniform: bool = False
    skip_targets_without_wheels: bool = False
    locked: Mapping[Target, Mapping[NormalizedName, Version]] = field(default_factory=dict)
    """Versions an existing lock has per target: kept when still allowed (no ``--upgrade``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One package chosen for a group: its version, each target's wheel, what it depends on."""

    name: NormalizedName
    version: Version
    wheels: Mapping[Target, Wheel] = field(hash=False)
    dependencies: tuple[NormalizedName, ...]
    requires_python: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResolution:
    """The resolution shared by targets that markers cannot tell apart."""

    targets: tuple[Target, ...]
    pins: Mapping[NormalizedName, Pin] = field(hash=False)
    roots: tuple[NormalizedName, ...]
    conditions: Mapping[NormalizedName, str] = field(default_factory=dict, hash=False)
    """Packages needed only on some patch releases of the group's Python: the marker saying when."""


def group_resolution(
    targets: tuple[Target, ...],
    chosen: Mapping[NormalizedName, tuple[Version, Mapping[Target, Wheel]]],
    *,
    children: Mapping[NormalizedName, Iterable[NormalizedName]],
    requires_python: Mapping[NormalizedName, str | None],
    roots: Iterable[NormalizedName],
) -> GroupResolution:
    """A group's resolution from each package's version and wheels, everything sorted by name
    (resolvelib's answer and a reused one must give the same lock)."""
    pins = {
        name: Pin(
            name=name,
            version=version,
            wheels=wheels,
            dependencies=tuple(sorted(children.get(name, ()))),
            requires_python=requires_python.get(name),
        )
        for name, (version, wheels) in sorted(chosen.items())
    }
    return GroupResolution(targets=targets, pins=pins, roots=tuple(sorted(set(roots))))


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedTarget:
    target: Target
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixResolution:
    groups: tuple[GroupResolution, ...]
    skipped: tuple[SkippedTarget, ...] = ()

    def versions(self, name: NormalizedName) -> dict[Target, Version]:
        """The version of a package on each target that needs it."""
        return {
            target: group.pins[name].version
            for group in self.groups
            if name in group.pins
            for target in group.targets
        }
