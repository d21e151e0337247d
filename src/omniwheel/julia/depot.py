"""A Julia depot, written the way Pkg writes it: artifact trees and the artifact usage log.

Trees live at ``DEPOT/artifacts/<git-tree-sha1>/``, the tree itself with no extra folder.
Julia checks only that the directory exists (``artifact_exists`` is ``isdir``), so placing one is
all it takes for ``artifact"…"`` to resolve without a download.  :func:`place_tree` writes the
tree into a temporary directory inside ``DEPOT/artifacts/`` (the same filesystem), checks its
``git-tree-sha1`` as Pkg's ``GitTools.tree_hash`` would compute it, and renames it into place —
as ``Pkg.download_artifact`` does.  An existing tree is reused, never rewritten; when two
processes place the same tree at once, the first rename wins and the other's copy is discarded.

``Pkg.gc()`` deletes every artifact that no Artifacts.toml listed in
``DEPOT/logs/artifact_usage.toml`` still names, so :func:`record_usage` adds ours there, in Pkg's
format (``Types.write_env_usage``)::

    [["/abs/path/Artifacts.toml"]]
    time = 2026-05-17T12:34:56.789

— one table per file holding its latest use, keys sorted, the file replaced atomically — under
Pkg's lock: the pidfile ``artifact_usage.toml.pid`` of Julia's ``FileWatching.Pidfile``
(:func:`pidfile_lock`), so a concurrent Julia and omniwheel never lose each other's records.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

from omniwheel._atomic import write_atomic
from omniwheel.julia import ArtifactError
from omniwheel.julia.tree import TreeLike, write_tree
from omniwheel.julia.treehash import tree_sha1_of_dir

ARTIFACTS_DIR = "artifacts"
USAGE_FILE = Path("logs") / "artifact_usage.toml"
PIDFILE_SUFFIX = ".pid"
STALE_AGE_SECONDS = 3.0
"""Pkg's ``stale_age`` for the usage lock: older than this and its process gone, it is stale."""
STALE_FACTOR = 25
"""Pidfile: older than ``stale_age`` times this, a lock is stale even if its pid seems alive."""
POLL_SECONDS = 0.05
LOCK_TIMEOUT_SECONDS = 120.0


class DepotError(ArtifactError):
    """A tree could not be placed in the depot, or the depot's usage log not be updated."""


def artifacts_dir(depot: Path) -> Path:
    return depot / ARTIFACTS_DIR


def tree_path(depot: Path, git_tree_sha1: str) -> Path:
    """Where Julia looks for the artifact ``git_tree_sha1`` in ``depot``."""
    return artifacts_dir(depot) / git_tree_sha1


def place_tree(depot: Path, git_tree_sha1: str, tree: TreeLike) -> bool:
    """Put ``tree`` at ``DEPOT/artifacts/<git_tree_sha1>``; False when it was there already.

    The tree written must hash to ``git_tree_sha1``, else nothing is placed and
    :class:`DepotError` says so.
    """
    final = tree_path(depot, git_tree_sha1)
    if final.is_dir():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(dir=final.parent, prefix=".omniwheel-"))
    try:
        staged = workspace / "tree"
        write_tree(tree, staged)
        found = tree_sha1_of_dir(staged)
        if found != git_tree_sha1:
            raise DepotError(
                f"the tree written for {git_tree_sha1} hashes to {found}; nothing was placed",
                hint="the cached tree hash is wrong or the filesystem changed the files "
                "(e.g. it ignores case); run `omniwheel cache clean` and try again",
            )
        return _rename_into_place(staged, final)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _rename_into_place(staged: Path, final: Path) -> bool:
    try:
        staged.rename(final)
    except OSError:
        if final.is_dir():
            return False  # another process placed the same tree first
        raise
    return True


# --- the usage log -------------------------------------------------------------------------------


def record_usage(depot: Path, artifacts_toml: Path, *, now: datetime | None = None) -> None:
    """Record in ``DEPOT/logs/artifact_usage.toml`` that ``artifacts_toml`` (made absolute) is
    in use as of ``now`` (default: the local time, as Pkg writes it)."""
    usage = depot / USAGE_FILE
    usage.parent.mkdir(parents=True, exist_ok=True)
    stamp = _milliseconds(now or datetime.now())
    with pidfile_lock(usage.with_name(usage.name + PIDFILE_SUFFIX)):
        times = read_usage(usage)
        times[str(artifacts_toml.absolute())] = stamp
        write_atomic(usage, render_usage(times).encode())


def read_usage(path: Path) -> dict[str, datetime]:
    """The latest time of each file in a usage log; a missing or unreadable log is empty,
    and an entry without a time counts as used now (both as Pkg does)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    times: dict[str, datetime] = {}
    for key, value in data.items():
        entries = value if isinstance(value, list) else [value]
        found = [_as_datetime(entry.get("time")) for entry in entries if isinstance(entry, dict)]
        times[key] = max(found, default=datetime.now())
    return times


def render_usage(times: Mapping[str, datetime]) -> str:
    """A usage log as Pkg writes it: one ``[["<file>"]]`` table per file, sorted."""
    blocks = [
        f"[[{_toml_string(key)}]]\ntime = {_julia_datetime(times[key])}\n" for key in sorted(times)
    ]
    return "\n".join(blocks)


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        # Julia's DateTime has no time zone; an offset time is read as the local time it is.
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.now()


def _milliseconds(value: datetime) -> datetime:
    local = value.astimezone().replace(tzinfo=None) if value.tzinfo else value
    return local.replace(microsecond=local.microsecond // 1000 * 1000)


def _julia_datetime(value: datetime) -> str:
    # What Julia prints for a DateTime: milliseconds, no offset.  Julia's TOML parser reads at
    # most three fractional digits, so Python's six are never written.
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}"


def _toml_string(text: str) -> str:
    # JSON's escapes are TOML's basic-string escapes; DEL is the one character TOML also
    # wants escaped and JSON leaves alone.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


# --- Julia's pidfile lock ------------------------------------------------------------------------


@contextlib.contextmanager
def pidfile_lock(path: Path, *, stale_age: float = STALE_AGE_SECONDS) -> Iterator[None]:
    """Hold the pidfile lock ``path`` as Julia's ``FileWatching.Pidfile.mkpidlock`` does.

    The lock is a file created exclusively (mode ``0o444``) holding ``"<pid> <hostname>"``; it
    is released by removing it, only if it is still ours.  A lock file older than
    ``stale_age`` whose process is gone (same host), or older than 25 times ``stale_age``, is
    stale and removed.  Waits up to two minutes, then raises :class:`DepotError`.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while (fd := _create_exclusive(path)) is None:
        if _is_stale(path, stale_age):
            _remove(path)
            continue
        if time.monotonic() > deadline:
            raise DepotError(
                f"{path} has been locked by another process for two minutes",
                hint="if no Julia or omniwheel process is using the depot, remove the file",
            )
        time.sleep(POLL_SECONDS)
    try:
        os.write(fd, f"{os.getpid()} {socket.gethostname()}".encode())
        yield
    finally:
        _release(path, fd)


def _create_exclusive(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError:
        return None


def _is_stale(path: Path, stale_age: float) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
        fields = path.read_text(encoding="utf-8", errors="replace").split(" ", 1)
    except FileNotFoundError:
        return False  # released meanwhile: just try again
    except OSError:
        return False
    if age <= stale_age:
        return False
    pid = int(fields[0]) if fields[0].isdigit() else 0
    hostname = fields[1] if len(fields) == 2 else ""
    return age > stale_age * STALE_FACTOR or not _may_be_running(hostname, pid)


def _may_be_running(hostname: str, pid: int) -> bool:
    """Julia's ``isvalidpid``: a pid on another host, or one we cannot check, may be alive."""
    if hostname not in ("", socket.gethostname()):
        return True
    if pid == 0:
        return False
    if sys.platform == "win32":
        return True  # os.kill would terminate the process there: rely on the age limit
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. EPERM: it exists, under another user
    return True


def _release(path: Path, fd: int) -> None:
    try:
        ours = os.fstat(fd)
        with contextlib.suppress(OSError):
            if os.path.samestat(ours, path.stat()):
                _remove(path)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if sys.platform == "win32":
            path.chmod(stat.S_IWRITE)  # a read-only file cannot be removed there
        path.unlink()
