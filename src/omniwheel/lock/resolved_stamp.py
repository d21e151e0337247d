"""Which lock texts this omniwheel resolved itself: the proof a relock may stop early.

A relock whose inputs (project requirements, targets, options, index, release) are the ones the
existing lock recorded would keep every locked version, so resolving again only spends time —
provided the lock's text is what this omniwheel version produced from those inputs.  After a
resolution that wrote, confirmed or ``--check``-ed a lock, :func:`remember` keeps a stamp named by
the sha256 of the lock's bytes, holding the omniwheel version, the number of packages, the
locked packages later indexes list too (for the summary, which cannot ask them without
resolving) and the text of the lock's own ``[tool.omniwheel]`` table (the end of the file, as
omniwheel writes it); :func:`recall` gives them back for the same bytes, so the early stop
reads neither the whole lock nor PEP 751's validation.  A hand-edited lock, a lock from another
machine or from another omniwheel version has no stamp and is resolved again.  Stamps are small
files in :data:`RESOLVED_DIR`; a cache that cannot keep them only makes relocks slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import NormalizedName

from omniwheel import __version__
from omniwheel.errors import LockFileError
from omniwheel.lock.shadowing import Shadowing
from omniwheel.lock.tool_table import LockToolTable, read_lock_table

RESOLVED_DIR = "resolved-locks-v3"
TABLE_HEADER = "[tool.omniwheel]\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stamp:
    """What a stamp says about a lock text this omniwheel resolved."""

    table: LockToolTable
    packages: int
    """Distinct package names in the lock."""
    shadowed: Mapping[NormalizedName, Shadowing] = field(default_factory=dict)
    """Locked packages that later indexes listed too, when the lock was resolved."""


def _path(cache_root: Path, data: bytes) -> Path:
    return cache_root / RESOLVED_DIR / hashlib.sha256(data).hexdigest()


def own_table_text(text: str) -> str | None:
    """The text of the lock's top-level ``[tool.omniwheel]`` table and its sub-tables: from its
    header to the end of the file, when every header after it belongs to it (as omniwheel
    writes locks); None otherwise."""
    start = text.rfind("\n" + TABLE_HEADER)
    if start < 0:
        return None
    table = text[start + 1 :]
    headers = [line for line in table.splitlines() if line.startswith("[")]
    if not all(h.startswith(("[tool.omniwheel", "[[tool.omniwheel")) for h in headers):
        return None
    return table


def remember(
    cache_root: Path,
    text: str,
    *,
    table: LockToolTable,
    packages: int,
    shadowed: Mapping[NormalizedName, Shadowing],
) -> None:
    """Record that this omniwheel version resolved its inputs into exactly ``text``, whose own
    table is ``table``.  Nothing is recorded when the table's text cannot be told apart (then
    the next relock resolves)."""
    own = own_table_text(text)
    if own is None or _read_table(own) != table:
        return
    from omniwheel._atomic import write_atomic

    stamp = {
        "omniwheel": __version__,
        "packages": packages,
        "table": own,
        "shadowed": {name: [s.taken_from, list(s.also_on)] for name, s in shadowed.items()},
    }
    path = _path(cache_root, text.encode("utf-8"))
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(stamp, sort_keys=True).encode("utf-8"))


def recall(cache_root: Path, data: bytes) -> Stamp | None:
    """The stamp of lock bytes ``data``, when this omniwheel version resolved exactly them; None
    when there is none, or it is from another version or unreadable."""
    try:
        stamp = json.loads(_path(cache_root, data).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("omniwheel") != __version__:
        return None
    own, packages = stamp.get("table"), stamp.get("packages")
    shadowed = _shadowed(stamp.get("shadowed"))
    if not isinstance(own, str) or not isinstance(packages, int) or shadowed is None:
        return None
    table = _read_table(own)
    if table is None:
        return None
    return Stamp(table=table, packages=packages, shadowed=shadowed)


def _shadowed(value: object) -> dict[NormalizedName, Shadowing] | None:
    """The stamp's ``shadowed`` entries, None when they are not what :func:`remember` writes."""
    if not isinstance(value, dict):
        return None
    found: dict[NormalizedName, Shadowing] = {}
    for name, entry in value.items():
        match entry:
            case [str(taken_from), [*also_on]] if all(isinstance(i, str) for i in also_on):
                found[NormalizedName(name)] = Shadowing(
                    taken_from=taken_from, also_on=tuple(str(i) for i in also_on)
                )
            case _:
                return None
    return found


def _read_table(own: str) -> LockToolTable | None:
    try:
        return read_lock_table(tomllib.loads(own), path=Path("pylock.toml"))
    except (tomllib.TOMLDecodeError, LockFileError):
        return None
