"""Which lock texts this omniwheel resolved itself: the proof a relock may stop early.

A relock whose inputs (project requirements, targets, options, index, release) are the ones the
existing lock recorded would keep every locked version, so resolving again only spends time —
provided the lock's text is what this omniwheel version produced from those inputs.  After a
resolution that wrote, confirmed or ``--check``-ed a lock, :func:`remember` keeps a stamp named by
the sha256 of the lock's bytes and holding the omniwheel version; :func:`resolved_here` asks
whether the text at hand has such a stamp.  A hand-edited lock, a lock from another machine or
from another omniwheel version has none, and is resolved again.  Stamps are tiny files in
:data:`RESOLVED_DIR`; a cache that cannot keep them only makes relocks slower.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from omniwheel import __version__

RESOLVED_DIR = "resolved-locks-v1"


def _path(cache_root: Path, text: str) -> Path:
    return cache_root / RESOLVED_DIR / hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content() -> str:
    return f"omniwheel {__version__}\n"


def resolved_here(cache_root: Path, text: str) -> bool:
    """Whether this omniwheel version resolved its inputs into exactly ``text``."""
    try:
        return _path(cache_root, text).read_text(encoding="utf-8") == _content()
    except (OSError, UnicodeDecodeError):
        return False


def remember(cache_root: Path, text: str) -> None:
    """Record that this omniwheel version resolved its inputs into exactly ``text``."""
    from omniwheel._atomic import write_atomic

    path = _path(cache_root, text)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _content().encode("utf-8"))
