"""Unpacking one untrusted wheel into a directory, refusing anything unsafe or inconsistent.

A wheel is a zip made by whoever uploaded it.  Before a single byte is written, every entry is
checked: its name must stay inside the destination (no ``..``, no absolute path, no drive
letter, no backslash), it must be a regular file or directory (no symlinks, devices or
FIFOs), names must be unique (also ignoring case, which macOS and Windows do), the declared
sizes must be sane (a total limit and a per-entry compression ratio, against zip bombs — the
zip reader then stops every entry at its declared size), and every file must be listed in the
wheel's ``RECORD`` with a strong hash.  While writing, each file's hash and size are compared
with ``RECORD``.  Written files are read-only (executable ones ``0o555``): environments
hardlink them, and an edit in one environment must not silently change every other one.

Any violation raises :class:`UnsafeWheelError` naming the wheel and the entry; the caller
unpacks into a temporary directory and throws it away on failure.

Files up to :data:`WHOLE_ENTRY_BYTES` (almost all of a wheel's) are read straight from the
archive and inflated in one call (:func:`_inflated`), with the checks :mod:`zipfile` makes —
local header and name, the declared size exactly — and the RECORD hash, which stands in for
the CRC-32 (checked only where RECORD gives no hash: RECORD itself, its signatures); larger
ones stream through :mod:`zipfile` a chunk at a time.  The 18,000 small files of the bench
workload spent about a third of their unpacking time in ``zipfile``'s per-entry machinery.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from packaging.utils import canonicalize_name, parse_wheel_filename

from omniwheel._atomic import UMASK
from omniwheel.errors import OmniwheelError
from omniwheel.store.manifest import UNHASHED

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = MIB
WHOLE_ENTRY_BYTES = 8 * MIB
"""Entries up to this size (uncompressed and compressed) are read and inflated whole."""

WEAK_HASHES = frozenset({"md5", "sha1"})
DATA_KEYS = frozenset({"scripts", "headers", "data", "purelib", "platlib"})
"""The subdirectories a wheel's ``.data`` directory may have (the install scheme keys)."""

_DRIVE = re.compile(r"[A-Za-z]:")
_READ_ONLY = 0o444
_EXECUTABLE = 0o555
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_LOCAL_HEADER = struct.Struct("<4s2sHH4sIIIHH")
"""A zip entry's local header: signature, version, flags, method, time and date, CRC-32,
sizes, then the lengths of the name and the extra field."""
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_UTF8_NAME = 0x800


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpackLimits:
    """Sizes beyond which a wheel is refused as a zip bomb rather than unpacked."""

    max_total_bytes: int = 4 * GIB
    """The largest real wheels (CUDA libraries) stay well below this, uncompressed."""
    max_ratio: int = 200
    """Largest uncompressed/compressed ratio for one entry; deflate itself tops out near 1000."""
    ratio_floor_bytes: int = 16 * MIB
    """Entries smaller than this are not ratio-checked: small files of zeros compress well."""


class UnsafeWheelError(OmniwheelError):
    """A wheel that may not be unpacked: unsafe, inconsistent or not a wheel at all."""

    def __init__(self, wheel: str, entry: str | None, problem: str) -> None:
        where = f"entry `{entry}` of {wheel}" if entry is not None else wheel
        super().__init__(
            f"refusing to install {where}: {problem}",
            hint="the wheel is broken or malicious; report it to the package's maintainers, "
            "and do not install it by other means",
        )
        self.wheel = wheel
        self.entry = entry
        self.problem = problem

    def __reduce__(self) -> tuple[type[UnsafeWheelError], tuple[str, str | None, str]]:
        # Rebuilt from its fields when it crosses from an unpacking worker process.
        return type(self), (self.wheel, self.entry, self.problem)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Expected:
    algorithm: str
    digest: str
    size: int | None


def unpack_wheel(
    wheel: Path, dest: Path, *, filename: str, limits: UnpackLimits | None = None
) -> None:
    """Unpack ``wheel`` (published as ``filename``) into ``dest``, which must not exist yet.

    Raises :class:`UnsafeWheelError` before writing anything when an entry is unsafe, and
    while writing when a file does not match ``RECORD``; ``dest`` is then half-written and
    the caller must remove it.
    """
    try:
        with zipfile.ZipFile(wheel) as archive, wheel.open("rb") as raw:
            infos = archive.infolist()
            files = _checked_entries(filename, infos, limits or UnpackLimits())
            dist_info = _dist_info_dir(filename, files)
            record = _read_record(filename, archive, dist_info)
            _check_coverage(filename, files, record, dist_info)
            dest.mkdir()
            _make_directories(dest, infos)
            for info in files:
                if _whole(info):
                    expected = record[info.filename]
                    content = _inflated(raw, info, crc=expected is None)
                    _write_whole(filename, content, info, str(dest), expected)
                else:
                    _extract(filename, archive, info, str(dest), record)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise UnsafeWheelError(filename, None, f"not a valid zip archive ({exc})") from exc


def dist_info_name(names: Iterable[str], filename: str) -> str:
    """The one top-level ``*.dist-info`` directory among ``names`` that belongs to the wheel."""
    project = parse_wheel_filename(filename)[0]
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    dist_infos = sorted(top for top in tops if top.endswith(".dist-info"))
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        raise UnsafeWheelError(filename, None, f"needs one .dist-info directory (found {found})")
    owner = dist_infos[0].removesuffix(".dist-info").rpartition("-")[0]
    if canonicalize_name(owner) != project:
        raise UnsafeWheelError(
            filename, dist_infos[0], f"the .dist-info directory is not {project}'s"
        )
    return dist_infos[0]


# --- checks before writing -------------------------------------------------------------------


def _checked_entries(
    filename: str, infos: list[zipfile.ZipInfo], limits: UnpackLimits
) -> list[zipfile.ZipInfo]:
    """Every entry checked; the file (non-directory) entries returned."""
    seen: set[str] = set()
    total = 0
    files = []
    for info in infos:
        problem = _name_problem(info.filename) or _type_problem(info)
        key = info.filename.rstrip("/").casefold()
        if problem is None and key in seen:
            problem = "appears twice (names are compared ignoring case)"
        seen.add(key)
        total += info.file_size
        problem = problem or _size_problem(info, total, limits)
        if problem is not None:
            raise UnsafeWheelError(filename, info.filename, problem)
        if not info.is_dir():
            files.append(info)
    _check_file_dir_conflicts(filename, files)
    return files


def _name_problem(name: str) -> str | None:
    parts = name.removesuffix("/").split("/")
    checks = (
        (not name or "\x00" in name, "has an empty or NUL-containing name"),
        ("\\" in name, "contains a backslash (a path separator on Windows)"),
        (name.startswith("/"), "is an absolute path"),
        (_DRIVE.match(name) is not None, "starts with a drive letter"),
        (".." in parts, "climbs out of the destination with `..`"),
        (any(part in ("", ".") for part in parts), "has an empty or `.` path component"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _type_problem(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link (wheels may only hold regular files)"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"is a special file (mode {mode:o}); wheels may only hold regular files"
    return None


def _size_problem(info: zipfile.ZipInfo, total: int, limits: UnpackLimits) -> str | None:
    if total > limits.max_total_bytes:
        return (
            f"brings the uncompressed total to {total} bytes, over the limit of "
            f"{limits.max_total_bytes} (a zip bomb?)"
        )
    ratio_limit = limits.max_ratio * max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_bytes and info.file_size > ratio_limit:
        return (
            f"expands {info.compress_size} bytes to {info.file_size}, more than "
            f"{limits.max_ratio}x (a zip bomb?)"
        )
    return None


def _check_file_dir_conflicts(filename: str, files: list[zipfile.ZipInfo]) -> None:
    directories = {
        name.rsplit("/", depth)[0].casefold()
        for name in (info.filename for info in files)
        for depth in range(1, name.count("/") + 1)
    }
    for info in files:
        if info.filename.casefold() in directories:
            raise UnsafeWheelError(filename, info.filename, "is both a file and a directory")


def _dist_info_dir(filename: str, files: list[zipfile.ZipInfo]) -> str:
    dist_info = dist_info_name((info.filename for info in files), filename)
    present = {info.filename for info in files}
    for required in ("METADATA", "WHEEL", "RECORD"):
        if f"{dist_info}/{required}" not in present:
            raise UnsafeWheelError(filename, f"{dist_info}/{required}", "is missing")
    return dist_info


def _data_problem(name: str, dist_info: str) -> str | None:
    """Files under ``<name>.data/`` must sit inside one of the scheme keys' directories."""
    data = dist_info.removesuffix(".dist-info") + ".data/"
    parts = name.split("/")
    if name.startswith(data) and (len(parts) < 3 or parts[1] not in DATA_KEYS):
        return f"is not inside one of {data}{{{', '.join(sorted(DATA_KEYS))}}}/"
    return None


def _read_record(
    filename: str, archive: zipfile.ZipFile, dist_info: str
) -> Mapping[str, _Expected | None]:
    """RECORD as path → expected hash and size (None for the unhashed files)."""
    path = f"{dist_info}/RECORD"
    try:
        text = archive.read(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeWheelError(filename, path, "is not UTF-8") from exc
    record: dict[str, _Expected | None] = {}
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != 3:
            raise UnsafeWheelError(filename, path, f"line {line} does not have three fields")
        record[row[0]] = _expected(filename, path, line, row)
    return record


def _expected(filename: str, path: str, line: int, row: list[str]) -> _Expected | None:
    name, hash_field, size_field = row
    if not hash_field:
        return None
    algorithm, _, digest = hash_field.partition("=")
    if algorithm in WEAK_HASHES or algorithm not in hashlib.algorithms_guaranteed or not digest:
        raise UnsafeWheelError(
            filename, path, f"line {line} gives `{name}` an unusable hash `{hash_field}`"
        )
    if size_field and not size_field.isdigit():
        raise UnsafeWheelError(filename, path, f"line {line} gives `{name}` a bad size")
    return _Expected(
        algorithm=algorithm, digest=digest, size=int(size_field) if size_field else None
    )


def _check_coverage(
    filename: str,
    files: list[zipfile.ZipInfo],
    record: Mapping[str, _Expected | None],
    dist_info: str,
) -> None:
    """Every file is in RECORD with a hash (but RECORD and its signatures); RECORD is safe.

    RECORD may list paths the wheel lacks (installers skip them), but since installing reads
    RECORD, every path it names must pass the same checks as the entries themselves.
    """
    for name in record:
        problem = _name_problem(name) or _data_problem(name, dist_info)
        if problem is not None:
            raise UnsafeWheelError(filename, name, f"(as RECORD names it) {problem}")
    for info in files:
        name = info.filename
        unhashed = name.startswith(f"{dist_info}/") and name.split("/", 1)[1] in UNHASHED
        if name not in record:
            raise UnsafeWheelError(filename, name, "is not listed in RECORD")
        if record[name] is None and not unhashed:
            raise UnsafeWheelError(filename, name, "has no hash in RECORD")


# --- writing ---------------------------------------------------------------------------------


def _make_directories(dest: Path, infos: Iterable[zipfile.ZipInfo]) -> None:
    """Every directory the entries are or are in, each made once, parents first."""
    needed: set[str] = set()
    for info in infos:
        parts = info.filename.removesuffix("/").split("/")
        for depth in range(1, len(parts) + info.is_dir()):
            needed.add("/".join(parts[:depth]))
    for directory in sorted(needed):  # a parent is a prefix of its children: it sorts first
        path = dest.joinpath(*directory.split("/"))
        try:
            path.mkdir()
        except FileExistsError:  # two spellings of one name on a case-insensitive filesystem
            if not path.is_dir():
                raise


def _extract(
    filename: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    dest: str,
    record: Mapping[str, _Expected | None],
) -> None:
    """Write one file entry (its directory exists), checking it against RECORD as it goes.

    Hot: a cold sync of a hundred packages writes some 18,000 files.  The file is created with
    its final, read-only mode (the descriptor stays writable), so no ``chmod`` follows unless
    the umask took a bit away; paths are plain strings."""
    target = os.path.join(dest, *info.filename.split("/"))  # noqa: PTH118 - a str path
    expected = record[info.filename]
    algorithm = expected.algorithm if expected else "sha256"
    digest = hashlib.sha256() if algorithm == "sha256" else hashlib.new(algorithm)
    mode = _EXECUTABLE if _is_executable(info) else _READ_ONLY
    size = 0
    with (
        archive.open(info) as source,
        open(os.open(target, _CREATE, mode), "wb") as out,  # noqa: PTH123 - a descriptor
    ):
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if expected is not None:
        actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        _compare(filename, info.filename, expected, actual, size)
    if mode & UMASK:
        os.chmod(target, mode)  # noqa: PTH101 - a str path


def _whole(info: zipfile.ZipInfo) -> bool:
    """Whether the entry is read and inflated in one piece (small, stored or deflated, and not
    encrypted: anything else goes through :mod:`zipfile`, which refuses what it cannot read)."""
    return (
        info.file_size <= WHOLE_ENTRY_BYTES
        and info.compress_size <= WHOLE_ENTRY_BYTES
        and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        and not info.flag_bits & _ENCRYPTED
    )


def _inflated(raw: BinaryIO, info: zipfile.ZipInfo, *, crc: bool) -> bytes:
    """The entry's content, read from the archive file ``raw`` and checked as
    :mod:`zipfile` checks it: the local header must be one and name the entry, the data must
    inflate to exactly the declared size (never more is produced) and, if ``crc``, match the
    CRC-32.  The caller leaves out the CRC-32 only for content whose RECORD hash it checks:
    that hash covers the same bytes, and the CRC-32 of the 500 MB a cold sync of the bench
    workload unpacks took 0.25 s of CPU for nothing."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    fields = _LOCAL_HEADER.unpack(header)
    flags, name_length, extra_length = fields[2], fields[8], fields[9]
    encoding = "utf-8" if flags & _UTF8_NAME else "cp437"
    if raw.read(name_length).decode(encoding, errors="replace") != info.orig_filename:
        raise zipfile.BadZipFile(f"the local header of {info.filename} names another file")
    raw.seek(extra_length, os.SEEK_CUR)
    stored = raw.read(info.compress_size)
    if len(stored) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is cut short")
    if info.compress_type == zipfile.ZIP_STORED:
        content = stored
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        content = inflater.decompress(stored, info.file_size)
        if not inflater.eof:  # cut short, or more than the declared size follows
            content += inflater.decompress(inflater.unconsumed_tail, 1)
    if len(content) != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is not {info.file_size} bytes as declared")
    if crc and zlib.crc32(content) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for {info.filename}")
    return content


def _write_whole(
    filename: str, content: bytes, info: zipfile.ZipInfo, dest: str, expected: _Expected | None
) -> None:
    """Check ``content`` against its RECORD row, ``expected``, then write it as a new
    read-only file (its directory exists); as :func:`_extract` does, for an entry already
    read whole."""
    if expected is not None:
        algorithm = expected.algorithm
        digest = (
            hashlib.sha256(content) if algorithm == "sha256" else hashlib.new(algorithm, content)
        )
        actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        _compare(filename, info.filename, expected, actual, len(content))
    target = os.path.join(dest, *info.filename.split("/"))  # noqa: PTH118 - a str path
    mode = _EXECUTABLE if _is_executable(info) else _READ_ONLY
    fd = os.open(target, _CREATE, mode)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    if mode & UMASK:
        os.chmod(target, mode)  # noqa: PTH101 - a str path


def _compare(filename: str, name: str, expected: _Expected, actual: str, size: int) -> None:
    if actual != expected.digest.rstrip("="):
        raise UnsafeWheelError(
            filename,
            name,
            f"its {expected.algorithm} is {actual}, but RECORD says {expected.digest}",
        )
    if expected.size is not None and expected.size != size:
        raise UnsafeWheelError(
            filename, name, f"it has {size} bytes, but RECORD says {expected.size}"
        )


def _is_executable(info: zipfile.ZipInfo) -> bool:
    parts = info.filename.split("/")
    if len(parts) > 2 and parts[0].endswith(".data") and parts[1] == "scripts":
        return True  # installers make scripts executable whatever the archive says
    return bool((info.external_attr >> 16) & 0o111)
