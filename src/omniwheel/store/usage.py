"""Which environments use which store entries, and emptying the cache without breaking a sync.

Like Julia's ``manifest_usage.toml``, every sync that changes an environment records the lock it
followed, the environment, when, and the store entries (wheel sha256s) the environment now uses,
in a file of its own, ``<cache root>/usage-v1/<key>.toml`` (the key: a hash of the lock's and the
environment's paths)::

    version = 1

    [[environment]]
    lock = "/home/me/project/pylock.toml"
    venv = "/home/me/project/.venv"
    last-used = 2026-01-05T10:11:12Z
    entries = ["0a1b…", "…"]
    pythons = ["9f8e…"]

``pythons`` (absent: none) names the pinned interpreter builds the environment runs on, by the
sha256 of their archives (``store-v1/pythons/<sha256>`` and ``<sha256>.tar.gz``).

One file per environment, so that a sync writes its own record and reads none: earlier versions
kept every record in one file, ``<cache root>/usage-v1.toml``, which each sync parsed and wrote
again whole (18-20 ms a sync with 18 environments recorded, more with each new one).  That file
is still read, its records standing for the environments no file of their own records yet, and
``prune`` moves them into files of their own.

``omniwheel cache prune`` keeps the entries of every record whose lock file and environment
still exist, and removes every other store entry (unpacked tree, its manifest, wheel file and
entry lock) and every other interpreter build (tree, archive, probe record and lock), every
leftover of an interrupted download or unpack under the store's ``tmp/`` or ``pythons/`` (and
of an interrupted manifest write), and the records of locks or environments that are gone.
``omniwheel cache clean`` removes the whole cache.

Both must not pull the store from under a running sync, so the cache has a lease: a sync holds
it shared for as long as it reads or writes the cache, ``prune`` and ``clean`` take it
exclusively and refuse, with a clear error, while anything else holds it.  (On POSIX this is
``flock``; on Windows, which has no shared locks, syncs take none and only ``clean`` and
``prune`` exclude each other — untested on a real machine.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from omniwheel._atomic import write_atomic
from omniwheel.cachedir import SELECTIONS_DIR
from omniwheel.store.store import MANIFESTS_DIR, STORE_DIR, StoreError, remove_tree

USAGE_DIR = "usage-v1"
"""One record file per environment (see the module docstring)."""
USAGE_FILE = "usage-v1.toml"
"""The single record file of earlier versions: read, and emptied into :data:`USAGE_DIR` by
``prune``."""
# Bump the names' version when the records' meaning changes; old files are then ignored.
# (`pythons` was added without a bump: a file without it records no interpreters, which is what
# the omniwheel versions writing such files used.)
USAGE_VERSION = 1
LEASE_FILE = ".omniwheel-cache.lock"
"""The lease's lock file; ``clean`` keeps it, so every process locks the same file."""
_USAGE_COMMENT = "Which environments use which store entries (cache prune)."


class CacheBusyError(StoreError):
    """The cache is in use by another omniwheel process, so it cannot be cleaned now."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRecord:
    """One environment synced from one lock: the store entries it uses."""

    lock: Path
    venv: Path
    last_used: datetime
    entries: frozenset[str]
    pythons: frozenset[str] = frozenset()
    """The interpreter builds (archive sha256s) the environment runs on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrunePlan:
    """What ``prune`` removes (pure: decided from records, the store's entries and a test of
    which paths still exist)."""

    remove: tuple[str, ...]
    """Store entries (sha256s) no live record needs, sorted."""
    keep: tuple[str, ...]
    live: tuple[UsageRecord, ...]
    """The records whose lock and environment still exist; the others are dropped."""
    remove_pythons: tuple[str, ...] = ()
    """Interpreter builds (sha256s) no live record runs on, sorted."""
    keep_pythons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneResult:
    removed: int
    kept: int
    leftovers: int
    """Interrupted downloads and unpacks removed from the store's ``tmp/``."""
    dropped_records: int
    freed_bytes: int
    forgotten_selections: int = 0
    """Remembered selections dropped (each is redone by the next sync that needs it)."""
    removed_pythons: int = 0
    kept_pythons: int = 0
    forgotten_checks: int = 0
    """Remembered lock checks dropped (the next lock or sync checks, or resolves, again)."""
    retired: tuple[str, ...] = ()
    """Directories of earlier cache layouts removed (names)."""
    retired_bytes: int = 0


# --- the lease -----------------------------------------------------------------------------


@contextlib.contextmanager
def shared_lease(cache_root: Path) -> Iterator[None]:
    """Hold the cache for a sync: waits while ``clean``/``prune`` run, blocks them meanwhile.

    A cache where the lock file cannot be created (a read-only cache that already holds
    everything) is used without a lease: nothing can clean it either.
    """
    handle = None if sys.platform == "win32" else _open_lease(cache_root)
    if handle is None:
        yield
        return
    import fcntl

    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        yield


@contextlib.contextmanager
def exclusive_lease(cache_root: Path, *, purpose: str) -> Iterator[None]:
    """Hold the cache alone; :class:`CacheBusyError` at once if another process holds it."""
    handle = _open_lease(cache_root)
    if handle is None:
        raise StoreError(f"cannot {purpose}: {cache_root} is not writable")
    with handle:
        if not _try_exclusive(handle):
            raise CacheBusyError(
                f"cannot {purpose}: another omniwheel process (a sync, run or lock) is using "
                f"the cache at {cache_root}",
                hint="try again when it has finished",
            )
        yield


def _open_lease(cache_root: Path) -> IO[bytes] | None:
    path = cache_root / LEASE_FILE
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        return path.open("a+b")
    except OSError:
        try:
            return path.open("rb")  # read-only cache: a shared flock works on a read handle
        except OSError:
            return None


def _try_exclusive(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# --- records -------------------------------------------------------------------------------


def read_usage(cache_root: Path) -> list[UsageRecord]:
    """The recorded environments, by lock and environment path: each file of
    :data:`USAGE_DIR`, and the records of the earlier single file no file of its own replaces.
    A missing, unreadable or other-version file holds none."""
    found = {(r.lock, r.venv): r for r in _records_in(cache_root / USAGE_FILE)}
    for path in _record_files(cache_root):
        found.update(((r.lock, r.venv), r) for r in _records_in(path))
    return sorted(found.values(), key=lambda r: (str(r.lock), str(r.venv)))


def _record_files(cache_root: Path) -> list[Path]:
    try:
        children = sorted((cache_root / USAGE_DIR).iterdir())
    except OSError:
        return []
    return [child for child in children if child.suffix == ".toml"]


def _records_in(path: Path) -> list[UsageRecord]:
    import tomllib  # read by `cache prune`; a sync writes its record and reads none

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    if data.get("version") != USAGE_VERSION:
        return []
    records = []
    for entry in data.get("environment", ()):
        record = _record_from(entry)
        if record is not None:
            records.append(record)
    return records


def _record_from(entry: object) -> UsageRecord | None:
    if not isinstance(entry, dict):
        return None
    lock, venv, when = entry.get("lock"), entry.get("venv"), entry.get("last-used")
    entries, pythons = entry.get("entries"), entry.get("pythons", [])
    if not isinstance(pythons, list):
        pythons = []
    if not (isinstance(lock, str) and isinstance(venv, str) and isinstance(entries, list)):
        return None
    return UsageRecord(
        lock=Path(lock),
        venv=Path(venv),
        last_used=when if isinstance(when, datetime) else datetime.fromtimestamp(0, UTC),
        entries=frozenset(str(sha) for sha in entries),
        pythons=frozenset(str(sha) for sha in pythons)
        if isinstance(pythons, list)
        else frozenset(),
    )


def record_usage(
    cache_root: Path,
    *,
    lock: Path,
    venv: Path,
    entries: Iterable[str],
    pythons: Iterable[str] = (),
    now: datetime | None = None,
) -> None:
    """Record that ``venv`` (synced from ``lock``) uses ``entries`` and runs on the interpreter
    builds ``pythons``, replacing its old record."""
    record = UsageRecord(
        lock=lock.absolute(),
        venv=venv.absolute(),
        last_used=(now or datetime.now(UTC)).replace(microsecond=0),
        entries=frozenset(entries),
        pythons=frozenset(pythons),
    )
    write_atomic(_record_file(cache_root, record), usage_toml([record]).encode())


def _record_file(cache_root: Path, record: UsageRecord) -> Path:
    """Where the record of ``record``'s lock and environment is kept."""
    key = hashlib.sha256(f"{record.lock}\0{record.venv}".encode()).hexdigest()[:32]
    return cache_root / USAGE_DIR / f"{key}.toml"


def _keep_only(cache_root: Path, records: Sequence[UsageRecord]) -> None:
    """Leave exactly ``records`` recorded, each in a file of its own: the files of the others,
    and the single file of earlier versions, are removed."""
    kept = set()
    for record in records:
        path = _record_file(cache_root, record)
        write_atomic(path, usage_toml([record]).encode())
        kept.add(path)
    for path in _record_files(cache_root):
        if path not in kept:
            path.unlink(missing_ok=True)
    (cache_root / USAGE_FILE).unlink(missing_ok=True)


def usage_toml(records: Sequence[UsageRecord]) -> str:
    """The usage file's text: written directly (it is a few fixed keys per record), since
    building it with ``tomlkit`` took most of a warm sync's bookkeeping time."""
    lines = [f"# {_USAGE_COMMENT}", f"version = {USAGE_VERSION}"]
    for record in sorted(records, key=lambda r: (str(r.lock), str(r.venv))):
        entries = ", ".join(_toml_string(sha) for sha in sorted(record.entries))
        lines += [
            "",
            "[[environment]]",
            f"lock = {_toml_string(str(record.lock))}",
            f"venv = {_toml_string(str(record.venv))}",
            f"last-used = {_toml_datetime(record.last_used)}",
            f"entries = [{entries}]",
        ]
        if record.pythons:
            pythons = ", ".join(_toml_string(sha) for sha in sorted(record.pythons))
            lines.append(f"pythons = [{pythons}]")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML escapes too."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing to escape (every sha256, most paths)
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_datetime(when: datetime) -> str:
    text = when.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


# --- prune and clean -----------------------------------------------------------------------


def plan_prune(
    records: Sequence[UsageRecord],
    present: Iterable[str],
    *,
    present_pythons: Iterable[str] = (),
    exists: Callable[[Path], bool] = Path.exists,
) -> PrunePlan:
    """Keep what a record whose lock and environment exist needs; remove the rest."""
    live = tuple(r for r in records if exists(r.lock) and exists(r.venv))
    needed = frozenset().union(*(r.entries for r in live))
    entries = sorted(set(present))
    running = frozenset().union(*(r.pythons for r in live))
    pythons = sorted(set(present_pythons))
    return PrunePlan(
        remove=tuple(sha for sha in entries if sha not in needed),
        keep=tuple(sha for sha in entries if sha in needed),
        live=live,
        remove_pythons=tuple(sha for sha in pythons if sha not in running),
        keep_pythons=tuple(sha for sha in pythons if sha in running),
    )


def prune(
    cache_root: Path,
    *,
    current_dirs: Collection[str] = (),
    check_dirs: Collection[str] = (),
) -> PruneResult:
    """Remove the store entries no recorded, still existing lock and environment needs.

    Also: forget what ``check_dirs`` remember (stamps that only let a later run skip a check,
    one per lock text or project, which nothing else ever removes), and remove the directories
    of earlier cache layouts — ``<name>-v<N>`` beside a ``<name>-v<M>`` of ``current_dirs``,
    the names this omniwheel uses (a layout bump leaves the old directory behind)."""
    store = cache_root / STORE_DIR
    with exclusive_lease(cache_root, purpose="prune the cache"):
        records = read_usage(cache_root)
        plan = plan_prune(records, _present_entries(store), present_pythons=_present_pythons(store))
        try:
            freed = sum(_remove_entry(store, sha256) for sha256 in plan.remove)
            freed += sum(_remove_python(store, sha256) for sha256 in plan.remove_pythons)
            leftovers = _clear_directory(store / "tmp") + _clear_temporary(store / MANIFESTS_DIR)
            leftovers += _clear_hidden(store / PYTHONS_DIR)
            forgotten = _clear_directory(cache_root / SELECTIONS_DIR)
            checks = sum(_clear_directory(cache_root / name) for name in check_dirs)
            retired = _retired_layouts(cache_root, current_dirs)
            retired_bytes = sum(_size(path) for path in retired)
            for path in retired:
                _remove(path)
            if len(plan.live) != len(records) or (cache_root / USAGE_FILE).exists():
                _keep_only(cache_root, plan.live)
        except OSError as exc:
            raise StoreError(
                f"cannot prune {store}: {exc.strerror} ({exc.filename})",
                hint="check that the cache is writable by this user",
            ) from exc
    return PruneResult(
        removed=len(plan.remove),
        kept=len(plan.keep),
        leftovers=leftovers,
        dropped_records=len(records) - len(plan.live),
        freed_bytes=freed,
        forgotten_selections=forgotten,
        removed_pythons=len(plan.remove_pythons),
        kept_pythons=len(plan.keep_pythons),
        forgotten_checks=checks,
        retired=tuple(path.name for path in retired),
        retired_bytes=retired_bytes,
    )


_LAYOUT_NAME = re.compile(r"(?P<family>.+)-v(?P<version>\d+)")


def _retired_layouts(cache_root: Path, current_dirs: Collection[str]) -> list[Path]:
    """The directories of ``cache_root`` named like one of ``current_dirs`` with another
    version (``index-v2`` beside ``index-v3``), in name order."""
    families = {match["family"] for name in current_dirs if (match := _LAYOUT_NAME.fullmatch(name))}
    if not cache_root.is_dir():
        return []
    found = []
    for child in sorted(cache_root.iterdir()):
        match = _LAYOUT_NAME.fullmatch(child.name)
        retired = match is not None and match["family"] in families
        if retired and child.name not in current_dirs and child.is_dir() and not child.is_symlink():
            found.append(child)
    return found


def clean(cache_root: Path) -> int:
    """Remove everything in the cache (but the lease file); the number of bytes freed."""
    if not cache_root.exists():
        return 0
    with exclusive_lease(cache_root, purpose="clean the cache"):
        freed = 0
        try:
            freed += _remove_python_trees(cache_root / STORE_DIR / PYTHONS_DIR)
            for child in cache_root.iterdir():
                if child.name != LEASE_FILE:
                    freed += _size(child)
                    _remove(child)
        except OSError as exc:
            raise StoreError(
                f"cannot clean {cache_root}: {exc.strerror} ({exc.filename})",
                hint="check that the cache is writable by this user",
            ) from exc
    return freed


def _present_entries(store: Path) -> set[str]:
    present: set[str] = set()
    parts = (("trees", ""), ("wheels", ".whl"), ("locks", ".lock"), (MANIFESTS_DIR, ".json"))
    for part, suffix in parts:
        directory = store / part
        if directory.is_dir():
            present.update(
                child.name.removesuffix(suffix)
                for child in directory.iterdir()
                if child.name.endswith(suffix) and not child.name.startswith(_PYTHON_LOCK)
            )
    return present


_PYTHON_LOCK = "python-"
"""``locks/python-<sha256>.lock``: an interpreter build's lock (:mod:`.python_archive`)."""
PYTHONS_DIR = "pythons"
"""As :data:`omniwheel.store.python_archive.PYTHONS_DIR` (not imported: a sync records its
usage through this module, and that one loads the archive machinery)."""
PROBE_RECORD_SUFFIX = ".probe.json"
"""As :data:`omniwheel.python.provision.PROBE_RECORD_SUFFIX`."""
_PYTHON_SUFFIXES = (".tar.gz", PROBE_RECORD_SUFFIX)


def _present_pythons(store: Path) -> set[str]:
    """The interpreter builds in ``pythons/`` (trees, archives, probe records), by sha256;
    hidden names (unpacks in progress or interrupted) are not builds."""
    directory = store / PYTHONS_DIR
    if not directory.is_dir():
        return set()
    present = set()
    for child in directory.iterdir():
        if child.name.startswith("."):
            continue
        name = child.name
        for suffix in _PYTHON_SUFFIXES:
            name = name.removesuffix(suffix)
        present.add(name)
    return present


def _remove_python(store: Path, sha256: str) -> int:
    from omniwheel.store.python_archive import remove_python_tree

    directory = store / PYTHONS_DIR
    tree = directory / sha256
    freed = _size(tree)
    remove_python_tree(tree)
    for path in (
        directory / f"{sha256}.tar.gz",
        directory / f"{sha256}{PROBE_RECORD_SUFFIX}",
        store / "locks" / f"{_PYTHON_LOCK}{sha256}.lock",
    ):
        freed += _size(path)
        path.unlink(missing_ok=True)
    return freed


def _clear_hidden(directory: Path) -> int:
    """Remove what interrupted unpacks left in ``pythons/`` (``.<sha256 prefix>-<random>``
    directories, read-only inside)."""
    from omniwheel.store.python_archive import remove_python_tree

    if not directory.is_dir():
        return 0
    children = [child for child in directory.iterdir() if child.name.startswith(".")]
    for child in children:
        if child.is_dir() and not child.is_symlink():
            remove_python_tree(child)
        else:
            child.unlink(missing_ok=True)
    return len(children)


def _remove_python_trees(directory: Path) -> int:
    """Remove the interpreter trees first: their directories are read-only, which
    :func:`remove_tree` does not undo for an unprivileged user."""
    from omniwheel.store.python_archive import remove_python_tree

    freed = 0
    if directory.is_dir() and not directory.is_symlink():
        for child in directory.iterdir():
            if child.is_dir() and not child.is_symlink():
                freed += _size(child)
                remove_python_tree(child)
    return freed


def _remove_entry(store: Path, sha256: str) -> int:
    paths = (
        store / "trees" / sha256,
        store / "wheels" / f"{sha256}.whl",
        store / "locks" / f"{sha256}.lock",
        store / MANIFESTS_DIR / f"{sha256}.json",
    )
    freed = 0
    for path in paths:
        freed += _size(path)
        _remove(path)
    return freed


def _clear_directory(directory: Path) -> int:
    if not directory.is_dir():
        return 0
    children = list(directory.iterdir())
    for child in children:
        _remove(child)
    return len(children)


def _clear_temporary(directory: Path) -> int:
    """Remove what interrupted atomic writes left in ``directory`` (``.<name>.<random>.tmp``)."""
    if not directory.is_dir():
        return 0
    children = [
        c for c in directory.iterdir() if c.name.startswith(".") and c.name.endswith(".tmp")
    ]
    for child in children:
        _remove(child)
    return len(children)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        remove_tree(path)
    else:
        path.unlink(missing_ok=True)


def _size(path: Path) -> int:
    """Bytes under ``path``; a file hardlinked into environments counts in full (an estimate)."""
    if path.is_symlink() or not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(directory) / name).lstat().st_size
    return total
