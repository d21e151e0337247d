"""Atomic file replacement: a reader sees the old file or the new one, never half of either.

The new file gets the permissions of the file it replaces (a ``pyproject.toml`` stays ``0644``),
or for a new file those of an ordinary ``open(path, "w")`` under the process's umask — not the
private ``0600`` that temporary files are made with.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _current_umask()
"""The process's umask, read once at import (reading it means setting it, which is not
thread-safe)."""


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    ``durable`` also flushes the data and the rename to disk before returning, so that a power
    loss cannot bring the file back empty: for the user's files (``pyproject.toml``, the lock),
    not for caches that are refetched anyway.
    """
    fd, temporary = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        # A new file keeps the mode it was created with (under the umask); a replaced one's
        # mode is kept.
        with contextlib.suppress(FileNotFoundError):
            temporary.chmod(path.stat().st_mode & 0o7777)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Write a new file at ``path`` whole, only if nothing is there; False when something is.

    The content is written to a temporary file first and hard-linked into place, so ``path``
    never exists half-written and an existing file is never replaced, even by a race.
    """
    fd, temporary = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (FAT, some network shares): create it in place
            try:
                with path.open("xb") as handle:
                    handle.write(data)
            except FileExistsError:
                return False
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)


_NOT_INHERITED = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_SERIAL = itertools.count()  # next() on it is atomic in CPython: threads never share a number


def _temporary(path: Path) -> tuple[int, Path]:
    """A new empty file beside ``path``, open for writing: its descriptor and name.

    Created exclusively (never an existing file) with the mode an ordinary ``open(path, "w")``
    gives under the umask, named after the process and a counter: one system call where
    :func:`tempfile.mkstemp` made a random name and then changed the mode with another, which
    counted when a cold lock writes hundreds of cache files.  A name left by a killed process
    that had the same id is skipped.  The directory is made when missing.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOT_INHERITED | _BINARY
    while True:
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{next(_SERIAL)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(temporary, flags, 0o666), temporary
