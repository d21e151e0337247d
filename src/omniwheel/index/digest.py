"""Index pages and METADATA digested to what resolution reads, in a form that loads in milliseconds.

A warm lock reads dozens of cached pages, some of tens of thousands of files; parsing their JSON
again took most of its time.  A digest holds the page's checked file records (see
:data:`~omniwheel.index.models.FileRecord`) already grouped by version, versions sorted newest
first, each version's records packed on their own so that only the versions the resolver looks
at are ever unpacked.

Layout of a digest (bump ``FORMAT`` when anything in it changes; a digest of another format is
ignored and made again)::

    MAGIC (8 bytes) | FORMAT (2 bytes) | marshal.version (2 bytes) | CRC-32 of the rest (4 bytes)
    marshal payload: (source, page_url, undated, versions, groups, others, order)

``source`` names the raw page the digest was made from (the cache decides what it is: see
:mod:`omniwheel.index.cache`); a digest whose source is not the raw page now on disk is not
used.  ``versions`` are the normalised version strings, newest first; ``groups`` the
``marshal`` bytes of each one's records, in page order; ``others`` those of the files that are
no wheel of a version of this project; ``order`` those of each file's part, in page order
(position in ``versions``, or ``len(versions)`` for the others).  Only plain values are stored
(``marshal``, never ``pickle``: loading a digest builds strings, numbers and tuples, nothing
else), and the checksum is checked before any byte is decoded, so a damaged file is never
trusted.  The CRC-32 is there to catch damage, not tampering: the cache is the user's own.

A METADATA digest (``METADATA_MAGIC``, same header) holds the fields resolution reads, as text
(:data:`~omniwheel.index.models.MetadataFields`), so that the email-format parse is done once
per wheel; it names the METADATA bytes it was made from by their size and CRC-32.
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
FORMAT = 1  # bump when a payload, or the records or fields in it, change
_HEADER = struct.Struct("<8sHHI")
_FIELDS = ("source", "page_url", "undated", "versions", "groups", "others", "order")


def encode_digest(page: ProjectPage, source: bytes) -> bytes:
    """The digest of ``page``, made from the raw page that ``source`` names."""
    by_version = page.wheels_by_version
    newest = by_version.newest_first()
    position = {version: index for index, version in enumerate(newest)}
    # The page's own order refers to its versions as first met on the page; the digest keeps
    # them newest first, so the parts are renumbered.
    renumber = [position[version] for version in by_version]
    renumber.append(len(newest))
    return _framed(
        MAGIC,
        (
            source,
            page.page_url,
            page.undated,
            tuple(str(version) for version in newest),
            tuple(by_version.records(version).packed() for version in newest),
            page.other_files.packed(),
            marshal.dumps(tuple(renumber[part] for part in page.order.get())),
        ),
    )


def decode_digest(name: NormalizedName, data: bytes, source: bytes) -> ProjectPage | None:
    """The page a digest holds, or None when it is damaged, of another format, or made from
    another raw page than ``source`` names."""
    fields = _unframed(MAGIC, data)
    return None if fields is None else _page(name, fields, source)


def encode_metadata_digest(fields: MetadataFields, raw: bytes) -> bytes:
    """The digest of a METADATA file's fields, made from the file's bytes ``raw``.

    Payload: (size of ``raw``, CRC-32 of ``raw``, the fields).  METADATA is kept by the wheel's
    sha256 and never changes, so naming the bytes by size and checksum is enough.
    """
    return _framed(METADATA_MAGIC, (len(raw), zlib.crc32(raw), fields))


def decode_metadata_digest(data: bytes, raw: bytes) -> MetadataFields | None:
    """The fields a METADATA digest holds, or None when it is damaged, of another format, or
    made from other bytes than ``raw``."""
    payload = _unframed(METADATA_MAGIC, data)
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


def _framed(magic: bytes, value: Any) -> bytes:
    """The header (magic, format, marshal version, checksum), then ``value`` marshalled."""
    payload = marshal.dumps(value)
    return _HEADER.pack(magic, FORMAT, marshal.version, zlib.crc32(payload)) + payload


def _unframed(magic: bytes, data: bytes) -> Any:
    """The value :func:`_framed` stored, or None when the header or the checksum is wrong."""
    if len(data) < _HEADER.size:
        return None
    found, layout, marshal_version, checksum = _HEADER.unpack_from(data)
    if (found, layout, marshal_version) != (magic, FORMAT, marshal.version):
        return None
    payload = memoryview(data)[_HEADER.size :]
    if zlib.crc32(payload) != checksum:
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def _page(name: NormalizedName, fields: Any, source: bytes) -> ProjectPage | None:
    """The page of a decoded payload, None when its shape is wrong or its source another."""
    if not _well_formed(fields) or fields[0] != source:
        return None
    _, page_url, undated, texts, groups, others, order = fields
    try:
        versions = tuple(Version(text) for text in texts)
    except InvalidVersion:
        return None
    packed: dict[Version, Packed[Records]] = {
        version: Packed.later(group) for version, group in zip(versions, groups, strict=True)
    }
    if len(packed) != len(versions):  # two texts of one version: not a digest this module made
        return None
    return ProjectPage(
        name=name,
        page_url=page_url,
        wheels_by_version=WheelsByVersion(name, packed, newest_first=versions),
        other_files=Packed.later(others),
        order=Packed.later(order),
        undated=undated,
    )


def _well_formed(fields: Any) -> bool:
    """Whether the payload has the shape :func:`encode_digest` gives it.  Cheap: the records
    inside were checked when the page was parsed, and the checksum says they are unchanged."""
    if not isinstance(fields, tuple) or len(fields) != len(_FIELDS):
        return False
    source, page_url, undated, texts, groups, others, order = fields
    return (
        isinstance(source, bytes)
        and isinstance(page_url, str)
        and isinstance(undated, bool)
        and isinstance(texts, tuple)
        and isinstance(groups, tuple)
        and len(texts) == len(groups)
        and all(isinstance(text, str) for text in texts)
        and all(isinstance(group, bytes) for group in groups)
        and isinstance(others, bytes)
        and isinstance(order, bytes)
    )
