"""Standalone interpreters in the store: each archive verified, unpacked safely once, read-only.

Layout under the store root (``<cache root>/store-v1``, see :data:`PYTHONS_DIR`)::

    pythons/<sha256>.tar.gz   the archive, placed only after its sha256 matched the lock
    pythons/<sha256>/         the archive unpacked exactly as archived (``python/…``), never
                              patched: its git tree hash is the one Julia computes from the same
                              tarball
    pythons/.<sha256[:16]>-*  an unpack in progress (junk after a crash; nothing trusts it)
    locks/python-<sha256>.lock, tmp/   as for wheels

An interpreter archive is untrusted like a wheel.  Its bytes are hashed as they stream in, and
the file is hashed again before it is opened, so nothing is unpacked from bytes the lock does not
name.  Every member is checked before it is written — a relative path without ``..``, ``.`` or
empty parts, a regular file, directory, symlink or hard link (no devices, FIFOs), no name twice,
no path through a symlink, links that stay inside the tree, member count and total size under
:class:`ArchiveLimits` — and extracted with :mod:`tarfile`'s ``data`` filter on top.  When all
are written, every symlink is resolved once more on disk (a link may point through another one
that came later), and the executable the lock names must exist.  Files are then made read-only
(``0o444``, ``0o555`` when executable) and directories ``0o555``, so an unprivileged interpreter
cannot write ``__pycache__`` into the store; root ignores modes, so whoever runs a stored
interpreter must also pass ``-B`` / ``PYTHONDONTWRITEBYTECODE``.  The tree is unpacked beside its
final place and renamed into it whole; on any failure it is removed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import posixpath
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel.index.discovery import strip_credentials
from omniwheel.store.store import (
    ATTEMPTS,
    BACKOFF_SECONDS,
    StoreError,
    TransientFetchError,
    checked_sha256,
    file_sha256,
    remove_tree,
)
from omniwheel.store.unpack import GIB

if TYPE_CHECKING:
    from omniwheel.python.pbs import PinnedPython

PYTHONS_DIR = "pythons"
# Part of the store-v1 layout: bump STORE_DIR (store.py) when what a tree here holds changes.

_READ_ONLY = 0o444
_EXECUTABLE = 0o555
_DIRECTORY = 0o555


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLimits:
    """Sizes beyond which an interpreter archive is refused rather than unpacked."""

    max_total_bytes: int = 4 * GIB
    """Unpacked install_only archives are 50–150 MB; the wheels' limit leaves a wide margin."""
    max_members: int = 200_000
    """An install_only archive has a few thousand members."""


class PythonArchiveError(StoreError):
    """An interpreter archive that may not be installed: unsafe, incomplete or not an archive."""

    def __init__(self, build: str, origin: str, entry: str | None, problem: str) -> None:
        self.build = build
        self.origin = strip_credentials(origin)
        self.entry = entry
        self.problem = problem
        where = f"entry `{entry}` of " if entry is not None else ""
        super().__init__(
            f"refusing to install {build}: {where}{self.origin} {problem}",
            hint="the archive is broken or was tampered with, and nothing was installed from "
            "it; check the mirror or the release, and do not install it by other means",
        )


class PythonHashMismatchError(StoreError):
    """The bytes of an interpreter archive are not the ones the lock names."""

    def __init__(self, build: str, origin: str, expected: str, actual: str) -> None:
        self.build = build
        self.origin = strip_credentials(origin)
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{build}: the lock says sha256 {expected}, but the archive from {self.origin} "
            f"has sha256 {actual}",
            hint="the mirror holds another file under this name, or the download was "
            "tampered with; nothing was installed from it.  If the release really changed, "
            "run `omniwheel lock` again",
        )


def python_tree(store_root: Path, sha256: str) -> Path:
    """Where the interpreter archive with this sha256 is unpacked (whether or not it is yet)."""
    return store_root / PYTHONS_DIR / checked_sha256(sha256)


def python_archive_file(store_root: Path, sha256: str) -> Path:
    """Where the verified archive with this sha256 is kept."""
    return store_root / PYTHONS_DIR / f"{checked_sha256(sha256)}.tar.gz"


def ensure_python_tree(
    pinned: PinnedPython,
    *,
    store_root: Path,
    fetch: Callable[[], Iterable[bytes]],
    origin: str,
    limits: ArchiveLimits | None = None,
) -> tuple[Path, bool]:
    """The unpacked tree of ``pinned``, fetched and unpacked first when missing.

    ``fetch()`` streams the archive from ``origin`` (a URL or path, for messages); it may raise
    :class:`TransientFetchError`, which is retried.  Returns the tree and whether bytes were
    fetched.  Safe under concurrent processes (one file lock per archive).
    """
    from filelock import FileLock

    tree = python_tree(store_root, pinned.sha256)
    if tree.is_dir():
        return tree, False
    for part in (PYTHONS_DIR, "locks", "tmp"):
        (store_root / part).mkdir(parents=True, exist_ok=True)
    with FileLock(store_root / "locks" / f"python-{pinned.sha256}.lock"):
        if tree.is_dir():
            return tree, False  # another process finished it while we waited
        archive = python_archive_file(store_root, pinned.sha256)
        fetched = False
        if not (archive.is_file() and file_sha256(archive) == pinned.sha256):
            _fetch_with_retries(pinned, store_root=store_root, fetch=fetch, origin=origin)
            fetched = True
        return unpack_python_archive(
            archive, pinned, store_root=store_root, origin=origin, limits=limits
        ), fetched


def store_python_archive(
    chunks: Iterable[bytes], pinned: PinnedPython, *, store_root: Path, origin: str
) -> Path:
    """Stream ``chunks`` into ``pythons/<sha256>.tar.gz`` if, and only if, their sha256 is right.

    The bytes go to ``tmp/`` first; on a mismatch (:class:`PythonHashMismatchError`) or any
    other failure nothing is left behind.
    """
    for part in (PYTHONS_DIR, "tmp"):
        (store_root / part).mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        dir=store_root / "tmp", prefix=f"{pinned.sha256[:16]}-", suffix=".part", delete=False
    )
    partial = Path(handle.name)
    try:
        digest = hashlib.sha256()
        with handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != pinned.sha256:
            raise PythonHashMismatchError(
                pinned.describe(), origin, pinned.sha256, digest.hexdigest()
            )
        target = python_archive_file(store_root, pinned.sha256)
        partial.replace(target)
        return target
    finally:
        partial.unlink(missing_ok=True)


def unpack_python_archive(
    archive: Path,
    pinned: PinnedPython,
    *,
    store_root: Path,
    origin: str | None = None,
    limits: ArchiveLimits | None = None,
) -> Path:
    """Unpack ``archive`` (which must hash to ``pinned.sha256``) into the store; the tree.

    The file is hashed before it is opened (:class:`PythonHashMismatchError`); an unsafe or
    incomplete archive raises :class:`PythonArchiveError` naming the build, ``origin`` (default:
    the lock's URL) and the entry.  Nothing is left in the store after a failure.
    """
    origin = origin or pinned.url
    actual = file_sha256(archive)
    if actual != pinned.sha256:
        raise PythonHashMismatchError(pinned.describe(), origin, pinned.sha256, actual)
    tree = python_tree(store_root, pinned.sha256)
    if tree.is_dir():
        return tree
    tree.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked beside its final place: renaming a directory within one parent needs no write
    # permission on the (by then read-only) directory itself.
    workspace = Path(tempfile.mkdtemp(dir=tree.parent, prefix=f".{pinned.sha256[:16]}-"))
    try:
        _Unpacker(pinned.describe(), origin, limits or ArchiveLimits()).unpack(archive, workspace)
        _check_symlinks(pinned.describe(), origin, workspace)
        _check_executable(pinned, origin, workspace)
        _make_read_only(workspace)
    except BaseException:
        remove_python_tree(workspace)
        raise
    try:
        workspace.rename(tree)
    except OSError:
        remove_python_tree(workspace)
        if not tree.is_dir():  # else another process (without our lock) placed it first
            raise
    return tree


def remove_python_tree(path: Path) -> None:
    """Remove an interpreter tree or its temporary directory (read-only directories too)."""
    if not path.exists():
        return
    for directory, _, _ in os.walk(path):
        Path(directory).chmod(0o700)
    remove_tree(path)


# --- fetching ---------------------------------------------------------------------------------


def _fetch_with_retries(
    pinned: PinnedPython, *, store_root: Path, fetch: Callable[[], Iterable[bytes]], origin: str
) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            store_python_archive(fetch(), pinned, store_root=store_root, origin=origin)
            return
        except TransientFetchError:
            if attempt == ATTEMPTS:
                raise
            time.sleep(BACKOFF_SECONDS * attempt)


# --- unpacking ----------------------------------------------------------------------------------


class _Unpacker:
    """One pass over the archive: each member checked, then extracted with the data filter."""

    def __init__(self, build: str, origin: str, limits: ArchiveLimits) -> None:
        self._build, self._origin, self._limits = build, origin, limits
        self._kinds: dict[str, str] = {}  # member name -> "file", "dir", "symlink"
        self._count = 0
        self._total = 0

    def _error(self, entry: str | None, problem: str) -> PythonArchiveError:
        return PythonArchiveError(self._build, self._origin, entry, problem)

    def unpack(self, archive: Path, dest: Path) -> None:
        if not hasattr(tarfile, "data_filter"):  # pragma: no cover - Python 3.11.0..3.11.3
            raise StoreError(
                "installing interpreters needs tarfile's extraction filters",
                hint="run omniwheel on Python 3.11.4 or newer",
            )
        try:
            with tarfile.open(archive, mode="r:gz") as tar:
                tar.errorlevel = 2
                for member in tar:
                    self._check(member)
                    # Directories stay writable until every member is in (modes come last).
                    extracted = member.replace(mode=0o755) if member.isdir() else member
                    tar.extract(extracted, dest, set_attrs=True, filter="data")
        except tarfile.FilterError as exc:
            raise self._error(getattr(exc.tarinfo, "name", None), f"is unsafe ({exc})") from exc
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise self._error(None, f"is not a valid .tar.gz archive ({exc})") from exc
        except OSError as exc:
            raise StoreError(
                f"cannot unpack {self._build} into {dest}: {exc.strerror or exc}",
                hint="check the free space and permissions of the cache directory",
            ) from exc
        if self._count == 0:
            raise self._error(None, "is an empty archive")

    def _check(self, member: tarfile.TarInfo) -> None:
        name = member.name
        self._count += 1
        if self._count > self._limits.max_members:
            raise self._error(name, f"is past the limit of {self._limits.max_members} members")
        problem = _name_problem(name) or self._kind_problem(member) or self._link_problem(member)
        if problem is None and name in self._kinds:
            problem = "appears twice"
        if problem is None:
            problem = self._parent_problem(name)
        if problem is None and member.isreg():
            self._total += member.size
            if self._total > self._limits.max_total_bytes:
                problem = (
                    f"brings the unpacked total to {self._total} bytes, over the limit of "
                    f"{self._limits.max_total_bytes} (a gzip bomb?)"
                )
        if problem is not None:
            raise self._error(name, problem)
        self._kinds[name] = "dir" if member.isdir() else "symlink" if member.issym() else "file"

    @staticmethod
    def _kind_problem(member: tarfile.TarInfo) -> str | None:
        if member.isreg() or member.isdir() or member.issym() or member.islnk():
            return None
        kind = {
            tarfile.CHRTYPE: "a character device",
            tarfile.BLKTYPE: "a block device",
            tarfile.FIFOTYPE: "a FIFO",
        }.get(member.type, f"of tar type {member.type!r}")
        return f"is {kind} (interpreter archives may hold files, directories and links only)"

    def _link_problem(self, member: tarfile.TarInfo) -> str | None:
        if member.issym():
            target = member.linkname
            if not target or "\x00" in target or target.startswith("/"):
                return f"is a symlink to `{target}`, which is not a relative path in the tree"
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(member.name), target))
            if resolved == ".." or resolved.startswith("../"):
                return f"is a symlink to `{target}`, which is outside the tree"
        elif member.islnk() and self._kinds.get(member.linkname) != "file":
            return f"is a hard link to `{member.linkname}`, which is no earlier file of the tree"
        return None

    def _parent_problem(self, name: str) -> str | None:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            kind = self._kinds.get(parent)
            if kind == "symlink":
                return f"lies beyond the symlink `{parent}`"
            if kind == "file":
                return f"lies inside the file `{parent}`"
        return None


def _name_problem(name: str) -> str | None:
    parts = name.split("/")
    checks = (
        (not name or "\x00" in name, "has an empty or NUL-containing name"),
        ("\\" in name, "contains a backslash"),
        (name.startswith("/"), "is an absolute path"),
        (".." in parts, "climbs out of the tree with `..`"),
        (any(part in ("", ".") for part in parts), "has an empty or `.` path component"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _check_symlinks(build: str, origin: str, root: Path) -> None:
    """Every symlink, resolved on disk now that all are written, stays inside ``root``."""
    real_root = os.path.realpath(root)
    for directory, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = os.path.join(directory, name)  # noqa: PTH118 - a str path from os.walk
            if not os.path.islink(path):  # noqa: PTH114 - a str path
                continue
            resolved = os.path.realpath(path)
            if os.path.commonpath([real_root, resolved]) != real_root:
                entry = Path(path).relative_to(root).as_posix()
                raise PythonArchiveError(
                    build, origin, entry, "is a symlink that leads outside the tree"
                )


def _check_executable(pinned: PinnedPython, origin: str, root: Path) -> None:
    executable = root.joinpath(*pinned.executable.split("/"))
    if not executable.is_file():
        raise PythonArchiveError(
            pinned.describe(),
            origin,
            None,
            f"has no `{pinned.executable}`, the interpreter the lock names",
        )


def _make_read_only(root: Path) -> None:
    """Files ``0o444`` (``0o555`` when executable), directories ``0o555``; links untouched."""
    for directory, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(directory, name)  # noqa: PTH118 - a str path from os.walk
            mode = os.lstat(path).st_mode
            if not os.path.islink(path):  # noqa: PTH114 - a str path
                os.chmod(path, _EXECUTABLE if mode & 0o111 else _READ_ONLY)  # noqa: PTH101
        os.chmod(directory, _DIRECTORY)  # noqa: PTH101 - a str path; children are done
