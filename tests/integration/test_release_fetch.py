"""Fetching a release's SHA256SUMS from a loopback mirror and a file:// mirror, and failing well."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from omniwheel.python import release_fetch
from omniwheel.python.pbs import ChecksumsError
from omniwheel.python.release_fetch import ReleaseFetchError, fetch_release
from tests.support.static_server import StaticServer

TAG = "20261015"
NAMES = (
    f"cpython-3.12.7+{TAG}-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
    f"cpython-3.12.7+{TAG}-x86_64-unknown-linux-gnu-install_only.tar.gz",
    f"cpython-3.12.7+{TAG}-aarch64-apple-darwin-install_only_stripped.tar.gz",
    f"cpython-3.12.7+{TAG}-x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst",
)
SUMS = "".join(f"{hashlib.sha256(n.encode()).hexdigest()}  {n}\n" for n in NAMES)


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A mirror tree holding release TAG's SHA256SUMS."""
    root = tmp_path / "mirror"
    (root / TAG).mkdir(parents=True)
    (root / TAG / "SHA256SUMS").write_text(SUMS, encoding="utf-8")
    return root


@pytest.fixture
def server(mirror: Path) -> Iterator[StaticServer]:
    with StaticServer(mirror) as running:
        yield running
    assert running.errors == []


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release_fetch, "BACKOFF_SECONDS", 0.0)


def test_a_release_is_read_from_an_http_mirror(server: StaticServer) -> None:
    release = fetch_release(TAG, mirror=server.url)
    assert release.tag == TAG
    assert release.url == f"{server.url}/{TAG}/SHA256SUMS"
    assert sorted(asset.filename for asset in release.assets) == sorted(NAMES[:3])
    assert [name.filename for name in release.skipped] == [NAMES[3]]
    assert [r.path for r in server.requests] == [f"/{TAG}/SHA256SUMS"]


def test_a_release_is_read_from_a_file_mirror(mirror: Path) -> None:
    release = fetch_release(TAG, mirror=mirror.as_uri())
    assert len(release.assets) == 3
    assert release.url == f"{mirror.as_uri()}/{TAG}/SHA256SUMS"


def test_a_missing_release_on_a_file_mirror(mirror: Path) -> None:
    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release("20200101", mirror=mirror.as_uri())
    assert f"{mirror.as_uri()}/20200101/SHA256SUMS does not exist" in caught.value.message
    assert caught.value.hint is not None
    assert "python-release" in caught.value.hint


def test_a_missing_release_is_not_retried(server: StaticServer) -> None:
    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release("20200101", mirror=server.url)
    assert caught.value.message == f"{server.url}/20200101/SHA256SUMS answered HTTP 404"
    assert caught.value.url == f"{server.url}/20200101/SHA256SUMS"
    assert caught.value.hint is not None
    assert "release tag" in caught.value.hint
    assert len(server.requests) == 1


def test_server_errors_are_retried_then_reported(server: StaticServer) -> None:
    server.fail("/*/SHA256SUMS", status=500)
    with pytest.raises(ReleaseFetchError, match=r"SHA256SUMS answered HTTP 500"):
        fetch_release(TAG, mirror=server.url)
    assert len(server.requests) == release_fetch.ATTEMPTS


def test_a_passing_server_error_is_survived(server: StaticServer) -> None:
    server.fail("/*/SHA256SUMS", status=503, times=1)
    assert len(fetch_release(TAG, mirror=server.url).assets) == 3
    assert len(server.requests) == 2


def test_timeouts_are_retried_then_reported(server: StaticServer) -> None:
    server.fail("/*/SHA256SUMS", delay=1.0)
    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release(TAG, mirror=server.url, timeout=0.2)
    assert f"fetching {server.url}/{TAG}/SHA256SUMS failed (ReadTimeout" in caught.value.message
    assert caught.value.transient
    assert len(server.requests) == release_fetch.ATTEMPTS


def test_a_cut_off_body_is_retried(server: StaticServer) -> None:
    server.fail("/*/SHA256SUMS", truncate=True, times=1)
    assert len(fetch_release(TAG, mirror=server.url).assets) == 3
    assert len(server.requests) == 2


def test_an_unreachable_mirror_names_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release(TAG, mirror=f"http://127.0.0.1:{port}")
    assert f"fetching http://127.0.0.1:{port}/{TAG}/SHA256SUMS failed (ConnectError" in (
        caught.value.message
    )


def test_a_body_that_is_not_utf8(server: StaticServer, mirror: Path) -> None:
    (mirror / TAG / "SHA256SUMS").write_bytes(b"\xff\xfe" + SUMS.encode("utf-16-le"))
    with pytest.raises(ReleaseFetchError, match=r"SHA256SUMS is not UTF-8 text \(byte 0"):
        fetch_release(TAG, mirror=server.url)


def test_an_implausibly_large_body(
    server: StaticServer, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_fetch, "MAX_BYTES", 100)
    with pytest.raises(ReleaseFetchError, match="larger than 100 bytes"):
        fetch_release(TAG, mirror=server.url)
    with pytest.raises(ReleaseFetchError, match="larger than 100 bytes"):
        fetch_release(TAG, mirror=mirror.as_uri())


def test_garbage_names_the_url_and_lines(server: StaticServer, mirror: Path) -> None:
    (mirror / TAG / "SHA256SUMS").write_text("<html>\n<p>moved</p>\n", encoding="utf-8")
    with pytest.raises(ChecksumsError) as caught:
        fetch_release(TAG, mirror=server.url)
    assert caught.value.url == f"{server.url}/{TAG}/SHA256SUMS"
    assert [problem.line for problem in caught.value.problems] == [1, 2]


def test_credentials_in_the_mirror_url_are_sent_but_never_shown(server: StaticServer) -> None:
    server.require_auth("reader", "s3cret")
    base = server.url.replace("http://", "http://reader:s3cret@")
    release = fetch_release(TAG, mirror=base)
    assert len(release.assets) == 3
    assert "s3cret" not in release.url
    assert server.requests[-1].authorization is not None

    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release(TAG, mirror=server.url.replace("http://", "http://reader:wrong-s3cret@"))
    error = caught.value
    assert error.message == f"{server.url}/{TAG}/SHA256SUMS answered HTTP 401"
    assert "s3cret" not in f"{error.message} {error.hint} {error.url}"


def test_credentials_stay_out_of_connection_errors() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ReleaseFetchError) as caught:
        fetch_release(TAG, mirror=f"http://reader:s3cret@127.0.0.1:{port}")
    error = caught.value
    assert "s3cret" not in f"{error.message} {error.hint} {error.url}"
    assert f"http://127.0.0.1:{port}/{TAG}/SHA256SUMS" in error.message


def test_a_release_read_over_http_is_kept_and_read_from_the_cache(
    server: StaticServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = fetch_release(TAG, mirror=server.url, cache_root=cache)
    again = fetch_release(TAG, mirror=server.url, cache_root=cache)
    assert again == first
    assert len(server.requests_to(f"/{TAG}/SHA256SUMS")) == 1  # the second came from the cache
    fetch_release(TAG, mirror=server.url, cache_root=cache, refresh=True)
    assert len(server.requests_to(f"/{TAG}/SHA256SUMS")) == 2


def test_a_kept_release_is_found_whoever_fetched_it_and_holds_no_credentials(
    server: StaticServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    server.require_auth("someone", "s3cret")
    authority = server.url.split("://", 1)[1]
    fetch_release(TAG, mirror=f"http://someone:s3cret@{authority}", cache_root=cache)
    server.require_auth("other", "pa55")
    fetch_release(TAG, mirror=f"http://other:pa55@{authority}", cache_root=cache)
    assert len(server.requests_to(f"/{TAG}/SHA256SUMS")) == 1
    kept = list(cache.rglob("*"))
    assert [p.read_text(encoding="utf-8") for p in kept if p.is_file()] == [SUMS]
    assert not any("s3cret" in str(p) or "someone" in str(p) for p in kept)


def test_a_damaged_kept_release_is_fetched_again(server: StaticServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fetch_release(TAG, mirror=server.url, cache_root=cache)
    [kept] = [p for p in cache.rglob("*") if p.is_file()]
    kept.write_text("not a checksum list\n", encoding="utf-8")
    release = fetch_release(TAG, mirror=server.url, cache_root=cache)
    assert len(release.assets) == 3
    assert len(server.requests_to(f"/{TAG}/SHA256SUMS")) == 2
    assert kept.read_text(encoding="utf-8") == SUMS  # replaced by the good copy


def test_a_file_mirror_is_read_directly_not_kept(mirror: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fetch_release(TAG, mirror=mirror.as_uri(), cache_root=cache)
    (mirror / TAG / "SHA256SUMS").write_text(SUMS.splitlines()[0] + "\n", encoding="utf-8")
    assert len(fetch_release(TAG, mirror=mirror.as_uri(), cache_root=cache).assets) == 1
    assert not cache.exists()
