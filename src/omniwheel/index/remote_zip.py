"""Reading one member of a remote zip (a wheel's METADATA) from a few byte ranges.

A wheel's central directory sits at its end.  Fetching the tail, then (if needed) the rest of
the central directory, then the member's local header and data, costs two or three small
requests instead of downloading the wheel.  The fetched ranges are kept in a
:class:`SparseFile` that the standard ``zipfile`` module reads as if it were the whole file;
reading a byte that was not fetched raises :class:`MissingRange`, which tells the caller which
range to fetch next.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# How much of the end of a wheel to ask for first: enough for the central directory of most wheels.
TAIL_SIZE = 64 * 1024

_LOCAL_HEADER_SIZE = 30


class MissingRange(Exception):
    """A read touched bytes that have not been fetched: ``start``/``end`` (exclusive) to fetch."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(f"bytes {start}-{end} not fetched")
        self.start = start
        self.end = end


class SparseFile(io.RawIOBase):
    """A read-only, seekable file of known size holding only some of its byte ranges."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._segments: list[tuple[int, bytes]] = []
        self._position = 0

    def add(self, start: int, data: bytes) -> None:
        self._segments.append((start, data))

    def has(self, start: int, end: int) -> bool:
        return any(s <= start and end <= s + len(d) for s, d in self._segments)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._position + len(view), self._size)
        if end <= self._position:
            return 0
        for start, data in self._segments:
            if start <= self._position and end <= start + len(data):
                chunk = data[self._position - start : end - start]
                view[: len(chunk)] = chunk
                self._position = end
                return len(chunk)
        raise MissingRange(self._position, end)


def member_range(info: zipfile.ZipInfo) -> tuple[int, int]:
    """A byte range that covers a member's local header and data.

    The local header's extra field may differ from the central directory's, so allow a margin."""
    start = info.header_offset
    end = start + _LOCAL_HEADER_SIZE + len(info.orig_filename.encode()) + 1024 + info.compress_size
    return start, end


def find_metadata_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The ``*.dist-info/METADATA`` entry at the top of the wheel."""
    for info in archive.infolist():
        parts = info.filename.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            return info
    raise zipfile.BadZipFile("the wheel has no .dist-info/METADATA")
