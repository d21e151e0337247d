"""The lock-check stamp: ``sync`` and ``run`` knowing, without parsing anything, that the lock
is current for ``pyproject.toml``.

Before ``sync`` and ``run`` install from ``pylock.toml`` they check that it is current for the
project (:func:`omniwheel.cli.locking.ensure_current_lock`), which imports the locker and
parses both files.  Once a lock is known to be current, a stamp under the cache root records a
digest of both files and of the index settings the check used: the command line's, the
environment's and every pip configuration file pip would read, URL credentials cut out.  While
they are unchanged, the check is a digest comparison.  One small file per lock under
:data:`STAMP_DIR`; a cache that cannot keep it only makes the next run slower.

Only the standard library is imported here, and not :mod:`pathlib`, :mod:`hashlib` or
:mod:`re` (the no-op ``sync`` reads the stamp before it imports anything else:
:mod:`omniwheel.cli.unchanged_venv`): paths may be strings or path objects.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH111, PTH118, PTH123

from __future__ import annotations

import os

from omniwheel import __version__
from omniwheel._purepath import absolute
from omniwheel._sha256 import sha256
from omniwheel.cli.input_digest import file_fingerprint, pip_configuration, public_text
from omniwheel.lock import LOCK_FILENAME

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]

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


def stamp_path(cache_root: StrPath, root: StrPath) -> str:
    """Where the stamp of the lock in the project directory ``root`` lives.

    Named by the lock's absolute path spelt as :mod:`pathlib` spells it, whether ``root`` is a
    string or a path object (:func:`~omniwheel._purepath.absolute`)."""
    key = sha256(os.path.join(absolute(root), LOCK_FILENAME).encode()).hexdigest()
    return os.path.join(cache_root, STAMP_DIR, key)


def stamp_digest(
    root: StrPath,
    *,
    index_url: str | None,
    indexes: tuple[str, ...],
    find_links: tuple[str, ...],
) -> str:
    """The digest a stamp records: both files of ``root`` and the index settings, the command
    line's (``--index-url``, ``--index``, ``--find-links``) and the rest."""
    digest = sha256(f"omniwheel {__version__}\0".encode())
    for name in (PYPROJECT, LOCK_FILENAME):
        digest.update(file_fingerprint(os.path.join(root, name)))
    given = (index_url, *indexes, "\1", *find_links, "\1")
    for value in (*given, *(os.environ.get(name) for name in _INDEX_VARIABLES)):
        digest.update(public_text(f"{value}\0").encode())
    digest.update(pip_configuration(os.environ, os.path.expanduser("~")).encode())
    return digest.hexdigest()


def read_stamp(path: StrPath) -> str | None:
    """The digest the stamp at ``path`` records, or None."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def write_stamp(path: StrPath, digest: str) -> None:
    """Record ``digest`` at ``path``, atomically; a read-only cache keeps no stamp (the next run
    checks again, which is only slower)."""
    import contextlib
    from pathlib import Path

    from omniwheel._atomic import write_atomic  # tempfile and its imports: not for the no-op

    with contextlib.suppress(OSError):
        write_atomic(Path(path), f"{digest}\n".encode())
