"""Coalesced TLS reads: the same bytes in fewer reads, plain TCP and TLS inside TLS untouched,
and every pool of an httpx client (direct and through proxies) given the backend once."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from omniwheel.index.coalesced_reads import READ_BYTES, CoalescingStream, coalesce_reads

RECORD = 16 * 1024


class _SocketStream:
    """The least of httpcore's stream that :class:`CoalescingStream` uses, over a socket."""

    def __init__(self, sock: socket.socket, upgraded: object = None) -> None:
        self.sock = sock
        self.upgraded = upgraded

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.sock.settimeout(timeout)
        return self.sock.recv(max_bytes)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.sock.sendall(buffer)

    def close(self) -> None:
        self.sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> object:
        return self.upgraded

    def get_extra_info(self, info: str) -> object:
        return self.sock if info == "socket" else None


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "localhost.pem", directory / "localhost.key"
    command = [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
        *("-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_pair(certificate: tuple[Path, Path]) -> Iterator[tuple[ssl.SSLSocket, ssl.SSLSocket]]:
    """(client, server): the two ends of a TLS connection over a socket pair."""
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    client_end, server_end = socket.socketpair()
    server: list[ssl.SSLSocket] = []
    handshake = threading.Thread(
        target=lambda: server.append(server_context.wrap_socket(server_end, server_side=True))
    )
    handshake.start()
    client = client_context.wrap_socket(client_end, server_hostname="localhost")
    handshake.join()
    yield client, server[0]
    client.close()
    server[0].close()


def test_records_that_have_arrived_come_in_one_read(
    tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket],
) -> None:
    client, server = tls_pair
    payload = bytes(range(256)) * (8 * RECORD // 256)  # eight records
    sender = threading.Thread(target=server.sendall, args=(payload,), daemon=True)
    sender.start()
    sender.join(timeout=10)
    if sender.is_alive():
        pytest.skip("the socket pair's buffers cannot hold eight TLS records")
    # All of it now waits in the client's socket.
    stream = CoalescingStream(_SocketStream(client))  # type: ignore[arg-type]
    first = stream.read(65536, timeout=5)
    assert first == payload  # more than one record, and more than httpcore asked for
    assert client.gettimeout() == 5  # blocking again, with the read's timeout


def test_a_read_returns_at_most_read_bytes_and_the_bytes_stay_in_order(
    tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket],
) -> None:
    client, server = tls_pair
    payload = bytes(i % 251 for i in range(2 * READ_BYTES + 12345))
    sender = threading.Thread(target=server.sendall, args=(payload,))
    sender.start()
    stream = CoalescingStream(_SocketStream(client))  # type: ignore[arg-type]
    received = bytearray()
    while len(received) < len(payload):
        data = stream.read(65536, timeout=5)
        assert 0 < len(data) <= READ_BYTES
        received += data
    sender.join()
    assert bytes(received) == payload


def test_plain_tcp_reads_are_left_as_they_are() -> None:
    reader, writer = socket.socketpair()
    with reader, writer:
        writer.sendall(b"0123456789")
        stream = CoalescingStream(_SocketStream(reader))  # type: ignore[arg-type]
        assert stream.read(4, timeout=5) == b"0123"


def test_tls_inside_tls_is_not_coalesced(tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket]) -> None:
    client, _ = tls_pair
    inner_tunnel = object()
    stream = CoalescingStream(_SocketStream(client, upgraded=inner_tunnel))  # type: ignore[arg-type]
    assert stream.start_tls(ssl.create_default_context()) is inner_tunnel


def test_tls_over_tcp_is_coalesced() -> None:
    reader, writer = socket.socketpair()
    with reader, writer:
        upgraded = _SocketStream(reader)
        stream = CoalescingStream(_SocketStream(writer, upgraded=upgraded))  # type: ignore[arg-type]
        assert isinstance(stream.start_tls(ssl.create_default_context()), CoalescingStream)


def test_every_pool_of_a_client_gets_the_backend_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    with httpx.Client() as client:
        assert coalesce_reads(client) == 3  # direct, and the proxies for http and https
        assert coalesce_reads(client) == 0
