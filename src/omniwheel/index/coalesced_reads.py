"""Reading HTTP over TLS in fewer, larger pieces, for httpx's HTTP/1.1 connections: the store's
wheel downloads and the index client's requests (:mod:`omniwheel.index.threaded_http`).

A TLS socket's read returns one TLS record, at most 16 KiB, and httpx's HTTP/1.1 stack
(httpcore, then h11) makes some thirty Python calls for each read of its connection: the bench
workload's 156 MB of wheels took ~9,700 trips through that stack, which cost more CPU than
decrypting the bytes.  :func:`coalesce_reads` gives an httpx client's connection pools a network
backend whose TLS streams, after each read, go on taking the records that have already arrived
(without waiting for more) up to :data:`READ_BYTES`: the same bytes in the same order, in ~700
reads.  The 156 MB on 8 threads took 0.77-0.84 s of user CPU before, 0.44-0.58 s after.

Only a TLS stream opened straight on a TCP connection is coalesced: a stream whose TLS runs inside
another TLS connection (an HTTPS proxy's tunnel) reads as before, and so does plain TCP, whose
reads already return everything that has arrived.  An error met while taking more records is left
for the next read, which meets it again through httpcore's own error mapping.

The backend is set on the client's pools (``_network_backend``: httpx takes no backend of its
own); a client whose pools do not look as expected is left as it is.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import httpcore

if TYPE_CHECKING:
    import httpx

READ_BYTES = 256 * 1024
"""The most one read returns.  More than httpcore asks for (64 KiB): h11 takes any amount, and
16 records per read cost less than 4 (0.44-0.58 s against 0.59-0.76 s for the bench's wheels)."""

_NOTHING_MORE = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError)


class DelegatingStream(httpcore.NetworkStream):
    """A network stream that does what ``inner`` does; subclasses change a part of it."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return self._inner.start_tls(ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class CoalescingStream(DelegatingStream):
    """A network stream whose reads over TLS also take the records already arrived."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        super().__init__(inner)
        sock = inner.get_extra_info("socket")
        self._tls = sock if isinstance(sock, ssl.SSLSocket) else None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, timeout)
        if self._tls is None or not data:
            return data
        parts = [data]
        size = len(data)
        self._tls.setblocking(False)
        try:
            while size < READ_BYTES:
                more = self._tls.recv(READ_BYTES - size)
                if not more:
                    break
                parts.append(more)
                size += len(more)
        except _NOTHING_MORE:
            pass
        except OSError:
            pass  # the next read meets it again, and httpcore words it
        finally:
            self._tls.settimeout(timeout)
        return data if len(parts) == 1 else b"".join(parts)

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(ssl_context, server_hostname, timeout)
        if self._tls is not None:
            return upgraded  # TLS inside TLS: its socket is the outer connection's
        return CoalescingStream(upgraded)


class WrappingBackend(httpcore.NetworkBackend):
    """httpcore's network backend ``inner``, each stream it opens passed through ``wrap``."""

    def __init__(
        self,
        inner: httpcore.NetworkBackend,
        wrap: Callable[[httpcore.NetworkStream], httpcore.NetworkStream],
    ) -> None:
        self._inner = inner
        self._wrap = wrap

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self._wrap(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self._wrap(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class CoalescingBackend(WrappingBackend):
    """httpcore's network backend ``inner``, its streams made :class:`CoalescingStream`."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        super().__init__(inner, CoalescingStream)


def coalesce_reads(client: httpx.Client) -> int:
    """Give ``client``'s connection pools (direct and through proxies) a
    :class:`CoalescingBackend`, before it opens a connection; how many pools got one."""
    return replace_pool_backends(
        client,
        lambda backend: (
            backend if isinstance(backend, CoalescingBackend) else CoalescingBackend(backend)
        ),
    )


def replace_pool_backends(
    client: httpx.Client, make: Callable[[httpcore.NetworkBackend], httpcore.NetworkBackend]
) -> int:
    """Give each of ``client``'s connection pools (direct and through proxies) the backend
    ``make`` builds around its own, before it opens a connection; how many pools changed.

    httpx takes no network backend: its pools' are replaced (see the module's docstring), and a
    pool that does not look as expected is left as it is."""
    transports = [client._transport, *client._mounts.values()]
    changed = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            replacement = make(backend)
            if replacement is not backend:
                setattr(pool, "_network_backend", replacement)  # noqa: B010
                changed += 1
    return changed
