"""Where targets got different versions of a package, and why.

A per-platform resolution lets each target take the newest version its wheels allow; the summary
must say every place where that made targets differ.  The reason is found by asking the index page
about the newer version the lagging target did not take: it has no wheel for that target, or its
Requires-Python excludes the target's Python, or other requirements held the target back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index.models import ProjectPage
from omniwheel.platform.describe import describe_targets
from omniwheel.platform.target import Target
from omniwheel.resolve.candidates import FilePolicy, best_wheel, visible_wheels
from omniwheel.resolve.resolution import MatrixResolution


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """One package with more than one version across the lock's targets."""

    name: NormalizedName
    targets_by_version: tuple[tuple[Version, tuple[Target, ...]], ...]  # newest first
    reasons: tuple[tuple[Version, str], ...]  # for each older version: why

    def describe(self, among: Collection[Target] = ()) -> str:
        """``numpy: 2.5.4 on Python 3.12, 3.13 (all platforms); 2.4.6 on … (reason)``."""
        parts = []
        reasons = dict(self.reasons)
        for version, targets in self.targets_by_version:
            names = describe_targets(targets, among)
            reason = reasons.get(version)
            parts.append(f"{version} on {names}" + (f" ({reason})" if reason else ""))
        return f"{self.name}: " + "; ".join(parts)


def find_divergences(
    resolution: MatrixResolution,
    page: Callable[[NormalizedName], ProjectPage | None],
    policy: FilePolicy,
) -> list[Divergence]:
    """Every package whose version differs between targets, with reasons for the older ones."""
    names = sorted({name for group in resolution.groups for name in group.pins})
    found = []
    for name in names:
        by_target = resolution.versions(name)
        versions = sorted(set(by_target.values()), reverse=True)
        if len(versions) < 2:
            continue
        grouped = tuple(
            (v, tuple(sorted((t for t, tv in by_target.items() if tv == v), key=Target.sort_key)))
            for v in versions
        )
        project = page(name)
        reasons = tuple(
            (version, _reason(project, versions[0], targets, policy))
            for version, targets in grouped[1:]
        )
        found.append(Divergence(name=name, targets_by_version=grouped, reasons=reasons))
    return found


def _reason(
    project: ProjectPage | None, newest: Version, targets: tuple[Target, ...], policy: FilePolicy
) -> str:
    if project is None or newest not in project.wheels_by_version:
        return "held back by other requirements"
    wheels = visible_wheels(project.wheels_by_version[newest], policy, pinned=True)
    lacking = [t for t in targets if best_wheel(wheels, t) is None]
    if not lacking:
        return "held back by other requirements"
    target = lacking[0]
    platforms = {tag.platform for tag in target.tags}
    on_platform = [w for w in wheels if any(tag.platform in platforms for tag in w.tags)]
    for wheel in on_platform:
        if wheel.requires_python is not None and not target.fits_requires_python(
            wheel.requires_python
        ):
            return f"{newest} requires Python {wheel.requires_python}"
    if on_platform:
        return f"{newest} has no wheel for CPython {target.python_version}"
    return f"{newest} has no wheel for {target.platform_name}"
