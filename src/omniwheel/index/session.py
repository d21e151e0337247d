"""A synchronous face for the async index client, for the (synchronous) resolver.

The client runs on a private event loop in a daemon thread.  The resolver asks with blocking calls;
prefetches schedule work on the loop and return at once, so pages and metadata the resolver will ask
for next are usually already there.  A prefetch that fails is forgotten: the blocking call for the
same item awaits the same memoised task and raises its error.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

from packaging.utils import NormalizedName

from omniwheel.index.client import IndexStats
from omniwheel.index.models import CoreMetadata, ProjectPage, Wheel
from omniwheel.index.routing import AsyncIndex

_T = TypeVar("_T")


class IndexSession:
    """Blocking access to an :class:`~omniwheel.index.client.IndexClient` (or an
    :class:`~omniwheel.index.routing.IndexRouter` over several) created on the session's own
    loop."""

    def __init__(self, make_client: Callable[[], AsyncIndex]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        try:
            self._client: AsyncIndex = self._call(_make(make_client))
        except BaseException:
            self._stop_loop()  # no client, so no session: leave no thread behind
            raise
        self._pages: dict[str, ProjectPage | None] = {}
        self._metadata: dict[str, CoreMetadata] = {}
        # What was hinted already: the client memoises each fetch, so hinting it again would
        # only wake the loop thread for nothing.
        self._hinted_pages: set[str] = set()
        self._hinted_metadata: set[str] = set()

    def __enter__(self) -> IndexSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stats(self) -> IndexStats:
        return self._client.stats

    def page(self, name: NormalizedName) -> ProjectPage | None:
        # Pages are asked for thousands of times; crossing to the loop thread each time costs more
        # than the resolver's own work, so finished pages are also kept on this side.
        # A page that a prefetch already brought is taken without waiting for the loop, which may
        # be busy with the prefetches still going.
        if name in self._pages:
            return self._pages[name]
        finished, page = self._client.finished_page(name)
        if not finished:
            page = self._call(_page(self._client, name))
        self._pages[name] = page
        return page

    def metadata(self, wheel: Wheel) -> CoreMetadata:
        known = self._metadata.get(wheel.file.url)
        if known is None:
            known = self._client.finished_metadata(wheel)
        if known is None:
            known = self._call(_metadata(self._client, wheel))
        self._metadata[wheel.file.url] = known
        return known

    def run(self, work: Callable[[AsyncIndex], Coroutine[Any, Any, _T]]) -> _T:
        """Run ``work(client)`` on the loop and wait for its result (or its error)."""
        return self._call(work(self._client))

    def prefetch(self, work: Callable[[AsyncIndex], Coroutine[Any, Any, object]]) -> None:
        """Run ``work(client)`` on the loop without waiting; its failure is dropped.  After
        :meth:`close` a hint is ignored (no coroutine is made that nothing would await)."""
        if self._loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(work(self._client), self._loop)
        future.add_done_callback(_forget)

    def prefetch_pages(self, names: Iterable[NormalizedName]) -> None:
        """Ask for the pages not already here or asked for, in one crossing to the loop.

        The resolver hints every dependency of every candidate it looks at, mostly pages it
        already has or has hinted: each crossing wakes the loop thread (hundreds per lock), so
        those are not sent, and the rest go together."""
        wanted = [
            name
            for name in dict.fromkeys(names)
            if name not in self._pages
            and name not in self._hinted_pages
            and not self._client.finished_page(name)[0]
        ]
        if wanted:
            self._hinted_pages.update(wanted)
            self.prefetch(lambda client: _pages(client, wanted))

    def prefetch_metadata(self, wheel: Wheel) -> None:
        """Ask for ``wheel``'s metadata unless it is already here or asked for (see
        :meth:`prefetch_pages`)."""
        url = wheel.file.url
        if url in self._metadata or url in self._hinted_metadata:
            return
        if self._client.finished_metadata(wheel) is not None:
            return
        self._hinted_metadata.add(url)
        self.prefetch(lambda client: _metadata(client, wheel))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._call(_shut_down(self._client))
        self._stop_loop()

    def _stop_loop(self) -> None:
        """Stop the loop and join its thread, then, on this thread, finish what the last
        iteration left (a task started but never run) and wait for the loop's executor threads
        (name lookups), so that nothing runs or imports once the caller goes on — an error is
        printed next, and a coroutine never run would be reported when collected."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        try:
            self._loop.run_until_complete(_cancel_all())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        future: Future[_T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()


async def _make(make_client: Callable[[], AsyncIndex]) -> AsyncIndex:
    return make_client()


# The client's memoising methods create tasks, so they must be called on the loop's thread:
# these coroutines are what crosses threads, and they call the client once they run there.
async def _page(client: AsyncIndex, name: NormalizedName) -> ProjectPage | None:
    return await client.page(name)


async def _metadata(client: AsyncIndex, wheel: Wheel) -> CoreMetadata:
    return await client.metadata(wheel)


async def _pages(client: AsyncIndex, names: list[NormalizedName]) -> None:
    """Fetch the pages together; a failure is left for the blocking call to meet."""
    await asyncio.gather(*(client.page(name) for name in names), return_exceptions=True)


async def _shut_down(client: AsyncIndex) -> None:
    """Cancel prefetches still running (their results are no longer wanted), then close."""
    await _cancel_all()
    await client.__aexit__(None, None, None)


async def _cancel_all() -> None:
    """Cancel every other task and wait for them, again while cancelling starts new ones.

    Each round first lets tasks made in the last loop step take their own first step: a task
    wrapping a coroutine (a fetch that was memoised but not yet run, or what a caller's task
    group started) and cancelled before it ever ran never starts that coroutine, which Python
    then reports as "never awaited" when it is collected."""
    current = asyncio.current_task()
    while pending := [task for task in asyncio.all_tasks() if task is not current]:
        await asyncio.sleep(0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _forget(future: Future[object]) -> None:
    if not future.cancelled():
        future.exception()
