"""Async client for one simple-API index: project pages and wheel core metadata.

Pages come from PEP 691 JSON (PEP 503 HTML when the index only speaks that), through the on-disk
cache's freshness policy.  A wheel's METADATA comes from the cheapest source that answers, in order:
the cache (by wheel sha256, forever); the PEP 658/714 metadata file when the page advertises it; the
same file probed once per index when it is not advertised (some indexes serve it anyway); HTTP range
reads of the wheel's zip; a full download last.  Every fetch is memoised, so concurrent askers share
one request, and transient failures are retried with backoff before an error names the URL.
Credentials come from :class:`~omniwheel.index.credentials.IndexCredentials` (the URL, the
environment, the netrc file, a keyring on a 401) and go only to the origin they belong to, also
across redirects: httpx drops ``Authorization`` when a redirect leaves the origin, except for a
plain upgrade of the same host from ``http`` (port 80) to ``https`` (port 443).  File URLs
that carry userinfo, or a secret in their query string (``?token=…``, a signed URL:
:mod:`omniwheel.index.url_secrets`), are stored without it: pages, the cache and the lock never
hold it, and messages never show it.  This run fetches such a file by the URL as the index gave
it (held in memory only); a later run whose page comes from the cache, refused a file by its
public URL, reads the page again to get it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from packaging.utils import NormalizedName

from omniwheel import __version__
from omniwheel.errors import IndexAccessError
from omniwheel.index.cache import CachedPage, IndexCache, page_freshness
from omniwheel.index.credentials import IndexCredentials
from omniwheel.index.discovery import IndexLocation, strip_credentials
from omniwheel.index.flat import FlatListing, local_path
from omniwheel.index.models import (
    JSON_CONTENT_TYPE,
    CoreMetadata,
    DistFile,
    MetadataError,
    PageFormatError,
    ProjectPage,
    Wheel,
    core_metadata,
    metadata_fields,
    parse_html_page,
    parse_json_page,
)
from omniwheel.index.network import (
    MAX_RETRY_AFTER_SECONDS,
    RETRY_STATUSES,
    NetworkPolicy,
    retry_after_seconds,
)
from omniwheel.index.remote_zip import (
    TAIL_SIZE,
    MissingRange,
    SparseFile,
    find_metadata_member,
    member_range,
)
from omniwheel.index.tls import DeferredTrust, untrusted_certificate
from omniwheel.index.url_secrets import REFIND_STATUSES, GivenUrls, redact, secret_values

if TYPE_CHECKING:
    import httpx

    from omniwheel.index.threaded_http import ThreadedHttp

ATTEMPTS = 4
CONNECTIONS = 16
"""Connections to one index at a time, each with its own thread (see ``IndexClient._http``)."""
BACKOFF_SECONDS = 0.25
TRANSIENT_STATUSES = RETRY_STATUSES
PROBE_FAILURES_BEFORE_GIVING_UP = 3
_JSON_TYPES = frozenset({JSON_CONTENT_TYPE, "application/json"})
_HTML_TYPES = frozenset({"text/html", "application/vnd.pypi.simple.v1+html"})
_MAX_AGE = re.compile(r"max-age=(\d+)")
_T = TypeVar("_T")


@dataclass(slots=True)
class IndexStats:
    """How pages and metadata were obtained, for the run summary."""

    pages_fetched: int = 0
    pages_pinned: int = 0
    pages_fresh: int = 0
    pages_revalidated: int = 0
    metadata_cached: int = 0
    metadata_file: int = 0
    metadata_range: int = 0
    metadata_download: int = 0
    # Projects with files that give no upload-time: --exclude-newer cannot date them, so they
    # are left out; the CLI warns.
    projects_without_upload_time: list[str] = field(default_factory=list)


def finished(future: asyncio.Future[_T] | None) -> tuple[bool, _T | None]:
    """``(True, result)`` when ``future`` has finished without error, else ``(False, None)``;
    safe from another thread than the loop's (a done future no longer changes)."""
    if future is None or not future.done() or future.cancelled():
        return False, None
    if future.exception() is not None:
        return False, None
    return True, future.result()


class IndexClient:
    """One index, one connection pool (requests on threads: :mod:`omniwheel.index.threaded_http`),
    one cache; use as ``async with``."""

    def __init__(
        self,
        *,
        location: IndexLocation,
        cache: IndexCache,
        exclude_newer: datetime | None,
        refresh: bool = False,
        max_concurrency: int = 32,
        network: NetworkPolicy | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.location = location
        self.stats = IndexStats()
        self._base = _base_url(location.url)
        self._credentials = IndexCredentials(location.url, location.credentials)
        self._given = GivenUrls(self._credentials.secrets)
        self._network = location.network if network is None else network
        self._cache = cache
        self._exclude_newer = exclude_newer
        self._refresh = refresh
        self._now = now
        self._limit = asyncio.Semaphore(max_concurrency)
        self._pages: dict[str, asyncio.Future[ProjectPage | None]] = {}
        self._metadata: dict[str, asyncio.Future[CoreMetadata]] = {}
        self._pages_again: dict[str, asyncio.Future[ProjectPage | None]] = {}
        # Whether ``<wheel-url>.metadata`` answers although pages do not advertise it: decided by
        # the first probes (some old wheels lack the file even on indexes that serve it).
        self._probe_successes = 0
        self._probe_failures = 0
        # Checked now, so that an unusable CA bundle is an error before any work starts; loaded
        # for the first connection (a lock served by the cache makes none).
        self._trust = DeferredTrust(location, error=IndexAccessError)
        self._http_pool: ThreadedHttp | None = None
        self._flat = FlatListing(location, self._fetch_body) if location.flat else None

    def _http(self) -> ThreadedHttp:
        """The connection pool, made for the first request: a lock whose pages and metadata all
        come from the cache neither imports httpx nor loads a CA bundle.  Requests are blocking
        HTTP/1.1 calls, each on a thread, awaited from the loop
        (:mod:`omniwheel.index.threaded_http` says why)."""
        if self._http_pool is None:
            import httpx  # here, not at the top: kept off the warm path

            from omniwheel.index.threaded_http import ThreadedHttp

            self._http_pool = ThreadedHttp(
                connections=CONNECTIONS,
                verify=self._trust.verification(),
                timeout=httpx.Timeout(
                    self._network.timeout, connect=self._network.connect_timeout, pool=None
                ),
                headers={"User-Agent": f"omniwheel/{__version__}"},
            )
        return self._http_pool

    async def __aenter__(self) -> IndexClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http_pool is not None:
            self._http_pool.close()

    def page(self, name: NormalizedName) -> Awaitable[ProjectPage | None]:
        """The project's page, or None when the index has no such project (HTTP 404)."""
        return _memoised(self._pages, name, lambda: self._fetch_page(name))

    def finished_page(self, name: NormalizedName) -> tuple[bool, ProjectPage | None]:
        """``(True, page)`` when the page's fetch has finished without error, else
        ``(False, None)``.  Safe from another thread than the loop's: it only reads a future
        that, once done, no longer changes."""
        return finished(self._pages.get(name))

    def finished_metadata(self, wheel: Wheel) -> CoreMetadata | None:
        """The wheel's metadata when its fetch has finished without error (as
        :meth:`finished_page`, safe from another thread)."""
        return finished(self._metadata.get(wheel.file.url))[1]

    def metadata(self, wheel: Wheel) -> Awaitable[CoreMetadata]:
        """Core metadata of one wheel."""
        return _memoised(self._metadata, wheel.file.url, lambda: self._fetch_metadata(wheel))

    # -- pages -------------------------------------------------------------------------------

    async def _fetch_page(self, name: NormalizedName) -> ProjectPage | None:
        page = await self._load_page(name)
        # Only a cut-off leaves undated files out, so only then is the page scanned for them.
        if self._exclude_newer is not None and page is not None and page.has_undated_files():
            self.stats.projects_without_upload_time.append(name)
        return page

    async def _load_page(self, name: NormalizedName) -> ProjectPage | None:
        if self._flat is not None:  # a find-links source: read afresh, not cached
            self.stats.pages_fetched += 1
            return await self._flat.page(name)
        cached = None if self._refresh else self._cache.load_page(name)
        if cached is not None:
            freshness = page_freshness(cached, now=self._now(), exclude_newer=self._exclude_newer)
            if freshness == "pinned":
                self.stats.pages_pinned += 1
                return cached.page
            if freshness == "fresh":
                self.stats.pages_fresh += 1
                return cached.page
        return await self._download_page(name, cached)

    async def _download_page(
        self, name: NormalizedName, cached: CachedPage | None
    ) -> ProjectPage | None:
        """The page from the index (revalidating ``cached`` when given), stored in the cache."""
        url = urljoin(self._base, f"{name}/")
        headers = {"Accept": f"{JSON_CONTENT_TYPE}, text/html;q=0.1"}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        # The answer lists every upload made before the request went out: that moment, not the
        # answer's arrival, is what the "pinned" rule may compare with exclude-newer.
        requested_at = self._now()
        response = await self._get(url, headers=headers, accept=(200, 304, 404))
        if response.status_code == 404:
            return None
        if response.status_code == 304 and cached is not None:
            self.stats.pages_revalidated += 1
            return self._cache.touch_page(cached, requested_at).page
        self.stats.pages_fetched += 1
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        # Stored with the page, and the base of its relative file URLs: kept without secrets
        # (a redirect may have put one in; relative file URLs do not inherit a query).
        final_url = self._shown(str(response.url))
        public = self._public_url
        if content_type in _JSON_TYPES:
            page = parse_json_page(name, response.content, final_url, public_url=public)
        elif content_type in _HTML_TYPES:
            page = parse_html_page(name, response.content, final_url, public_url=public)
        else:  # as pip does: reading it as HTML would find no files and blame the project
            raise PageFormatError(
                f"the index page for `{name}` at {final_url} is {content_type or 'untyped'}, "
                "neither PEP 691 JSON nor HTML",
                hint=f"check that the index URL (from {self.location.source}) points at a "
                "simple-API index (…/simple/)",
            )
        stored = CachedPage(
            page=page,
            fetched_at=requested_at,
            etag=response.headers.get("etag"),
            max_age=_max_age(response.headers.get("cache-control")),
        )
        self._cache.store_page(stored)
        # Stored, the body is on disk: holding every page's body for the whole run cost a
        # cold lock tens of megabytes (a 304 later reads the stored body back).
        return replace(page, raw_json=None)

    def _public_url(self, url: str) -> str:
        """A file URL without its userinfo and query secrets, both kept in memory for fetching."""
        return self._given.public(self._credentials.learn(url))

    # -- metadata ----------------------------------------------------------------------------

    async def _fetch_metadata(self, wheel: Wheel) -> CoreMetadata:
        digest = wheel.file.sha256
        cached = self._cache.load_metadata(digest) if digest else None
        fields = None
        if cached is not None and digest:
            self.stats.metadata_cached += 1
            fields = self._cache.load_metadata_fields(digest, cached)
        data = cached if cached is not None else await self._fetched_metadata(wheel)
        source = wheel.file.filename
        parsed = fields if fields is not None else metadata_fields(data, source=source)
        metadata = core_metadata(parsed, source=source)
        if metadata.name != wheel.name or metadata.version != wheel.version:
            raise MetadataError(
                f"the metadata of {wheel.file.filename} names {metadata.name} "
                f"{metadata.version}, not {wheel.name} {wheel.version}",
                hint="the index serves inconsistent files; report it to the package's maintainers",
            )
        if cached is None and digest:
            # Kept forever, so only once it parsed and named this wheel.
            self._cache.store_metadata(digest, data)
        if fields is None and digest:
            self._cache.store_metadata_fields(digest, data, parsed)
        return metadata

    async def _fetched_metadata(self, wheel: Wheel) -> bytes:
        """The wheel's METADATA from the index.  A file refused by the public URL of a page this
        run did not read (it came from the cache) may need the token the index puts in its
        URLs: the page is then read again, and the file fetched by the URL it gives now."""
        try:
            return await self._metadata_bytes(wheel.file)
        except FileStatusError as error:
            refindable = error.status in REFIND_STATUSES and self._flat is None
            if not refindable or self._given.knows(wheel.file.url):
                raise
            if not await self._given_again(wheel):
                raise
        return await self._metadata_bytes(wheel.file)

    async def _given_again(self, wheel: Wheel) -> bool:
        """Read the wheel's page again (once per run); whether it lists the same file (same
        public URL and sha256) with a secret that the URL to fetch it by now holds."""
        page = await _memoised(
            self._pages_again, wheel.name, lambda: self._download_page(wheel.name, None)
        )
        dist = wheel.file
        listed = page.wheels_by_version.get(wheel.version, ()) if page is not None else ()
        same = any(
            w.file.url == dist.url
            and w.file.sha256 == dist.sha256
            and w.file.filename == dist.filename
            for w in listed
        )
        return same and self._given.knows(dist.url)

    async def _metadata_bytes(self, dist: DistFile) -> bytes:
        path = local_path(dist.url)
        if path is not None:  # a wheel of a find-links directory
            self.stats.metadata_download += 1
            return _wheel_metadata(dist, await asyncio.to_thread(path.read_bytes))
        if dist.metadata_advertised or self._worth_probing():
            data = await self._metadata_file(dist)
            if data is not None:
                self.stats.metadata_file += 1
                self._probe_successes += not dist.metadata_advertised
                return data
            self._probe_failures += not dist.metadata_advertised
        try:
            data = await self._range_metadata(dist)
        except (zipfile.BadZipFile, MissingRange, ValueError):
            data = None
        if data is not None:
            return data
        self.stats.metadata_download += 1
        return await self._download_metadata(dist)

    def _worth_probing(self) -> bool:
        """Probe unadvertised metadata files until three fail before any succeeds."""
        return self._probe_successes > 0 or self._probe_failures < PROBE_FAILURES_BEFORE_GIVING_UP

    async def _metadata_file(self, dist: DistFile) -> bytes | None:
        url = _metadata_url(self._given.given(dist.url))
        response = await self._get(url, accept=(200, 404, 403))
        if response.status_code != 200:
            return None
        data = response.content
        if dist.metadata_sha256 and hashlib.sha256(data).hexdigest() != dist.metadata_sha256:
            raise IndexAccessError(
                f"the metadata file of {dist.filename} does not match the sha256 the index "
                f"page gives for it ({dist.metadata_sha256})",
                hint="the index or a proxy is serving corrupt data; retry later or report it",
            )
        return data

    async def _range_metadata(self, dist: DistFile) -> bytes | None:
        """METADATA from byte ranges; None when the server does not do ranges."""
        url = self._given.given(dist.url)
        tail = await self._get(
            url, headers={"Range": f"bytes=-{TAIL_SIZE}"}, accept=(200, 206, 416)
        )
        if tail.status_code == 200:  # the server ignored Range and sent the whole wheel
            self.stats.metadata_download += 1
            return _wheel_metadata(dist, tail.content)
        if tail.status_code != 206:
            return None
        start, size = _content_range(tail.headers.get("content-range", ""))
        sparse = SparseFile(size)
        sparse.add(start, tail.content)
        for _ in range(4):
            try:
                with zipfile.ZipFile(sparse) as archive:
                    info = find_metadata_member(archive)
                    begin, end = member_range(info)
                    end = min(end, size)
                    if not sparse.has(begin, end):
                        sparse.add(begin, await self._get_range(url, begin, end))
                    data = archive.read(info)
                    self.stats.metadata_range += 1
                    return data
            except MissingRange as missing:
                sparse.add(missing.start, await self._get_range(url, missing.start, missing.end))
        return None

    async def _get_range(self, url: str, start: int, end: int) -> bytes:
        response = await self._get(
            url, headers={"Range": f"bytes={start}-{end - 1}"}, accept=(206,)
        )
        return response.content

    async def _download_metadata(self, dist: DistFile) -> bytes:
        response = await self._get(self._given.given(dist.url), accept=(200,))
        return _wheel_metadata(dist, response.content)

    async def _fetch_body(self, url: str) -> tuple[bytes, str]:
        """GET ``url`` (a find-links page or file) with this source's credentials."""
        response = await self._get(url, accept=(200,))
        return response.content, str(response.url)

    # -- HTTP --------------------------------------------------------------------------------

    async def _get(
        self, url: str, *, headers: dict[str, str] | None = None, accept: tuple[int, ...]
    ) -> httpx.Response:
        """GET ``url``; what another try can mend (a connection not made or broken off, the
        statuses in ``TRANSIENT_STATUSES``) is tried again with backoff, up to ``ATTEMPTS``
        tries within the policy's retry window (:mod:`omniwheel.index.network`).  Anything
        else fails at once: a read timeout, a certificate the CA bundle does not verify, a
        redirect loop, a body that does not decode, other statuses."""
        reason = ""
        first: float | None = None
        attempt = 0
        while True:
            attempt += 1
            async with self._limit:
                first = first if first is not None else time.monotonic()
                outcome = await self._try(url, headers, accept, attempt)
            if outcome is None:  # the keyring gave credentials: a fresh start with them
                return await self._get(url, headers=headers, accept=accept)
            if not isinstance(outcome, _Retry):
                return outcome
            reason = outcome.reason
            elapsed = time.monotonic() - first
            if attempt == ATTEMPTS or not self._network.may_retry(elapsed, outcome.pause):
                break
            await asyncio.sleep(outcome.pause)
        # File URLs come from the index's pages and may carry credentials too.
        raise IndexAccessError(
            f"could not fetch {self._shown(url)} after {attempt} attempts ({reason}); "
            f"gave up {time.monotonic() - first:.1f} s after the first",
            hint=f"check that the index is reachable (it came from {self.location.source})",
        )

    async def _try(
        self, url: str, headers: dict[str, str] | None, accept: tuple[int, ...], attempt: int
    ) -> httpx.Response | _Retry | None:
        """Try ``attempt``: the accepted response, a :class:`_Retry` when another try may mend
        it, or None when the keyring gave credentials to try with; else it raises."""
        import httpx  # loaded by _http() already; kept off the warm path

        backoff = BACKOFF_SECONDS * 2 ** (attempt - 1)
        try:
            response = await self._http().get(url, headers=headers, auth=self._auth_for(url))
        except httpx.RequestError as exc:
            self._raise_unless_retryable(exc, url)
            return _Retry(self._failure_reason(exc, url), backoff)
        except httpx.InvalidURL as exc:
            raise IndexAccessError(
                f"{self._shown(url)} is not a URL that can be fetched "
                f"({self._redacted(str(exc), url)})",
                hint="the index lists a malformed URL; report it to the index's operators",
            ) from exc
        status = response.status_code
        if status in accept:
            return response
        if status in TRANSIENT_STATUSES:
            return _Retry(f"HTTP {status}", max(backoff, self._retry_after(url, response)))
        if status in (401, 403) and await self._keyring_helps(url):
            return None
        raise self._status_error(url, status)

    def _raise_unless_retryable(self, exc: httpx.RequestError, url: str) -> None:
        """Return for trouble on the way that another try may mend; raise for the rest."""
        import httpx  # loaded by _http() already; kept off the warm path

        public = self._shown(url)
        untrusted = untrusted_certificate(exc, url=public, location=self.location)
        if untrusted is not None:  # the same on every try: final at once
            raise IndexAccessError(untrusted.message, hint=untrusted.hint) from exc
        if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            raise IndexAccessError(
                f"{public} sent no answer within {self._network.describe_timeout()}; not "
                "asked again, since another try would wait as long",
                hint=self._network.timeout_hint(),
            ) from exc
        if isinstance(exc, httpx.TransportError) and not isinstance(
            exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError
        ):
            return  # not connected, connection refused or dropped, a proxy failing
        raise IndexAccessError(
            f"could not fetch {public} ({self._failure_reason(exc, url)}); not tried again, since "
            "another try would fail the same way",
            hint=f"check the index URL (it came from {self.location.source}); if it is right, "
            "tell the index's operators",
        ) from exc

    def _retry_after(self, url: str, response: httpx.Response) -> float:
        """The pause a 429/503 asks for (0 when it asks none); too long a pause is final."""
        asked = retry_after_seconds(response.headers.get("retry-after"))
        if asked is None or response.status_code not in (429, 503):
            return 0.0
        if asked > MAX_RETRY_AFTER_SECONDS:
            raise IndexAccessError(
                f"{self._shown(url)} answered HTTP {response.status_code} and asked to "
                f"be asked again in {asked:.0f} s, longer than omniwheel waits "
                f"({MAX_RETRY_AFTER_SECONDS:g} s)",
                hint="the index is rate-limiting or down for maintenance; try again later",
            )
        return asked

    async def _keyring_helps(self, url: str) -> bool:
        """Whether the keyring (asked once, off the loop) gave a password to try again with."""
        found = await asyncio.to_thread(self._credentials.from_keyring, url)
        return found is not None

    def _shown(self, url: str) -> str:
        """``url`` fit for a message: no userinfo, no query secrets."""
        return self._given.shown(strip_credentials(url))

    def _redacted(self, text: str, url: str) -> str:
        """``text`` (an exception's, which may quote ``url``) with ``url``'s secrets hidden."""
        return redact(text, secret_values(url, self._credentials.secrets(url)))

    def _failure_reason(self, exc: httpx.RequestError, url: str) -> str:
        return self._redacted(_failure_reason(exc), url)

    def _status_error(self, url: str, status: int) -> FileStatusError:
        public = self._shown(url)
        if status not in (401, 403):
            hint = f"check the index URL (it came from {self.location.source})"
            return FileStatusError(f"{public} answered HTTP {status}", hint=hint, status=status)
        sent = self._credentials.where(url)
        index = f"the `{self.location.credentials.name}` index (from {self.location.source})"
        told = (
            f"{index} refused the credentials from {sent}"
            if sent is not None
            else f"{index} wants credentials, and none were found for it"
        )
        return FileStatusError(
            f"{public} answered HTTP {status}: {told}",
            hint=self._credentials.sources_hint(),
            status=status,
        )

    def _auth_for(self, url: str) -> httpx.BasicAuth | None:
        import httpx  # loaded by _http() already; kept off the warm path

        found = self._credentials.for_url(url)
        return None if found is None else httpx.BasicAuth(found.username, found.password)


class FileStatusError(IndexAccessError):
    """A page or file that answered an HTTP status the request could not use."""

    def __init__(self, message: str, *, hint: str | None, status: int) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class _Retry(NamedTuple):
    """A try that another may mend: why it failed, and the pause before the next."""

    reason: str
    pause: float


def _failure_reason(exc: httpx.RequestError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _memoised(
    table: dict[str, asyncio.Future[_T]], key: str, start: Callable[[], Awaitable[_T]]
) -> asyncio.Future[_T]:
    """One task per key: later askers await the same result (or the same error)."""
    future = table.get(key)
    if future is None:
        future = asyncio.ensure_future(start())
        table[key] = future
    return future


def _base_url(url: str) -> str:
    """The index URL without userinfo, its host lower-cased, ending in ``/``."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2].lower()  # keeps an IPv6 host's brackets
    base = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return base if base.endswith("/") else base + "/"


def _metadata_url(url: str) -> str:
    """PEP 658's metadata file of the file at ``url``: ``.metadata`` added to the URL's path,
    so that a query string (a token) stays a query string."""
    before_fragment = url.partition("#")[0]
    path, mark, query = before_fragment.partition("?")
    return f"{path}.metadata{mark}{query}"


def _max_age(cache_control: str | None) -> int | None:
    if not cache_control:
        return None
    if "no-cache" in cache_control or "no-store" in cache_control:
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def _content_range(header: str) -> tuple[int, int]:
    """(first byte, total size) from ``bytes a-b/size``."""
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+)", header.strip())
    if not match:
        raise ValueError(f"unusable Content-Range {header!r}")
    return int(match.group(1)), int(match.group(2))


def _verified(dist: DistFile, data: bytes) -> bytes:
    if dist.sha256 and hashlib.sha256(data).hexdigest() != dist.sha256:
        raise IndexAccessError(
            f"{dist.filename} does not match the sha256 the index gives for it ({dist.sha256})",
            hint="the index or a proxy is serving corrupt data; retry later or report it",
        )
    return data


def _wheel_metadata(dist: DistFile, wheel_bytes: bytes) -> bytes:
    """METADATA from a whole wheel, checked against the index's hash first.

    A broken wheel is a MetadataError at once: downloading it again would not mend it.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(_verified(dist, wheel_bytes))) as archive:
            return archive.read(find_metadata_member(archive))
    except zipfile.BadZipFile as exc:
        raise MetadataError(
            f"{dist.filename} is not a valid wheel ({exc})",
            hint="the index serves a broken file; pin another version of this package",
        ) from exc
