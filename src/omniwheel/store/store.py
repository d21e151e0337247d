"""The content-addressed store: each wheel downloaded once, verified, and unpacked once.

Layout under ``<cache root>/store-v1/`` (see :data:`STORE_DIR`)::

    wheels/<sha256>.whl   the wheel, placed only after its size and sha256 matched the lock
    trees/<sha256>/       the wheel unpacked by :mod:`omniwheel.store.unpack` (read-only files)
    manifests-v1/<sha256>.json   what installing needs to know about the tree, derived once
                          from it by :mod:`omniwheel.store.manifest`
    locks/<sha256>.lock   one file lock per entry, so concurrent syncs never collide
    tmp/                  downloads and unpacks in progress

Nothing under ``wheels/`` or ``trees/`` is ever written in place: a download streams into
``tmp/`` and is renamed once its hash is right; an unpack fills a directory in ``tmp/`` and is
renamed once every RECORD hash is right.  A process killed at any moment leaves at most junk in
``tmp/``, which nothing trusts.  An entry that already exists is used without taking its lock,
so a read-only store that holds every entry still works.

The store does not download: it asks a :class:`Fetcher` for a wheel's bytes, checks their size
and sha256 itself, and retries a :class:`TransientFetchError`.  The fetchers the CLI wires
(HTTP(S), ``file:``, offline) live in :mod:`omniwheel.store.download`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from omniwheel.errors import OmniwheelError

if TYPE_CHECKING:
    import threading

    from omniwheel.store.manifest import TreeManifest
    from omniwheel.store.unpack import UnpackLimits
    from omniwheel.store.unpack_pool import Unpacker

# The thread pool, file locks and the unpacker are imported where they are used: the no-op
# sync builds a Store but never fetches or unpacks.

STORE_DIR = "store-v1"
# Bump the version when the layout above changes, or when what a tree holds or how it is
# checked changes so that trees written before can no longer be trusted as they are.
MANIFESTS_DIR = "manifests-v1"
# Bump with omniwheel.store.manifest.MANIFEST_VERSION.

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
CHUNK = 1024 * 1024
WORKERS = 8
"""Downloads at once, and so the connections a fetcher should keep open."""
MAX_THREADS = 128
"""Threads of :meth:`Store.ensure_trees`: one per wheel up to this.  A thread whose wheel is
downloaded waits for its unpack without holding a download slot, so downloads go on while
unpacking lags behind (with four threads per slot, they stalled once 32 wheels were waiting)."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


class StoreError(OmniwheelError):
    """A wheel could not be fetched into the store, or the store cannot be used."""


class HashMismatchError(StoreError):
    """The bytes fetched for a wheel are not the ones the lock names."""

    def __init__(self, wheel: WheelSource, expected: str, actual: str) -> None:
        where = "the file" if wheel.path is not None else "the file from"
        super().__init__(
            f"{wheel.describe()}: the lock says sha256 {expected}, but {where} "
            f"{wheel.origin} has sha256 {actual}",
            hint=_LOCAL_FILE_HINT
            if wheel.path is not None
            else "the file changed on the index since the lock was made, or the download was "
            "tampered with; nothing was installed from it.  If the change is expected, run "
            "`omniwheel lock` again",
        )
        self.wheel = wheel
        self.expected = expected
        self.actual = actual


class TransientFetchError(StoreError):
    """A fetch that failed in a way worth retrying (connection trouble, 5xx, cut-off body)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Raised to the user once the retries are used up: the hint is for then.
        super().__init__(message, hint=hint or _RETRY_HINT)


_RETRY_HINT = "this may be a passing network or server problem: run the command again"
_LOCAL_FILE_HINT = (
    "the file changed since the lock was made (a find-links folder's wheel rebuilt or replaced); "
    "nothing was installed from it.  Put the locked file back, or run `omniwheel lock` to lock "
    "the one there now"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelSource:
    """One wheel as a lock names it: which package, where it comes from, what it must hash to."""

    name: str
    version: str
    filename: str
    sha256: str
    size: int | None = None
    url: str | None = None
    path: Path | None = None
    """A local file (PEP 751 ``path``), absolute."""

    @property
    def origin(self) -> str:
        """Where the bytes come from, fit for messages (credentials removed)."""
        from omniwheel.index.discovery import strip_credentials

        if self.url is not None:
            return strip_credentials(self.url)
        return str(self.path)

    def describe(self) -> str:
        return f"{self.name} {self.version} ({self.filename})"


class Fetcher(Protocol):
    """Streams a wheel's bytes; the store checks size and hash (the seam to
    :mod:`omniwheel.store.download`, and to tests' fakes)."""

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        """The wheel's bytes; raises :class:`TransientFetchError` when retrying may help."""
        ...


@dataclass(frozen=True, slots=True)
class Store:
    """A store rooted at ``root`` (``<cache root>/store-v1``)."""

    root: Path

    @classmethod
    def in_cache(cls, cache_root: Path) -> Store:
        return cls(cache_root / STORE_DIR)

    def tree(self, sha256: str) -> Path:
        """Where the unpacked wheel with this hash lives (whether or not it exists yet)."""
        return self.root / "trees" / checked_sha256(sha256)

    def wheel_file(self, sha256: str) -> Path:
        return self.root / "wheels" / f"{checked_sha256(sha256)}.whl"

    def has_tree(self, sha256: str) -> bool:
        return self.tree(sha256).is_dir()

    def manifest_file(self, sha256: str) -> Path:
        return self.root / MANIFESTS_DIR / f"{checked_sha256(sha256)}.json"

    def manifest(self, wheel: WheelSource) -> TreeManifest:
        """What installing needs to know about the wheel's tree (which must exist), cached."""
        from omniwheel.store.manifest import load_manifest

        tree, cached = self.tree(wheel.sha256), self.manifest_file(wheel.sha256)
        return load_manifest(tree, cached, label=wheel.describe())

    def ensure_tree(
        self,
        wheel: WheelSource,
        fetcher: Fetcher,
        *,
        limits: UnpackLimits | None = None,
        unpacker: Unpacker | None = None,
        download_slot: AbstractContextManager[object] | None = None,
        unpack_slot: AbstractContextManager[object] | None = None,
    ) -> bool:
        """Make sure the wheel's tree exists; True when its bytes had to be fetched.  A tree
        unpacked here gets its manifest (:meth:`manifest`) at once.

        ``unpacker``: where the wheel is unpacked (default: in this process);
        ``download_slot``: held while the wheel's bytes are fetched and checked;
        ``unpack_slot``: held while it is unpacked."""
        from filelock import FileLock

        tree = self.tree(wheel.sha256)
        if tree.is_dir():
            return False
        for part in ("wheels", "trees", "locks", "tmp"):
            (self.root / part).mkdir(parents=True, exist_ok=True)
        with FileLock(self.root / "locks" / f"{wheel.sha256}.lock"):
            if tree.is_dir():
                return False  # another process finished it while we waited
            with download_slot or contextlib.nullcontext():
                fetched = self._ensure_wheel(wheel, fetcher)
            with unpack_slot or contextlib.nullcontext():
                self._unpack(wheel, limits, unpacker)
        # Derived now, while other wheels download and unpack, rather than all together once
        # the last tree is in place, when installing asks for them.  Only a head start: a tree
        # removed meanwhile (a concurrent `cache clean`) is for whoever uses it to find.
        with contextlib.suppress(StoreError, OSError):
            self.manifest(wheel)
        return fetched

    def ensure_trees(
        self,
        wheels: Iterable[WheelSource],
        fetcher: Fetcher,
        *,
        on_done: Callable[[WheelSource, bool], None] | None = None,
        workers: int = WORKERS,
    ) -> frozenset[str]:
        """:meth:`ensure_tree` for many wheels at once; the sha256s that were fetched.

        Up to ``workers`` downloads run at once, in :func:`_download_order`; unpacking, CPU
        work, on worker processes when there is enough of it
        (:mod:`omniwheel.store.unpack_pool`), largest wheel first.
        Each wheel has its thread (up to :data:`MAX_THREADS`), so a downloaded wheel waiting
        for its unpack does not hold up the next download."""
        wheels = list(wheels)
        if not wheels:
            return frozenset()  # a warm sync: loads neither thread nor process pools
        from concurrent.futures import ThreadPoolExecutor

        from omniwheel.store.unpack_pool import (
            process_unpacker,
            spawning_is_safe,
            unpack_here,
            worth_processes,
        )

        missing = [wheel.size for wheel in wheels if not self.has_tree(wheel.sha256)]
        processes = 0
        if worth_processes(missing) and spawning_is_safe():
            processes = os.cpu_count() or 1
        unpacking = (
            process_unpacker(processes) if processes else contextlib.nullcontext(unpack_here)
        )
        fetched = set()
        downloads = RankedSlots(workers)
        unpacks = RankedSlots(processes) if processes else None
        threads = min(len(wheels), MAX_THREADS)
        with unpacking as unpacker:

            def one(
                wheel: WheelSource, fetch_rank: int, unpack_rank: int
            ) -> tuple[WheelSource, bool]:
                was_fetched = self.ensure_tree(
                    wheel,
                    fetcher,
                    unpacker=unpacker,
                    download_slot=downloads.slot(fetch_rank),
                    unpack_slot=None if unpacks is None else unpacks.slot(unpack_rank),
                )
                return wheel, was_fetched

            largest_first = _largest_first(wheels)
            unpack_ranks = {index: rank for rank, index in enumerate(largest_first)}
            with ThreadPoolExecutor(max_workers=threads) as pool:
                started = {
                    index: pool.submit(one, wheels[index], rank, unpack_ranks[index])
                    for rank, index in enumerate(_download_order(wheels, largest_first, workers))
                }
                # Results, errors and on_done in the given order, whatever the order of the work.
                for index in range(len(wheels)):
                    wheel, was_fetched = started[index].result()
                    if was_fetched:
                        fetched.add(wheel.sha256)
                    if on_done is not None:
                        on_done(wheel, was_fetched)
        return frozenset(fetched)

    # -- under the entry's lock ------------------------------------------------------------
    def _ensure_wheel(self, wheel: WheelSource, fetcher: Fetcher) -> bool:
        target = self.wheel_file(wheel.sha256)
        if target.is_file() and file_sha256(target) == wheel.sha256:
            return False
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self._download(wheel, fetcher, target)
                return True
            except TransientFetchError:
                if attempt == ATTEMPTS:
                    raise
                time.sleep(BACKOFF_SECONDS * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _download(self, wheel: WheelSource, fetcher: Fetcher, target: Path) -> None:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
            dir=self.root / "tmp", prefix=f"{wheel.sha256[:16]}-", suffix=".part", delete=False
        )
        partial = Path(handle.name)
        try:
            with handle:
                actual = _stream_into(wheel, fetcher, handle)
            if actual != wheel.sha256:
                raise HashMismatchError(wheel, wheel.sha256, actual)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def _unpack(
        self, wheel: WheelSource, limits: UnpackLimits | None, unpacker: Unpacker | None
    ) -> None:
        from omniwheel.store.unpack_pool import unpack_here

        workspace = Path(tempfile.mkdtemp(dir=self.root / "tmp", prefix=f"{wheel.sha256[:16]}-"))
        try:
            (unpacker or unpack_here)(
                self.wheel_file(wheel.sha256),
                workspace / "tree",
                filename=wheel.filename,
                limits=limits,
            )
            (workspace / "tree").rename(self.tree(wheel.sha256))
        finally:
            remove_tree(workspace)


class RankedSlots:
    """``count`` slots, each free one going to the waiting thread of lowest rank.

    :meth:`Store.ensure_trees` ranks its wheels for its download slots
    (:func:`_download_order`) and its unpacking processes (largest first): a cold sync ends
    when the last tree is unpacked, so the largest wheels' downloads and unpacks must start
    first, not whenever their thread happens to win a race for a semaphore, or in the order
    downloads happen to end.

    A slot given back goes straight to the waiting thread of lowest rank, which alone is woken.
    Waking every waiting thread at each release (a condition's ``notify_all``) so that one
    could go on cost a schedule of 111 wheels (8 download slots, 2 unpack slots) 16,000 context
    switches and 0.16 s of CPU; handing over, 1,600 and 0.06 s."""

    def __init__(self, count: int) -> None:
        import threading

        self._free = count
        # A heap of (rank, arrival, event), the event set once the slot is handed over.
        self._waiting: list[tuple[int, int, threading.Event]] = []
        self._arrivals = 0
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """How many threads wait for a slot."""
        with self._lock:
            return len(self._waiting)

    @contextlib.contextmanager
    def slot(self, rank: int) -> Iterator[None]:
        """Hold a slot, once no thread of a lower rank waits for one."""
        import heapq
        import threading

        handed: threading.Event | None = None
        with self._lock:
            if self._free > 0:  # then nobody waits: a slot given back is handed over at once
                self._free -= 1
            else:
                handed = threading.Event()
                self._arrivals += 1
                heapq.heappush(self._waiting, (rank, self._arrivals, handed))
        if handed is not None:
            try:
                handed.wait()
            except BaseException:  # interrupted while waiting: leave the queue
                self._leave(handed)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        import heapq

        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1

    def _leave(self, handed: threading.Event) -> None:
        """Stop waiting; a slot handed over meanwhile goes to the next in rank."""
        import heapq

        with self._lock:
            if not handed.is_set():
                self._waiting = [entry for entry in self._waiting if entry[2] is not handed]
                heapq.heapify(self._waiting)
                return
        self._release()


def _largest_first(wheels: list[WheelSource]) -> list[int]:
    """The wheels' indexes, largest first (unknown sizes last, in the given order otherwise).

    A cold sync ends when the last tree is unpacked: started last (as in name order), the
    largest wheel's download and unpack are its critical path; started first, they overlap
    with the others'."""
    return sorted(range(len(wheels)), key=lambda index: -(wheels[index].size or 0))


def _download_order(wheels: list[WheelSource], largest_first: list[int], workers: int) -> list[int]:
    """The order of the downloads: the ``workers - 1`` largest wheels, then the others smallest
    first (unknown sizes last).

    Started together, the largest wheels end late, and until the first ends the unpacking
    processes have nothing to do.  The last download slot meanwhile fetches the smallest wheels,
    a few milliseconds each, which the processes unpack at once; every slot whose large wheel
    is done goes on with them.  The wheels of middle size come last: what is left to unpack
    once downloading ends is a few of those (in the bench workload, up to a tenth of a second
    each), while the largest wheels were unpacked first (:func:`_largest_first`)."""
    if workers < 2:
        return largest_first
    known = [index for index in largest_first if wheels[index].size is not None]
    unknown = [index for index in largest_first if wheels[index].size is None]
    first = known[: workers - 1]
    return first + known[workers - 1 :][::-1] + unknown


def _stream_into(wheel: WheelSource, fetcher: Fetcher, out: IO[bytes]) -> str:
    """Write the fetched bytes to ``out``, checking the size as they come; the sha256."""
    digest = hashlib.sha256()
    size = 0
    for chunk in fetcher.chunks(wheel):
        size += len(chunk)
        if wheel.size is not None and size > wheel.size and wheel.path is not None:
            raise StoreError(
                f"{wheel.describe()}: {wheel.path} has more than the {wheel.size} bytes the "
                "lock gives",
                hint=_LOCAL_FILE_HINT,
            )
        if wheel.size is not None and size > wheel.size:
            raise StoreError(
                f"{wheel.describe()}: {wheel.origin} sent more than the {wheel.size} bytes "
                "the lock gives",
                hint="the file changed on the index since the lock was made; run "
                "`omniwheel lock` again if that is expected",
            )
        digest.update(chunk)
        out.write(chunk)
    if wheel.size is not None and size != wheel.size and wheel.path is not None:
        raise StoreError(
            f"{wheel.describe()}: {wheel.path} has {size} bytes, the lock gives {wheel.size}",
            hint=_LOCAL_FILE_HINT,
        )
    if wheel.size is not None and size != wheel.size:
        raise TransientFetchError(
            f"{wheel.describe()}: {wheel.origin} sent {size} bytes, the lock gives {wheel.size}"
        )
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checked_sha256(sha256: str) -> str:
    """``sha256`` if it is 64 lowercase hex digits (it becomes a path component), else a
    :class:`StoreError`."""
    # The hash becomes a path component: anything but 64 hex digits must never get that far.
    if _SHA256.fullmatch(sha256) is None:
        raise StoreError(f"`{sha256}` is not a sha256 hex digest")
    return sha256


def remove_tree(path: Path) -> None:
    """Remove a directory that may hold read-only files (store trees, their temporary dirs)."""

    def make_writable_and_retry(function: Callable[[str], object], name: str, _: object) -> None:
        Path(name).chmod(0o700)
        function(name)

    if not path.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)
