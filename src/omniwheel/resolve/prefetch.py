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
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.index.models import ProjectPage
from omniwheel.index.routing import AsyncIndex
from omniwheel.platform.target import Target
from omniwheel.resolve.candidates import FilePolicy, metadata_wheel, newest_usable
from omniwheel.resolve.marker_answers import MarkerAnswers

if TYPE_CHECKING:
    from omniwheel.index.client import IndexStats


class _Crawl:
    def __init__(self, client: AsyncIndex, targets: Sequence[Target], policy: FilePolicy) -> None:
        self._client = client
        self._policy = policy
        self._seen: set[tuple[NormalizedName, str, frozenset[NormalizedName], Target]] = set()
        # Dependency markers repeat across packages: each text is evaluated once per target and
        # extra, at the target's lowest patch release (this crawl's own answers: it runs on the
        # client's loop thread, apart from the resolver).
        self._answers = MarkerAnswers()

    def needing(
        self, marker: Marker | None, targets: Sequence[Target], extras: Sequence[str]
    ) -> list[Target]:
        """The targets on which a requirement with this marker applies, for one of ``extras``."""
        if marker is None:
            return list(targets)
        return [
            t
            for t in targets
            if any(
                self._answers.holds(marker, self._answers.environments_of(t)[0], e) for e in extras
            )
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
        newest = newest_usable(page, [requirement.specifier], fresh, self._policy)
        for target in fresh:
            if target in newest:
                chosen.setdefault(newest[target], []).append(target)
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


POLL_SECONDS = 0.01


async def crawl_once_fetching(
    client: AsyncIndex,
    requirements: Sequence[Requirement],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> None:
    """:func:`crawl`, started once the client has had to ask the index for something.

    The crawl only hides the index's latency.  While every page and metadata file comes from
    the cache without asking (a warm lock: pages fetched after ``exclude-newer``, metadata kept
    by hash), walking the graph ahead of the resolver fetches nothing and costs the resolver its
    CPU time.  So the walk waits, polling the client's counters, and starts at the first page
    fetched or revalidated or the first metadata read from the index — on a cold lock, the
    first root page to arrive, the roots' pages being fetched by then anyway.  Like any
    prefetch it is cancelled when the session closes; awaited on its own it waits until then.
    """
    while not _asked_index(client.stats):
        await asyncio.sleep(POLL_SECONDS)
    await crawl(client, requirements, targets, policy)


def _asked_index(stats: IndexStats) -> bool:
    """Whether a page or metadata came from the index rather than from the cache alone."""
    fetched = stats.pages_fetched + stats.pages_revalidated
    return fetched + stats.metadata_file + stats.metadata_range + stats.metadata_download > 0


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
