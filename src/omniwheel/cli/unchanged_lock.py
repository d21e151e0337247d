"""``omniwheel lock`` run again with exactly the inputs of a run that found the lock current.

The everyday relock changes nothing.  :func:`omniwheel.lock.inputs.current_lock` proves that
without resolving, but it still reads and validates ``pyproject.toml`` and the lock's own table,
discovers the indexes and imports what that takes (``packaging``'s parsers, the index settings):
most of its time is imports.  This module answers earlier, from a digest of everything that can
change a lock's inputs, taken as bytes:

- this omniwheel version and Python, the project directory and the working directory (relative
  ``--find-links`` paths are read from it);
- the command line, as parsed (every option of ``lock``);
- ``pyproject.toml`` and ``pylock.toml``;
- every ``OMNIWHEEL_*`` and ``PIP_*`` environment variable except credentials (``…_USERNAME``,
  ``…_PASSWORD``);
- every pip configuration file pip would read (by path), with its contents.

Credentials in URLs (``//user:secret@``) are cut out of every part before it is digested.  When
the digest is the one a run recorded after finding the lock current (nothing resolved, or
resolved into the same bytes), the run prints what that run printed and stops.  Anything else —
a missing stamp, another digest, any option that resolves — goes the usual way.  One small file
per project under :data:`UNCHANGED_DIR`; a cache that cannot keep it only makes the next run
slower.  Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel import __version__
from omniwheel.cli.input_digest import (
    file_fingerprint,
    pip_configuration,
    public_text,
    read_or_none,
)
from omniwheel.cli.locking import PYPROJECT
from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

UNCHANGED_DIR = "unchanged-locks-v1"
_CREDENTIAL_VARIABLE = re.compile(r"_(USERNAME|PASSWORD)$")
_RESOLVING_OPTIONS = ("check", "json", "refresh", "upgrade", "upgrade_package", "artifacts")
"""Options with which ``lock`` always resolves or does more than lock: no early answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """What a run that found the lock current printed: the notes and the summary's lines."""

    notes: tuple[str, ...]
    lines: tuple[str, ...]
    """The summary, with ``{seconds}`` where the run's time goes."""


@dataclass(frozen=True, slots=True)
class UnchangedLock:
    """The digest of one ``lock`` run's inputs, and where its project's stamp lives."""

    root: Path
    digest: str

    @classmethod
    def of(
        cls, args: argparse.Namespace, *, environ: Mapping[str, str], home: Path
    ) -> UnchangedLock | None:
        """The digest of this run's inputs; None when the run must go the usual way (an option
        that resolves, or no project found here, which the usual way reports)."""
        if any(getattr(args, option, None) for option in _RESOLVING_OPTIONS):
            return None
        root = _project_root(args.project)
        if root is None:
            return None
        digest = hashlib.sha256(f"omniwheel {__version__}\0{sys.version}\0".encode())
        options = {key: value for key, value in vars(args).items() if key != "func"}
        for text in (
            str(root),
            str(Path.cwd()),
            json.dumps(options, sort_keys=True, default=str),
        ):
            digest.update(public_text(text).encode() + b"\0")
        if read_or_none(root / LOCK_FILENAME) is None:
            return None  # no lock: nothing can be current
        for name in (PYPROJECT, LOCK_FILENAME):
            digest.update(file_fingerprint(root / name))
        for name in sorted(environ):
            if name.startswith(("OMNIWHEEL_", "PIP_")) and not _CREDENTIAL_VARIABLE.search(name):
                digest.update(public_text(f"{name}={environ[name]}").encode() + b"\0")
        digest.update(pip_configuration(environ, home).encode())
        return cls(root=root, digest=digest.hexdigest())

    def recall(self, cache_root: Path) -> Recorded | None:
        """What the run with these inputs printed, if one recorded it."""
        try:
            data = json.loads(self._stamp(cache_root).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("digest") != self.digest:
            return None
        notes, lines = _strings(data.get("notes")), _strings(data.get("lines"))
        if notes is None or lines is None:
            return None
        return Recorded(notes=notes, lines=lines)

    def remember(self, cache_root: Path, recorded: Recorded) -> None:
        """Record that a run with these inputs found the lock current and printed ``recorded``."""
        from omniwheel._atomic import write_atomic

        data = {"digest": self.digest, "notes": recorded.notes, "lines": recorded.lines}
        path = self._stamp(cache_root)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(data).encode("utf-8"))

    def _stamp(self, cache_root: Path) -> Path:
        key = hashlib.sha256(str(self.root).encode()).hexdigest()
        return cache_root / UNCHANGED_DIR / key


def _project_root(given: Path | None) -> Path | None:
    if given is not None:
        path = Path(given).absolute()
        return path.parent if path.is_file() else path
    start = Path.cwd()
    return next((d for d in (start, *start.parents) if (d / PYPROJECT).is_file()), None)


def _strings(value: object) -> tuple[str, ...] | None:
    """``value`` when it is a list of strings, as a tuple; else None."""
    if not isinstance(value, list):
        return None
    items = tuple(item for item in value if isinstance(item, str))
    return items if len(items) == len(value) else None
