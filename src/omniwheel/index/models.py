"""What an index says about a project: its files (PEP 691 JSON or PEP 503 HTML) and core metadata.

These are plain values parsed once from the wire format, so the resolver never sees JSON or HTML.
Parsing is lenient where real indexes differ (HTML attributes, missing keys) and strict where a
wrong value would make a lock wrong (hashes, URLs).
"""

from __future__ import annotations

import functools
import json
import marshal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
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
_HEX_DIGITS = "0123456789abcdef"
_P = TypeVar("_P")


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


FileRecord = tuple[str, str, str | None, str | None, bool | str, str | None, int | None, bool | str]
"""One file of a page, checked and normalised, in plain values (so that it can be stored as is):
filename, absolute URL, sha256 (lower-case hex), Requires-Python text, yanked (``False``,
``True`` or the reason), upload-time text (known to parse), size, core metadata (``False``,
``True`` or the metadata file's sha256).  :func:`file_of_record` makes the :class:`DistFile`."""

Records = tuple[FileRecord, ...]


class Packed(Generic[_P]):
    """A value held as it is, or as the ``marshal`` bytes of it, decoded when first asked for.

    Only bytes that this package wrote are given to :meth:`later` (:mod:`omniwheel.index.digest`
    checks a digest's checksum before any of its bytes are decoded).
    """

    __slots__ = ("_packed", "_value")

    def __init__(self, value: _P) -> None:
        self._value: _P | None = value
        self._packed: bytes | memoryview | None = None

    @classmethod
    def later(cls, packed: bytes | memoryview) -> Packed[_P]:
        """A value kept as its ``marshal`` bytes until :meth:`get` is called (a view of a
        digest's bytes is taken as it is: loading a digest copies no records)."""
        held = cls.__new__(cls)
        held._value, held._packed = None, packed
        return held

    def get(self) -> _P:
        if self._value is None:
            self._value = cast("_P", marshal.loads(self._packed or b""))
        return self._value

    def packed(self) -> bytes:
        """The value's ``marshal`` bytes (made once).  The value is then let go, and decoded
        again if asked for: a page's records are packed to write its digest, and most of them
        (old versions) are never read again, while as bytes they take about half the memory."""
        if self._packed is None:
            self._packed = marshal.dumps(cast("Any", self._value))
            self._value = None
        return self._packed if isinstance(self._packed, bytes) else bytes(self._packed)


class WheelsByVersion(Mapping[Version, tuple[Wheel, ...]]):
    """A project's wheels grouped by version, parsed only when a version is looked at.

    Big projects list tens of thousands of files; the resolver looks at a few recent versions.
    Grouping reads only the version field of each filename; the file record, its tags and
    Requires-Python are built for a version the first time it is asked for.  A group's records
    may still be packed (a page loaded from its digest): they are decoded on that first ask too.
    """

    def __init__(
        self,
        name: NormalizedName,
        groups: dict[Version, Packed[Records]],
        *,
        newest_first: tuple[Version, ...] | None = None,
    ) -> None:
        self._name = name
        self._raw = groups
        self._parsed: dict[Version, tuple[Wheel, ...]] = {}
        self._first_upload: dict[Version, datetime | None] = {}
        self._newest_first = newest_first

    def __getitem__(self, version: Version) -> tuple[Wheel, ...]:
        parsed = self._parsed.get(version)
        if parsed is None:
            parsed = _wheels_of(self._name, version, self._raw[version].get())
            self._parsed[version] = parsed
        return parsed

    def first_upload(self, version: Version) -> datetime | None:
        """The earliest upload-time among the version's files (wheels or not), None when no
        file gives one.  Read from the records, without parsing a wheel filename: a version
        whose files all came after an ``exclude-newer`` cutoff is passed over that cheaply."""
        if version not in self._first_upload:
            times = [record[5] for record in self._raw[version].get() if record[5]]
            self._first_upload[version] = min(map(parse_timestamp, times)) if times else None
        return self._first_upload[version]

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

    def records(self, version: Version) -> Packed[Records]:
        """The version's file records as they are held (packed or not), in page order."""
        return self._raw[version]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    """A project's files, with its wheels grouped by version (parsed lazily).

    Files are held as :data:`FileRecord` values in three parts: the wheels of each version (in
    ``wheels_by_version``), the other files (sdists, wheels of no parsable version or of another
    project), and ``order``, which says for each file in page order which part it is in: the
    position of its version in ``wheels_by_version``'s order, or ``len(wheels_by_version)`` for
    the other files.  ``raw_json`` is the PEP 691 body the page was read from, when there is
    one: the cache stores it as received instead of serialising tens of thousands of entries
    again.  ``undated`` says whether some file gives no upload-time.
    """

    name: NormalizedName
    page_url: str
    wheels_by_version: WheelsByVersion
    other_files: Packed[Records]
    order: Packed[tuple[int, ...]]
    undated: bool
    raw_json: bytes | None = None

    @classmethod
    def from_records(
        cls, name: NormalizedName, records: Records, page_url: str, raw_json: bytes | None = None
    ) -> ProjectPage:
        """Group checked records (in page order) by the version their wheel filename names."""
        groups: dict[Version, list[FileRecord]] = {}
        slots: dict[Version, int] = {}
        others: list[FileRecord] = []
        order: list[int] = []
        versions: dict[str, Version | None] = {}
        names: dict[str, bool] = {}
        for record in records:
            version = _wheel_version(name, record[0], versions, names)
            if version is None:
                others.append(record)
                order.append(-1)
                continue
            if version not in slots:
                slots[version] = len(slots)
                groups[version] = []
            groups[version].append(record)
            order.append(slots[version])
        other_slot = len(groups)
        return cls(
            name=name,
            page_url=page_url,
            wheels_by_version=WheelsByVersion(
                name, {version: Packed(tuple(group)) for version, group in groups.items()}
            ),
            other_files=Packed(tuple(others)),
            order=Packed(tuple(other_slot if slot < 0 else slot for slot in order)),
            undated=any(not record[5] for record in records),
            raw_json=raw_json,
        )

    @classmethod
    def from_files(cls, name: NormalizedName, files: tuple[DistFile, ...]) -> ProjectPage:
        return cls.from_records(name, tuple(_record_of_file(dist) for dist in files), "")

    @property
    def records(self) -> Records:
        """Every file's record, in page order (rebuilt on each call)."""
        parts = [iter(self.wheels_by_version.records(v).get()) for v in self.wheels_by_version]
        parts.append(iter(self.other_files.get()))
        return tuple(next(parts[slot]) for slot in self.order.get())

    @property
    def files(self) -> tuple[DistFile, ...]:
        """Every file as a record (built on each call: the resolver reads wheels_by_version)."""
        return tuple(file_of_record(record) for record in self.records)

    @property
    def sdist_versions(self) -> frozenset[Version]:
        """Versions published as source distributions (computed on demand, for messages)."""
        found = (
            _sdist_version(self.name, record[0])
            for record in self.other_files.get()
            if not record[0].endswith(".whl")
        )
        return frozenset(v for v in found if v is not None)

    def has_undated_files(self) -> bool:
        """Whether some file gives no upload-time (exclude-newer cannot date it)."""
        return self.undated

    def json_body(self) -> bytes:
        """The page as PEP 691 JSON: the body as received when there was one."""
        if self.raw_json is not None:
            return self.raw_json
        entries = [_entry_of(dist) for dist in self.files]
        return json.dumps({"meta": {"api-version": "1.0"}, "files": entries}).encode()


def _wheel_version(
    project: NormalizedName,
    filename: str,
    versions: dict[str, Version | None],
    names: dict[str, bool],
) -> Version | None:
    """The version a wheel filename of this project names, from its version field alone (the
    rest is parsed when the version is looked at); None for any other file.  ``versions`` and
    ``names`` remember what was parsed already: pages repeat them thousands of times."""
    if not filename.endswith(".whl"):
        return None
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return None
    if parts[0] not in names:
        names[parts[0]] = canonicalize_name(parts[0]) == project
    if not names[parts[0]]:
        return None
    if parts[1] not in versions:
        versions[parts[1]] = _version_or_none(parts[1])
    return versions[parts[1]]


def _record_of_file(dist: DistFile) -> FileRecord:
    """A file record back in plain values, the inverse of :func:`file_of_record`."""
    return (
        dist.filename,
        dist.url,
        dist.sha256,
        dist.requires_python,
        (dist.yanked_reason or True) if dist.yanked else False,
        dist.upload_time.isoformat() if dist.upload_time is not None else None,
        dist.size,
        (dist.metadata_sha256 or True) if dist.metadata_advertised else False,
    )


def file_of_record(record: FileRecord) -> DistFile:
    """The :class:`DistFile` a checked record stands for."""
    filename, url, sha256, requires_python, yanked, upload_time, size, metadata = record
    return DistFile(
        filename=filename,
        url=url,
        sha256=sha256,
        requires_python=requires_python,
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) else None,
        upload_time=parse_timestamp(upload_time) if upload_time else None,
        size=size,
        metadata_advertised=bool(metadata),
        metadata_sha256=metadata if isinstance(metadata, str) else None,
    )


def _entry_of(dist: DistFile) -> dict[str, Any]:
    """A file record back in PEP 691 shape (absolute URL)."""
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


def _wheels_of(project: NormalizedName, version: Version, records: Records) -> tuple[Wheel, ...]:
    """The wheels of one version of a project, in page order; files whose filename does not
    parse, or names another project or version, are left out."""
    heads: dict[str, _Head | None] = {}
    wheels: list[Wheel] = []
    for record in records:
        parsed = _wheel_filename(record[0], heads)
        if parsed is None or parsed[0] != project or parsed[1] != version:
            continue
        dist = file_of_record(record)
        name, wheel_version, build, tags = parsed
        wheels.append(
            Wheel(
                file=dist,
                name=name,
                version=wheel_version,
                build=build,
                tags=tags,
                requires_python=_specifier_or_none(dist.requires_python),
            )
        )
    return tuple(wheels)


_Head = tuple[NormalizedName, Version, BuildTag]
_ANY = "py3-none-any"


def _wheel_filename(
    filename: str, heads: dict[str, _Head | None]
) -> tuple[NormalizedName, Version, BuildTag, frozenset[Tag]] | None:
    """``parse_wheel_filename(filename)``, None where it raises InvalidWheelFilename, with
    fewer calls to it.

    A version's wheels repeat one ``name-version[-build]`` head, and pages repeat a few tag
    strings thousands of times, so each head (in ``heads``) and each tag string (for the
    process) is parsed once.  packaging still parses both: its filename parser checks the
    name, version and build fields and the tag field each on their own, so the head is given
    to it with a plain tag (``-py3-none-any.whl``) and the tag with a plain head (``x-0-``),
    which keeps the count of dashes, and so the same checks, as the whole filename.
    """
    fields = filename[:-4].split("-")
    if len(fields) not in (5, 6) or not filename.endswith(".whl"):
        return _parsed_whole(filename)  # refused by packaging, which says so
    head = "-".join(fields[:-3])
    if head not in heads:
        whole = _parsed_whole(f"{head}-{_ANY}.whl")
        heads[head] = None if whole is None else whole[:3]
    parsed_head = heads[head]
    tags = _tags_of("-".join(fields[-3:]))
    if parsed_head is None or tags is None:
        return None
    return (*parsed_head, tags)


@functools.lru_cache(maxsize=8192)
def _tags_of(tag_field: str) -> frozenset[Tag] | None:
    """The tags of a wheel filename's tag field (``cp312-cp312-win_amd64``), None if invalid."""
    whole = _parsed_whole(f"x-0-{tag_field}.whl")
    return None if whole is None else whole[3]


def _parsed_whole(filename: str) -> tuple[NormalizedName, Version, BuildTag, frozenset[Tag]] | None:
    try:
        return parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None


def _sdist_version(project: NormalizedName, filename: str) -> Version | None:
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return None
    return version if name == project else None


@functools.lru_cache(maxsize=4096)
def _specifier_or_none(text: str | None) -> SpecifierSet | None:
    """Requires-Python as published; an unparsable value is treated as absent, as pip and uv do.

    Memoised: the wheels of a release, and many releases, repeat one text, and nothing changes
    a SpecifierSet once made (its ``prereleases`` is never set here).
    """
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
    public_url: Callable[[str], str] | None = None,
) -> ProjectPage:
    """Parse a PEP 691 project page; relative file URLs are resolved against ``page_url``.

    Every entry is checked and normalised here into a :data:`FileRecord` (shape, filename, URL,
    sha256, upload-time), so a bad page fails at once; :class:`DistFile` values are built later,
    per version, when the resolver looks at one.  File URLs with an ``@`` or a ``?`` are passed
    through ``public_url``, which keeps what is secret in them (userinfo, query parameters
    carrying a token: :mod:`omniwheel.index.url_secrets`) in memory and returns the URL without
    it; a page where that changed a URL keeps no raw body, so the cache stores the entries as
    rewritten, never the secrets.
    """
    try:
        data = json.loads(body)
        entries = data["files"]
        if not isinstance(entries, list):
            raise TypeError("`files` is not a list")
        records = tuple(_record(entry, page_url) for entry in entries)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PageFormatError(
            f"the index page for `{name}` at {page_url} is not valid PEP 691 JSON ({exc})",
            hint=_PAGE_HINT,
        ) from exc
    if public_url is not None:
        cleaned = _public_records(records, public_url)
        if cleaned is not None:
            return ProjectPage.from_records(name, cleaned, page_url)
    return ProjectPage.from_records(name, records, page_url, raw_json=body)


def _public_records(records: Records, public: Callable[[str], str]) -> Records | None:
    """The records with their URLs made public, or None when no URL changed.

    Only URLs holding an ``@`` or a ``?`` are looked at: a cheap test on pages of 10⁵ files.
    """
    changed = False
    cleaned: list[FileRecord] = []
    for record in records:
        url = record[1]
        if "@" in url or "?" in url:
            stripped = public(url)
            if stripped != url:
                record = (record[0], stripped, *record[2:])  # noqa: PLW2901 - a rewritten copy
                changed = True
        cleaned.append(record)
    return tuple(cleaned) if changed else None


def _record(entry: object, page_url: str) -> FileRecord:
    """Check a PEP 691 entry and normalise it into a record (raises ValueError/TypeError when
    it could not become a file record).  Runs once per file of every page fetched, so it reads
    each key once and does the common cases first."""
    if not isinstance(entry, dict):
        raise TypeError(f"a file entry is not an object: {entry!r:.80}")
    get = entry.get
    filename, url = entry["filename"], entry["url"]
    if not isinstance(filename, str) or not isinstance(url, str):
        raise TypeError(f"a file entry has a non-string filename or url: {filename!r:.80}")
    hashes = get("hashes")
    sha256 = None
    if hashes:
        if not isinstance(hashes, dict):
            raise TypeError(f"{filename} has hashes that are not an object")
        sha256 = _sha256_or_none(hashes.get("sha256"), filename)
    upload_time = get("upload-time") or None
    if upload_time is not None:
        parse_timestamp(upload_time)
    size = get("size")
    requires_python = get("requires-python")
    yanked = get("yanked", False)
    if yanked is not False and yanked is not True:
        yanked = yanked if isinstance(yanked, str) and yanked else bool(yanked)
    metadata = (
        entry["core-metadata"] if "core-metadata" in entry else get("data-dist-info-metadata")
    )
    return (
        filename,
        url if url.startswith(("https://", "http://")) else urljoin(page_url, url),
        sha256,
        requires_python if isinstance(requires_python, str) else None,
        yanked,
        upload_time,
        None if size is None else int(size),
        _metadata_of(metadata) if metadata else False,
    )


def _metadata_of(value: object) -> bool | str:
    """PEP 658/714's ``core-metadata`` (known to be truthy): True, or the file's sha256."""
    if isinstance(value, dict):  # what JSON gives (a cheaper test than Mapping's, 10⁵ times)
        return _lower_or_none(value.get("sha256")) or True
    return True


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
    # 64 hex digits (stripping every hex digit from both ends leaves nothing), cheaper than a
    # regular expression on pages of 10⁵ files.
    if len(digest) != 64 or digest.strip(_HEX_DIGITS):
        raise ValueError(f"{filename} has a malformed sha256 {value!r}")
    return digest


def parse_html_page(
    name: NormalizedName,
    body: bytes,
    page_url: str,
    *,
    public_url: Callable[[str], str] | None = None,
) -> ProjectPage:
    """Parse a PEP 503 project page (anchors with hash fragments and data- attributes).

    File URLs with an ``@`` or a ``?`` are passed through ``public_url``, as for JSON pages
    (the hash fragment is read first, and never passed).
    """
    from omniwheel.index.html_anchors import AnchorParser  # HTML pages are the rare case

    parser = AnchorParser()
    strip = public_url or _unchanged
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
    return ProjectPage.from_records(name, tuple(_record_of_file(d) for d in files), page_url)


def _unchanged(url: str) -> str:
    return url


def _html_file(attrs: Mapping[str, str | None], base: str, strip: Callable[[str], str]) -> DistFile:
    url, fragment = urldefrag(urljoin(base, attrs["href"] or ""))
    if "@" in url or "?" in url:
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


MetadataFields = tuple[str, str, tuple[str, ...], str | None, tuple[str, ...]]
"""What resolution reads of a METADATA file, as its text: Name, Version, Requires-Dist,
Requires-Python, Provides-Extra (plain values, so that it can be stored as is)."""


def parse_core_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Parse METADATA leniently (real metadata is often imperfect); fail on bad requirements.

    ``source`` names the file the bytes came from, for the error message.
    """
    return core_metadata(metadata_fields(data, source=source), source=source)


def metadata_fields(data: bytes, *, source: str) -> MetadataFields:
    """The fields of METADATA that resolution reads, as text (the email-format parse)."""
    # Imported here: it imports the email package, which a lock whose metadata all comes from
    # digests (:mod:`omniwheel.index.digest`) never needs.
    from packaging.metadata import parse_email

    raw, _unparsed = parse_email(data)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise MetadataError(f"the core metadata of {source} has no Name or Version", hint=_BROKEN)
    return (
        name,
        version,
        tuple(raw.get("requires_dist", [])),
        raw.get("requires_python"),
        tuple(raw.get("provides_extra", [])),
    )


def core_metadata(fields: MetadataFields, *, source: str) -> CoreMetadata:
    """Check and parse the fields' values; an invalid Version or Requires-Dist is an error."""
    name, version, requires_dist, requires_python, provides_extra = fields
    try:
        parsed_version = Version(version)
    except InvalidVersion as exc:
        raise MetadataError(
            f"the core metadata of {source} has an invalid Version {version!r}", hint=_BROKEN
        ) from exc
    requirements: list[Requirement] = []
    for text in requires_dist:
        try:
            requirements.append(_requirement(text))
        except InvalidRequirement as exc:
            raise MetadataError(
                f"the core metadata of {source} has an invalid Requires-Dist {text!r}: {exc}",
                hint=_BROKEN,
            ) from exc
    return CoreMetadata(
        name=canonicalize_name(name),
        version=parsed_version,
        requires_dist=tuple(requirements),
        requires_python=_specifier_or_none(requires_python),
        provides_extra=frozenset(canonicalize_name(e) for e in provides_extra),
    )


@functools.lru_cache(maxsize=8192)
def _requirement(text: str) -> Requirement:
    """``Requirement(text)``, parsed once per text: the releases of a project, and projects of
    one family, repeat most of their Requires-Dist lines (a quarter of those a 20-target lock
    reads).  Nothing changes a Requirement of metadata once made; an invalid text raises, and
    is not kept."""
    return Requirement(text)
