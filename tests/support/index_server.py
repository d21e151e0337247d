"""A local package index that tests can script: real HTTP, real files, injected faults.

The index client, resolver and store are exercised against this server instead of a
public index.  It speaks the simple repository API the way real indexes do: PEP 691
JSON or PEP 503 HTML by content negotiation, PEP 658/714 metadata files, PEP 592
yanking, PEP 700 ``versions``/``size``/``upload-time``, 301 redirects to normalised
project names, byte ranges and HTTP/1.1 keep-alive.  Tests register files with
:meth:`IndexServer.add_file` and script failures (status codes, delays, truncated
bodies, garbage, ranges switched off, basic auth, file URLs that carry a token).  Fault globs
match the request path (without query) with :func:`fnmatch.fnmatchcase`, e.g. ``"/files/*.whl"``.

Files are held in memory; ``upload_time=None`` means the fixed default, ``"omit"``
drops the key.  Files that are not wheels (or wheels without a readable METADATA)
never advertise or serve metadata.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import Literal, NamedTuple, Self, cast
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from packaging.metadata import parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

MetadataMode = Literal["advertised", "unadvertised", "missing"]
#: Upload time given to files registered without one.
DEFAULT_UPLOAD_TIME = datetime(2024, 1, 1, tzinfo=UTC)
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_MEDIA_KINDS: dict[str, Literal["json", "html"]] = {
    _SIMPLE_JSON: "json",
    "application/vnd.pypi.simple.latest+json": "json",
    "application/vnd.pypi.simple.v1+html": "html",
    "application/vnd.pypi.simple.latest+html": "html",
    "text/html": "html",
    "text/*": "html",
    "*/*": "html",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Hosted:
    """A published file and what the pages say about it."""

    filename: str
    project: NormalizedName
    version: Version | None
    content: bytes
    advertised_sha256: str
    upload_time: datetime | None
    yanked: bool | str
    requires_python: str | None
    metadata: bytes | None
    advertise_metadata: bool


class _Page(NamedTuple):
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class _Failure:
    glob: str
    status: int
    remaining: int | None
    retry_after: str | None = None


@dataclass(slots=True, kw_only=True)
class _Faults:
    failures: list[_Failure] = field(default_factory=list)
    delays: list[tuple[str, float]] = field(default_factory=list)
    truncations: list[tuple[str, int]] = field(default_factory=list)
    garbage: list[tuple[str, bytes, str]] = field(default_factory=list)
    ranges: bool = True
    authorization: str | None = None
    file_query: tuple[tuple[str, str], ...] = ()


class _Plan(NamedTuple):
    """What the faults say about one request, decided atomically."""

    delay: float
    response: _Response | None
    truncate: int | None


class IndexServer:
    """A threaded simple-API index on 127.0.0.1 (or another loopback ``host``, to stand for
    another machine) with an ephemeral port."""

    def __init__(self, *, page_max_age: int = 0, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._files: dict[str, _Hosted] = {}
        self._faults = _Faults()
        self._requests: list[RecordedRequest] = []
        self._page_max_age = page_max_age
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Unexpected exceptions raised while handling requests (server bugs), as text.
        self.handler_errors: list[str] = []

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._httpd is not None:
            return
        self._httpd = _HTTPServer((self._host, 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, thread, self._httpd, self._thread = self._httpd, self._thread, None, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("IndexServer is not running; call start() first")
        return f"http://{self._host}:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """The simple index root, e.g. ``http://127.0.0.1:PORT/simple/``."""
        return f"{self.base_url}/simple/"

    def file_url(self, filename: str) -> str:
        return f"{self.base_url}/files/{quote(filename)}"

    # -- content ---------------------------------------------------------------------
    def add_file(
        self,
        path: Path,
        *,
        upload_time: datetime | Literal["omit"] | None = DEFAULT_UPLOAD_TIME,
        yanked: bool | str = False,
        requires_python: str | None = None,
        metadata: MetadataMode = "advertised",
        advertised_sha256: str | None = None,
        project: str | None = None,
    ) -> None:
        """Publish ``path`` under its filename; a second file with that name replaces it.

        ``requires_python`` defaults to the wheel's own ``Requires-Python``;
        ``advertised_sha256`` puts a (wrong) hash in the pages while serving the real bytes.
        """
        content = path.read_bytes()
        name, version = _identify(path.name, project)
        core = _wheel_metadata(content) if path.name.endswith(".whl") else None
        if requires_python is None and core is not None:
            requires_python = _requires_python(core)
        if isinstance(upload_time, datetime) and upload_time.tzinfo is None:
            raise ValueError(f"upload_time for {path.name} must be timezone-aware")
        hosted = _Hosted(
            filename=path.name,
            project=name,
            version=version,
            content=content,
            advertised_sha256=advertised_sha256 or hashlib.sha256(content).hexdigest(),
            upload_time=None if upload_time == "omit" else upload_time or DEFAULT_UPLOAD_TIME,
            yanked=yanked,
            requires_python=requires_python,
            metadata=None if metadata == "missing" else core,
            advertise_metadata=metadata == "advertised" and core is not None,
        )
        with self._lock:
            self._files[path.name] = hosted

    # -- fault controls ----------------------------------------------------------------
    def fail(
        self,
        path_glob: str,
        status: int = 500,
        times: int | None = None,
        *,
        retry_after: str | None = None,
    ) -> None:
        """Answer matching requests with ``status``, ``times`` times (``None``: always), with a
        ``Retry-After: retry_after`` header when given."""
        failure = _Failure(glob=path_glob, status=status, remaining=times, retry_after=retry_after)
        with self._lock:
            self._faults.failures.append(failure)

    def delay(self, path_glob: str, seconds: float) -> None:
        with self._lock:
            self._faults.delays.append((path_glob, seconds))

    def truncate(self, path_glob: str, nbytes: int) -> None:
        """Announce the full Content-Length, send only ``nbytes`` of the body, then close."""
        with self._lock:
            self._faults.truncations.append((path_glob, nbytes))

    def disable_ranges(self) -> None:
        """Ignore ``Range`` and always answer 200 with the whole file."""
        with self._lock:
            self._faults.ranges = False

    def require_auth(self, user: str, password: str) -> None:
        """Answer 401 to every request without these basic-auth credentials."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        with self._lock:
            self._faults.authorization = f"Basic {token}"

    def sign_file_urls(self, **params: str) -> None:
        """List every file URL with these query parameters (``token="s3cret"`` gives
        ``…/x.whl?token=s3cret``), and answer 403 to a file (or metadata file) request that
        does not carry them all; no parameters switches this off."""
        with self._lock:
            self._faults.file_query = tuple(params.items())

    def serve_garbage(self, path_glob: str, body: bytes, content_type: str) -> None:
        """Answer matching requests with 200 and ``body`` instead of the real content."""
        with self._lock:
            self._faults.garbage.append((path_glob, body, content_type))

    def reset_faults(self) -> None:
        """Drop every fault, auth requirement and the ranges switch."""
        with self._lock:
            self._faults = _Faults()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- request handling (called from handler threads) ---------------------------------
    def _plan(self, request: RecordedRequest, path: str) -> _Plan:
        with self._lock:
            self._requests.append(request)
            faults = self._faults
            if faults.authorization and request.headers.get("authorization") != (
                faults.authorization
            ):
                return _Plan(0.0, _UNAUTHORIZED, None)
            delay = sum(seconds for glob, seconds in faults.delays if fnmatchcase(path, glob))
            truncate = next((n for glob, n in faults.truncations if fnmatchcase(path, glob)), None)
            return _Plan(delay, self._scripted(path), truncate)

    def _scripted(self, path: str) -> _Response | None:
        for failure in self._faults.failures:
            if fnmatchcase(path, failure.glob) and failure.remaining != 0:
                if failure.remaining is not None:
                    failure.remaining -= 1
                answer = _plain(failure.status, f"scripted failure {failure.status}")
                if failure.retry_after is not None:
                    headers = {**answer.headers, "Retry-After": failure.retry_after}
                    answer = _Response(status=answer.status, body=answer.body, headers=headers)
                return answer
        for glob, body, content_type in self._faults.garbage:
            if fnmatchcase(path, glob):
                return _Response(status=200, body=body, headers={"Content-Type": content_type})
        return None

    def _route(self, path: str, headers: Mapping[str, str], query: str = "") -> _Response:
        if path == "/simple/":
            names = sorted({hosted.project for hosted in self._snapshot()})
            return _page(_projects_page(names, _wants(headers)), headers, self._page_max_age)
        if path.startswith("/simple/"):
            return self._project(unquote(path.removeprefix("/simple/")), headers)
        if path.startswith("/files/"):
            with self._lock:
                wanted = self._faults.file_query
            if not set(wanted) <= set(parse_qsl(query, keep_blank_values=True)):
                return _plain(403, "this file URL lacks its token")
            return self._file(unquote(path.removeprefix("/files/")), headers)
        return _plain(404, "not found")

    def _project(self, raw: str, headers: Mapping[str, str]) -> _Response:
        canonical = canonicalize_name(raw.removesuffix("/"))
        if raw != f"{canonical}/":
            return _Response(status=301, headers={"Location": f"/simple/{quote(canonical)}/"})
        files = [hosted for hosted in self._snapshot() if hosted.project == canonical]
        if not files:
            return _plain(404, f"no project named {canonical}")
        with self._lock:
            query = urlencode(self._faults.file_query)
        suffix = f"?{query}" if query else ""
        entries = [(hosted, self.file_url(hosted.filename) + suffix) for hosted in files]
        render = _project_json if _wants(headers) == "json" else _project_html
        return _page(render(canonical, entries), headers, self._page_max_age)

    def _file(self, filename: str, request: Mapping[str, str]) -> _Response:
        with self._lock:
            hosted = self._files.get(filename)
            base = self._files.get(filename.removesuffix(".metadata"))
            ranges = self._faults.ranges
        if hosted is not None:
            content = hosted.content
        elif filename.endswith(".metadata") and base is not None and base.metadata is not None:
            content = base.metadata
        else:
            return _plain(404, f"no file named {filename}")
        ranged = partial(_ranged, content, request.get("range"), ranges)
        return _tagged(content, request, ranged)

    def _snapshot(self) -> list[_Hosted]:
        with self._lock:
            return list(self._files.values())


def _projects_page(names: list[NormalizedName], kind: Literal["json", "html"]) -> _Page:
    if kind == "json":
        document = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
        return _Page(json.dumps(document).encode(), _SIMPLE_JSON)
    links = "".join(f'<a href="/simple/{quote(n)}/">{html.escape(n)}</a><br/>\n' for n in names)
    return _Page(_html_document("Simple index", links), "text/html; charset=utf-8")


def _project_json(name: NormalizedName, entries: list[tuple[_Hosted, str]]) -> _Page:
    versions = sorted({hosted.version for hosted, _ in entries if hosted.version is not None})
    document = {
        "meta": {"api-version": "1.1"},
        "name": name,
        "versions": [str(version) for version in versions],
        "files": [_file_entry(hosted, url) for hosted, url in entries],
    }
    return _Page(json.dumps(document).encode(), _SIMPLE_JSON)


def _file_entry(hosted: _Hosted, url: str) -> dict[str, object]:
    entry: dict[str, object] = {
        "filename": hosted.filename,
        "url": url,
        "hashes": {"sha256": hosted.advertised_sha256},
        "yanked": hosted.yanked,
        "size": len(hosted.content),
    }
    if hosted.requires_python is not None:
        entry["requires-python"] = hosted.requires_python
    if hosted.upload_time is not None:
        entry["upload-time"] = hosted.upload_time.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if hosted.advertise_metadata and hosted.metadata is not None:
        digest = {"sha256": hashlib.sha256(hosted.metadata).hexdigest()}
        entry["core-metadata"] = entry["data-dist-info-metadata"] = digest
    return entry


def _project_html(name: NormalizedName, entries: list[tuple[_Hosted, str]]) -> _Page:
    links = "".join(_anchor(hosted, url) for hosted, url in entries)
    return _Page(_html_document(f"Links for {name}", links), "text/html; charset=utf-8")


def _anchor(hosted: _Hosted, url: str) -> str:
    attributes = [f'href="{html.escape(url)}#sha256={hosted.advertised_sha256}"']
    if hosted.requires_python is not None:
        attributes.append(f'data-requires-python="{html.escape(hosted.requires_python)}"')
    if hosted.yanked is not False:
        reason = "" if hosted.yanked is True else hosted.yanked
        attributes.append(f'data-yanked="{html.escape(reason)}"')
    if hosted.advertise_metadata and hosted.metadata is not None:
        value = f"sha256={hashlib.sha256(hosted.metadata).hexdigest()}"
        attributes += [f'data-core-metadata="{value}"', f'data-dist-info-metadata="{value}"']
    return f"<a {' '.join(attributes)}>{html.escape(hosted.filename)}</a><br/>\n"


def _html_document(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta name="pypi:repository-version" content="1.1">'
        f"<title>{html.escape(title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}</body></html>\n"
    ).encode()


def _page(page: _Page, request: Mapping[str, str], max_age: int) -> _Response:
    headers = {"Content-Type": page.content_type, "Vary": "Accept"}
    headers["Cache-Control"] = f"max-age={max_age}"
    return _tagged(
        page.body,
        request,
        lambda etag: _Response(status=200, body=page.body, headers=headers | etag),
    )


def _identify(filename: str, project: str | None) -> tuple[NormalizedName, Version | None]:
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        if project is None:
            raise ValueError(f"cannot tell the project of {filename!r}; pass project=...") from None
        return canonicalize_name(project), None
    return (canonicalize_name(project) if project else name), version


def _wheel_metadata(content: bytes) -> bytes | None:
    """The wheel's ``*.dist-info/METADATA``, or None when the archive has none or is broken."""
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            return archive.read(names[0]) if names else None
    except zipfile.BadZipFile:
        return None


def _requires_python(metadata: bytes) -> str | None:
    raw, _ = parse_email(metadata)
    return raw.get("requires_python")


def _wants(headers: Mapping[str, str]) -> Literal["json", "html"]:
    """Pick JSON or HTML from ``Accept``: highest q wins, earlier entries win ties."""
    best: tuple[float, Literal["json", "html"]] = (0.0, "html")
    for entry in headers.get("accept", "").split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        kind = _MEDIA_KINDS.get(media.lower())
        quality = _quality(params)
        if kind is not None and quality > best[0]:
            best = (quality, kind)
    return best[1]


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _ranged(
    content: bytes, header: str | None, allowed: bool, headers: dict[str, str]
) -> _Response:
    """Serve ``content`` whole, or the one range ``header`` asks for when ranges are allowed."""
    size = len(content)
    headers["Content-Type"] = "application/octet-stream"
    if allowed:
        headers["Accept-Ranges"] = "bytes"
    span = _byte_range(header, size) if allowed and header else None
    if span == "unsatisfiable":
        return _Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    if span is None:
        return _Response(status=200, body=content, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _Response(status=206, body=content[start : end + 1], headers=headers)


def _byte_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """One ``bytes=`` range as inclusive offsets; None means "ignore it, send everything"."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:
        suffix = int(match[2])
        return (max(0, size - suffix), size - 1) if suffix and size else "unsatisfiable"
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if match[2] and end < start:
        return None  # an invalid range is ignored, not refused (RFC 9110 §14.2)
    return (start, min(end, size - 1)) if start < size else "unsatisfiable"


def _tagged(
    content: bytes, request: Mapping[str, str], respond: Callable[[dict[str, str]], _Response]
) -> _Response:
    """Answer 304 when ``If-None-Match`` holds the content's ETag, else ``respond`` with it."""
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    if etag in (tag.strip() for tag in request.get("if-none-match", "").split(",")):
        return _Response(status=304, headers={"ETag": etag})
    return respond({"ETag": etag})


def _plain(status: int, text: str) -> _Response:
    return _Response(
        status=status, body=f"{text}\n".encode(), headers={"Content-Type": "text/plain"}
    )


_UNAUTHORIZED = _Response(
    status=401,
    body=b"authentication required\n",
    headers={"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="omniwheel-tests"'},
)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # The client opens up to 16 connections at once; the default backlog of 5 makes some of
    # them wait about a second to connect.
    request_queue_size = 128
    owner: IndexServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep stderr quiet; keep real server bugs where tests can see them."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.owner.handler_errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end after this many seconds

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: test output is not the place for access logs."""

    def _handle(self, *, head: bool) -> None:
        owner = cast(_HTTPServer, self.server).owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        target = urlsplit(self.path)
        path = target.path
        plan = owner._plan(
            RecordedRequest(method=self.command, path=self.path, headers=headers), path
        )
        if plan.delay:
            time.sleep(plan.delay)
        response = plan.response or owner._route(path, headers, target.query)
        self._send(response, head=head, truncate=plan.truncate)

    def _send(self, response: _Response, *, head: bool, truncate: int | None) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if head:
            return
        if truncate is not None and truncate < len(response.body):
            self.wfile.write(response.body[:truncate])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(response.body)
