"""Several indexes behind the face of one: each project page from the index the list routes to.

:class:`IndexRouter` holds one :class:`~omniwheel.index.client.IndexClient` per index of an
:class:`~omniwheel.index.indexes.IndexList` and answers what a single client answers (pages,
metadata, statistics), so :class:`~omniwheel.index.session.IndexSession`, the resolver and the
prefetch crawl read several indexes without knowing it (:class:`AsyncIndex` is what they need).

``page(name)`` asks the candidates of ``name`` in order (its pinned index alone, else every
index that is not explicit) and takes the first that lists it; later indexes are not asked, so
a run with several indexes costs one request per project per index until the project is found,
and nothing more on the first.  An index's failure is the answer's failure: falling through to
the next index would let it serve a name the failing one owns.  A wheel's metadata comes from
the index whose page listed it.

Which other indexes also list a locked project is asked afterwards, for the locked names only
(:meth:`IndexRouter.shadowed`): a run with one index never asks it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import fields
from typing import Protocol

from packaging.utils import NormalizedName

from omniwheel.index.client import IndexClient, IndexStats, finished
from omniwheel.index.indexes import Index, IndexList, NoIndexForPackageError
from omniwheel.index.models import CoreMetadata, ProjectPage, Wheel

__all__ = ["AsyncIndex", "IndexRouter"]


class AsyncIndex(Protocol):
    """What the session and the prefetch crawl use of an index client, on the client's loop."""

    @property
    def stats(self) -> IndexStats: ...

    def page(self, name: NormalizedName) -> Awaitable[ProjectPage | None]: ...

    def finished_page(self, name: NormalizedName) -> tuple[bool, ProjectPage | None]: ...

    def metadata(self, wheel: Wheel) -> Awaitable[CoreMetadata]: ...

    def finished_metadata(self, wheel: Wheel) -> CoreMetadata | None: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


class IndexRouter:
    """One client per index; pages routed by the list's rules, metadata to the page's index.

    Made and used on one event loop (a session's), like the clients it holds."""

    def __init__(self, indexes: IndexList, clients: Mapping[str, IndexClient]) -> None:
        self._indexes = indexes
        self._clients = dict(clients)
        self._pages: dict[NormalizedName, asyncio.Future[ProjectPage | None]] = {}
        self._owners: dict[NormalizedName, Index] = {}

    @property
    def stats(self) -> IndexStats:
        """Every client's statistics added up."""
        total = IndexStats()
        for client in self._clients.values():
            for item in fields(IndexStats):
                mine, theirs = getattr(total, item.name), getattr(client.stats, item.name)
                setattr(total, item.name, mine + theirs)
        return total

    def page(self, name: NormalizedName) -> Awaitable[ProjectPage | None]:
        future = self._pages.get(name)
        if future is None:
            future = self._pages[name] = asyncio.ensure_future(self._route(name))
        return future

    async def _route(self, name: NormalizedName) -> ProjectPage | None:
        candidates = self._indexes.candidates(name)
        if not candidates:
            raise NoIndexForPackageError(name)
        for index in candidates:
            page = await self._clients[index.name].page(name)
            if page is not None:
                self._owners[name] = index
                return page
        return None

    def finished_page(self, name: NormalizedName) -> tuple[bool, ProjectPage | None]:
        """As :meth:`IndexClient.finished_page`: safe from another thread."""
        return finished(self._pages.get(name))

    def metadata(self, wheel: Wheel) -> Awaitable[CoreMetadata]:
        owner = self._owners.get(wheel.name)
        if owner is not None:
            return self._clients[owner.name].metadata(wheel)
        return asyncio.ensure_future(self._metadata_after_page(wheel))

    async def _metadata_after_page(self, wheel: Wheel) -> CoreMetadata:
        """A wheel's metadata asked before its page was routed (a caller that kept a page from
        elsewhere): route the page first, then ask its index."""
        await self.page(wheel.name)
        owner = self._owners.get(wheel.name) or self._indexes.candidates(wheel.name)[0]
        return await self._clients[owner.name].metadata(wheel)

    def finished_metadata(self, wheel: Wheel) -> CoreMetadata | None:
        owner = self._owners.get(wheel.name)
        return None if owner is None else self._clients[owner.name].finished_metadata(wheel)

    def index_of(self, name: NormalizedName) -> Index | None:
        """The index whose page of ``name`` was taken, once one was."""
        return self._owners.get(name)

    async def shadowed(
        self, names: Iterable[NormalizedName]
    ) -> dict[NormalizedName, tuple[str, ...]]:
        """For each of ``names`` taken from an index and not pinned by a source: the names of
        the later indexes, explicit ones left out, that list it too (only names some later
        index lists).  One page request per name per later index, all at once."""
        asked: list[tuple[NormalizedName, Index]] = []
        for name in names:
            owner = self._owners.get(name)
            if owner is None or name in self._indexes.sources:
                continue
            order = [index for index in self._indexes.indexes if not index.explicit]
            asked += [(name, later) for later in order[order.index(owner) + 1 :]]
        pages = await asyncio.gather(*(self._clients[i.name].page(n) for n, i in asked))
        found: dict[NormalizedName, tuple[str, ...]] = {}
        for (name, index), page in zip(asked, pages, strict=True):
            if page is not None:
                found[name] = (*found.get(name, ()), index.name)
        return found

    async def __aexit__(self, *exc_info: object) -> None:
        for client in self._clients.values():
            await client.__aexit__(*exc_info)
