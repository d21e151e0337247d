"""What to do to an environment to get what the lock selects: the plan of a sync.

Pure: it takes plain data (the selected wheels, what is installed, what the store holds) and
returns plain data, so dry runs and tests need no I/O.  A distribution is kept when omniwheel
installed exactly that wheel (same sha256, same ``REQUESTED`` status) before, and replaced
otherwise; distributions omniwheel installed that the lock no longer has are removed; others'
distributions are left alone and reported.  (Selecting the wheels is
:mod:`omniwheel.env.select`; this module imports nothing from ``packaging`` up front, so a sync
whose selection is remembered never loads it.)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omniwheel.env.layout import Origin
from omniwheel.store.store import WheelSource

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

TOOL = "omniwheel"
INSTALLER_NAME = "omniwheel"


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedWheel:
    """One package the lock asks for here, with the wheel chosen for this interpreter."""

    name: NormalizedName
    version: str
    requested: bool
    """A direct requirement of the project (its dist-info gets ``REQUESTED``)."""
    source: WheelSource

    def describe(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The wheels a lock selects for one interpreter, with what the cross-check found."""

    wheels: tuple[SelectedWheel, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledDist:
    """A ``*.dist-info`` directory found in the environment."""

    name: NormalizedName
    version: str
    dist_info: str
    """The directory's name, inside site-packages."""
    installer: str | None
    origin: Origin | None = None
    has_record: bool = True
    """Whether its RECORD lists its files, so that it can be removed cleanly."""

    def describe(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a sync does, in order: fetch into the store, remove, link."""

    link: tuple[SelectedWheel, ...]
    fetch: tuple[SelectedWheel, ...]
    """Those of :attr:`link` whose tree is not in the store yet."""
    remove: tuple[InstalledDist, ...]
    keep: tuple[SelectedWheel, ...]
    foreign: tuple[InstalledDist, ...]
    """Installed by another tool and not in the lock: left alone."""

    @property
    def is_empty(self) -> bool:
        return not (self.link or self.remove)

    def describe(self) -> list[str]:
        """One line per change, ``- old`` / ``+ new``, sorted by name."""
        lines = [(d.name, 0, f"- {d.describe()}") for d in self.remove]
        lines += [(w.name, 1, f"+ {w.describe()}") for w in self.link]
        return [text for _, _, text in sorted(lines)]


# --- planning ------------------------------------------------------------------------------


def make_plan(
    selected: Sequence[SelectedWheel],
    installed: Sequence[InstalledDist],
    *,
    stored: Collection[str],
) -> Plan:
    """Compare what the lock selects with what is installed; ``stored``: sha256s in the store."""
    by_name: dict[str, list[InstalledDist]] = {}
    for dist in installed:
        by_name.setdefault(dist.name, []).append(dist)
    link, keep, remove = [], [], []
    for wheel in selected:
        present = by_name.pop(wheel.name, [])
        if _is_current(wheel, present):
            keep.append(wheel)
        else:
            link.append(wheel)
            remove.extend(present)
    # Sync is exact: whatever the lock does not hold goes, whoever installed it — except a
    # distribution without a RECORD, whose files cannot be told apart; it is reported instead.
    leftovers = [dist for dists in by_name.values() for dist in dists]
    remove.extend(dist for dist in leftovers if dist.has_record)
    foreign = tuple(dist for dist in leftovers if not dist.has_record)
    return Plan(
        link=tuple(link),
        fetch=tuple(w for w in link if w.source.sha256 not in stored),
        remove=tuple(remove),
        keep=tuple(keep),
        foreign=foreign,
    )


def _is_current(wheel: SelectedWheel, present: Sequence[InstalledDist]) -> bool:
    wanted = Origin(sha256=wheel.source.sha256, requested=wheel.requested)
    return len(present) == 1 and present[0].origin == wanted and _same(present[0].version, wheel)


def _same(version: str, wheel: SelectedWheel) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) == Version(wheel.version)
    except InvalidVersion:
        return version == wheel.version
