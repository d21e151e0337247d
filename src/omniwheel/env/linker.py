"""Placing store files in an environment: each directory made once, files linked on a few threads.

A warm sync is almost nothing but ``mkdir`` and ``link`` system calls — tens of thousands for a
hundred packages.  Both release the GIL, so a small thread pool overlaps them: on a two-core
machine a 111-package environment links in about two thirds of the time on two threads as on
one (:data:`LINK_WORKERS`).  Paths here are plain ``str``: at this count, building ``Path`` objects
costs as much as the system calls.

The pool runs *tasks* (in :mod:`omniwheel.env.install`, one per group of wheels whose files do not
collide) and keeps the results deterministic: results come back in the tasks' order, and when
tasks fail, the error raised is that of the first failing task in that order (tasks not started
by then are cancelled).  A task stops at its own first error, so the error a sync reports is the
same whatever the threads' timing.
"""

# Paths here are str, not Path, on purpose (see the docstring): os functions, not Path methods.
# ruff: noqa: PTH101, PTH102, PTH108, PTH110, PTH112, PTH116, PTH120, PTH211

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from omniwheel.env.layout import LinkMode

LINK_WORKERS = max(2, min(4, os.cpu_count() or 2))
"""Threads placing files: one per core, at most four.  Every thread wakes the others each time it
takes the GIL back after a system call; on two cores (the only machine measured), two threads
link a 111-package environment faster than four, and one takes half as long again."""
_LINK_FALLBACK_ERRNOS = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP})
_WINDOWS_NO_SYMLINK_PRIVILEGE = 1314

Placed = Literal["linked", "copied", "absent"]
"""What :meth:`Linker.place` did: ``absent`` when the store file does not exist."""
T = TypeVar("T")


class Linker:
    """Places store files by ``mode``, switching to copies for good once links fail.

    Shared by the pool's threads: its only state is :attr:`copying`, which is only ever set.
    A plain class, as :class:`Directories` and the classes of :mod:`omniwheel.env.install`
    that only carry work between functions: ``@dataclass`` generates its methods with
    ``exec`` when the module is imported, 1 to 2 ms a class on the machine measured, and every
    warm sync imports these modules (see :mod:`omniwheel.env._value`).
    """

    __slots__ = ("copying", "mode")

    def __init__(self, *, mode: LinkMode = "hardlink", copying: bool = False) -> None:
        self.mode = mode
        self.copying = copying

    def place(self, source: str, dest: str) -> Placed:
        """Link (or copy) ``source`` to ``dest``, replacing ``dest`` if it exists."""
        try:
            return self._place(source, dest)
        except FileExistsError:
            os.unlink(dest)
            return self._place(source, dest)
        except FileNotFoundError:
            if os.path.exists(source):
                raise
            return "absent"  # listed in the wheel's RECORD but not in the wheel: nothing to place

    def _place(self, source: str, dest: str) -> Placed:
        if self.mode != "copy" and not self.copying:
            try:
                if self.mode == "symlink":
                    os.symlink(source, dest)
                else:
                    os.link(source, dest)
                return "linked"
            except OSError as exc:
                if not _link_refused(exc):
                    raise
                self.copying = True
        if os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, "File exists", dest)
        shutil.copyfile(source, dest)
        # A copy is the environment's own: writable by its owner, unlike the store's file.
        os.chmod(dest, (os.stat(source).st_mode & 0o777) | 0o200)
        return "copied"


def _link_refused(exc: OSError) -> bool:
    """Whether a failed link means "this filesystem (or user) cannot link here": copy instead."""
    if isinstance(exc, FileExistsError | FileNotFoundError):
        return False
    winerror = getattr(exc, "winerror", None)
    return exc.errno in _LINK_FALLBACK_ERRNOS or winerror == _WINDOWS_NO_SYMLINK_PRIVILEGE


class Directories:
    """Directories known to exist, shared by the pool's threads, so each is made only once.

    Making one another thread made in the meantime is harmless (``EEXIST`` is expected); a
    directory is only recorded once it exists, so no thread ever links into one still missing.
    """

    __slots__ = ("made",)

    def __init__(self, *, made: set[str] | None = None) -> None:
        self.made: set[str] = set() if made is None else made

    def make(self, directories: Iterable[str]) -> None:
        """Make ``directories`` (parents listed before their children) that do not exist yet."""
        for directory in directories:
            if directory in self.made:
                continue
            try:
                os.mkdir(directory)
            except FileExistsError:
                if not os.path.isdir(directory):
                    raise
            self.made.add(directory)


def needed_directories(parents: Iterable[str], existing: Collection[str]) -> list[str]:
    """``parents`` and their ancestors up to one in ``existing``, parents before children."""
    needed: set[str] = set()
    for start in parents:
        directory = start
        while directory not in needed and directory not in existing:
            needed.add(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    return sorted(needed)  # a parent is a prefix of its children, so it sorts first


def run_in_order(
    tasks: Sequence[Callable[[], T]], *, weights: Sequence[int], workers: int = LINK_WORKERS
) -> list[T]:
    """Run ``tasks`` on up to ``workers`` threads, heaviest first; their results, in order.

    The first task (in order) that raises decides the error: once a task has failed, no task
    after it in order starts (one before it still runs, and raises first if it fails too), and
    the call returns once the running ones have stopped.  Plain threads, not
    :mod:`concurrent.futures`, whose import (with :mod:`logging`) a warm sync would pay.
    """
    if workers <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    import threading

    pending = sorted(range(len(tasks)), key=lambda index: -weights[index])
    pending.reverse()  # popped from the end: heaviest first, then in order
    results: dict[int, T] = {}
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                first_error = min(errors, default=len(tasks))
                while pending and pending[-1] > first_error:
                    pending.pop()  # after a failed task in order: never started
                if not pending:
                    return
                index = pending.pop()
            try:
                result = tasks[index]()
            except BaseException as exc:  # handed to the caller, the first in order
                with lock:
                    errors[index] = exc
            else:
                results[index] = result

    threads = [
        threading.Thread(target=work, name=f"link-{number}")
        for number in range(min(workers, len(tasks)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[min(errors)]
    return [results[index] for index in range(len(tasks))]
