"""Which index each package of a lock comes from: what a sync needs to send each index its
credentials.

Read leniently and with ``tomllib`` alone (no lock model, no ``tomlkit``): a lock another tool
wrote gives what it has, and a lock that cannot be read gives nothing — the sync that reads it
says what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.lock.tool_table import TOOL

__all__ = ["LockedIndexes", "locked_indexes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedIndexes:
    """Which index each package of a lock comes from, and the names the lock records for them
    (``[tool.omniwheel] indexes``): what a sync needs to send each index its credentials."""

    by_package: Mapping[NormalizedName, str]
    """Package name (normalized) → its ``index`` URL, for the packages that give one."""
    names: Mapping[str, str]
    """Index URL → the name ``[tool.omniwheel] indexes`` records for it."""


def locked_indexes(path: Path) -> LockedIndexes:
    """The ``index`` of each package of the lock at ``path`` and the index names it records."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return LockedIndexes(by_package={}, names={})
    packages = data.get("packages")
    by_package = {
        canonicalize_name(entry["name"]): entry["index"]
        for entry in (packages if isinstance(packages, list) else [])
        if isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("index"), str)
    }
    tool = data.get("tool", {}).get(TOOL, {}) if isinstance(data.get("tool"), dict) else {}
    recorded = tool.get("indexes", []) if isinstance(tool, dict) else []
    names = {
        entry["url"]: entry["name"]
        for entry in (recorded if isinstance(recorded, list) else [])
        if isinstance(entry, dict)
        and isinstance(entry.get("url"), str)
        and isinstance(entry.get("name"), str)
    }
    return LockedIndexes(by_package=by_package, names=names)
