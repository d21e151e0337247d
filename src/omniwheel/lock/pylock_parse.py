"""A ``pylock.toml`` text parsed and validated by ``packaging.pylock``, once per text.

A ``sync`` of a lock it has not seen first checks that the lock is current with the project
(:func:`omniwheel.lock.pylock.read_pylock`), then installs from it (:mod:`omniwheel.env.sync`):
the same file was parsed twice, the slower half of reading it.  The last text parsed is kept
with its result (a :class:`~packaging.pylock.Pylock` is immutable), so the second reading of
unchanged bytes takes it.  Each caller still reads the file itself and words its own errors.
"""

from __future__ import annotations

import tomllib

from packaging.pylock import Pylock

_LAST: dict[str, Pylock] = {}  # the last text parsed and its result: one entry at most


def parse_pylock(text: str) -> Pylock:
    """``Pylock.from_dict(tomllib.loads(text))``, kept for the last text (raises
    ``tomllib.TOMLDecodeError`` or ``PylockValidationError`` as those do; nothing is kept then)."""
    kept = _LAST.get(text)
    if kept is not None:
        return kept
    pylock = Pylock.from_dict(tomllib.loads(text))
    _LAST.clear()
    _LAST[text] = pylock
    return pylock
