"""Run a command, timing it and measuring the peak resident memory of its whole process tree.

Linux only (``/proc``).  A thread samples the tree every :data:`INTERVAL` seconds — the command's
process and every descendant, found through ``/proc/<pid>/task/<tid>/children`` — and adds up
their ``VmRSS``; the peak of those sums is the tree's peak.  Sampling can miss a peak shorter
than the interval, so the result is never below the exact peak of the largest single process
that the kernel reports for the waited-for tree (``RUSAGE_CHILDREN``'s ``ru_maxrss`` of this
run: measured as the difference it makes, it is exact only when this run's processes are the
largest this bench has waited for, else that part is taken from the samples alone).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

INTERVAL = 0.01
"""Seconds between two samples of the tree."""
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ran:
    """One finished command: its exit code, output, wall time and peak memory."""

    returncode: int | None
    """None when it was killed for running past the timeout."""
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int
    """Bytes: the highest sum of the resident sizes of the command's processes."""


def run_measured(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> Ran:
    """Run ``argv`` to its end (or kill its tree after ``timeout`` seconds)."""
    before = _children_maxrss()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    sampler = _Sampler(process.pid)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        stdout, stderr = process.communicate()
        returncode = None
    seconds = time.perf_counter() - started
    sampler.stop()
    single = _children_maxrss()
    exact = single if single > before else 0
    return Ran(
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        seconds=seconds,
        peak_rss=max(sampler.peak, exact),
    )


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self._root = pid
        self._done = threading.Event()
        self.peak = 0

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, sum(_rss(pid) for pid in _tree(self._root)))
            self._done.wait(INTERVAL)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(root: int) -> list[int]:
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text()
            except OSError:
                continue
            pending += [int(child) for child in children.split()]
    return found


def _rss(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE if len(fields) > 1 else 0


def _children_maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
