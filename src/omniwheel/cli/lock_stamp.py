"""The lock-check stamp: ``sync`` and ``run`` knowing, without parsing anything, that the lock
is current for ``pyproject.toml``.

Before ``sync`` and ``run`` install from ``pylock.toml`` they check that it is current for the
project (:func:`omniwheel.cli.locking.ensure_current_lock`), which imports the locker and
parses both files.  Once a lock is known to be current, a stamp under the cache root records a
digest of both files and of the index settings the check used: the command line's, the
environment's and every pip configuration file pip would read, URL credentials cut out.  While
they are unchanged, the check is a digest comparison.  One small file per lock under
:data:`STAMP_DIR`; a cache that cannot keep it only makes the next run slower.

Only the standard library is imported here (the no-op ``sync`` reads the stamp before it
imports anything else: :mod:`omniwheel.cli.unchanged_venv`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from omniwheel import __version__
from omniwheel.cli.input_digest import file_fingerprint, pip_configuration, public_text
from omniwheel.lock import LOCK_FILENAME

PYPROJECT = "pyproject.toml"
STAMP_DIR = "lock-checks-v2"
# Bump the directory's version when what a stamp's digest covers changes.
_INDEX_VARIABLES = (
    "OMNIWHEEL_INDEX_URL",
    "OMNIWHEEL_INDEX",
    "OMNIWHEEL_FIND_LINKS",
    "OMNIWHEEL_NO_INDEX",
    "PIP_INDEX_URL",
    "PIP_CONFIG_FILE",
)


def stamp_path(cache_root: Path, root: Path) -> Path:
    """Where the stamp of the lock in the project directory ``root`` lives."""
    key = hashlib.sha256(str(root.absolute() / LOCK_FILENAME).encode()).hexdigest()
    return cache_root / STAMP_DIR / key


def stamp_digest(
    root: Path,
    *,
    index_url: str | None,
    indexes: tuple[str, ...],
    find_links: tuple[str, ...],
) -> str:
    """The digest a stamp records: both files of ``root`` and the index settings, the command
    line's (``--index-url``, ``--index``, ``--find-links``) and the rest."""
    digest = hashlib.sha256(f"omniwheel {__version__}\0".encode())
    for name in (PYPROJECT, LOCK_FILENAME):
        digest.update(file_fingerprint(root / name))
    given = (index_url, *indexes, "\1", *find_links, "\1")
    for value in (*given, *(os.environ.get(name) for name in _INDEX_VARIABLES)):
        digest.update(public_text(f"{value}\0").encode())
    digest.update(pip_configuration(os.environ, Path.home()).encode())
    return digest.hexdigest()


def read_stamp(path: Path) -> str | None:
    """The digest the stamp at ``path`` records, or None."""
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def write_stamp(path: Path, digest: str) -> None:
    """Record ``digest`` at ``path``, atomically; a read-only cache keeps no stamp (the next run
    checks again, which is only slower)."""
    import contextlib

    from omniwheel._atomic import write_atomic  # tempfile and its imports: not for the no-op

    with contextlib.suppress(OSError):
        write_atomic(path, f"{digest}\n".encode())
