"""Blocking HTTP/1.1 requests on a pool of threads, awaited from the index client's event loop.

A cold lock is bound by this process's CPU.  httpx's async HTTP/2 client spent about 1.3 s of
CPU to bring the bench workload's 35 MB of index pages (asyncio, anyio, and h2's per-frame flow
control, a dozen Python calls per 16 KiB frame); the blocking HTTP/1.1 client on threads spent
about 0.55 s, and 0.4 s with TLS reads that take every record already arrived
(:mod:`omniwheel.index.coalesced_reads`): its threads wait for the network and decrypt without
holding the interpreter lock.  The client keeps its async face (memoised fetches, retries,
limits); only each request runs on a thread.

Closing has to be prompt: a lock that fails stops its index session while prefetches are still
running, and prints its error only once no thread of the session is left (nothing may import
while the error is rendered).  A blocking read does not end when another thread closes its
socket, so :meth:`ThreadedHttp.close` first shuts down every connection's socket (which ends
the reads waiting on it at once), then closes the pool and waits for the threads.  A thread
still resolving a host name or connecting ends with its connect timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpcore

from omniwheel.index.coalesced_reads import (
    CoalescingBackend,
    DelegatingStream,
    WrappingBackend,
    replace_pool_backends,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["ThreadedHttp"]


class ThreadedHttp:
    """An ``httpx.Client`` whose requests run on ``connections`` threads, one connection each."""

    def __init__(
        self,
        *,
        connections: int,
        verify: ssl.SSLContext | bool,
        timeout: httpx.Timeout,
        headers: dict[str, str],
    ) -> None:
        import httpx  # here, not at the top: kept off the warm path

        self._client = httpx.Client(
            verify=verify,
            timeout=timeout,
            follow_redirects=True,
            headers=headers,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self._sockets = _Sockets()
        _wrap_backends(self._client, self._sockets)
        self._threads = ThreadPoolExecutor(connections, thread_name_prefix="index-http")

    async def get(
        self, url: str, *, headers: dict[str, str] | None, auth: httpx.Auth | None
    ) -> httpx.Response:
        """GET ``url`` on a thread, its body read there too."""
        request = functools.partial(self._fetched, url, headers=headers, auth=auth)
        return await asyncio.get_running_loop().run_in_executor(self._threads, request)

    def _fetched(
        self, url: str, *, headers: dict[str, str] | None, auth: httpx.Auth | None
    ) -> httpx.Response:
        """The response, read, with its body held by the response alone.

        httpx leaves a read response bound to its stream, and the stream to the response: a
        reference cycle, so the body (up to megabytes for an index page) outlives the caller's
        use of it until a garbage collection finds the cycle.  The stream is replaced by one
        over the body already read (as httpx does for a response it builds from bytes), so the
        body is freed as soon as the caller lets the response go."""
        import httpx

        response = self._client.get(url, headers=headers, auth=auth)
        response.stream = httpx.ByteStream(response.content)
        return response

    def close(self) -> None:
        """End the requests still running, close the connections, and wait for the threads."""
        self._threads.shutdown(wait=False, cancel_futures=True)  # none starts from now on
        self._sockets.shut_down_all()
        self._client.close()
        self._threads.shutdown(wait=True)


class _Sockets:
    """The sockets of the connections a pool holds open, to shut them down from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._closed:
                self._open.add(sock)
                return
        _shut_down(sock)  # made while closing: ended at once

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def shut_down_all(self) -> None:
        with self._lock:
            self._closed = True
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    """Shut the socket down for both directions: a read blocked on it returns at once.

    The plain socket's method, also for a TLS socket: ``SSLSocket.shutdown`` would drop the TLS
    object under a read that another thread is still making."""
    with contextlib.suppress(OSError):  # already closed, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _TrackedStream(DelegatingStream):
    """A connection's stream whose socket is known to :class:`_Sockets` while it is open."""

    def __init__(self, inner: httpcore.NetworkStream, sockets: _Sockets) -> None:
        super().__init__(inner)
        self._sockets = sockets
        self._socket = _socket_of(inner)
        if self._socket is not None:
            sockets.add(self._socket)

    def close(self) -> None:
        if self._socket is not None:
            self._sockets.discard(self._socket)
        super().close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _TrackedStream(
            super().start_tls(ssl_context, server_hostname, timeout), self._sockets
        )


def _socket_of(stream: httpcore.NetworkStream) -> socket.socket | None:
    found = stream.get_extra_info("socket")
    return found if isinstance(found, socket.socket) else None


def _wrap_backends(client: httpx.Client, sockets: _Sockets) -> None:
    """Give each of ``client``'s connection pools a backend whose TLS reads are coalesced and
    whose sockets ``sockets`` knows (a pool left as it is ends its requests with their timeouts
    when the client closes)."""
    replace_pool_backends(
        client,
        lambda backend: WrappingBackend(
            CoalescingBackend(backend), lambda stream: _TrackedStream(stream, sockets)
        ),
    )
