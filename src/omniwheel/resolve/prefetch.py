"""Speculative crawl of the dependency graph, ahead of the resolver.

A cold lock is bound by latency: the resolver learns a project's dependencies only after its
page and then its metadata arrive, one level at a time.  This crawl walks the graph the
resolver will most likely take — for each target, the newest version that has a wheel for it —
with every fetch in flight at once, so that by the time the resolver asks, the answer is
usually already there.  It only warms the client's memoised fetches: it decides nothing, and a
wrong guess costs a fetch, not a wrong lock.  Failures are left for the resolver to meet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.index.models import ProjectPage
from omniwheel.index.routing import AsyncIndex
from omniwheel.platform.target import Target
from omniwheel.resolve.candidates import FilePolicy, iter_usable_versions, metadata_wheel


class _Crawl:
    def __init__(self, client: AsyncIndex, targets: Sequence[Target], policy: FilePolicy) -> None:
        self._client = client
        self._policy = policy
        self._environments = {t: t.marker_environment() for t in targets}
        self._seen: set[tuple[NormalizedName, str, frozenset[NormalizedName], Target]] = set()

    def needing(
        self, marker: Marker | None, targets: Sequence[Target], extras: Sequence[str]
    ) -> list[Target]:
        """The targets on which a requirement with this marker applies, for one of ``extras``."""
        if marker is None:
            return list(targets)
        return [
            t
            for t in targets
            if any(marker.evaluate({**self._environments[t], "extra": e}) for e in extras)
        ]

    async def visit(self, requirement: Requirement, targets: Sequence[Target]) -> None:
        name = canonicalize_name(requirement.name)
        extras = frozenset(canonicalize_name(e) for e in requirement.extras)
        fresh = [
            t for t in targets if (name, str(requirement.specifier), extras, t) not in self._seen
        ]
        if not fresh:
            return
        self._seen.update((name, str(requirement.specifier), extras, t) for t in fresh)
        page = await self._client.page(name)
        if page is None:
            return
        chosen: dict[Version, list[Target]] = {}
        for target in fresh:
            newest = next(
                iter_usable_versions(page, [requirement.specifier], [target], self._policy), None
            )
            if newest is not None:
                chosen.setdefault(newest[0], []).append(target)
        await asyncio.gather(*(self._expand(page, v, ts, extras) for v, ts in chosen.items()))

    async def _expand(
        self,
        page: ProjectPage,
        version: Version,
        targets: list[Target],
        extras: frozenset[NormalizedName],
    ) -> None:
        metadata = await self._client.metadata(metadata_wheel(page, version, self._policy))
        active = [*extras, ""]
        # Decide first, then make the coroutines: one made before a later line raised would
        # never be awaited (and Python would say so on stderr).
        needed = [
            (dep, self.needing(dep.marker, targets, active)) for dep in metadata.requires_dist
        ]
        await asyncio.gather(*(self.visit(dep, needing) for dep, needing in needed if needing))


async def crawl(
    client: AsyncIndex,
    requirements: Sequence[Requirement],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> None:
    """Fetch, concurrently, the pages and metadata a resolution of ``requirements`` will read."""
    walker = _Crawl(client, targets, policy)
    needed = [(r, walker.needing(r.marker, targets, [""])) for r in requirements]
    await asyncio.gather(
        *(walker.visit(r, needing) for r, needing in needed if needing), return_exceptions=True
    )
