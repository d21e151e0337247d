"""The index client against the local index: pages, metadata sources, caching, faults, secrets.

Every test goes through :class:`IndexSession` (the face the resolver uses) to a real
:class:`IndexServer` over HTTP, with real wheels and a real cache directory; the server's
request log shows what went over the wire.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.errors import IndexAccessError
from omniwheel.index import client as client_module
from omniwheel.index.cache import DEFAULT_FRESHNESS, IndexCache
from omniwheel.index.client import ATTEMPTS, PROBE_FAILURES_BEFORE_GIVING_UP, IndexClient
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.models import (
    JSON_CONTENT_TYPE,
    CoreMetadata,
    MetadataError,
    PageFormatError,
    ProjectPage,
    Wheel,
)
from omniwheel.index.network import NetworkPolicy
from omniwheel.index.remote_zip import TAIL_SIZE
from omniwheel.index.routing import AsyncIndex
from omniwheel.index.session import IndexSession
from tests.support.index_server import DEFAULT_UPLOAD_TIME, IndexServer, RecordedRequest
from tests.support.wheelbuilder import build_sdist, build_wheel, core_metadata

FOO = canonicalize_name("foo")
SECRET = "s3cr3t-t0ken"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(autouse=True)
def _no_server_bugs(index_server: IndexServer) -> Iterator[None]:
    yield
    assert index_server.handler_errors == []


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "BACKOFF_SECONDS", 0.0)


def open_session(
    url: str,
    cache_dir: Path,
    *,
    exclude_newer: datetime | None = None,
    now: Callable[[], datetime] | None = None,
    timeout: float = 5.0,
) -> IndexSession:
    location = IndexLocation(url=url, source="--index-url", cert=None)
    cache = IndexCache(cache_dir, location.public_url)

    def make() -> IndexClient:
        return IndexClient(
            location=location,
            cache=cache,
            exclude_newer=exclude_newer,
            network=NetworkPolicy(timeout=timeout, timeout_source="the test"),
            now=now or (lambda: datetime.now(UTC)),
        )

    return IndexSession(make)


def only_wheel(page: ProjectPage | None, version: str = "1.0") -> Wheel:
    assert page is not None
    [wheel] = page.wheels_by_version[Version(version)]
    return wheel


def requests_to(server: IndexServer, path: str) -> list[RecordedRequest]:
    return [request for request in server.requests if request.path == path]


def file_requests(server: IndexServer) -> list[RecordedRequest]:
    return [request for request in server.requests if request.path.startswith("/files/")]


def foo_wheel(
    wheel_dir: Path,
    version: str = "1.0",
    *,
    requires_python: str | None = None,
    files: dict[str, bytes] | None = None,
    extra_entries: list[tuple[str, bytes]] | None = None,
) -> Path:
    return build_wheel(
        wheel_dir,
        "foo",
        version,
        requires_dist=["bar>=2"],
        requires_python=requires_python,
        files=files,
        extra_entries=extra_entries or [],
    )


def big_wheel(wheel_dir: Path) -> Path:
    """300 KB of payload after METADATA, so METADATA is not in the first range read."""
    blob = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(10_000))
    return foo_wheel(wheel_dir, extra_entries=[("foo/blob.bin", blob)])


def many_files_wheel(wheel_dir: Path) -> Path:
    """A central directory larger than the first range read."""
    stem = "module_with_a_long_descriptive_name_" * 2
    return foo_wheel(wheel_dir, files={f"foo/{stem}{i:04d}.py": b"" for i in range(1500)})


def messages(error: BaseException) -> str:
    """Everything an error chain could show a person: messages, hints, causes."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), str(getattr(seen, "hint", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# -- pages -------------------------------------------------------------------------------


def test_json_page_is_asked_for_first_and_parsed(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    index_server.add_file(wheel)
    index_server.add_file(build_sdist(wheel_dir, "foo", "1.0"))
    index_server.add_file(foo_wheel(wheel_dir, "2.0"), yanked="broken")
    with open_session(index_server.url, cache_dir) as session:
        page = session.page(FOO)
        assert session.stats.pages_fetched == 1
    [request] = requests_to(index_server, "/simple/foo/")
    assert request.headers["accept"].startswith(JSON_CONTENT_TYPE)
    assert page is not None
    found = only_wheel(page)
    assert found.file.url == index_server.file_url(wheel.name)
    assert found.file.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert found.file.upload_time == DEFAULT_UPLOAD_TIME  # only the JSON form carries it
    assert found.file.size == wheel.stat().st_size
    assert found.file.metadata_advertised
    assert only_wheel(page, "2.0").file.yanked_reason == "broken"
    assert page.sdist_versions == frozenset({Version("1.0")})


def test_html_only_index(index_server: IndexServer, wheel_dir: Path, cache_dir: Path) -> None:
    wheel = foo_wheel(wheel_dir, requires_python=">=3.8")
    index_server.add_file(wheel)
    metadata = core_metadata("foo", "1.0", requires_dist=["bar>=2"], requires_python=">=3.8")
    anchor = (
        f'<a href="../../files/{wheel.name}#sha256={_sha(wheel.read_bytes())}"'
        f' data-requires-python="{html.escape(">=3.8")}"'
        f' data-core-metadata="sha256={_sha(metadata)}">{wheel.name}</a>'
    )
    body = f"<!DOCTYPE html><html><body>{anchor}</body></html>".encode()
    index_server.serve_garbage("/simple/foo/", body, "text/html; charset=utf-8")
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        assert found.file.url == index_server.file_url(wheel.name)
        assert str(found.requires_python) == ">=3.8"
        assert found.file.upload_time is None
        assert session.metadata(found).requires_dist == (Requirement("bar>=2"),)
    assert len(requests_to(index_server, f"/files/{wheel.name}.metadata")) == 1


def test_unknown_project_is_none(index_server: IndexServer, cache_dir: Path) -> None:
    with open_session(index_server.url, cache_dir) as session:
        assert session.page(canonicalize_name("nothing-here")) is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"meta": {"api-version": "1.1"}, "files": 7}', JSON_CONTENT_TYPE),
        (b"<html>not json</html>", "application/json"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"foo-1.0.tar.gz\n", "text/plain"),
    ],
)
def test_garbage_page_is_a_page_format_error(
    index_server: IndexServer, cache_dir: Path, body: bytes, content_type: str
) -> None:
    index_server.serve_garbage("/simple/foo/", body, content_type)
    with (
        open_session(index_server.url, cache_dir) as session,
        pytest.raises(PageFormatError, match=r"`foo`"),
    ):
        session.page(FOO)


# -- metadata sources --------------------------------------------------------------------


def test_advertised_metadata_is_one_get_of_the_metadata_file(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir, requires_python=">=3.9")
    index_server.add_file(wheel)
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        index_server.clear_requests()
        metadata = session.metadata(found)
        assert session.metadata(found) is metadata
        assert session.stats.metadata_file == 1
    assert [r.path for r in index_server.requests] == [f"/files/{wheel.name}.metadata"]
    assert (metadata.name, metadata.version) == ("foo", Version("1.0"))
    assert metadata.requires_dist == (Requirement("bar>=2"),)
    assert str(metadata.requires_python) == ">=3.9"


def test_unadvertised_metadata_file_is_probed_and_used(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    for version in ("1.0", "2.0"):
        index_server.add_file(foo_wheel(wheel_dir, version), metadata="unadvertised")
    with open_session(index_server.url, cache_dir) as session:
        page = session.page(FOO)
        assert not only_wheel(page).file.metadata_advertised
        index_server.clear_requests()
        for version in ("1.0", "2.0"):
            assert session.metadata(only_wheel(page, version)).version == Version(version)
        assert session.stats.metadata_file == 2
        assert session.stats.metadata_range == session.stats.metadata_download == 0
    assert [r.path for r in index_server.requests] == [
        "/files/foo-1.0-py3-none-any.whl.metadata",
        "/files/foo-2.0-py3-none-any.whl.metadata",
    ]


def test_failed_probes_stop_after_the_limit(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    versions = [f"{n}.0" for n in range(1, PROBE_FAILURES_BEFORE_GIVING_UP + 3)]
    for version in versions:
        index_server.add_file(foo_wheel(wheel_dir, version), metadata="missing")
    with open_session(index_server.url, cache_dir) as session:
        page = session.page(FOO)
        for version in versions:
            assert session.metadata(only_wheel(page, version)).version == Version(version)
        assert session.stats.metadata_range == len(versions)
    probed = [r.path for r in index_server.requests if r.path.endswith(".metadata")]
    assert probed == [
        f"/files/foo-{version}-py3-none-any.whl.metadata"
        for version in versions[:PROBE_FAILURES_BEFORE_GIVING_UP]
    ]


def test_metadata_from_range_reads(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = big_wheel(wheel_dir)
    index_server.add_file(wheel, metadata="missing")
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        assert session.metadata(found).requires_dist == (Requirement("bar>=2"),)
        assert session.stats.metadata_range == 1
        assert session.stats.metadata_download == 0
    tail, member = requests_to(index_server, f"/files/{wheel.name}")
    assert tail.headers["range"] == f"bytes=-{TAIL_SIZE}"  # the central directory
    assert member.headers["range"].startswith("bytes=")  # METADATA's own bytes


def test_large_central_directory_takes_a_second_range(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = many_files_wheel(wheel_dir)
    index_server.add_file(wheel, metadata="missing")
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        assert session.metadata(found).requires_dist == (Requirement("bar>=2"),)
        assert session.stats.metadata_range == 1
    reads = requests_to(index_server, f"/files/{wheel.name}")
    assert len(reads) == 3  # tail, rest of the central directory, METADATA
    assert all("range" in r.headers for r in reads)


def test_full_download_when_the_server_ignores_ranges(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = big_wheel(wheel_dir)
    index_server.add_file(wheel, metadata="missing")
    index_server.disable_ranges()
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        assert session.metadata(found).requires_dist == (Requirement("bar>=2"),)
        assert (session.stats.metadata_download, session.stats.metadata_range) == (1, 0)
    assert len(requests_to(index_server, f"/files/{wheel.name}")) == 1


def test_downloaded_wheel_with_the_wrong_sha256_is_refused(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    index_server.add_file(wheel, metadata="missing", advertised_sha256="0" * 64)
    index_server.disable_ranges()
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(IndexAccessError, match=rf"{re.escape(wheel.name)} does not match"):
            session.metadata(found)


def test_a_download_that_is_no_zip_is_a_metadata_error(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    garbage = b"<html>not a wheel</html>"
    index_server.add_file(wheel, metadata="missing", advertised_sha256=_sha(garbage))
    index_server.serve_garbage(f"/files/{wheel.name}", garbage, "text/html")
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(MetadataError, match=rf"{re.escape(wheel.name)} is not a valid wheel"):
            session.metadata(found)
    # One answer was enough to know: the wheel was not downloaded a second time.
    assert len(requests_to(index_server, f"/files/{wheel.name}")) == 1


def test_metadata_file_with_the_wrong_hash_is_refused(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    index_server.add_file(wheel)
    index_server.serve_garbage(
        f"/files/{wheel.name}.metadata", core_metadata("foo", "1.0"), "application/octet-stream"
    )
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(IndexAccessError, match="does not match the sha256"):
            session.metadata(found)


def test_metadata_naming_another_project_is_refused_and_not_cached(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    index_server.add_file(wheel, metadata="unadvertised")
    index_server.serve_garbage(
        f"/files/{wheel.name}.metadata", core_metadata("bar", "1.0"), "application/octet-stream"
    )
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(MetadataError, match=r"names bar 1\.0, not foo 1\.0"):
            session.metadata(found)
    index_server.reset_faults()
    with open_session(index_server.url, cache_dir) as session:
        assert session.metadata(found).name == "foo"
        assert session.stats.metadata_cached == 0


# -- caching -----------------------------------------------------------------------------


def test_cached_metadata_is_not_asked_for_again(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        session.metadata(found)
    index_server.clear_requests()
    with open_session(index_server.url, cache_dir) as session:
        assert session.metadata(found).requires_dist == (Requirement("bar>=2"),)
        assert session.stats.metadata_cached == 1
    assert file_requests(index_server) == []


def test_page_within_max_age_is_not_asked_for_again(wheel_dir: Path, cache_dir: Path) -> None:
    with IndexServer(page_max_age=600) as server:
        server.add_file(foo_wheel(wheel_dir))
        with open_session(server.url, cache_dir) as session:
            assert session.page(FOO) is not None
        server.clear_requests()
        with open_session(server.url, cache_dir) as session:
            assert only_wheel(session.page(FOO)).file.url == server.file_url(
                "foo-1.0-py3-none-any.whl"
            )
            assert (session.stats.pages_fresh, session.stats.pages_fetched) == (1, 0)
        assert server.requests == []


def test_page_without_cache_headers_is_kept_for_the_default_window(
    index_server: IndexServer, cache_dir: Path
) -> None:
    # serve_garbage answers without Cache-Control or ETag, as some static indexes do.
    index_server.serve_garbage("/simple/foo/", b"<html><body></body></html>", "text/html")
    start = datetime.now(UTC)
    with open_session(index_server.url, cache_dir, now=lambda: start) as session:
        session.page(FOO)
    index_server.clear_requests()
    soon = start + DEFAULT_FRESHNESS - timedelta(seconds=1)
    with open_session(index_server.url, cache_dir, now=lambda: soon) as session:
        session.page(FOO)
    assert index_server.requests == []
    later = start + DEFAULT_FRESHNESS
    with open_session(index_server.url, cache_dir, now=lambda: later) as session:
        session.page(FOO)
    assert len(index_server.requests) == 1


def test_page_fetched_after_exclude_newer_is_reused_forever(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    with open_session(index_server.url, cache_dir) as session:
        session.page(FOO)
    index_server.clear_requests()
    cutoff = datetime.now(UTC) - timedelta(days=1)
    far_future = datetime(2100, 1, 1, tzinfo=UTC)
    with open_session(
        index_server.url, cache_dir, exclude_newer=cutoff, now=lambda: far_future
    ) as session:
        assert only_wheel(session.page(FOO)).file.filename == "foo-1.0-py3-none-any.whl"
        assert session.stats.pages_pinned == 1
    assert index_server.requests == []


def test_page_fetch_time_is_taken_before_the_request(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    # A page proves nothing about uploads made while it was on its way, so the time stored
    # for the exclude-newer rule must not be later than the moment the request went out.
    index_server.add_file(foo_wheel(wheel_dir))
    before, after = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)

    def now() -> datetime:
        return after if index_server.requests else before

    with open_session(index_server.url, cache_dir, now=now) as session:
        session.page(FOO)
    stored = IndexCache(cache_dir, index_server.url).load_page(FOO)
    assert stored is not None
    assert stored.fetched_at == before


@pytest.mark.parametrize("exclude_newer", [None, datetime(2030, 1, 1, tzinfo=UTC)])
def test_files_without_upload_time_are_noted_under_exclude_newer(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path, exclude_newer: datetime | None
) -> None:
    index_server.add_file(foo_wheel(wheel_dir), upload_time="omit")
    with open_session(index_server.url, cache_dir, exclude_newer=exclude_newer) as session:
        assert only_wheel(session.page(FOO)).file.upload_time is None
        noted = session.stats.projects_without_upload_time
    assert noted == ([] if exclude_newer is None else ["foo"])


def test_stale_page_is_revalidated_with_its_etag(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))  # the server says max-age=0
    with open_session(index_server.url, cache_dir) as session:
        session.page(FOO)
    [first] = index_server.requests
    index_server.clear_requests()
    with open_session(index_server.url, cache_dir) as session:
        assert only_wheel(session.page(FOO)).version == Version("1.0")
        assert (session.stats.pages_revalidated, session.stats.pages_fetched) == (1, 0)
    [again] = index_server.requests
    assert again.headers["if-none-match"].startswith('"')
    assert again.headers["accept"] == first.headers["accept"]


def test_changed_page_is_fetched_again(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    with open_session(index_server.url, cache_dir) as session:
        session.page(FOO)
    index_server.add_file(foo_wheel(wheel_dir, "2.0"))
    with open_session(index_server.url, cache_dir) as session:
        page = session.page(FOO)
        assert session.stats.pages_fetched == 1
    assert page is not None
    assert set(page.wheels_by_version) == {Version("1.0"), Version("2.0")}


# -- faults ------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_backoff")
def test_transient_failure_is_retried(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    index_server.fail("/simple/foo/", 503, times=1)
    index_server.fail("/files/*.metadata", 500, times=1)
    with open_session(index_server.url, cache_dir) as session:
        session.metadata(only_wheel(session.page(FOO)))
    assert [r.path for r in index_server.requests] == [
        "/simple/foo/",
        "/simple/foo/",
        "/files/foo-1.0-py3-none-any.whl.metadata",
        "/files/foo-1.0-py3-none-any.whl.metadata",
    ]


@pytest.mark.usefixtures("no_backoff")
def test_persistent_failure_names_the_url_and_attempts(
    index_server: IndexServer, cache_dir: Path
) -> None:
    index_server.fail("/simple/foo/", 500)
    with (
        open_session(index_server.url, cache_dir) as session,
        pytest.raises(IndexAccessError) as error,
    ):
        session.page(FOO)
    assert f"{index_server.url}foo/" in str(error.value)
    assert f"after {ATTEMPTS} attempts (HTTP 500)" in str(error.value)
    assert "--index-url" in (error.value.hint or "")
    assert len(index_server.requests) == ATTEMPTS


@pytest.mark.usefixtures("no_backoff")
def test_other_http_errors_fail_at_once(index_server: IndexServer, cache_dir: Path) -> None:
    index_server.fail("/simple/foo/", 418)
    with (
        open_session(index_server.url, cache_dir) as session,
        pytest.raises(IndexAccessError, match="answered HTTP 418"),
    ):
        session.page(FOO)
    assert len(index_server.requests) == 1


def test_truncated_body_is_retried(
    index_server: IndexServer,
    wheel_dir: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "BACKOFF_SECONDS", 0.2)
    index_server.add_file(foo_wheel(wheel_dir))
    index_server.truncate("/simple/foo/", 10)
    watcher = _reset_faults_after_first_request(index_server)
    with open_session(index_server.url, cache_dir) as session:
        assert only_wheel(session.page(FOO)).version == Version("1.0")
    watcher.join()
    assert len(index_server.requests) == 2


@pytest.mark.usefixtures("no_backoff")
def test_always_truncated_body_fails_after_the_attempts(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    index_server.truncate("/simple/foo/", 10)
    with (
        open_session(index_server.url, cache_dir) as session,
        pytest.raises(IndexAccessError, match=f"after {ATTEMPTS} attempts"),
    ):
        session.page(FOO)
    assert len(index_server.requests) == ATTEMPTS


def test_slow_answer_times_out_once_and_names_the_setting(
    index_server: IndexServer, cache_dir: Path
) -> None:
    # A server slower than the timeout would be as slow on a second try: no retry.
    index_server.delay("/simple/foo/", 0.5)
    started = time.monotonic()
    with (
        open_session(index_server.url, cache_dir, timeout=0.1) as session,
        pytest.raises(IndexAccessError) as error,
    ):
        session.page(FOO)
    assert time.monotonic() - started < 0.5
    assert str(error.value) == (
        f"{index_server.url}foo/ sent no answer within 0.1 s (from the test); not asked again, "
        "since another try would wait as long"
    )
    assert "`OMNIWHEEL_HTTP_TIMEOUT=<seconds>` (now 0.1 s, from the test)" in (
        error.value.hint or ""
    )
    assert len(requests_to(index_server, "/simple/foo/")) == 1


class _Misbehaving(BaseHTTPRequestHandler):
    """Answers every GET with what ``server.mode`` says: a redirect to itself, or a body
    that claims gzip and is not."""

    def do_GET(self) -> None:
        mode = getattr(self.server, "mode", "")
        if mode == "redirect-loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"this is not gzip"
        self.send_response(200)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(
    ("mode", "reason"), [("redirect-loop", "TooManyRedirects"), ("bad-gzip", "DecodingError")]
)
def test_a_misbehaving_index_is_an_index_error_naming_the_url(
    cache_dir: Path, mode: str, reason: str
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.mode = mode  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://user:{SECRET}@127.0.0.1:{server.server_address[1]}/simple/"
    try:
        with open_session(url, cache_dir) as session, pytest.raises(IndexAccessError) as error:
            session.page(FOO)
    finally:
        server.shutdown()
        server.server_close()
    assert f"127.0.0.1:{server.server_address[1]}/simple/foo/" in str(error.value)
    assert reason in str(error.value)
    assert error.value.hint
    assert SECRET not in messages(error.value)


def _reset_faults_after_first_request(server: IndexServer) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 5
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.001)
        server.reset_faults()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


# -- credentials -------------------------------------------------------------------------


def with_credentials(server: IndexServer, password: str = SECRET) -> str:
    return server.url.replace("http://", f"http://user:{password}@")


def test_credentials_in_the_index_url_are_sent(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.require_auth("user", SECRET)
    index_server.add_file(foo_wheel(wheel_dir), metadata="missing")
    with open_session(with_credentials(index_server), cache_dir) as session:
        found = only_wheel(session.page(FOO))
        assert session.metadata(found).name == "foo"
    assert len(index_server.requests) > 2
    assert all(r.headers.get("authorization") for r in index_server.requests)


def test_credentials_never_reach_error_messages(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path, no_backoff: None
) -> None:
    index_server.require_auth("user", SECRET)
    index_server.add_file(foo_wheel(wheel_dir))
    failures: list[BaseException] = []

    def failure(action: Callable[[IndexSession], object], url: str, timeout: float = 5) -> None:
        with open_session(url, cache_dir, timeout=timeout) as session:
            with pytest.raises(IndexAccessError) as error:
                action(session)
            failures.append(error.value)

    wrong = with_credentials(index_server, "wrong-" + SECRET)
    failure(lambda s: s.page(FOO), wrong)  # 401
    index_server.fail("/simple/foo/", 500)
    failure(lambda s: s.page(FOO), with_credentials(index_server))
    index_server.reset_faults()
    index_server.require_auth("user", SECRET)
    index_server.delay("/simple/foo/", 0.3)
    failure(lambda s: s.page(FOO), with_credentials(index_server), timeout=0.05)
    assert len(failures) == 3
    for error in failures:
        assert SECRET not in messages(error)
    assert "answered HTTP 401" in str(failures[0])


def test_credentials_in_file_urls_never_reach_error_messages(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path, no_backoff: None
) -> None:
    # Some indexes list files under URLs that carry the caller's credentials.
    wheel = foo_wheel(wheel_dir)
    url = with_credentials(index_server).replace("/simple/", f"/files/{wheel.name}")
    page = {"meta": {"api-version": "1.1"}, "name": "foo", "files": [_entry(wheel, url)]}
    index_server.serve_garbage("/simple/foo/", json.dumps(page).encode(), JSON_CONTENT_TYPE)
    index_server.fail(f"/files/{wheel.name}*", 500)
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(IndexAccessError) as error:
            session.metadata(found)
    assert SECRET not in messages(error.value)
    assert f"/files/{wheel.name}" in str(error.value)


def test_a_file_url_that_is_no_url_is_an_index_error(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    wheel = foo_wheel(wheel_dir)
    url = f"http://user:{SECRET}@[::1/files/{wheel.name}"  # an IPv6 host without its "]"
    page = {"meta": {"api-version": "1.1"}, "name": "foo", "files": [_entry(wheel, url)]}
    index_server.serve_garbage("/simple/foo/", json.dumps(page).encode(), JSON_CONTENT_TYPE)
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        with pytest.raises(IndexAccessError, match="is not a URL that can be fetched") as error:
            session.metadata(found)
    assert f"http://[::1/files/{wheel.name}" in str(error.value)
    assert error.value.hint
    assert SECRET not in messages(error.value)


def test_a_client_that_cannot_start_leaves_no_thread_behind(
    index_server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("no certificate here\n", encoding="utf-8")
    location = IndexLocation(
        url=index_server.url, source="--index-url", cert=bundle, cert_source="SSL_CERT_FILE"
    )
    cache = IndexCache(cache_dir, location.public_url)
    before = threading.active_count()
    with pytest.raises(IndexAccessError, match="SSL_CERT_FILE"):
        IndexSession(lambda: IndexClient(location=location, cache=cache, exclude_newer=None))
    assert threading.active_count() == before


@pytest.mark.usefixtures("no_backoff")
def test_ipv6_index_url_with_credentials_keeps_its_brackets(cache_dir: Path) -> None:
    # Nothing listens on port 9 of ::1: the error shows the URL the client really asked.
    with (
        open_session(f"http://user:{SECRET}@[::1]:9/simple/", cache_dir, timeout=1) as session,
        pytest.raises(IndexAccessError) as error,
    ):
        session.page(FOO)
    assert "could not fetch http://[::1]:9/simple/foo/" in str(error.value)
    assert SECRET not in messages(error.value)


def _entry(wheel: Path, url: str) -> dict[str, object]:
    return {"filename": wheel.name, "url": url, "hashes": {"sha256": _sha(wheel.read_bytes())}}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- concurrency -------------------------------------------------------------------------


def test_prefetched_pages_are_fetched_once_each(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    names: list[NormalizedName] = [canonicalize_name(f"pkg{n}") for n in range(24)]
    for name in names:
        index_server.add_file(build_wheel(wheel_dir, name, "1.0"))
    index_server.delay("/simple/*", 0.02)
    with open_session(index_server.url, cache_dir) as session:
        session.prefetch_pages(names)
        session.prefetch_pages(reversed(names))
        pages = [session.page(name) for name in names]
        assert session.stats.pages_fetched == len(names)
    assert [page.name for page in pages if page is not None] == names
    paths = sorted(r.path for r in index_server.requests)
    assert paths == sorted(f"/simple/{name}/" for name in names)


def test_a_hint_already_sent_is_not_sent_again(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each hint sent wakes the loop thread: pages and metadata hinted once are not hinted
    again while they are still being fetched (the client memoises each fetch)."""
    names: list[NormalizedName] = [canonicalize_name(f"pkg{n}") for n in range(4)]
    for name in names:
        index_server.add_file(build_wheel(wheel_dir, name, "1.0"))
    index_server.delay("/simple/*", 0.3)
    index_server.delay("/files/*", 0.3)
    with open_session(index_server.url, cache_dir) as session:
        sent: list[object] = []
        send = session.prefetch

        def counted(work: Callable[[AsyncIndex], Coroutine[Any, Any, object]]) -> None:
            sent.append(work)
            send(work)

        monkeypatch.setattr(session, "prefetch", counted)
        session.prefetch_pages(names[:2])
        session.prefetch_pages(names[:2])
        session.prefetch_pages(reversed(names))  # two new ones: one more crossing
        assert len(sent) == 2
        wheel = only_wheel(session.page(names[0]))
        session.prefetch_metadata(wheel)
        session.prefetch_metadata(wheel)
        assert len(sent) == 3
        assert session.metadata(wheel).name == names[0]
        assert [session.page(name) is not None for name in names] == [True] * 4
    assert len(file_requests(index_server)) == 1
    assert sorted(r.path for r in index_server.requests if r.path.startswith("/simple/")) == sorted(
        f"/simple/{name}/" for name in names
    )


def test_hinted_pages_go_together_and_a_failed_one_is_left_to_its_asker(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    names: list[NormalizedName] = [canonicalize_name(f"pkg{n}") for n in range(4)]
    for name in names:
        index_server.add_file(build_wheel(wheel_dir, name, "1.0"))
    index_server.fail("/simple/pkg2/", status=403)
    with open_session(index_server.url, cache_dir) as session:
        session.prefetch_pages([*names, names[0]])
        deadline = time.monotonic() + 10
        while len(index_server.requests) < len(names) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = sorted(r.path for r in index_server.requests)
        assert seen == sorted(f"/simple/{name}/" for name in names)  # each asked once, unawaited
        assert [session.page(name) is not None for name in names if name != "pkg2"] == [True] * 3
        with pytest.raises(IndexAccessError, match="403"):
            session.page(canonicalize_name("pkg2"))


def test_concurrent_askers_share_one_metadata_request(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    index_server.delay("/files/*", 0.05)
    with open_session(index_server.url, cache_dir) as session:
        found = only_wheel(session.page(FOO))
        for _ in range(10):
            session.prefetch(lambda client: _metadata_of(client, found))
        assert session.metadata(found).name == "foo"
    assert len(file_requests(index_server)) == 1


async def _metadata_of(client: AsyncIndex, wheel: Wheel) -> object:
    return await client.metadata(wheel)


def test_pages_and_metadata_already_fetched_are_served_while_the_loop_is_busy(
    index_server: IndexServer, wheel_dir: Path, cache_dir: Path
) -> None:
    index_server.add_file(foo_wheel(wheel_dir))
    fetched, release = threading.Event(), threading.Event()
    found: list[Wheel] = []

    async def fetch_then_hold_the_loop(client: AsyncIndex) -> None:
        wheel = only_wheel(await client.page(FOO))
        await client.metadata(wheel)
        found.append(wheel)
        fetched.set()
        release.wait(timeout=30)  # the loop's thread is held here: nothing else runs on it

    served: list[object] = []
    with open_session(index_server.url, cache_dir) as session:
        session.prefetch(fetch_then_hold_the_loop)
        assert fetched.wait(timeout=10)
        asker = threading.Thread(
            target=lambda: served.extend([session.page(FOO), session.metadata(found[0])])
        )
        asker.start()
        asker.join(timeout=10)  # bounded: a wrong implementation waits on the held loop
        answered_while_held = not asker.is_alive()
        release.set()
        asker.join()
    assert answered_while_held
    page, metadata = served
    assert isinstance(page, ProjectPage)
    assert page.name == FOO
    assert isinstance(metadata, CoreMetadata)
    assert (metadata.name, metadata.version) == (FOO, Version("1.0"))
