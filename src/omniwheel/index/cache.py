"""The on-disk index cache: project pages (revalidated by policy) and core metadata (kept forever).

Layout, under the cache root (bump ``LAYOUT`` when the stored formats change)::

    index-v2/pages/<hash of the index URL>/<project>.json   header line, then PEP 691 JSON
    index-v2/metadata/<sha256[:2]>/<sha256 of the wheel>    METADATA bytes

Metadata is immutable for a given wheel hash, so it never expires.  Pages change when files are
uploaded or yanked; whether a stored page may be reused is decided by :func:`page_freshness`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName

from omniwheel._atomic import write_atomic
from omniwheel.index.models import PageFormatError, ProjectPage, parse_json_page, parse_timestamp

LAYOUT = "index-v2"  # v2: pages stored as a header line + the PEP 691 body

# The index reachable from some machines sends no cache headers at all; without them a page is
# trusted for this long, like uv's default for indexes that do not say.
DEFAULT_FRESHNESS = timedelta(minutes=10)

Freshness = Literal["pinned", "fresh", "stale"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPage:
    """A page as stored: its files plus what is needed to decide whether to ask again."""

    page: ProjectPage
    fetched_at: datetime
    etag: str | None
    max_age: int | None


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
        """The stored page, or None when absent or unreadable (a damaged entry is refetched)."""
        path = self._pages / f"{name}.json"
        try:
            header_line, _, body = path.read_bytes().partition(b"\n")
            header = json.loads(header_line)
            max_age = header.get("max-age")
            if not isinstance(max_age, int | None):  # would fail later, in page_freshness
                return None
            return CachedPage(
                page=parse_json_page(name, body, header["url"]),
                fetched_at=parse_timestamp(header["fetched-at"]),
                etag=header.get("etag"),
                max_age=max_age,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError, PageFormatError):
            return None

    def store_page(self, cached: CachedPage) -> None:
        """One header line (fetch time, cache headers, page URL), then the PEP 691 body."""
        header = {
            "fetched-at": cached.fetched_at.isoformat(),
            "etag": cached.etag,
            "max-age": cached.max_age,
            "url": cached.page.page_url,
        }
        data = json.dumps(header).encode() + b"\n" + cached.page.json_body()
        write_atomic(self._pages / f"{cached.page.name}.json", data)

    def touch_page(self, cached: CachedPage, fetched_at: datetime) -> CachedPage:
        """Record a successful revalidation (304) so the page counts as fresh again."""
        renewed = CachedPage(
            page=cached.page, fetched_at=fetched_at, etag=cached.etag, max_age=cached.max_age
        )
        self.store_page(renewed)
        return renewed

    def load_metadata(self, sha256: str) -> bytes | None:
        try:
            return self._metadata_path(sha256).read_bytes()
        except OSError:
            return None

    def store_metadata(self, sha256: str, data: bytes) -> None:
        write_atomic(self._metadata_path(sha256), data)

    def _metadata_path(self, sha256: str) -> Path:
        return self._metadata / sha256[:2] / sha256
