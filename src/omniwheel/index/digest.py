"""Index pages and METADATA digested to what resolution reads, in a form that loads in milliseconds.

A warm lock reads dozens of cached pages, some of tens of thousands of files; parsing their JSON
again took most of its time.  A digest holds the page's checked file records (see
:data:`~omniwheel.index.models.FileRecord`) already grouped by version, versions sorted newest
first, each version's records packed on their own so that only the versions the resolver looks
at are ever unpacked.

Layout of a page digest (bump ``FORMAT`` when anything in it changes; a digest of another
format is ignored and made again)::

    MAGIC (8 bytes) | FORMAT (2 bytes) | marshal.version (2 bytes) | CRC-32 of the rest (4 bytes)
    length of the index (4 bytes, little-endian)
    index, marshalled: (source, page_url, undated, versions, sizes)
    the groups, others and order, marshalled each on its own, one after the other

``source`` names the raw page the digest was made from (the cache decides what it is: see
:mod:`omniwheel.index.cache`); a digest whose source is not the raw page now on disk is not
used.  ``versions`` are the normalised version strings, newest first; after the index come
the ``marshal`` bytes of each one's records (its group), in page order; then those of the files
that are no wheel of a version of this project (``others``); then those of each file's part, in
page order (``order``: position in ``versions``, or ``len(versions)`` for the others).
``sizes`` gives the length of each of these, in that order.  They stay outside the index so that
loading a digest decodes the index alone and takes the rest as views of the file's bytes: a
warm lock loads pages of tens of thousands of files and unpacks the records of a few versions.
Only plain values are stored (``marshal``, never ``pickle``: loading a digest builds strings,
numbers and tuples, nothing else), and the checksum of everything after the header is checked
before any byte is decoded, so a damaged file is never trusted.  The CRC-32 is there to catch
damage, not tampering: the cache is the user's own.  (Format 1 held the groups inside one
marshalled payload, so loading one copied every group.)

A METADATA digest (``METADATA_MAGIC``, the same header with ``METADATA_FORMAT``) holds the
fields resolution reads, as text (:data:`~omniwheel.index.models.MetadataFields`), so that the
email-format parse is done once per wheel; it names the METADATA bytes it was made from by their
size and CRC-32.
"""

from __future__ import annotations

import marshal
import struct
import zlib
from typing import Any, cast

from packaging.utils import NormalizedName
from packaging.version import InvalidVersion, Version

from omniwheel.index.models import (
    MetadataFields,
    Packed,
    ProjectPage,
    Records,
    WheelsByVersion,
)

MAGIC = b"owdigest"
METADATA_MAGIC = b"owmetadg"
FORMAT = 2  # bump when the page layout, or the records in it, change
METADATA_FORMAT = 1  # bump when a METADATA digest's payload, or the fields in it, change
_HEADER = struct.Struct("<8sHHI")
_INDEX_LENGTH = struct.Struct("<I")
_INDEX = ("source", "page_url", "undated", "versions", "sizes")


def encode_digest(page: ProjectPage, source: bytes) -> bytes:
    """The digest of ``page``, made from the raw page that ``source`` names."""
    by_version = page.wheels_by_version
    newest = by_version.newest_first()
    position = {version: index for index, version in enumerate(newest)}
    # The page's own order refers to its versions as first met on the page; the digest keeps
    # them newest first, so the parts are renumbered.
    renumber = [position[version] for version in by_version]
    renumber.append(len(newest))
    blobs = [
        *(by_version.records(version).packed() for version in newest),
        page.other_files.packed(),
        marshal.dumps(tuple(renumber[part] for part in page.order.get())),
    ]
    texts = tuple(str(version) for version in newest)
    index = marshal.dumps(
        (source, page.page_url, page.undated, texts, tuple(len(blob) for blob in blobs))
    )
    body = b"".join([_INDEX_LENGTH.pack(len(index)), index, *blobs])
    return _HEADER.pack(MAGIC, FORMAT, marshal.version, zlib.crc32(body)) + body


def decode_digest(name: NormalizedName, data: bytes, source: bytes) -> ProjectPage | None:
    """The page a digest holds, or None when it is damaged, of another format, or made from
    another raw page than ``source`` names."""
    body = _checked(MAGIC, FORMAT, data)
    if body is None or len(body) < _INDEX_LENGTH.size:
        return None
    (length,) = _INDEX_LENGTH.unpack_from(body)
    start = _INDEX_LENGTH.size + length
    index = _loaded(body[_INDEX_LENGTH.size : start]) if start <= len(body) else None
    if index is None or not _well_formed(index) or index[0] != source:
        return None
    _, page_url, undated, texts, sizes = index
    if len(sizes) != len(texts) + 2 or start + sum(sizes) != len(body):
        return None
    blobs = []
    for size in sizes:
        blobs.append(body[start : start + size])
        start += size
    return _page(name, page_url, undated, texts, blobs)


def encode_metadata_digest(fields: MetadataFields, raw: bytes) -> bytes:
    """The digest of a METADATA file's fields, made from the file's bytes ``raw``.

    Payload: (size of ``raw``, CRC-32 of ``raw``, the fields).  METADATA is kept by the wheel's
    sha256 and never changes, so naming the bytes by size and checksum is enough.
    """
    return _framed(METADATA_MAGIC, METADATA_FORMAT, (len(raw), zlib.crc32(raw), fields))


def decode_metadata_digest(data: bytes, raw: bytes) -> MetadataFields | None:
    """The fields a METADATA digest holds, or None when it is damaged, of another format, or
    made from other bytes than ``raw``."""
    payload = _unframed(METADATA_MAGIC, METADATA_FORMAT, data)
    if not isinstance(payload, tuple) or len(payload) != 3:
        return None
    size, checksum, fields = payload
    if (size, checksum) != (len(raw), zlib.crc32(raw)) or not _metadata_shaped(fields):
        return None
    return cast("MetadataFields", fields)


def _metadata_shaped(fields: Any) -> bool:
    if not isinstance(fields, tuple) or len(fields) != 5:
        return False
    name, version, requires_dist, requires_python, provides_extra = fields
    return (
        isinstance(name, str)
        and isinstance(version, str)
        and _strings(requires_dist)
        and isinstance(requires_python, str | None)
        and _strings(provides_extra)
    )


def _strings(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(item, str) for item in value)


def _framed(magic: bytes, layout: int, value: Any) -> bytes:
    """The header (magic, format, marshal version, checksum), then ``value`` marshalled."""
    payload = marshal.dumps(value)
    return _HEADER.pack(magic, layout, marshal.version, zlib.crc32(payload)) + payload


def _checked(magic: bytes, layout: int, data: bytes) -> memoryview | None:
    """What follows the header, or None when the header or the checksum is wrong."""
    if len(data) < _HEADER.size:
        return None
    found, found_layout, marshal_version, checksum = _HEADER.unpack_from(data)
    if (found, found_layout, marshal_version) != (magic, layout, marshal.version):
        return None
    body = memoryview(data)[_HEADER.size :]
    return body if zlib.crc32(body) == checksum else None


def _unframed(magic: bytes, layout: int, data: bytes) -> Any:
    """The value :func:`_framed` stored, or None when the header or the checksum is wrong."""
    body = _checked(magic, layout, data)
    return None if body is None else _loaded(body)


def _loaded(data: memoryview) -> Any:
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None


def _page(
    name: NormalizedName,
    page_url: str,
    undated: bool,
    texts: tuple[str, ...],
    blobs: list[memoryview],
) -> ProjectPage | None:
    """The page of a decoded index and its parts, None when a version is wrong."""
    try:
        versions = tuple(Version(text) for text in texts)
    except InvalidVersion:
        return None
    packed: dict[Version, Packed[Records]] = {
        version: Packed.later(group) for version, group in zip(versions, blobs[:-2], strict=True)
    }
    if len(packed) != len(versions):  # two texts of one version: not a digest this module made
        return None
    return ProjectPage(
        name=name,
        page_url=page_url,
        wheels_by_version=WheelsByVersion(name, packed, newest_first=versions),
        other_files=Packed.later(blobs[-2]),
        order=Packed.later(blobs[-1]),
        undated=undated,
    )


def _well_formed(index: Any) -> bool:
    """Whether the index has the shape :func:`encode_digest` gives it.  Cheap: the records
    were checked when the page was parsed, and the checksum says they are unchanged."""
    if not isinstance(index, tuple) or len(index) != len(_INDEX):
        return False
    source, page_url, undated, texts, sizes = index
    return (
        isinstance(source, bytes)
        and isinstance(page_url, str)
        and isinstance(undated, bool)
        and isinstance(texts, tuple)
        and isinstance(sizes, tuple)
        and all(isinstance(text, str) for text in texts)
        and all(isinstance(size, int) and size >= 0 for size in sizes)
    )
