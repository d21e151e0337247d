"""What an index says about a project: its files (PEP 691 JSON or PEP 503 HTML) and core metadata.

These are plain values parsed once from the wire format, so the resolver never sees JSON or HTML.
Parsing is lenient where real indexes differ (HTML attributes, missing keys) and strict where a
wrong value would make a lock wrong (hashes, URLs).
"""

from __future__ import annotations

import html.parser
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from omniwheel.errors import IndexAccessError

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PageFormatError(IndexAccessError):
    """An index page that is neither valid PEP 691 JSON nor PEP 503 HTML."""


class MetadataError(IndexAccessError):
    """A wheel's core metadata that cannot be parsed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    """One file of a project as listed by the index."""

    filename: str
    url: str
    sha256: str | None
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    upload_time: datetime | None = None
    size: int | None = None
    metadata_advertised: bool = False
    metadata_sha256: str | None = None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True, slots=True, kw_only=True)
class Wheel:
    """A wheel file with its filename parsed: the unit the resolver and the lock work with."""

    file: DistFile
    name: NormalizedName
    version: Version
    build: tuple[()] | tuple[int, str]
    tags: frozenset[Tag]
    requires_python: SpecifierSet | None


Entry = Mapping[str, Any]
"""One file of a page in PEP 691 JSON shape, as the index sent it (validated, not yet converted)."""


class WheelsByVersion(Mapping[Version, tuple[Wheel, ...]]):
    """A project's wheels grouped by version, parsed only when a version is looked at.

    Big projects list tens of thousands of files; the resolver looks at a few recent versions.
    Grouping reads only the version field of each filename; the file record, its tags and
    Requires-Python are built for a version the first time it is asked for.
    """

    def __init__(self, name: NormalizedName, entries: tuple[Entry, ...], page_url: str) -> None:
        self._name = name
        self._page_url = page_url
        self._raw: dict[Version, list[Entry]] = {}
        versions: dict[str, Version | None] = {}
        names: dict[str, bool] = {}
        for entry in entries:
            filename: str = entry["filename"]
            if not filename.endswith(".whl"):
                continue
            parts = filename[:-4].split("-")
            if len(parts) not in (5, 6):
                continue
            if parts[0] not in names:
                names[parts[0]] = canonicalize_name(parts[0]) == name
            if not names[parts[0]]:
                continue
            if parts[1] not in versions:
                versions[parts[1]] = _version_or_none(parts[1])
            version = versions[parts[1]]
            if version is not None:
                self._raw.setdefault(version, []).append(entry)
        self._parsed: dict[Version, tuple[Wheel, ...]] = {}
        self._newest_first: tuple[Version, ...] | None = None

    def __getitem__(self, version: Version) -> tuple[Wheel, ...]:
        parsed = self._parsed.get(version)
        if parsed is None:
            files = (_json_file(entry, self._page_url) for entry in self._raw[version])
            candidates = (_parse_wheel(self._name, dist) for dist in files)
            parsed = tuple(w for w in candidates if w is not None and w.version == version)
            self._parsed[version] = parsed
        return parsed

    def __iter__(self) -> Iterator[Version]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, version: object) -> bool:
        return version in self._raw

    def newest_first(self) -> tuple[Version, ...]:
        """Versions sorted newest first (sorted once)."""
        if self._newest_first is None:
            self._newest_first = tuple(sorted(self._raw, reverse=True))
        return self._newest_first


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    """A project's files as PEP 691 entries, with its wheels grouped by version (parsed lazily).

    ``raw_json`` is the PEP 691 body the entries were read from, when there is one: the cache
    stores it as received instead of serialising tens of thousands of entries again.
    """

    name: NormalizedName
    page_url: str
    entries: tuple[Entry, ...]
    wheels_by_version: WheelsByVersion
    raw_json: bytes | None = None

    @classmethod
    def from_entries(
        cls,
        name: NormalizedName,
        entries: tuple[Entry, ...],
        page_url: str,
        raw_json: bytes | None = None,
    ) -> ProjectPage:
        return cls(
            name=name,
            page_url=page_url,
            entries=entries,
            wheels_by_version=WheelsByVersion(name, entries, page_url),
            raw_json=raw_json,
        )

    @classmethod
    def from_files(cls, name: NormalizedName, files: tuple[DistFile, ...]) -> ProjectPage:
        return cls.from_entries(name, tuple(_entry_of(dist) for dist in files), "")

    @property
    def files(self) -> tuple[DistFile, ...]:
        """Every file as a record (built on each call: the resolver reads wheels_by_version)."""
        return tuple(_json_file(entry, self.page_url) for entry in self.entries)

    @property
    def sdist_versions(self) -> frozenset[Version]:
        """Versions published as source distributions (computed on demand, for messages)."""
        found = (
            _sdist_version(self.name, e["filename"])
            for e in self.entries
            if not e["filename"].endswith(".whl")
        )
        return frozenset(v for v in found if v is not None)

    def has_undated_files(self) -> bool:
        """Whether some file gives no upload-time (exclude-newer cannot date it)."""
        return any(not entry.get("upload-time") for entry in self.entries)

    def json_body(self) -> bytes:
        """The page as PEP 691 JSON: the body as received when there was one."""
        if self.raw_json is not None:
            return self.raw_json
        return json.dumps({"meta": {"api-version": "1.0"}, "files": list(self.entries)}).encode()


def _entry_of(dist: DistFile) -> dict[str, Any]:
    """A file record back in PEP 691 shape (absolute URL), the inverse of ``_json_file``."""
    entry: dict[str, Any] = {
        "filename": dist.filename,
        "url": dist.url,
        "hashes": {"sha256": dist.sha256} if dist.sha256 else {},
        "yanked": (dist.yanked_reason or True) if dist.yanked else False,
    }
    if dist.requires_python is not None:
        entry["requires-python"] = dist.requires_python
    if dist.upload_time is not None:
        entry["upload-time"] = dist.upload_time.isoformat()
    if dist.size is not None:
        entry["size"] = dist.size
    if dist.metadata_advertised:
        entry["core-metadata"] = {"sha256": dist.metadata_sha256} if dist.metadata_sha256 else True
    return entry


def _version_or_none(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _parse_wheel(project: NormalizedName, dist: DistFile) -> Wheel | None:
    """Parse a wheel filename; files that do not parse or name another project are ignored."""
    try:
        name, version, build, tags = parse_wheel_filename(dist.filename)
    except InvalidWheelFilename:
        return None
    if name != project:
        return None
    return Wheel(
        file=dist,
        name=name,
        version=version,
        build=build,
        tags=tags,
        requires_python=_specifier_or_none(dist.requires_python),
    )


def _sdist_version(project: NormalizedName, filename: str) -> Version | None:
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return None
    return version if name == project else None


def _specifier_or_none(text: str | None) -> SpecifierSet | None:
    """Requires-Python as published; an unparsable value is treated as absent, as pip and uv do."""
    if not text or not text.strip():
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 upload-time as an aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_PAGE_HINT = "check that --index-url points at a simple-API index (…/simple/)"


def parse_json_page(
    name: NormalizedName,
    body: bytes,
    page_url: str,
    *,
    strip_userinfo: Callable[[str], str] | None = None,
) -> ProjectPage:
    """Parse a PEP 691 project page; relative file URLs are resolved against ``page_url``.

    Every entry is checked here (shape, filename, URL, sha256), so a bad page fails at once;
    file records are built later, per version, when the resolver looks at one.  File URLs with
    an ``@`` are passed through ``strip_userinfo`` (which keeps the credentials in memory and
    returns the URL without them); a page where that changed a URL keeps no raw body, so the
    cache stores the entries as rewritten, never the credentials.
    """
    try:
        data = json.loads(body)
        entries = data["files"]
        if not isinstance(entries, list):
            raise TypeError("`files` is not a list")
        for entry in entries:
            _check_entry(entry)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PageFormatError(
            f"the index page for `{name}` at {page_url} is not valid PEP 691 JSON ({exc})",
            hint=_PAGE_HINT,
        ) from exc
    if strip_userinfo is not None:
        cleaned = _without_userinfo(entries, page_url, strip_userinfo)
        if cleaned is not None:
            return ProjectPage.from_entries(name, cleaned, page_url)
    return ProjectPage.from_entries(name, tuple(entries), page_url, raw_json=body)


def _without_userinfo(
    entries: list[dict[str, Any]], page_url: str, strip: Callable[[str], str]
) -> tuple[Entry, ...] | None:
    """The entries with userinfo taken out of their URLs, or None when none had any.

    Only URLs holding an ``@`` are looked at: a cheap test on pages of 10⁵ files.
    """
    changed = False
    cleaned: list[Entry] = []
    for entry in entries:
        url = entry["url"]
        if "@" in url:
            stripped = strip(_absolute(page_url, url))
            if stripped != _absolute(page_url, url):
                entry = {**entry, "url": stripped}  # noqa: PLW2901 - a rewritten copy
                changed = True
        cleaned.append(entry)
    return tuple(cleaned) if changed else None


def _check_entry(entry: object) -> None:
    """Refuse an entry that could not become a file record (raises ValueError/TypeError)."""
    if not isinstance(entry, dict):
        raise TypeError(f"a file entry is not an object: {entry!r:.80}")
    filename, url = entry["filename"], entry["url"]
    if not isinstance(filename, str) or not isinstance(url, str):
        raise TypeError(f"a file entry has a non-string filename or url: {filename!r:.80}")
    hashes = entry.get("hashes") or {}
    if not isinstance(hashes, dict):
        raise TypeError(f"{filename} has hashes that are not an object")
    _sha256_or_none(hashes.get("sha256"), filename)
    upload_time, size = entry.get("upload-time"), entry.get("size")
    if upload_time:
        parse_timestamp(upload_time)
    if size is not None:
        int(size)


def _json_file(entry: Mapping[str, Any], page_url: str) -> DistFile:
    yanked = entry.get("yanked", False)
    metadata = entry.get("core-metadata", entry.get("data-dist-info-metadata", False))
    upload_time = entry.get("upload-time")
    hashes = entry.get("hashes") or {}
    filename = str(entry["filename"])
    return DistFile(
        filename=filename,
        url=_absolute(page_url, str(entry["url"])),
        sha256=_sha256_or_none(hashes.get("sha256"), filename),
        requires_python=entry.get("requires-python"),
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
        upload_time=parse_timestamp(upload_time) if upload_time else None,
        size=int(entry["size"]) if entry.get("size") is not None else None,
        metadata_advertised=bool(metadata),
        metadata_sha256=_lower_or_none(metadata.get("sha256"))
        if isinstance(metadata, Mapping)
        else None,
    )


def _absolute(page_url: str, url: str) -> str:
    """Resolve a file URL; most indexes give absolute ones, and urljoin is costly at 10⁵ files."""
    return url if url.startswith(("https://", "http://")) else urljoin(page_url, url)


def _lower_or_none(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def _sha256_or_none(value: object, filename: str) -> str | None:
    """A file's sha256 as lower-case hex, or None when the index gives none.

    Anything else is refused: the digest goes into the lock and names the file's cache entries,
    so a malformed one (``../..``) must never reach a path.
    """
    if value is None or value == "":
        return None
    digest = value.lower() if isinstance(value, str) else ""
    if not _SHA256.fullmatch(digest):
        raise ValueError(f"{filename} has a malformed sha256 {value!r}")
    return digest


def parse_html_page(
    name: NormalizedName,
    body: bytes,
    page_url: str,
    *,
    strip_userinfo: Callable[[str], str] | None = None,
) -> ProjectPage:
    """Parse a PEP 503 project page (anchors with hash fragments and data- attributes).

    File URLs with an ``@`` are passed through ``strip_userinfo``, as for JSON pages.
    """
    parser = _AnchorParser()
    strip = strip_userinfo or _unchanged
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
        parser.close()
        base = urljoin(page_url, parser.base_href) if parser.base_href else page_url
        files = tuple(
            _html_file(attrs, base, strip) for attrs in parser.anchors if attrs.get("href")
        )
    # html.parser signals hopeless input with AssertionError; _html_file refuses bad hashes.
    except (AssertionError, ValueError) as exc:
        raise PageFormatError(
            f"the index page for `{name}` at {page_url} is not valid PEP 503 HTML ({exc})",
            hint=_PAGE_HINT,
        ) from exc
    return ProjectPage.from_entries(name, tuple(_entry_of(d) for d in files), page_url)


def _unchanged(url: str) -> str:
    return url


def _html_file(attrs: Mapping[str, str | None], base: str, strip: Callable[[str], str]) -> DistFile:
    url, fragment = urldefrag(urljoin(base, attrs["href"] or ""))
    if "@" in url:
        url = strip(url)
    algorithm, _, digest = fragment.partition("=")
    metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
    metadata_algorithm, _, metadata_digest = (metadata or "").partition("=")
    yanked = "data-yanked" in attrs
    # The href's last path segment is the filename, percent-encoded (``1.0%2Blocal``).
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return DistFile(
        filename=filename,
        url=url,
        sha256=_sha256_or_none(digest, filename) if algorithm == "sha256" else None,
        requires_python=attrs.get("data-requires-python"),
        yanked=yanked,
        yanked_reason=attrs.get("data-yanked") or None,
        metadata_advertised=metadata is not None and metadata != "false",
        metadata_sha256=metadata_digest.lower() if metadata_algorithm == "sha256" else None,
    )


class _AnchorParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base_href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base_href is None:
            self.base_href = dict(attrs).get("href")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    """The parts of a wheel's METADATA that resolution needs."""

    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: frozenset[NormalizedName]


_BROKEN = (
    "the package's metadata is broken: pin another version of it, or report it to its maintainers"
)


def parse_core_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Parse METADATA leniently (real metadata is often imperfect); fail on bad requirements.

    ``source`` names the file the bytes came from, for the error message.
    """
    raw, _unparsed = parse_email(data)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise MetadataError(f"the core metadata of {source} has no Name or Version", hint=_BROKEN)
    try:
        parsed_version = Version(version)
    except InvalidVersion as exc:
        raise MetadataError(
            f"the core metadata of {source} has an invalid Version {version!r}", hint=_BROKEN
        ) from exc
    requirements: list[Requirement] = []
    for text in raw.get("requires_dist", []):
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as exc:
            raise MetadataError(
                f"the core metadata of {source} has an invalid Requires-Dist {text!r}: {exc}",
                hint=_BROKEN,
            ) from exc
    return CoreMetadata(
        name=canonicalize_name(name),
        version=parsed_version,
        requires_dist=tuple(requirements),
        requires_python=_specifier_or_none(raw.get("requires_python")),
        provides_extra=frozenset(canonicalize_name(e) for e in raw.get("provides_extra", [])),
    )
