"""The on-disk index cache: project pages (revalidated by policy) and core metadata (kept forever).

Layout, under the cache root (bump ``LAYOUT`` when the stored formats change)::

    index-v3/pages/<hash of the index URL>/<project>.json     header line, then PEP 691 JSON
    index-v3/pages/<hash of the index URL>/<project>.digest   the page digested (see below)
    index-v3/metadata/<sha256[:2]>/<sha256 of the wheel>      METADATA bytes
    index-v3/metadata/<sha256[:2]>/<sha256>.digest            its fields, parsed (see below)

Metadata is immutable for a given wheel hash, so it never expires.  Pages change when files are
uploaded or yanked; whether a stored page may be reused is decided by :func:`page_freshness`.

The ``.json`` file is the page as the index sent it, and the authority: the header line holds
the fetch time and cache headers that freshness is decided by, plus a random ``write-id`` made
anew each time the file is written.  The ``.digest`` beside it holds the same page already parsed
(:mod:`omniwheel.index.digest`) and names the raw file it was made from by that file's header
line and size: a digest is used only when both match the ``.json`` file on disk, so it never
outlives or disagrees with its raw page.  A digest that is missing, damaged, of another format or
made from another raw file is ignored; the raw page is parsed and the digest written again.
METADATA digests work the same way, naming the METADATA bytes by size and CRC-32 (those bytes
never change for a wheel hash).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName

from omniwheel._atomic import write_atomic
from omniwheel.index.digest import (
    decode_digest,
    decode_metadata_digest,
    encode_digest,
    encode_metadata_digest,
)
from omniwheel.index.models import (
    MetadataFields,
    PageFormatError,
    ProjectPage,
    parse_json_page,
    parse_timestamp,
)

LAYOUT = "index-v3"
# v2: pages stored as a header line + the PEP 691 body.  v3: file URLs stored without the
# secrets of their query strings (omniwheel.index.url_secrets); a v2 page may hold a token, and
# its URLs would reach the lock, so v2 is never read (`omniwheel cache clean` removes it).

# The index reachable from some machines sends no cache headers at all; without them a page is
# trusted for this long, like uv's default for indexes that do not say.
DEFAULT_FRESHNESS = timedelta(minutes=10)

Freshness = Literal["pinned", "fresh", "stale"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPage:
    """A page as stored: its files plus what is needed to decide whether to ask again.

    ``source`` names the raw page file it was read from (its header line and size), None for a
    page not read from the cache.
    """

    page: ProjectPage
    fetched_at: datetime
    etag: str | None
    max_age: int | None
    source: bytes | None = None


def page_freshness(
    cached: CachedPage, *, now: datetime, exclude_newer: datetime | None
) -> Freshness:
    """Decide whether a stored page may be used without asking the index.

    ``pinned``: fetched after the lock's ``exclude-newer`` cutoff, so it lists every file the lock
    may use (uploads are not back-dated); reuse it forever.  ``fresh``: within the server's
    ``max-age`` or, when the server sent none, within :data:`DEFAULT_FRESHNESS`.  Else ``stale``.
    """
    if exclude_newer is not None and cached.fetched_at > exclude_newer:
        return "pinned"
    window = timedelta(seconds=cached.max_age) if cached.max_age is not None else DEFAULT_FRESHNESS
    return "fresh" if now - cached.fetched_at < window else "stale"


class IndexCache:
    """Pages and metadata of one index under a cache root."""

    def __init__(self, root: Path, index_url: str) -> None:
        base = root / LAYOUT
        index_key = hashlib.sha256(index_url.encode()).hexdigest()[:16]
        self._pages = base / "pages" / index_key
        self._metadata = base / "metadata"

    def load_page(self, name: NormalizedName) -> CachedPage | None:
        """The stored page, or None when absent or unreadable (a damaged entry is refetched).

        The page comes from its digest when that was made from the raw file now on disk; else
        the raw page is parsed and its digest written again.
        """
        path = self._pages / f"{name}.json"
        try:
            with path.open("rb") as raw:
                header_line = raw.readline()
                source = _source(header_line, os.fstat(raw.fileno()).st_size)
                header = json.loads(header_line)
                max_age = header.get("max-age")
                if not isinstance(max_age, int | None):  # would fail later, in page_freshness
                    return None
                fetched_at = parse_timestamp(header["fetched-at"])
                etag, page_url = header.get("etag"), header["url"]
                page = self._load_digest(name, source)
                if page is None:
                    page = parse_json_page(name, raw.read(), page_url)
                    self._store_digest(page, source)
            return CachedPage(
                page=page, fetched_at=fetched_at, etag=etag, max_age=max_age, source=source
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError, PageFormatError):
            return None

    def store_page(self, cached: CachedPage) -> None:
        """One header line (fetch time, cache headers, page URL, a new write id), then the PEP
        691 body; then the page's digest, naming that file."""
        self._store(cached, cached.page.json_body())

    def touch_page(self, cached: CachedPage, fetched_at: datetime) -> CachedPage:
        """Record a successful revalidation (304) so the page counts as fresh again.

        The body written is the one stored, as read from disk when the page came from its
        digest and the raw file is still the one it came from (else the page is serialised).
        """
        renewed = CachedPage(
            page=cached.page, fetched_at=fetched_at, etag=cached.etag, max_age=cached.max_age
        )
        body = cached.page.raw_json
        if body is None and cached.source is not None:
            body = self._stored_body(cached.page.name, cached.source)
        self._store(renewed, body if body is not None else cached.page.json_body())
        return renewed

    def _store(self, cached: CachedPage, body: bytes) -> None:
        header = {
            "fetched-at": cached.fetched_at.isoformat(),
            "etag": cached.etag,
            "max-age": cached.max_age,
            "url": cached.page.page_url,
            "write-id": secrets.token_hex(16),
        }
        header_line = json.dumps(header).encode() + b"\n"
        write_atomic(self._pages / f"{cached.page.name}.json", header_line + body)
        self._store_digest(cached.page, _source(header_line, len(header_line) + len(body)))

    def _stored_body(self, name: NormalizedName, source: bytes) -> bytes | None:
        """The raw page's body, if the file on disk is still the one ``source`` names."""
        try:
            with (self._pages / f"{name}.json").open("rb") as raw:
                header_line = raw.readline()
                if _source(header_line, os.fstat(raw.fileno()).st_size) != source:
                    return None
                return raw.read()
        except OSError:
            return None

    def _load_digest(self, name: NormalizedName, source: bytes) -> ProjectPage | None:
        try:
            data = (self._pages / f"{name}.digest").read_bytes()
        except OSError:
            return None
        return decode_digest(name, data, source)

    def _store_digest(self, page: ProjectPage, source: bytes) -> None:
        """Write the page's digest; a digest is an accelerator, so failing to write one is
        not an error (the raw page is read next time)."""
        try:
            write_atomic(self._pages / f"{page.name}.digest", encode_digest(page, source))
        except OSError:
            return

    def load_metadata(self, sha256: str) -> bytes | None:
        try:
            return self._metadata_path(sha256).read_bytes()
        except OSError:
            return None

    def store_metadata(self, sha256: str, data: bytes) -> None:
        write_atomic(self._metadata_path(sha256), data)

    def load_metadata_fields(self, sha256: str, data: bytes) -> MetadataFields | None:
        """The fields of the stored METADATA ``data`` from their digest, or None when there is
        none made from these bytes (missing, damaged, of another format)."""
        try:
            digest = self._metadata_path(sha256).with_suffix(".digest").read_bytes()
        except OSError:
            return None
        return decode_metadata_digest(digest, data)

    def store_metadata_fields(self, sha256: str, data: bytes, fields: MetadataFields) -> None:
        """Write the digest of METADATA ``data``; failing to is not an error (see pages)."""
        path = self._metadata_path(sha256).with_suffix(".digest")
        try:
            write_atomic(path, encode_metadata_digest(fields, data))
        except OSError:
            return

    def _metadata_path(self, sha256: str) -> Path:
        return self._metadata / sha256[:2] / sha256


def _source(header_line: bytes, size: int) -> bytes:
    """What names one written raw page file: its header line (with its write id) and its size."""
    return header_line.rstrip(b"\n") + b"\n" + str(size).encode()
