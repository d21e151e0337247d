"""Bounded network waits against the local index's injected faults.

The issue's case — a page that answers only after 40 s, with the 30 s default timeout — is
run scaled down through ``OMNIWHEEL_HTTP_TIMEOUT``: a page that answers after 4 s with a 1 s
timeout must end in one clean error after about 1 s (not four tries), and succeed when the
timeout allows the wait.  Retries are checked by what reached the server.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from omniwheel.errors import IndexAccessError
from omniwheel.index import client as client_module
from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.discovery import IndexLocation, discover_index
from omniwheel.index.network import NetworkPolicy
from omniwheel.index.session import IndexSession
from omniwheel.store.download import WheelFetcher
from omniwheel.store.store import Store, StoreError, WheelSource
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel

FOO = canonicalize_name("foo")
PAGE = "/simple/foo/"


@pytest.fixture
def foo_index(index_server: IndexServer, tmp_path: Path) -> Iterator[IndexServer]:
    index_server.add_file(build_wheel(tmp_path / "wheels", "foo", "1.0"))
    yield index_server
    assert index_server.handler_errors == []


def lock_foo(server: IndexServer, tmp_path: Path, environ: dict[str, str]) -> LockRun:
    project = tmp_path / "project"
    write_project(project, {"name": "demo", "version": "0.1", "dependencies": ["foo"]})
    return run_lock(
        project,
        ["--platform", "linux-x86_64@3.12"],
        index_url=server.url,
        cache_dir=tmp_path / "cache",
        environ=environ,
    )


def page_requests(server: IndexServer) -> int:
    return sum(request.path == PAGE for request in server.requests)


def open_session(server: IndexServer, tmp_path: Path, timeout: float) -> IndexSession:
    location = IndexLocation(url=server.url, source="--index-url", cert=None)
    cache = IndexCache(tmp_path / "cache", location.public_url)
    network = NetworkPolicy(timeout=timeout, timeout_source="the test")
    return IndexSession(
        lambda: IndexClient(location=location, cache=cache, exclude_newer=None, network=network)
    )


# -- the case, scaled down ----------------------------------------------------------


def test_a_page_slower_than_the_timeout_is_one_clean_error_in_bounded_time(
    foo_index: IndexServer, tmp_path: Path
) -> None:
    foo_index.delay(PAGE, 4.0)
    started = time.monotonic()
    run = lock_foo(foo_index, tmp_path, {"OMNIWHEEL_HTTP_TIMEOUT": "1"})
    elapsed = time.monotonic() - started
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith(
        f"error: {foo_index.url}foo/ sent no answer within 1 s (from OMNIWHEEL_HTTP_TIMEOUT); "
        "not asked again, since another try would wait as long\n"
    ), run.output
    assert "hint: " in run.stderr
    assert "`OMNIWHEEL_HTTP_TIMEOUT=<seconds>` (now 1 s, from OMNIWHEEL_HTTP_TIMEOUT)" in run.stderr
    assert "Traceback" not in run.stderr
    assert "Warning" not in run.stderr
    assert page_requests(foo_index) == 1
    assert elapsed < 3.5  # four tries would take over 4 s; one takes about 1 s
    assert run.lock_text is None


def test_a_page_within_the_timeout_is_waited_for(foo_index: IndexServer, tmp_path: Path) -> None:
    foo_index.delay(PAGE, 1.5)
    run = lock_foo(foo_index, tmp_path, {"OMNIWHEEL_HTTP_TIMEOUT": "5"})
    assert run.exit_code == 0, run.output
    assert page_requests(foo_index) == 1


def test_a_timeout_that_is_no_number_is_a_clean_error(
    foo_index: IndexServer, tmp_path: Path
) -> None:
    run = lock_foo(foo_index, tmp_path, {"OMNIWHEEL_HTTP_TIMEOUT": "soon"})
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith(
        "error: OMNIWHEEL_HTTP_TIMEOUT='soon' is not a positive number of seconds\n"
    ), run.output
    assert foo_index.requests == []


# -- what is retried ------------------------------------------------------------------------


def test_server_errors_are_retried_until_one_succeeds(
    foo_index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "BACKOFF_SECONDS", 0.0)
    foo_index.fail(PAGE, 503, times=2)
    with open_session(foo_index, tmp_path, timeout=5) as session:
        assert session.page(FOO) is not None
    assert page_requests(foo_index) == 3


def test_retry_after_is_honoured(foo_index: IndexServer, tmp_path: Path) -> None:
    foo_index.fail(PAGE, 429, times=1, retry_after="1")
    started = time.monotonic()
    with open_session(foo_index, tmp_path, timeout=5) as session:
        assert session.page(FOO) is not None
    assert time.monotonic() - started >= 1.0
    assert page_requests(foo_index) == 2


def test_retry_after_longer_than_omniwheel_waits_fails_at_once(
    foo_index: IndexServer, tmp_path: Path
) -> None:
    foo_index.fail(PAGE, 429, retry_after="3600")
    with (
        open_session(foo_index, tmp_path, timeout=5) as session,
        pytest.raises(IndexAccessError) as error,
    ):
        session.page(FOO)
    assert str(error.value) == (
        f"{foo_index.url}foo/ answered HTTP 429 and asked to be asked again in 3600 s, longer "
        "than omniwheel waits (10 s)"
    )
    assert page_requests(foo_index) == 1


def test_no_try_starts_after_the_retry_window(foo_index: IndexServer, tmp_path: Path) -> None:
    # Slow 503s (0.3 s each) with a 0.5 s timeout: the window is 1 s.  Try 1 ends after
    # 0.3 s, pauses 0.25 s; try 2 ends after 0.85 s and its 0.5 s pause would end past 1 s.
    foo_index.delay(PAGE, 0.3)
    foo_index.fail(PAGE, 503)
    with (
        open_session(foo_index, tmp_path, timeout=0.5) as session,
        pytest.raises(IndexAccessError, match=r"after 2 attempts \(HTTP 503\); gave up"),
    ):
        session.page(FOO)
    assert page_requests(foo_index) == 2


# -- the store uses the same setting ----------------------------------------------------------


def test_the_store_reads_the_timeout_from_the_environment(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path / "wheels", "foo", "1.0")
    index_server.add_file(wheel)
    index_server.delay("/files/*", 2.0)
    location = discover_index(
        cli_url=index_server.url,
        tool_url=None,
        environ={"OMNIWHEEL_HTTP_TIMEOUT": "0.5"},
        home=tmp_path,
        config_files=[],
    )
    content = wheel.read_bytes()
    source = WheelSource(
        name="foo",
        version="1.0",
        filename=wheel.name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        url=index_server.file_url(wheel.name),
    )
    with WheelFetcher(index=location) as fetcher, pytest.raises(StoreError) as error:
        Store(tmp_path / "store").ensure_tree(source, fetcher)
    assert "sent nothing for 0.5 s (from OMNIWHEEL_HTTP_TIMEOUT)" in str(error.value)
    assert sum(r.path.startswith("/files/") for r in index_server.requests) == 1


def test_sync_with_slow_downloads_fails_cleanly_in_bounded_time(space: Workspace) -> None:
    space.server.delay("/files/*", 3.0)
    started = time.monotonic()
    run = space.cli("sync", environ={"OMNIWHEEL_HTTP_TIMEOUT": "0.5"})
    assert run.exit_code == 1, run.stderr
    assert run.stderr.startswith("error: "), run.stderr
    assert "sent nothing for 0.5 s (from OMNIWHEEL_HTTP_TIMEOUT)" in run.stderr
    assert "Traceback" not in run.stderr
    assert "Warning" not in run.stderr
    assert time.monotonic() - started < 3.0
