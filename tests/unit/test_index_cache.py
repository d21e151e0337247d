"""The on-disk index cache: when a stored page may be reused, and that what is stored comes back.

Freshness is a pure decision over explicit times; storage tests write real files under
``tmp_path`` and read them back through a second cache object, as a later run would.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.index.cache import (
    DEFAULT_FRESHNESS,
    LAYOUT,
    CachedPage,
    Freshness,
    IndexCache,
    page_freshness,
)
from omniwheel.index.models import DistFile, ProjectPage

INDEX = "https://mirror.example/simple/"
FETCHED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FOO = canonicalize_name("foo")
SHA = "ab" * 32


def cached(
    *, fetched_at: datetime = FETCHED, max_age: int | None = None, etag: str | None = None
) -> CachedPage:
    return CachedPage(
        page=ProjectPage.from_files(FOO, ()), fetched_at=fetched_at, etag=etag, max_age=max_age
    )


def full_page() -> ProjectPage:
    files = (
        DistFile(
            filename="foo-1.0-py3-none-any.whl",
            url="https://files.example/foo-1.0-py3-none-any.whl",
            sha256=SHA,
            requires_python=">=3.9",
            yanked=True,
            yanked_reason="broken",
            upload_time=datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
            size=1234,
            metadata_advertised=True,
            metadata_sha256="cd" * 32,
        ),
        DistFile(
            filename="foo-1.0.tar.gz",
            url="https://files.example/foo-1.0.tar.gz",
            sha256=None,
        ),
    )
    return ProjectPage.from_files(FOO, files)


# -- freshness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "age", "exclude_newer", "expected"),
    [
        # Fetched after the cutoff: every file the lock may use is listed, whatever the age.
        (0, timedelta(days=3650), FETCHED - timedelta(seconds=1), "pinned"),
        (None, timedelta(days=1), FETCHED - timedelta(days=30), "pinned"),
        # Fetched at or before the cutoff: later uploads may be missing, so the age decides.
        (0, timedelta(days=1), FETCHED, "stale"),
        (600, timedelta(minutes=5), FETCHED + timedelta(days=1), "fresh"),
        # The server's max-age ...
        (600, timedelta(minutes=9), None, "fresh"),
        (600, timedelta(minutes=10), None, "stale"),
        (0, timedelta(0), None, "stale"),
        (86_400, timedelta(hours=23), None, "fresh"),
        # ... or the default window when it sent none.
        (None, DEFAULT_FRESHNESS - timedelta(seconds=1), None, "fresh"),
        (None, DEFAULT_FRESHNESS, None, "stale"),
        (None, timedelta(days=1), None, "stale"),
    ],
)
def test_page_freshness(
    max_age: int | None, age: timedelta, exclude_newer: datetime | None, expected: Freshness
) -> None:
    page = cached(max_age=max_age)
    assert page_freshness(page, now=FETCHED + age, exclude_newer=exclude_newer) == expected


# -- pages -------------------------------------------------------------------------------


def test_stored_page_comes_back_in_a_later_run(tmp_path: Path) -> None:
    stored = CachedPage(page=full_page(), fetched_at=FETCHED, etag='"abc"', max_age=600)
    IndexCache(tmp_path, INDEX).store_page(stored)
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None
    assert loaded.page.files == stored.page.files
    assert (loaded.page.name, loaded.fetched_at, loaded.etag, loaded.max_age) == (
        FOO,
        FETCHED,
        '"abc"',
        600,
    )
    [wheel] = loaded.page.wheels_by_version[Version("1.0")]
    assert wheel.file.yanked_reason == "broken"
    assert loaded.page.sdist_versions == frozenset({Version("1.0")})


def test_page_without_cache_headers_round_trips(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path, INDEX)
    cache.store_page(cached())
    loaded = cache.load_page(FOO)
    assert loaded is not None
    assert (loaded.etag, loaded.max_age, loaded.page.files) == (None, None, ())


def test_pages_are_kept_per_index(tmp_path: Path) -> None:
    IndexCache(tmp_path, INDEX).store_page(cached())
    assert IndexCache(tmp_path, "https://other.example/simple/").load_page(FOO) is None
    assert IndexCache(tmp_path, INDEX).load_page(canonicalize_name("bar")) is None


def test_touch_renews_the_fetch_time_on_disk(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path, INDEX)
    old = CachedPage(page=full_page(), fetched_at=FETCHED, etag='"e"', max_age=0)
    cache.store_page(old)
    later = FETCHED + timedelta(hours=5)
    renewed = cache.touch_page(old, later)
    assert (renewed.fetched_at, renewed.etag, renewed.page) == (later, '"e"', old.page)
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None
    assert loaded.fetched_at == later


def test_cache_layout_is_versioned(tmp_path: Path) -> None:
    IndexCache(tmp_path, INDEX).store_page(cached())
    [path] = tmp_path.rglob("foo.json")
    assert path.relative_to(tmp_path).parts[:2] == (LAYOUT, "pages")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"fetched-at": "2025-03-01T12:00:00+00:00", "files": [',
        b"\x00\xff\xfe garbage",
        b"[]",
        b"null",
        b'{"files": []}',
        b'{"fetched-at": "not a time", "files": []}',
        b'{"fetched-at": "2025-03-01T12:00:00+00:00", "files": [1]}',
        b'{"fetched-at": "2025-03-01T12:00:00+00:00", "files": [{"url": "x"}]}',
        b'{"fetched-at": "2025-03-01T12:00:00+00:00", "max-age": "600", "files": []}',
    ],
)
def test_damaged_page_file_reads_as_absent(tmp_path: Path, content: bytes) -> None:
    cache = IndexCache(tmp_path, INDEX)
    cache.store_page(cached())
    [path] = tmp_path.rglob("foo.json")
    path.write_bytes(content)
    assert cache.load_page(FOO) is None


# -- metadata ----------------------------------------------------------------------------


def test_metadata_is_kept_by_wheel_sha256(tmp_path: Path) -> None:
    data = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
    digest = hashlib.sha256(b"the wheel").hexdigest()
    IndexCache(tmp_path, INDEX).store_metadata(digest, data)
    # Metadata does not depend on the index: another index's cache finds it too.
    assert IndexCache(tmp_path, "https://other.example/simple/").load_metadata(digest) == data
    assert IndexCache(tmp_path, INDEX).load_metadata("00" * 32) is None
    assert (tmp_path / LAYOUT / "metadata" / digest[:2] / digest).read_bytes() == data
