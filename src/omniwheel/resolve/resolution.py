"""What resolution produces: per group of targets, a pin per package with each target's wheel.

Plain values shared by the matrix driver, the cross-target reuse check, the lock model and the
divergence report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import Wheel
from omniwheel.platform.target import Target
from omniwheel.project.roots import Root
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
    origins: Mapping[str, tuple[Root, ...]] = field(default_factory=dict)
    """The roots of the project (its dependencies, an extra, a group) asking for each of
    ``requirements``, keyed by the requirement's text: failures name them.  Empty: every
    requirement is the project's own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One package chosen for a group: its version, each target's wheel, what it depends on."""

    name: NormalizedName
    version: Version
    wheels: Mapping[Target, Wheel] = field(hash=False)
    dependencies: tuple[NormalizedName, ...]
    requires_python: str | None = None


ResolvedBy = Literal["resolvelib", "reuse"]
"""How a group's pins were found: by backtracking, or by reusing an earlier group's pins where
:mod:`omniwheel.resolve.reuse` proved them to hold."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResolution:
    """The resolution shared by targets that markers cannot tell apart."""

    targets: tuple[Target, ...]
    pins: Mapping[NormalizedName, Pin] = field(hash=False)
    roots: tuple[NormalizedName, ...]
    conditions: Mapping[Root, Mapping[NormalizedName, str]] = field(
        default_factory=dict, hash=False
    )
    """Per root (the project's dependencies, an extra, a group): the packages it needs only on
    some patch releases of the group's Python, with the marker saying when (roots with none
    are left out; see :mod:`omniwheel.resolve.conditions`)."""
    resolved_by: ResolvedBy = field(default="resolvelib", compare=False)
    """Not part of the answer (both ways must give the same pins), so not compared."""


def group_resolution(
    targets: tuple[Target, ...],
    chosen: Mapping[NormalizedName, tuple[Version, Mapping[Target, Wheel]]],
    *,
    children: Mapping[NormalizedName, Iterable[NormalizedName]],
    requires_python: Mapping[NormalizedName, str | None],
    roots: Iterable[NormalizedName],
    resolved_by: ResolvedBy,
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
    return GroupResolution(
        targets=targets, pins=pins, roots=tuple(sorted(set(roots))), resolved_by=resolved_by
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingWheel:
    """A package with versions that satisfy the requirements, none with a wheel for ``targets``."""

    package: NormalizedName
    targets: tuple[Target, ...]
    """The targets of the group that no satisfying version has a wheel for."""
    versions_tried: tuple[Version, ...]
    """The satisfying versions, newest first (the first few, as the message lists them)."""
    excluded_by: tuple[str, ...] = ()
    """The ``Requires-Python`` specifiers that excluded versions with wheels for the targets'
    platform, when that is why (sorted); empty when the wheels themselves are missing."""

    def describe(self) -> str:
        """``no version of `name` has a wheel for linux-x86_64@3.12, …``, or, when
        ``Requires-Python`` is why, ``… whose Requires-Python admits … (>=3.13)``."""
        names = ", ".join(target.name for target in self.targets)
        if self.excluded_by:
            return (
                f"no version of `{self.package}` has a Requires-Python admitting {names} "
                f"(Requires-Python {' / '.join(self.excluded_by)})"
            )
        return f"no version of `{self.package}` has a wheel for {names}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedTarget:
    """A target left out of the lock (``no-wheel = "skip-target"``) and the wheel it lacked."""

    target: Target
    missing: MissingWheel

    @property
    def reason(self) -> str:
        """The reason as the lock's ``skipped-targets`` and the warning write it."""
        return self.missing.describe()


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

    def unpinned(self) -> MatrixResolution:
        """This resolution for the lock's own targets: each :meth:`Target.unpinned` (a lock
        that pins interpreters resolves every target at its pinned release)."""
        return MatrixResolution(
            groups=tuple(_unpinned_group(group) for group in self.groups),
            skipped=tuple(
                SkippedTarget(
                    target=skip.target.unpinned,
                    missing=replace(skip.missing, targets=_unpinned(skip.missing.targets)),
                )
                for skip in self.skipped
            ),
        )


def _unpinned(targets: Iterable[Target]) -> tuple[Target, ...]:
    return tuple(target.unpinned for target in targets)


def _unpinned_group(group: GroupResolution) -> GroupResolution:
    pins = {
        name: replace(pin, wheels={t.unpinned: wheel for t, wheel in pin.wheels.items()})
        for name, pin in group.pins.items()
    }
    return replace(group, targets=_unpinned(group.targets), pins=pins)
