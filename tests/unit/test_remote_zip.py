"""Reading a wheel's METADATA from a few byte ranges of real wheels built by the wheel builder.

Each test hands :class:`SparseFile` only the ranges a remote reader would have fetched and lets
the standard ``zipfile`` module do the reading, so a missing byte shows up as
:class:`MissingRange` exactly where the index client would fetch next.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import pytest

from omniwheel.index.remote_zip import (
    TAIL_SIZE,
    MissingRange,
    SparseFile,
    find_metadata_member,
    member_range,
)
from tests.support.wheelbuilder import build_wheel, core_metadata

METADATA_NAME = "foo-1.0.dist-info/METADATA"
EXPECTED_METADATA = core_metadata("foo", "1.0", requires_dist=["bar>=2"])


def incompressible(size: int) -> bytes:
    """Deterministic bytes that deflate cannot shrink."""
    blocks = (hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def tail_of(data: bytes, size: int = TAIL_SIZE) -> SparseFile:
    """A sparse copy of ``data`` holding only its last ``size`` bytes (the first request)."""
    sparse = SparseFile(len(data))
    start = max(0, len(data) - size)
    sparse.add(start, data[start:])
    return sparse


def central_directory(data: bytes) -> tuple[int, int]:
    """(offset, size) of the central directory, from the classic end record."""
    eocd = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<LL", data, eocd + 12)
    return offset, size


def as_zip64(data: bytes) -> bytes:
    """Rewrite a zip's end records the way writers do past 4 GiB.

    A zip64 end record and its locator go before the classic record, whose counts, size and
    offset become their 0xFF… markers; readers must then follow the locator.
    """
    eocd = data.rfind(b"PK\x05\x06")
    (entries,) = struct.unpack_from("<H", data, eocd + 10)
    offset, size = central_directory(data)
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd, 1)
    classic = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    )
    return data[:eocd] + record + locator + classic


@pytest.fixture
def big_payload_wheel(wheel_dir: Path) -> bytes:
    """METADATA near the start, 300 KB of payload after it: METADATA is not in the tail."""
    path = build_wheel(
        wheel_dir,
        "foo",
        "1.0",
        requires_dist=["bar>=2"],
        extra_entries=[("foo/blob.bin", incompressible(300_000))],
    )
    return path.read_bytes()


@pytest.fixture
def many_files_wheel(wheel_dir: Path) -> bytes:
    """A central directory far larger than the tail (1,500 entries with long names)."""
    files = {
        f"foo/{'module_with_a_long_descriptive_name_' * 2}{i:04d}.py": b"" for i in range(1500)
    }
    path = build_wheel(wheel_dir, "foo", "1.0", requires_dist=["bar>=2"], files=files)
    return path.read_bytes()


# -- SparseFile --------------------------------------------------------------------------


def test_sparse_file_reads_fetched_bytes_and_refuses_the_rest() -> None:
    sparse = SparseFile(100)
    sparse.add(10, bytes(range(10, 30)))
    sparse.add(60, bytes(range(60, 100)))
    assert sparse.seek(12) == 12
    assert sparse.read(5) == bytes(range(12, 17))
    assert sparse.tell() == 17
    sparse.seek(-10, io.SEEK_END)
    assert sparse.read() == bytes(range(90, 100))
    assert sparse.read(10) == b""
    sparse.seek(25)
    with pytest.raises(MissingRange) as missing:
        sparse.read(10)
    assert (missing.value.start, missing.value.end) == (25, 35)
    assert sparse.has(10, 30)
    assert sparse.has(60, 100)
    assert not sparse.has(25, 35)
    assert not sparse.has(0, 1)


def test_sparse_file_seek_is_relative_and_clamped_at_zero() -> None:
    sparse = SparseFile(50)
    sparse.seek(20)
    assert sparse.seek(5, io.SEEK_CUR) == 25
    assert sparse.seek(-100, io.SEEK_CUR) == 0
    assert sparse.seek(0, io.SEEK_END) == 50
    assert sparse.readable()
    assert sparse.seekable()


def test_read_past_the_end_stops_at_the_size() -> None:
    sparse = SparseFile(4)
    sparse.add(0, b"abcd")
    sparse.seek(2)
    assert sparse.read(100) == b"cd"


# -- a normal wheel: the tail holds the central directory --------------------------------


def test_metadata_from_the_tail_and_the_member_range_only(big_payload_wheel: bytes) -> None:
    data = big_payload_wheel
    sparse = tail_of(data)
    with zipfile.ZipFile(sparse) as archive:
        info = find_metadata_member(archive)
        assert info.filename == METADATA_NAME
        with pytest.raises(MissingRange) as missing:
            archive.read(info)
        assert missing.value.start == info.header_offset
        begin, end = member_range(info)
        assert begin == info.header_offset
        sparse.add(begin, data[begin:end])
        assert archive.read(info) == EXPECTED_METADATA
    fetched = TAIL_SIZE + (end - begin)
    assert fetched < len(data) / 4


def test_small_wheel_is_read_from_the_tail_alone(wheel_dir: Path) -> None:
    data = build_wheel(wheel_dir, "foo", "1.0", requires_dist=["bar>=2"]).read_bytes()
    assert len(data) < TAIL_SIZE
    with zipfile.ZipFile(tail_of(data)) as archive:
        assert archive.read(find_metadata_member(archive)) == EXPECTED_METADATA


def test_member_range_covers_the_local_header_and_data(wheel_dir: Path) -> None:
    data = build_wheel(wheel_dir, "foo", "1.0").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as whole:
        for info in whole.infolist():
            begin, end = member_range(info)
            sparse = SparseFile(len(data))
            sparse.add(begin, data[begin:end])
            offset, _ = central_directory(data)
            sparse.add(offset, data[offset:])
            with zipfile.ZipFile(sparse) as archive:
                assert archive.read(info.filename) == whole.read(info)


# -- a central directory larger than the tail --------------------------------------------


def test_large_central_directory_needs_a_second_range(many_files_wheel: bytes) -> None:
    data = many_files_wheel
    offset, size = central_directory(data)
    assert size > TAIL_SIZE
    sparse = tail_of(data)

    with pytest.raises(MissingRange) as missing:
        zipfile.ZipFile(sparse)
    assert (missing.value.start, missing.value.end) == (offset, offset + size)
    sparse.add(missing.value.start, data[missing.value.start : missing.value.end])

    with zipfile.ZipFile(sparse) as archive:
        assert len(archive.infolist()) == 1500 + 4
        info = find_metadata_member(archive)
        begin, end = member_range(info)
        assert not sparse.has(begin, min(end, len(data)))
        sparse.add(begin, data[begin:end])
        assert archive.read(info) == EXPECTED_METADATA


# -- zip64 -------------------------------------------------------------------------------


def test_zip64_end_records_are_followed(big_payload_wheel: bytes) -> None:
    data = as_zip64(big_payload_wheel)
    with zipfile.ZipFile(io.BytesIO(data)) as whole:
        assert whole.read(METADATA_NAME) == EXPECTED_METADATA  # the rewrite is a valid zip
    assert struct.unpack_from("<L", data, len(data) - 6) == (0xFFFFFFFF,)

    sparse = tail_of(data)
    with zipfile.ZipFile(sparse) as archive:
        info = find_metadata_member(archive)
        begin, end = member_range(info)
        sparse.add(begin, data[begin:end])
        assert archive.read(info) == EXPECTED_METADATA


def test_zip64_written_by_zipfile_is_read_from_the_tail(wheel_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in [("foo/__init__.py", b""), (METADATA_NAME, EXPECTED_METADATA)]:
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(body)
    data = buffer.getvalue()
    with zipfile.ZipFile(tail_of(data)) as archive:
        assert archive.read(find_metadata_member(archive)) == EXPECTED_METADATA


# -- finding METADATA --------------------------------------------------------------------


def test_only_the_top_level_dist_info_metadata_counts(wheel_dir: Path) -> None:
    vendored = {"foo/_vendor/bar-2.0.dist-info/METADATA": core_metadata("bar", "2.0")}
    path = build_wheel(wheel_dir, "foo", "1.0", requires_dist=["bar>=2"], files=vendored)
    with zipfile.ZipFile(path) as archive:
        assert find_metadata_member(archive).filename == METADATA_NAME


def test_a_zip_without_metadata_is_a_bad_wheel() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foo/__init__.py", b"")
        archive.writestr("foo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive,
        pytest.raises(zipfile.BadZipFile, match="METADATA"),
    ):
        find_metadata_member(archive)
