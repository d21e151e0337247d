"""Both HTTP clients against a real HTTPS server whose certificate they cannot verify.

A certificate the CA bundle does not verify (self-signed, another host's name) fails the same way
on every try, so the wheel fetcher and the index client must fail at once, with one connection
and no back-off: the error names the host and the SSL library's reason, and the hint names the
bundle setting to change.  Given that certificate as the CA bundle, the same requests succeed.

The certificates are made per test session with the ``openssl`` command line tool.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from omniwheel.errors import IndexAccessError
from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.models import JSON_CONTENT_TYPE, ProjectPage
from omniwheel.store import store as store_module
from omniwheel.store.download import WheelFetcher
from omniwheel.store.store import Store, StoreError, TransientFetchError, WheelSource
from tests.support.wheelbuilder import build_wheel

SECRET = "s3cret-tls-token"
SELF_SIGNED = r"self[- ]signed certificate"


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Should a certificate failure be retried after all, the connection count shows it at
    # once, without waiting through the back-off.
    monkeypatch.setattr(store_module, "BACKOFF_SECONDS", 0.0)


# -- certificates and the server -----------------------------------------------------------


def _certificate(directory: Path, name: str, alt_names: str) -> tuple[Path, Path]:
    """A self-signed certificate (CA:TRUE, so it can be its own CA bundle) and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    command = [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
        *("-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_names}"),
        *("-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def localhost_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Valid for the server's address: only the issuer is unknown."""
    return _certificate(tmp_path_factory.mktemp("tls"), "localhost", "DNS:localhost,IP:127.0.0.1")


@pytest.fixture(scope="session")
def other_host_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Made for another host name: trusted as a bundle, it still does not fit the server."""
    return _certificate(tmp_path_factory.mktemp("tls"), "other.test", "DNS:other.test")


class _TlsServer(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1, counting accepted connections (handshakes that failed too)."""

    daemon_threads = True

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.connections = 0
        self.files: dict[str, bytes] = {}

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, object]:
        request = super().get_request()
        self.connections += 1
        return request

    def finish_request(self, request: object, client_address: object) -> None:
        # The handshake runs on the request's thread; a client that rejects the certificate
        # ends it with an alert, which is the expected outcome, not a server error.
        assert isinstance(request, socket.socket)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with tls:
            super().finish_request(tls, client_address)


class _Handler(BaseHTTPRequestHandler):
    """``/simple/demo/``: a PEP 691 page with no files; ``/files/<name>``: a wheel."""

    protocol_version = "HTTP/1.1"
    server: _TlsServer

    def do_GET(self) -> None:
        if self.path.startswith("/simple/"):
            body = json.dumps({"meta": {"api-version": "1.0"}, "name": "demo", "files": []})
            self._send(body.encode(), JSON_CONTENT_TYPE)
        elif (content := self.server.files.get(self.path.removeprefix("/files/"))) is not None:
            self._send(content, "application/octet-stream")
        else:
            self._send(b"not found", "text/plain", status=404)

    def _send(self, body: bytes, content_type: str, *, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _serve(cert: tuple[Path, Path]) -> Iterator[_TlsServer]:
    server = _TlsServer(*cert)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(localhost_cert: tuple[Path, Path]) -> Iterator[_TlsServer]:
    yield from _serve(localhost_cert)


@pytest.fixture
def misnamed_server(other_host_cert: tuple[Path, Path]) -> Iterator[_TlsServer]:
    yield from _serve(other_host_cert)


def _location(server: _TlsServer, cert: Path | None) -> IndexLocation:
    return IndexLocation(
        url=f"https://reader:{SECRET}@{server.origin}/simple/",
        source="--index-url",
        cert=cert,
        cert_source=None if cert is None else "PIP_CERT",
    )


# -- the wheel fetcher ---------------------------------------------------------------------


def _wheel(server: _TlsServer, tmp_path: Path) -> WheelSource:
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    content = path.read_bytes()
    server.files[path.name] = content
    return WheelSource(
        name="demo",
        version="1.0",
        filename=path.name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        url=f"https://reader:{SECRET}@{server.origin}/files/{path.name}",
    )


def _fetch_error(wheel: WheelSource, index: IndexLocation | None, tmp_path: Path) -> StoreError:
    store = Store(tmp_path / "store")
    with WheelFetcher(index=index) as fetcher, pytest.raises(StoreError) as error:
        store.ensure_tree(wheel, fetcher)
    assert not store.has_tree(wheel.sha256)
    return error.value


def _assert_final_and_clean(error: BaseException, hint: str | None, secret: str) -> None:
    assert not isinstance(error, TransientFetchError)
    assert hint
    assert secret not in f"{error} {hint}"


def test_the_fetcher_fails_at_once_on_a_self_signed_certificate(
    server: _TlsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    wheel = _wheel(server, tmp_path)
    error = _fetch_error(wheel, None, tmp_path)
    _assert_final_and_clean(error, error.hint, SECRET)
    assert str(error).startswith(
        f"{wheel.describe()}: the certificate of {server.origin} could not be verified ("
    )
    assert re.search(SELF_SIGNED, str(error))
    assert error.hint == (
        "it was checked against the default CA bundle; point SSL_CERT_FILE (or pip's `cert` "
        f"setting) at the CA bundle that signed {server.origin}'s certificate"
    )
    assert server.connections == 1


def test_the_fetcher_names_the_configured_bundle_on_a_hostname_mismatch(
    misnamed_server: _TlsServer, other_host_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle = other_host_cert[0]
    wheel = _wheel(misnamed_server, tmp_path)
    error = _fetch_error(wheel, _location(misnamed_server, bundle), tmp_path)
    _assert_final_and_clean(error, error.hint, SECRET)
    assert f"the certificate of {misnamed_server.origin} could not be verified (" in str(error)
    assert "mismatch" in str(error)
    assert error.hint == (
        f"it was checked against {bundle} (from PIP_CERT); point PIP_CERT at the CA bundle "
        f"that signed {misnamed_server.origin}'s certificate"
    )
    assert misnamed_server.connections == 1


def test_the_fetcher_names_ssl_cert_file_when_it_is_the_bundle(
    server: _TlsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _certificate(tmp_path, "unrelated", "DNS:unrelated.test")[0]
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    wheel = _wheel(server, tmp_path)
    error = _fetch_error(wheel, None, tmp_path)
    assert f"the certificate of {server.origin} could not be verified" in str(error)
    assert error.hint == (
        f"it was checked against {other} (from SSL_CERT_FILE); point SSL_CERT_FILE at the CA "
        f"bundle that signed {server.origin}'s certificate"
    )
    assert server.connections == 1


def test_the_fetcher_downloads_with_the_certificate_as_its_bundle(
    server: _TlsServer, localhost_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    wheel = _wheel(server, tmp_path)
    with WheelFetcher(index=_location(server, localhost_cert[0])) as fetcher:
        assert Store(tmp_path / "store").ensure_tree(wheel, fetcher)


# -- the index client ----------------------------------------------------------------------


def _page(location: IndexLocation, tmp_path: Path) -> ProjectPage | None:
    async def fetch() -> ProjectPage | None:
        cache = IndexCache(tmp_path / "cache", location.public_url)
        async with IndexClient(location=location, cache=cache, exclude_newer=None) as client:
            return await client.page(canonicalize_name("demo"))

    return asyncio.run(fetch())


def test_the_index_client_fails_at_once_on_a_self_signed_certificate(
    server: _TlsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(IndexAccessError) as caught:
        _page(_location(server, None), tmp_path)
    error = caught.value
    _assert_final_and_clean(error, error.hint, SECRET)
    assert str(error).startswith(f"the certificate of {server.origin} could not be verified (")
    assert re.search(SELF_SIGNED, str(error))
    assert f"at the CA bundle that signed {server.origin}'s certificate" in (error.hint or "")
    assert server.connections == 1


def test_the_index_client_names_the_configured_bundle_on_a_hostname_mismatch(
    misnamed_server: _TlsServer, other_host_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    bundle = other_host_cert[0]
    with pytest.raises(IndexAccessError) as caught:
        _page(_location(misnamed_server, bundle), tmp_path)
    error = caught.value
    _assert_final_and_clean(error, error.hint, SECRET)
    assert "mismatch" in str(error)
    assert error.hint == (
        f"it was checked against {bundle} (from PIP_CERT); point PIP_CERT at the CA bundle "
        f"that signed {misnamed_server.origin}'s certificate"
    )
    assert misnamed_server.connections == 1


def test_the_index_client_reads_pages_with_the_certificate_as_its_bundle(
    server: _TlsServer, localhost_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    page = _page(_location(server, localhost_cert[0]), tmp_path)
    assert page is not None
