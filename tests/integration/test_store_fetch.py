"""The store's wheel fetcher against real failures: CA bundles that cannot be used and HTTP
downloads that go wrong in every way httpx reports.

Each failure must end as a :class:`StoreError` (what the CLI prints as ``error:`` and ``hint:``
without a traceback) naming the bundle and its setting, or the wheel and where it comes from;
transient ones are retried first, final ones are not.  Downloads run against the local index
server (truncated bodies, delays, statuses) and, for what it cannot script (a redirect loop, a
body that does not decode), a tiny server of this file's own.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
from packaging.utils import canonicalize_name

from omniwheel.errors import IndexAccessError
from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.network import NetworkPolicy
from omniwheel.store import store as store_module
from omniwheel.store.download import WheelFetcher
from omniwheel.store.store import ATTEMPTS, Store, StoreError, TransientFetchError, WheelSource
from tests.support.index_server import IndexServer
from tests.support.privileges import modes_enforced
from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel

SECRET = "s3cret-token"


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BACKOFF_SECONDS", 0.0)


# -- CA bundles --------------------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such-bundle.pem"


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "bundle-dir"
    path.mkdir()
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.pem"
    path.write_bytes(b"")
    return path


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n\x00\xff\n")
    return path


BAD_BUNDLES = {
    "missing": (_missing, "cannot be read"),
    "directory": (_directory, "cannot be read"),
    "empty": (_empty, "holds no usable CA certificates"),
    "garbage": (_garbage, "holds no usable CA certificates"),
}


def _location(url: str, cert: Path | None) -> IndexLocation:
    return IndexLocation(url=url, source="--index-url", cert=cert, cert_source="PIP_CERT")


@pytest.mark.parametrize("case", BAD_BUNDLES)
def test_a_bad_ca_bundle_is_a_store_error(case: str, tmp_path: Path) -> None:
    make, problem = BAD_BUNDLES[case]
    bundle = make(tmp_path)
    with pytest.raises(StoreError) as error:
        WheelFetcher(index=_location("https://example.invalid/simple/", bundle))
    assert f"the certificate bundle {bundle} (from PIP_CERT) {problem}" in str(error.value)
    assert error.value.hint == "point PIP_CERT at a PEM file of CA certificates, or unset it"


def test_an_unreadable_ca_bundle_is_a_store_error(tmp_path: Path) -> None:
    bundle = tmp_path / "locked.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    bundle.chmod(0)
    with (
        modes_enforced(),  # root reads any file unless held to its mode
        pytest.raises(StoreError, match=r"locked\.pem \(from PIP_CERT\) cannot be read") as error,
    ):
        WheelFetcher(index=_location("https://example.invalid/simple/", bundle))
    assert "(Permission denied)" in str(error.value)
    assert error.value.hint == "point PIP_CERT at a PEM file of CA certificates, or unset it"


@pytest.mark.parametrize("case", [case for case in BAD_BUNDLES if case != "garbage"])
def test_the_index_client_reports_the_same_bad_ca_bundle(case: str, tmp_path: Path) -> None:
    make, problem = BAD_BUNDLES[case]
    bundle = make(tmp_path)
    location = _location("https://example.invalid/simple/", bundle)
    cache = IndexCache(tmp_path / "cache", location.public_url)
    with pytest.raises(IndexAccessError) as error:
        IndexClient(location=location, cache=cache, exclude_newer=None)
    assert f"the certificate bundle {bundle} (from PIP_CERT) {problem}" in str(error.value)
    assert error.value.hint == "point PIP_CERT at a PEM file of CA certificates, or unset it"


def test_the_index_client_loads_its_ca_bundle_for_the_first_connection(tmp_path: Path) -> None:
    """A bundle that reads as PEM is loaded only when a request needs it (a lock served by the
    cache never does); one that then fails to load fails that request with the same error."""
    bundle = _garbage(tmp_path)
    location = _location("https://example.invalid/simple/", bundle)
    cache = IndexCache(tmp_path / "cache", location.public_url)

    async def first_page() -> None:
        async with IndexClient(location=location, cache=cache, exclude_newer=None) as client:
            await client.page(canonicalize_name("app"))

    with pytest.raises(IndexAccessError) as error:
        asyncio.run(first_page())
    assert f"the certificate bundle {bundle} (from PIP_CERT) holds no usable" in str(error.value)
    assert error.value.hint == "point PIP_CERT at a PEM file of CA certificates, or unset it"


def test_a_bad_ssl_cert_file_without_an_index_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _missing(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(StoreError) as error:
        WheelFetcher(index=None)
    assert f"the certificate bundle {bundle} (from SSL_CERT_FILE)" in str(error.value)
    assert error.value.hint == "point SSL_CERT_FILE at a PEM file of CA certificates, or unset it"


def test_a_good_ca_bundle_fetches(index_server: IndexServer, tmp_path: Path) -> None:
    wheel = _published(index_server, tmp_path)
    with WheelFetcher(index=_location(index_server.url, Path(certifi.where()))) as fetcher:
        assert Store(tmp_path / "store").ensure_tree(wheel, fetcher)


# -- downloads ---------------------------------------------------------------------------


def _published(server: IndexServer, tmp_path: Path) -> WheelSource:
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    server.add_file(path)
    return _source(path, server.file_url(path.name))


def _source(path: Path, url: str) -> WheelSource:
    content = path.read_bytes()
    return WheelSource(
        name="demo",
        version="1.0",
        filename=path.name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        url=url,
    )


def _fetch(wheel: WheelSource, tmp_path: Path, *, timeout: float = 60.0) -> StoreError:
    store = Store(tmp_path / "store")
    network = NetworkPolicy(timeout=timeout, timeout_source="the test")
    with WheelFetcher(index=None, network=network) as fetcher, pytest.raises(StoreError) as error:
        store.ensure_tree(wheel, fetcher)
    assert list((store.root / "tmp").iterdir()) == []
    assert not store.has_tree(wheel.sha256)
    return error.value


def _assert_names_the_wheel(error: StoreError, wheel: WheelSource) -> None:
    assert str(error).startswith(f"{wheel.describe()}: downloading {wheel.origin} failed (")
    assert error.hint


def _downloads(server: IndexServer) -> int:
    return sum(request.path.startswith("/files/") for request in server.requests)


def test_a_cut_off_body_is_retried_then_reported(index_server: IndexServer, tmp_path: Path) -> None:
    wheel = _published(index_server, tmp_path)
    index_server.truncate("/files/*", 10)
    error = _fetch(wheel, tmp_path)
    assert isinstance(error, TransientFetchError)
    _assert_names_the_wheel(error, wheel)
    assert "RemoteProtocolError" in str(error)
    assert _downloads(index_server) == ATTEMPTS


def test_a_read_timeout_is_final_and_names_the_setting(
    index_server: IndexServer, tmp_path: Path
) -> None:
    # The server is up but slower than the timeout: another try would wait as long.
    wheel = _published(index_server, tmp_path)
    index_server.delay("/files/*", 1.5)
    error = _fetch(wheel, tmp_path, timeout=0.2)
    assert not isinstance(error, TransientFetchError)
    assert str(error) == (
        f"{wheel.describe()}: {wheel.origin} sent nothing for 0.2 s (from the test); "
        "not asked again, since another try would wait as long"
    )
    assert "`OMNIWHEEL_HTTP_TIMEOUT=<seconds>` (now 0.2 s, from the test)" in (error.hint or "")
    assert _downloads(index_server) == 1


def test_a_refused_connection_is_reported_without_credentials(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    wheel = _source(path, f"http://reader:{SECRET}@127.0.0.1:{port}/files/{path.name}")
    error = _fetch(wheel, tmp_path)
    assert isinstance(error, TransientFetchError)
    _assert_names_the_wheel(error, wheel)
    assert "ConnectError" in str(error)
    assert SECRET not in f"{error} {error.hint}"


def test_a_server_error_status_is_retried_with_a_hint(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = _published(index_server, tmp_path)
    index_server.fail("/files/*", 503)
    error = _fetch(wheel, tmp_path)
    assert isinstance(error, TransientFetchError)
    assert str(error) == f"{wheel.describe()}: {wheel.origin} answered HTTP 503"
    assert error.hint
    assert _downloads(index_server) == ATTEMPTS


class _Misbehaving(BaseHTTPRequestHandler):
    """``/loop/…`` redirects to itself; ``/gzip/…`` claims gzip and sends no gzip;
    ``/gzipped/<name>`` sends ``server.files[name]`` gzip-compressed, and says so."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        if self.path.startswith("/loop/"):
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"this is not gzip data" * 10
        if self.path.startswith("/gzipped/"):
            files = self.server.files  # type: ignore[attr-defined]
            body = gzip.compress(files[self.path.removeprefix("/gzipped/")])
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def misbehaving() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    server.hits = 0  # type: ignore[attr-defined]
    server.files = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _misbehaving_url(server: ThreadingHTTPServer, kind: str, filename: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/{kind}/{filename}"


def test_a_redirect_loop_is_final(misbehaving: ThreadingHTTPServer, tmp_path: Path) -> None:
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    wheel = _source(path, _misbehaving_url(misbehaving, "loop", path.name))
    error = _fetch(wheel, tmp_path)
    assert not isinstance(error, TransientFetchError)
    _assert_names_the_wheel(error, wheel)
    assert "TooManyRedirects" in str(error)
    assert "redirects in a loop" in (error.hint or "")
    assert misbehaving.hits == 21  # type: ignore[attr-defined]  # one attempt: 1 + 20 redirects


def test_a_body_that_does_not_decode_is_final(
    misbehaving: ThreadingHTTPServer, tmp_path: Path
) -> None:
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    wheel = _source(path, _misbehaving_url(misbehaving, "gzip", path.name))
    error = _fetch(wheel, tmp_path)
    assert not isinstance(error, TransientFetchError)
    _assert_names_the_wheel(error, wheel)
    assert "DecodingError" in str(error)
    assert "Content-Encoding" in (error.hint or "")
    assert misbehaving.hits == 1  # type: ignore[attr-defined]


def test_a_body_sent_gzip_compressed_is_stored_decoded(
    misbehaving: ThreadingHTTPServer, tmp_path: Path
) -> None:
    # A wheel is never encoded on an index, but a server may still compress it on the way:
    # the bytes checked and stored are the decoded ones (the unencoded ones are read raw).
    path = build_wheel(tmp_path / "wheels", "demo", "1.0", files={"demo/big.txt": b"x" * 100_000})
    misbehaving.files[path.name] = path.read_bytes()  # type: ignore[attr-defined]
    wheel = _source(path, _misbehaving_url(misbehaving, "gzipped", path.name))
    store = Store(tmp_path / "store")
    with WheelFetcher(index=None) as fetcher:
        assert store.ensure_tree(wheel, fetcher)
    assert store.wheel_file(wheel.sha256).read_bytes() == path.read_bytes()
    assert (store.tree(wheel.sha256) / "demo" / "big.txt").read_bytes() == b"x" * 100_000


@pytest.mark.parametrize(
    ("case", "url", "kind"),
    [
        ("unsupported-scheme", f"ftp://reader:{SECRET}@127.0.0.1/demo.whl", "UnsupportedProtocol"),
        ("invalid-port", f"http://reader:{SECRET}@127.0.0.1:port/demo.whl", "InvalidURL"),
        ("invalid-ipv6", f"http://reader:{SECRET}@[::1/demo.whl", "Invalid IPv6 URL"),
    ],
)
def test_a_url_that_cannot_be_fetched_is_final(
    case: str, url: str, kind: str, tmp_path: Path
) -> None:
    path = build_wheel(tmp_path / "wheels", "demo", "1.0")
    wheel = _source(path, url)
    error = _fetch(wheel, tmp_path)
    assert not isinstance(error, TransientFetchError)
    _assert_names_the_wheel(error, wheel)
    assert kind in str(error)
    assert "`omniwheel lock`" in (error.hint or "")
    assert SECRET not in f"{error} {error.hint}"


# -- the CLI -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["missing", "garbage"])
def test_sync_with_a_bad_ssl_cert_file_prints_the_error(
    case: str, space: Workspace, tmp_path: Path
) -> None:
    # A garbage SSL_CERT_FILE reaches the fetcher through the index configuration; a missing
    # one is refused earlier, by index discovery.  Either way: one error, no traceback.
    make, _ = BAD_BUNDLES[case]
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    bundle = make(bundles)
    run = space.cli("sync", environ={"SSL_CERT_FILE": str(bundle)})
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert f"certificate bundle {bundle} (from SSL_CERT_FILE)" in run.stderr
    assert run.stderr.startswith("error: ")
    assert "\n\nhint: point SSL_CERT_FILE at " in run.stderr
    assert not (space.site_packages() / "alpha").exists()
