"""Unpacking many wheels on worker processes: unzipping, hashing against ``RECORD`` and writing
files is CPU work, which threads cannot share (the GIL).

A cold sync of the reference workload unpacks 111 wheels — 18,000 files, 476 MB — and on one
core that alone took about 3 s of CPU (measured on tmpfs, where the disk costs nothing); two
worker processes did it in 1.6 s, starting them included.  Below :data:`PROCESS_MIN_BYTES` of
wheels (and for a single wheel) starting processes costs more than it saves, so the unpacking
stays in the calling process, as it does under a main module that a worker could not import
safely (:func:`spawning_is_safe`).

Each job is :func:`~omniwheel.store.unpack.unpack_wheel` into a directory the store chose; the
store renames the result into place itself, so a worker killed half-way leaves only a temporary
directory.  A pool that breaks (a worker killed, out of memory) is not an error: that wheel and
the ones after it are unpacked in this process.  Workers ignore SIGINT: an interrupted sync is
stopped by this process, which waits for the unpacks under way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # unpack itself loads packaging, which a sync with nothing to unpack skips
    from omniwheel.store.unpack import UnpackLimits

    Job = Callable[[Path, Path, str, UnpackLimits | None], None]

MIB = 1024 * 1024
PROCESS_MIN_BYTES = 16 * MIB
"""Wheels (compressed) to unpack below which worker processes are not started."""
UNKNOWN_SIZE_MIN_WHEELS = 16
"""Without sizes in the lock, the number of wheels from which worker processes are started."""


class Unpacker(Protocol):
    def __call__(
        self, wheel: Path, dest: Path, *, filename: str, limits: UnpackLimits | None
    ) -> None: ...


def unpack_here(wheel: Path, dest: Path, *, filename: str, limits: UnpackLimits | None) -> None:
    """Unpack in this process."""
    from omniwheel.store.unpack import unpack_wheel

    unpack_wheel(wheel, dest, filename=filename, limits=limits)


def spawning_is_safe() -> bool:
    """Whether worker processes may be started from this process.

    A spawned worker imports the main module again, so the main module must be one known to do
    nothing on import: omniwheel's command line (its console script, or ``python -m
    omniwheel.cli.main``), or none (an embedded or interactive interpreter, as under Julia's
    PythonCall).  A script of the user's that calls omniwheel from its top level would run again
    in every worker, so under any other main module the unpacking stays in this process."""
    main = sys.modules.get("__main__")
    if main is None:
        return True
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        return bool(spec.name == "omniwheel.cli.main")
    if getattr(main, "__file__", None) is None:
        return True
    cli = sys.modules.get("omniwheel.cli.main")
    return cli is not None and getattr(main, "main", None) is getattr(cli, "main", object())


def worth_processes(sizes: list[int | None]) -> bool:
    """Whether wheels of these (compressed) sizes are worth starting worker processes for."""
    known = [size for size in sizes if size is not None]
    if len(sizes) < 2:
        return False
    if len(known) == len(sizes):
        return sum(known) >= PROCESS_MIN_BYTES
    return sum(known) >= PROCESS_MIN_BYTES or len(sizes) >= UNKNOWN_SIZE_MIN_WHEELS


@contextlib.contextmanager
def process_unpacker(processes: int | None = None, *, job: Job | None = None) -> Iterator[Unpacker]:
    """An :class:`Unpacker` running on ``processes`` worker processes (default: one per core),
    falling back to this process once the pool breaks; the pool is shut down on exit.

    The workers start at once and import the unpacker while the first downloads run, so the
    first wheel downloaded does not wait for a process to start.

    ``job`` replaces the worker's function (a module-level function, for tests)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    count = processes or os.cpu_count() or 1
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),  # no fork: this process has threads
        initializer=_ignore_interrupts,
    )
    work: Job = job or _unpack_job
    broken = False
    try:
        for _ in range(count):  # start every worker now, while the first downloads run
            pool.submit(_warm_up)
    except (OSError, RuntimeError):  # no process could be started: unpack here
        broken = True

    def unpack(wheel: Path, dest: Path, *, filename: str, limits: UnpackLimits | None) -> None:
        nonlocal broken
        if not broken:
            try:
                pool.submit(work, wheel, dest, filename, limits).result()
                return
            except BrokenProcessPool:
                broken = True
        from omniwheel.store.store import remove_tree

        remove_tree(dest)  # whatever the lost worker wrote
        unpack_here(wheel, dest, filename=filename, limits=limits)

    try:
        yield unpack
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _unpack_job(wheel: Path, dest: Path, filename: str, limits: UnpackLimits | None) -> None:
    unpack_here(wheel, dest, filename=filename, limits=limits)


def _warm_up() -> None:
    """Import what unpacking needs, before the first wheel arrives."""
    import omniwheel.store.unpack  # noqa: F401


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
