"""Whether an environment still holds what its last sync installed: the no-op sync's check.

A sync whose lock is unchanged must still notice an environment that drifted since: a package
installed by another tool, a distribution removed or replaced, a file deleted.  Hashing every
installed file would cost seconds; this check costs a directory listing and one ``stat`` per
directory omniwheel installed into:

- **The distributions.**  The names of the ``*.dist-info`` directories in site-packages must be
  exactly those the last sync installed (plus those it found without a ``RECORD`` and reported):
  a stray distribution, a removed one or another version of one changes that set.
- **The files.**  For every directory holding a file of a locked distribution, the state keeps
  its modification time.  Adding, deleting or renaming an entry in a directory changes it, so an
  unchanged time proves the directory's entries unchanged.  A changed directory (importing a
  module creates ``__pycache__`` and so changes its parent, a harmless change) is then checked
  entry by entry: each file its owners' ``RECORD`` lists there must exist, and a dist-info
  directory must still say ``omniwheel`` in ``INSTALLER`` (another installer rewrites it).
  When every changed directory is whole, the new times are kept and the next check is quick again.
- **Racy directories.**  A timestamp has a granularity (a clock tick of a few milliseconds on
  Linux, 1 to 2 s on FAT-like file systems): a change in the same tick as the snapshot could leave
  the time unchanged.  A directory whose time is within :data:`RACY_NS` (or, with whole-second
  times, :data:`COARSE_RACY_NS`) of the moment the snapshot was taken is therefore checked entry
  by entry, as git does for its "racily clean" index entries.

What is not checked: the *contents* of files (a file edited in place keeps its directory's time;
hashing every file is what this check avoids), and files the ``RECORD`` does not list.

This module runs on every no-op ``sync`` and ``run``: it imports only what that needs of the
standard library (not :mod:`dataclasses`, see :mod:`omniwheel.env._value`).
"""

# A no-op sync stats a thousand directories: os functions on str paths, not Path objects.
# ruff: noqa: PTH116, PTH117, PTH118, PTH123, PTH208

from __future__ import annotations

import os
import time

from omniwheel.env._value import Value
from omniwheel.env.layout import Footprint, Snapshot, VenvState

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Final

    StrPath = str | os.PathLike[str]

RACY_NS = 50_000_000
"""How close (ns) to the snapshot a directory's time may be before it is checked entry by
entry: well above a kernel clock tick (1–10 ms)."""
COARSE_RACY_NS = 3_000_000_000
"""The same for a whole-second time (FAT keeps 2 s, some network file systems 1 s)."""
INSTALLER_NAME = "omniwheel"
ROOT_DIR = "."
"""How a footprint names the environment's own root (``.data/data`` files land there).  The
root's time changes whenever the state file is written, so its files are always checked."""


class Drift(Value):
    """How an environment differs from what its last sync left."""

    __slots__ = ("damaged", "strays")
    strays: Final[tuple[str, ...]]
    """``*.dist-info`` directories the last sync neither installed nor reported."""
    damaged: Final[Mapping[str, str]]
    """Distribution name -> what is wrong with it (a missing file, another installer)."""

    def __init__(
        self, *, strays: tuple[str, ...] = (), damaged: Mapping[str, str] | None = None
    ) -> None:
        self.strays = strays
        self.damaged = {} if damaged is None else damaged

    def describe(self) -> list[str]:
        lines = [f"{name}: {reason}" for name, reason in sorted(self.damaged.items())]
        lines += [f"{dist_info} is not in the lock" for dist_info in self.strays]
        return lines


class Audit(Value):
    """What the check found: a drift, or none and perhaps fresher directory times to keep."""

    __slots__ = ("drift", "refreshed")
    drift: Final[Drift | None]
    refreshed: Final[Snapshot | None]
    """New directory times, when changed directories were checked and found whole (keep them
    so that the next check is quick); None when nothing changed."""

    def __init__(self, *, drift: Drift | None, refreshed: Snapshot | None = None) -> None:
        self.drift = drift
        self.refreshed = refreshed


def audit(venv: StrPath, state: VenvState) -> Audit:
    """Check ``venv`` against ``state``, as the module docstring says."""
    strays, damaged = _dist_info_drift(venv, state)
    started = time.time_ns()
    changed = _changed_directories(venv, state.snapshot)
    suspects = {*changed, ROOT_DIR}
    listings: dict[str, frozenset[str]] = {}
    for name, footprint in state.footprints.items():
        if name in damaged:
            continue
        problem = _check_files(venv, state.site_packages, footprint, suspects, listings)
        if problem is not None:
            damaged[name] = problem
    if strays or damaged:
        return Audit(drift=Drift(strays=tuple(sorted(strays)), damaged=damaged))
    recorded = state.snapshot.mtimes
    # Keep the new times when some changed, or when a racy directory would no longer be.
    if not any(
        current != recorded[directory] or not _racy(current, started)
        for directory, current in changed.items()
    ):
        return Audit(drift=None)
    mtimes = {**recorded, **changed}
    return Audit(drift=None, refreshed=Snapshot(taken_ns=started, mtimes=mtimes))


def _changed_directories(venv: StrPath, snapshot: Snapshot) -> dict[str, int]:
    """The directories whose time changed or is racy, with their time now (-1: gone).

    The hot loop of every no-op sync: one ``stat`` per directory, nothing else."""
    prefix = os.path.join(venv, "")
    racy_from = snapshot.taken_ns - RACY_NS
    coarse_racy_from = snapshot.taken_ns - COARSE_RACY_NS
    stat = os.stat
    changed = {}
    for directory, recorded in snapshot.mtimes.items():
        try:
            current = stat(prefix + directory).st_mtime_ns
        except OSError:
            current = -1
        if (
            current != recorded
            or recorded >= racy_from
            or (recorded >= coarse_racy_from and recorded % 1_000_000_000 == 0)
        ):
            changed[directory] = current
    return changed


def _racy(mtime_ns: int, taken_ns: int) -> bool:
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return mtime_ns >= taken_ns - window


def _dist_info_drift(venv: StrPath, state: VenvState) -> tuple[set[str], dict[str, str]]:
    """Stray ``*.dist-info`` directories, and the distributions whose own one is gone."""
    try:
        entries = os.listdir(os.path.join(venv, state.site_packages))
    except OSError:
        entries = []
    present = {entry for entry in entries if entry.endswith(".dist-info")}
    expected = {footprint.dist_info: name for name, footprint in state.footprints.items()}
    strays = present - expected.keys() - state.foreign
    damaged = {
        name: f"{dist_info} was removed"
        for dist_info, name in expected.items()
        if dist_info not in present
    }
    return strays, damaged


def _check_files(
    venv: StrPath,
    site_packages: str,
    footprint: Footprint,
    suspects: set[str],
    listings: dict[str, frozenset[str]],
) -> str | None:
    """What is missing from the suspect directories among ``footprint``'s, or None.

    ``listings``: the names in each directory listed so far (shared by every distribution):
    a file whose name is listed exists; any other is asked for with ``lexists`` (which also
    answers for a name spelt otherwise on a case- or normalization-insensitive filesystem)."""
    dirs = [directory for directory in footprint.dirs if directory in suspects]
    if not dirs:
        return None
    dist_info = f"{site_packages}/{footprint.dist_info}"
    if dist_info in dirs:
        installer = _installer(os.path.join(venv, dist_info))
        if installer != INSTALLER_NAME:
            return f"reinstalled by {installer or 'an unknown installer'}"
    for path, directory, name in _recorded_files(venv, site_packages, footprint.dist_info, dirs):
        names = listings.get(directory)
        if names is None:
            names = listings[directory] = _listing(os.path.join(venv, directory))
        if name not in names and not os.path.lexists(os.path.join(venv, path)):
            return f"{path} is missing"
    return None


def _listing(directory: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()


def _installer(dist_info: str) -> str | None:
    try:
        with open(os.path.join(dist_info, "INSTALLER"), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


Located = tuple[str, str, str]
"""A file relative to the environment, its directory (:data:`ROOT_DIR` for the root) and name."""


def _recorded_files(
    venv: StrPath, site_packages: str, dist_info: str, dirs: Iterable[str]
) -> list[Located]:
    """The files a distribution's RECORD lists in the directories ``dirs`` (relative to the
    environment), in RECORD's order; when RECORD is unreadable, RECORD itself (then reported as
    missing if it is).

    Each distinct directory of RECORD is normalised once, not each of its thousands of rows:
    a row ``parent/name`` lies in the directory ``parent`` normalises to when ``name`` is a
    plain name; a row with a backslash or a name like ``..`` goes through :func:`_in_venv`."""
    wanted = set(dirs)
    rows = _record_paths(os.path.join(venv, site_packages, dist_info, "RECORD"))
    if rows is None:
        record = _located(f"{site_packages}/{dist_info}/RECORD")
        return [record] if record[1] in wanted else []
    located: list[Located] = []
    directories: dict[str, str | None] = {}
    for recorded in rows:
        parent, _, name = recorded.rpartition("/")
        if "\\" in recorded or name in ("", ".", ".."):
            path = _in_venv(site_packages, recorded)
            if path is not None and (found := _located(path))[1] in wanted:
                located.append(found)
            continue
        if recorded.startswith("/") or recorded[1:2] == ":":
            continue  # as _in_venv: absolute, or with a drive
        if parent in directories:
            directory = directories[parent]
        else:
            directory = directories[parent] = _venv_directory(site_packages, parent)
        if directory in wanted:
            located.append(
                (name if directory == ROOT_DIR else f"{directory}/{name}", directory, name)
            )
    return located


def _record_paths(record: str) -> list[str] | None:
    """The first field of each row of the RECORD file ``record``; None when it is unreadable.

    A RECORD without quotes, carriage returns or NULs is split as it is (each line a row, the
    path up to its first comma): what :mod:`csv` reads from it, at a fraction of the cost."""
    try:
        with open(record, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    if '"' not in text and "\r" not in text and "\0" not in text:
        return [line.partition(",")[0] for line in text.split("\n") if line]
    import csv  # quoted fields: only for a RECORD that needs it
    import io

    try:
        return [row[0] for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error:
        return None


def _located(path: str) -> Located:
    directory, _, name = path.rpartition("/")
    return path, directory or ROOT_DIR, name


def _venv_directory(site_packages: str, parent: str) -> str | None:
    """A RECORD directory (relative to site-packages) relative to the environment
    (:data:`ROOT_DIR` for its root), if inside it."""
    joined = f"{site_packages}/{parent}" if parent else site_packages
    path = os.path.normpath(joined).replace(os.sep, "/")
    if path == ".." or path.startswith("../"):
        return None
    return path


def _in_venv(site_packages: str, recorded: str) -> str | None:
    """A RECORD path (relative to site-packages) relative to the environment, if inside it."""
    if recorded.startswith(("/", "\\")) or os.path.isabs(recorded) or recorded[1:2] == ":":
        return None
    path = os.path.normpath(f"{site_packages}/{recorded}").replace(os.sep, "/")
    if path == ".." or path.startswith("../"):
        return None
    return path


# --- taking the footprints and the snapshot after a sync -----------------------------------


def footprint(site_packages: str, dist_info: str, recorded: Iterable[str]) -> Footprint:
    """Where a distribution's files are: the directories to watch, from the paths its RECORD
    lists (relative to site-packages, as RECORD has them).

    Runs once per installed distribution on every sync that installs: the parents are gathered
    first, so only each distinct directory is normalised (a few thousand, not every file)."""
    parents = set()
    for relative in recorded:
        if not relative.startswith(("/", "\\")) and relative[1:2] != ":":
            parents.add(relative.rpartition("/")[0])
    dirs = set()
    for parent in parents:
        joined = f"{site_packages}/{parent}" if parent else site_packages
        path = os.path.normpath(joined).replace(os.sep, "/")
        if path != ".." and not path.startswith("../"):
            dirs.add(path)
    return Footprint(dist_info=dist_info, dirs=tuple(sorted(dirs)))


def take_snapshot(venv: StrPath, footprints: Iterable[Footprint]) -> Snapshot:
    """The current times of every directory the footprints name (the root excepted)."""
    taken = time.time_ns()
    mtimes = {}
    for directory in sorted({d for fp in footprints for d in fp.dirs} - {ROOT_DIR}):
        try:
            mtimes[directory] = os.stat(os.path.join(venv, directory)).st_mtime_ns
        except OSError:
            mtimes[directory] = -1
    return Snapshot(taken_ns=taken, mtimes=mtimes)
