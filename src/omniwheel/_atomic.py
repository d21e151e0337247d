"""Atomic file replacement: a reader sees the old file or the new one, never half of either.

The new file gets the permissions of the file it replaces (a ``pyproject.toml`` stays ``0644``),
or for a new file those of an ordinary ``open(path, "w")`` under the process's umask — not the
private ``0600`` that temporary files are made with.
"""

from __future__ import annotations

import os
import tempfile
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
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~UMASK
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temporary).chmod(0o666 & ~UMASK)
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
