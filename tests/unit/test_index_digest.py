"""Page and METADATA digests: what a digest holds comes back exactly as parsing gave it, and a
digest that is damaged, of another format or made from other raw bytes is refused.

Pages are parsed from real PEP 691 JSON (and HTML) through the same functions the client uses,
so the records in a digest are the ones a fetch makes.
"""

from __future__ import annotations

import json
import marshal
import struct
import zlib
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.index import digest as digest_module
from omniwheel.index.digest import (
    FORMAT,
    MAGIC,
    METADATA_FORMAT,
    METADATA_MAGIC,
    decode_digest,
    decode_metadata_digest,
    encode_digest,
    encode_metadata_digest,
)
from omniwheel.index.models import (
    ProjectPage,
    core_metadata,
    metadata_fields,
    parse_core_metadata,
    parse_html_page,
    parse_json_page,
)

FOO = canonicalize_name("foo")
PAGE_URL = "https://mirror.example/simple/foo/"
SOURCE = b'{"fetched-at": "2026-01-01T00:00:00+00:00", "write-id": "1"}\n4242'
SHA = "ab" * 32


def entry(filename: str, **fields: Any) -> dict[str, Any]:
    return {"filename": filename, "url": f"../../files/{filename}", "hashes": {}} | fields


# Every field the resolver reads, in each of the forms an index may give it.
ENTRIES = [
    entry("foo-0.9.tar.gz", **{"upload-time": "2023-01-01T00:00:00Z"}),
    entry(
        "foo-1.0-py3-none-any.whl",
        hashes={"sha256": SHA.upper()},
        **{
            "requires-python": ">=3.9",
            "upload-time": "2024-01-02T03:04:05.678Z",
            "size": 1234,
            "yanked": "broken build",
            "core-metadata": {"sha256": "CD" * 32},
        },
    ),
    entry(
        "foo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        url="https://files.example/abs/foo-1.0-cp312.whl",
        yanked=True,
        **{"data-dist-info-metadata": True, "upload-time": "2024-01-02T03:04:05+00:00"},
    ),
    entry("foo-1.0-1-py3-none-any.whl", **{"core-metadata": False, "requires-python": ""}),
    entry("foo-1.0.0-py2.py3-none-any.whl", **{"upload-time": "2024-02-01T00:00:00Z"}),
    entry("foo-2.0rc1-py3-none-any.whl", yanked=False, **{"core-metadata": {}}),
    entry("foo-2.0-py3-none-win_amd64.whl", size=7, **{"upload-time": "2025-05-05T05:05:05Z"}),
    entry("foo-1.0.tar.gz"),
    entry("foo-not.a.version-py3-none-any.whl"),
    entry("bar-1.0-py3-none-any.whl"),
    entry("foo-1.0.zip", yanked=""),
    entry("foo-3!1.0.post2.dev3+local.7-py3-none-any.whl", **{"requires-python": "nonsense"}),
]


def json_page(entries: list[dict[str, Any]] = ENTRIES) -> ProjectPage:
    body = json.dumps({"meta": {"api-version": "1.0"}, "files": entries}).encode()
    return parse_json_page(FOO, body, PAGE_URL)


def round_trip(page: ProjectPage) -> ProjectPage:
    loaded = decode_digest(page.name, encode_digest(page, SOURCE), SOURCE)
    assert loaded is not None
    return loaded


def assert_same_page(loaded: ProjectPage, page: ProjectPage) -> None:
    """Everything the resolver, the explainer and the cache read is equal."""
    assert (loaded.name, loaded.page_url) == (page.name, page.page_url)
    assert loaded.files == page.files
    assert loaded.records == page.records
    assert list(loaded.wheels_by_version) == list(page.wheels_by_version.newest_first())
    assert loaded.wheels_by_version.newest_first() == page.wheels_by_version.newest_first()
    for version in page.wheels_by_version:
        # Wheel values: file record, name, version, build, tags, Requires-Python.
        assert loaded.wheels_by_version[version] == page.wheels_by_version[version]
    assert loaded.sdist_versions == page.sdist_versions
    assert loaded.has_undated_files() == page.has_undated_files()


def test_every_field_of_a_json_page_comes_back() -> None:
    page = json_page()
    loaded = round_trip(page)
    assert_same_page(loaded, page)
    # The forms above really were read (a round trip of empty values would prove nothing).
    wheels = {w.file.filename: w for v in page.wheels_by_version for w in page.wheels_by_version[v]}
    first = wheels["foo-1.0-py3-none-any.whl"]
    assert (first.file.sha256, first.file.yanked, first.file.yanked_reason) == (
        SHA,
        True,
        "broken build",
    )
    assert (first.file.size, first.file.metadata_sha256) == (1234, "cd" * 32)
    assert first.file.url == "https://mirror.example/files/foo-1.0-py3-none-any.whl"
    assert str(first.requires_python) == ">=3.9"
    assert first.file.upload_time is not None
    assert first.file.upload_time.microsecond == 678000
    assert wheels["foo-1.0-1-py3-none-any.whl"].build == (1, "")
    assert Version("3!1.0.post2.dev3+local.7") in loaded.wheels_by_version
    assert loaded.sdist_versions == frozenset({Version("0.9"), Version("1.0")})
    assert loaded.has_undated_files()


def test_one_version_spelled_two_ways_stays_one_group() -> None:
    loaded = round_trip(json_page())
    names = [w.file.filename for w in loaded.wheels_by_version[Version("1.0")]]
    assert "foo-1.0.0-py2.py3-none-any.whl" in names
    assert names == [w.file.filename for w in json_page().wheels_by_version[Version("1.0")]]


def test_a_dated_page_says_so_after_the_round_trip() -> None:
    dated = [entry("foo-1.0-py3-none-any.whl", **{"upload-time": "2024-01-01T00:00:00Z"})]
    assert not round_trip(json_page(dated)).has_undated_files()


def test_an_html_page_and_an_empty_page_come_back() -> None:
    body = (
        b'<a href="/files/foo-1.0-py3-none-any.whl#sha256=' + SHA.encode() + b'" '
        b'data-requires-python="&gt;=3.8" data-yanked="old">foo-1.0-py3-none-any.whl</a>'
        b'<a href="/files/foo-1.0.tar.gz">foo-1.0.tar.gz</a>'
    )
    html = parse_html_page(FOO, body, PAGE_URL)
    assert_same_page(round_trip(html), html)
    empty = json_page([])
    assert_same_page(round_trip(empty), empty)


def test_a_digest_serves_the_raw_body_it_does_not_hold() -> None:
    # Only the cache's raw file holds the body as received; a digest's page serialises its
    # records, which parse back to the same files.
    loaded = round_trip(json_page())
    assert loaded.raw_json is None
    assert parse_json_page(FOO, loaded.json_body(), PAGE_URL).files == json_page().files


# -- refusals ----------------------------------------------------------------------------


def reframed(payload: bytes, *, layout: int = FORMAT, magic: bytes = MAGIC) -> bytes:
    """A digest with a valid checksum around ``payload``."""
    header = struct.pack("<8sHHI", magic, layout, marshal.version, zlib.crc32(payload))
    return header + payload


EMPTY = marshal.dumps(())


def laid_out(
    texts: Any = ("1.0",),
    *,
    sizes: Any = None,
    blobs: tuple[bytes, ...] | None = None,
    index: Any = None,
    length: int | None = None,
) -> bytes:
    """A page digest in the current layout with a valid checksum, from its parts (each one a
    valid empty record tuple unless given)."""
    parts = blobs if blobs is not None else (EMPTY,) * (len(texts) + 2)
    sizes = tuple(len(part) for part in parts) if sizes is None else sizes
    packed = marshal.dumps((SOURCE, PAGE_URL, False, texts, sizes) if index is None else index)
    prefix = struct.pack("<I", len(packed) if length is None else length)
    return reframed(prefix + packed + b"".join(parts))


def good() -> bytes:
    return encode_digest(json_page(), SOURCE)


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_digest_laid_out_by_hand_is_read() -> None:
    """The refusals below are made with :func:`laid_out`: what it makes, unchanged, is read."""
    page = decode_digest(FOO, laid_out(("2.0", "1.0")), SOURCE)
    assert page is not None
    assert page.wheels_by_version.newest_first() == (Version("2.0"), Version("1.0"))
    assert page.records == ()


@pytest.mark.parametrize(
    ("label", "damage"),
    [
        ("empty", lambda data: b""),
        ("header only", lambda data: data[:16]),
        ("truncated", lambda data: data[:-1]),
        ("a bit flipped in the payload", lambda data: flipped(data, len(data) // 2)),
        ("a bit flipped in the checksum", lambda data: flipped(data, 13)),
        ("another magic", lambda data: b"xxdigest" + data[8:]),
        ("an older format", lambda data: reframed(data[16:], layout=FORMAT - 1)),
        ("a newer format", lambda data: reframed(data[16:], layout=FORMAT + 1)),
        ("no index length", lambda data: reframed(b"\x01")),
        ("an index longer than the digest", lambda data: laid_out(length=10**6)),
        ("an index cut short", lambda data: laid_out(length=5)),
        ("index not a tuple", lambda data: laid_out(index=[1, 2])),
        ("index too short", lambda data: laid_out(index=(SOURCE, PAGE_URL))),
        ("a version that is none", lambda data: laid_out(("1.0", "nope"))),
        ("one version twice", lambda data: laid_out(("1.0", "1.0.0"))),
        ("sizes not numbers", lambda data: laid_out(sizes=(2, "2", 2))),
        ("a size for each version missing", lambda data: laid_out(sizes=(2, 4))),
        ("sizes longer than the digest", lambda data: laid_out(sizes=(2, 2, 3))),
        ("sizes shorter than the digest", lambda data: laid_out(sizes=(2, 2, 1))),
        ("a negative size", lambda data: laid_out(sizes=(4, -2, 4))),
        ("not marshal", lambda data: reframed(b"\x09\x00\x00\x00\xff\xfe\xfd")),
    ],
)
def test_damaged_or_foreign_digest_is_refused(label: str, damage: Any) -> None:
    data = good()
    assert decode_digest(FOO, data, SOURCE) is not None
    assert decode_digest(FOO, damage(data), SOURCE) is None, label


def test_digest_of_another_raw_page_is_refused() -> None:
    data = good()
    assert decode_digest(FOO, data, SOURCE.replace(b"4242", b"4243")) is None
    assert decode_digest(FOO, data, SOURCE.replace(b'"1"', b'"2"')) is None


def test_the_format_is_versioned_in_the_header() -> None:
    magic, layout, version, _ = struct.unpack_from("<8sHHI", good())
    assert (magic, layout, version) == (MAGIC, digest_module.FORMAT, marshal.version)


# -- METADATA ----------------------------------------------------------------------------

METADATA = (
    b"Metadata-Version: 2.3\n"
    b"Name: Foo.Bar\n"
    b"Version: 1.0.post1\n"
    b"Requires-Python: >=3.9\n"
    b"Requires-Dist: idna>=2\n"
    b'Requires-Dist: pysocks; extra == "Socks"\n'
    b"Provides-Extra: Socks\n"
    b"\n"
    b"A description.\n"
)


def test_metadata_fields_come_back_and_parse_as_the_metadata_does() -> None:
    fields = metadata_fields(METADATA, source="foo")
    assert fields == (
        "Foo.Bar",
        "1.0.post1",
        ("idna>=2", 'pysocks; extra == "Socks"'),
        ">=3.9",
        ("Socks",),
    )
    loaded = decode_metadata_digest(encode_metadata_digest(fields, METADATA), METADATA)
    assert loaded == fields
    assert core_metadata(loaded, source="foo") == parse_core_metadata(METADATA, source="foo")
    bare = metadata_fields(b"Metadata-Version: 2.1\nName: a\nVersion: 2\n", source="a")
    assert decode_metadata_digest(encode_metadata_digest(bare, b"x"), b"x") == (
        "a",
        "2",
        (),
        None,
        (),
    )


def metadata_reframed(payload: bytes, newer: int = 0) -> bytes:
    """A METADATA digest with a valid checksum around ``payload``, of a format ``newer`` away."""
    return reframed(payload, layout=METADATA_FORMAT + newer, magic=METADATA_MAGIC)


def test_a_metadata_digest_reframed_unchanged_is_read() -> None:
    """The refusals below are made with :func:`metadata_reframed`: unchanged, it is read."""
    data = encode_metadata_digest(metadata_fields(METADATA, source="foo"), METADATA)
    assert decode_metadata_digest(metadata_reframed(data[16:]), METADATA) is not None


@pytest.mark.parametrize(
    ("label", "damage"),
    [
        ("other bytes", lambda data: (data, METADATA + b" ")),
        ("same size, other bytes", lambda data: (data, METADATA.replace(b"idna", b"IDNA"))),
        ("truncated", lambda data: (data[:-1], METADATA)),
        ("a bit flipped", lambda data: (flipped(data, len(data) - 5), METADATA)),
        ("an older format", lambda data: (metadata_reframed(data[16:], -1), METADATA)),
        ("a newer format", lambda data: (metadata_reframed(data[16:], +1), METADATA)),
        ("a page digest", lambda data: (good(), METADATA)),
        (
            "fields of the wrong shape",
            lambda data: (
                metadata_reframed(
                    marshal.dumps((len(METADATA), zlib.crc32(METADATA), ("a", "1", ["x"])))
                ),
                METADATA,
            ),
        ),
    ],
)
def test_damaged_or_foreign_metadata_digest_is_refused(label: str, damage: Any) -> None:
    data = encode_metadata_digest(metadata_fields(METADATA, source="foo"), METADATA)
    assert decode_metadata_digest(data, METADATA) is not None
    assert decode_metadata_digest(*damage(data)) is None, label
