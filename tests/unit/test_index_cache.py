"""The on-disk index cache: when a stored page may be reused, and that what is stored comes back.

Freshness is a pure decision over explicit times; storage tests write real files under
``tmp_path`` and read them back through a second cache object, as a later run would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
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
from omniwheel.index.digest import FORMAT, decode_digest, encode_digest
from omniwheel.index.models import DistFile, ProjectPage, parse_json_page

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


# -- digests ----------------------------------------------------------------------------


def json_path(root: Path) -> Path:
    [path] = root.rglob("foo.json")
    return path


def digest_path(root: Path) -> Path:
    return json_path(root).with_suffix(".digest")


def source_of(root: Path) -> bytes:
    """What names the raw page file on disk (its header line and size), as a digest records it."""
    data = json_path(root).read_bytes()
    return data.partition(b"\n")[0] + b"\n" + str(len(data)).encode()


def stored(page: ProjectPage) -> CachedPage:
    return CachedPage(page=page, fetched_at=FETCHED, etag='"abc"', max_age=600)


def other_page() -> ProjectPage:
    return ProjectPage.from_files(
        FOO, (DistFile(filename="foo-9.0-py3-none-any.whl", url="https://x/f.whl", sha256=SHA),)
    )


def test_stored_page_gets_a_digest_that_later_loads_use(tmp_path: Path) -> None:
    IndexCache(tmp_path, INDEX).store_page(stored(full_page()))
    made = digest_path(tmp_path).read_bytes()
    assert decode_digest(FOO, made, source_of(tmp_path)) is not None
    # A digest naming the raw file on disk is trusted as it is: one that says something else
    # shows that a load reads the digest, not the raw page.
    digest_path(tmp_path).write_bytes(encode_digest(other_page(), source_of(tmp_path)))
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None
    assert set(loaded.page.wheels_by_version) == {Version("9.0")}
    assert (loaded.fetched_at, loaded.etag, loaded.max_age) == (FETCHED, '"abc"', 600)


def test_digest_of_an_earlier_write_of_the_page_is_not_used(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path, INDEX)
    cache.store_page(stored(other_page()))
    earlier = digest_path(tmp_path).read_bytes()
    # Written again with the same fetch time, headers and page: only the write id differs.
    cache.store_page(stored(full_page()))
    digest_path(tmp_path).write_bytes(earlier)
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None
    assert loaded.page.files == full_page().files
    assert decode_digest(FOO, digest_path(tmp_path).read_bytes(), source_of(tmp_path)) is not None


def old_format(data: bytes) -> bytes:
    return data[:8] + (FORMAT - 1).to_bytes(2, "little") + data[10:]


@pytest.mark.parametrize(
    ("label", "damage"),
    [
        ("missing", None),
        ("empty", lambda data: b""),
        ("truncated", lambda data: data[: len(data) // 2]),
        ("a byte changed", lambda data: data[:-3] + bytes([data[-3] ^ 0xFF]) + data[-2:]),
        ("an older format", old_format),
        ("garbage", lambda data: b"\x00\xff\xfe garbage"),
    ],
)
def test_unusable_digest_is_ignored_and_made_again(
    tmp_path: Path, label: str, damage: Callable[[bytes], bytes] | None
) -> None:
    IndexCache(tmp_path, INDEX).store_page(stored(full_page()))
    made = digest_path(tmp_path).read_bytes()
    if damage is None:
        digest_path(tmp_path).unlink()
    else:
        digest_path(tmp_path).write_bytes(damage(made))
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None, label
    assert loaded.page.files == full_page().files
    assert loaded.page.sdist_versions == frozenset({Version("1.0")})
    again = decode_digest(FOO, digest_path(tmp_path).read_bytes(), source_of(tmp_path))
    assert again is not None
    assert again.files == full_page().files


def test_digest_never_outlives_its_raw_page(tmp_path: Path) -> None:
    IndexCache(tmp_path, INDEX).store_page(stored(full_page()))
    digest = digest_path(tmp_path)
    json_path(tmp_path).unlink()
    assert digest.is_file()
    assert IndexCache(tmp_path, INDEX).load_page(FOO) is None


def test_touching_a_page_loaded_from_its_digest_keeps_the_body_as_received(
    tmp_path: Path,
) -> None:
    body = json.dumps({"meta": {"api-version": "1.0"}, "files": [], "note": "as sent"}).encode()
    page = parse_json_page(FOO, body, "https://mirror.example/simple/foo/")
    IndexCache(tmp_path, INDEX).store_page(stored(page))
    loaded = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert loaded is not None
    assert loaded.page.raw_json is None  # from the digest
    later = FETCHED + timedelta(hours=1)
    IndexCache(tmp_path, INDEX).touch_page(loaded, later)
    assert json_path(tmp_path).read_bytes().partition(b"\n")[2] == body
    assert decode_digest(FOO, digest_path(tmp_path).read_bytes(), source_of(tmp_path)) is not None
    renewed = IndexCache(tmp_path, INDEX).load_page(FOO)
    assert renewed is not None
    assert renewed.fetched_at == later


# -- metadata ----------------------------------------------------------------------------


def test_metadata_is_kept_by_wheel_sha256(tmp_path: Path) -> None:
    data = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
    digest = hashlib.sha256(b"the wheel").hexdigest()
    IndexCache(tmp_path, INDEX).store_metadata(digest, data)
    # Metadata does not depend on the index: another index's cache finds it too.
    assert IndexCache(tmp_path, "https://other.example/simple/").load_metadata(digest) == data
    assert IndexCache(tmp_path, INDEX).load_metadata("00" * 32) is None
    assert (tmp_path / LAYOUT / "metadata" / digest[:2] / digest).read_bytes() == data


def test_metadata_fields_are_kept_beside_the_bytes_they_came_from(tmp_path: Path) -> None:
    data = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Dist: bar\n"
    digest = hashlib.sha256(b"the wheel").hexdigest()
    cache = IndexCache(tmp_path, INDEX)
    cache.store_metadata(digest, data)
    assert cache.load_metadata_fields(digest, data) is None  # not made yet
    fields = ("foo", "1.0", ("bar",), None, ())
    cache.store_metadata_fields(digest, data, fields)
    later = IndexCache(tmp_path, "https://other.example/simple/")
    assert later.load_metadata_fields(digest, data) == fields
    assert later.load_metadata_fields(digest, data + b"Requires-Dist: baz\n") is None
