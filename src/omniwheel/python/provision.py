"""Installing the interpreter a lock pins for this machine: choose the build, store it, probe it.

A lock written with ``pin-python`` records one python-build-standalone build per target
(:class:`~omniwheel.lock.tool_table.LockedPython`).  On this machine:

1. :func:`choose_build` picks the entry: the targets this machine satisfies (OS, architecture,
   C library, and floors no higher than the machine's own versions: the rule of
   :func:`omniwheel.env.select.covering_target`), then the Python minor — the one asked for
   (``--python 3.12``), else the existing environment's when the lock still pins it here, else
   the newest — and, for that minor, the target with the highest floors.
2. :func:`provide_python` makes sure the build's tree is in the store
   (:func:`omniwheel.store.python_archive.ensure_python_tree`: streamed, sha256-checked,
   unpacked safely, read-only), downloading it from the canonical URL or a mirror
   (``{mirror}/{tag}/{asset}``) — never with ``offline`` — and runs the interpreter once
   (``-B -I``: nothing is written into the store, even as root): its implementation and full
   version must be the pinned ones and, on Linux, a libpython it maps must lie inside the tree
   (a copy that loads the system's libpython is a silently mixed interpreter).  A tree that
   fails is removed with its archive, so no later sync trusts it.  A tree that passed is
   remembered by a small record beside it, ``pythons/<sha256>.probe.json``, naming the tree's
   path: a tree copied or moved elsewhere (another cache directory) is probed again once.

Errors are :class:`~omniwheel.python.pbs.InterpreterError` subclasses naming the build and the
URL, with what to do.  This module is imported only when a lock pins interpreters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from omniwheel.index.discovery import strip_credentials
from omniwheel.python.pbs import MIRROR_VARIABLE, InterpreterError, PinnedPython, download_url
from omniwheel.store.python_archive import (
    PYTHONS_DIR,
    ArchiveLimits,
    ensure_python_tree,
    python_archive_file,
    python_tree,
    remove_python_tree,
)
from omniwheel.store.store import StoreError, TransientFetchError, WheelSource

if TYPE_CHECKING:
    from omniwheel.index.discovery import IndexLocation
    from omniwheel.lock.tool_table import LockedPython
    from omniwheel.platform.host import Machine
    from omniwheel.platform.target import Target

PROBE_RECORD_SUFFIX = ".probe.json"
"""``pythons/<sha256>.probe.json``: the tree at the recorded path passed the probe."""
PROBE_TIMEOUT_SECONDS = 60.0
MIRROR_SETTING = f"{MIRROR_VARIABLE} or [tool.omniwheel] python-mirror"

# Runs inside the provided interpreter: stdlib only.  /proc/self/maps lists the shared objects
# the process mapped; a statically linked interpreter (real PBS builds) maps no libpython.
_PROBE = r"""
import json, sys
info = sys.version_info
version = "%d.%d.%d" % info[:3]
if info.releaselevel != "final":
    version += info.releaselevel[0] + str(info.serial)
maps = []
try:
    with open("/proc/self/maps") as handle:
        maps = sorted({line.split()[-1] for line in handle if "libpython" in line and "/" in line})
except OSError:
    pass
print(json.dumps({"implementation": sys.implementation.name, "version": version,
                  "libpython": maps, "prefix": sys.prefix}))
"""


class ChunkSource(Protocol):
    """What streams an archive's bytes (a :class:`~omniwheel.store.download.WheelFetcher`)."""

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedPython:
    """A pinned build, present and verified in the store."""

    build: PinnedPython
    tree: Path
    """``<store>/pythons/<sha256>``: the archive's contents, as archived."""
    executable: Path
    """``<tree>/python/bin/python3`` (the lock's ``executable``)."""
    libpython: Path
    """The lock's ``libpython`` inside the tree (for embedders; may be absent on platforms whose
    layout is unverified)."""
    fetched: bool = False
    """Whether the archive was downloaded by this call."""

    @property
    def home(self) -> Path:
        """The directory holding the executable: ``home`` in a venv made with it."""
        return self.executable.parent


class NoPinnedPythonError(InterpreterError):
    """The lock pins interpreters, but none for this machine (or not the minor asked for)."""

    def __init__(self, machine: str, pinned: Sequence[str], *, minor: str | None) -> None:
        self.machine = machine
        self.pinned = tuple(pinned)
        self.minor = minor
        listed = ", ".join(self.pinned) or "none"
        wanted = f"Python {minor}" if minor else "interpreter"
        super().__init__(
            f"the lock pins no {wanted} for this machine ({machine}); it pins: {listed}",
            hint="lock for this machine (add its platform and Python version and run "
            "`omniwheel lock`), or build the environment on a host interpreter with "
            "`--python PATH`",
        )


class PythonNotInStoreError(InterpreterError):
    """``--offline``, and the store holds neither the pinned tree nor its archive."""

    def __init__(self, build: PinnedPython, url: str) -> None:
        self.build = build
        self.url = strip_credentials(url)
        super().__init__(
            f"--offline, but the store lacks the pinned interpreter {build.describe()}, "
            f"to be downloaded from {self.url}",
            hint="run `omniwheel sync` once with network access, or point "
            f"{MIRROR_SETTING} at a reachable mirror (e.g. file:///srv/pbs, laid out as "
            f"{{mirror}}/{build.release}/{build.filename})",
        )


class PythonDownloadError(InterpreterError):
    """The pinned interpreter's archive could not be downloaded (after retries)."""

    def __init__(self, build: PinnedPython, url: str, reason: str) -> None:
        self.build = build
        self.url = strip_credentials(url)
        self.reason = reason
        super().__init__(
            f"cannot download the pinned interpreter {build.describe()} from {self.url}: {reason}",
            hint=f"check the network, or set {MIRROR_SETTING} to a mirror that holds "
            f"{build.release}/{build.filename}; nothing was installed from it",
        )


class PythonProbeError(InterpreterError):
    """The unpacked interpreter is not the build the lock pins, or does not run on its own."""

    def __init__(self, build: PinnedPython, url: str, problem: str) -> None:
        self.build = build
        self.url = strip_credentials(url)
        self.problem = problem
        super().__init__(
            f"refusing the pinned interpreter {build.describe()} from {self.url}: {problem}",
            hint="the archive does not hold the build its name says (a mislabelled mirror "
            "file?), or cannot run on this machine; it was removed from the store.  Check the "
            "mirror, or relock with `omniwheel lock`",
        )


# --- choosing ---------------------------------------------------------------------------------


def choose_build(
    pythons: Sequence[LockedPython],
    machine: Machine,
    *,
    minor: tuple[int, int] | None = None,
    venv_minor: tuple[int, int] | None = None,
) -> LockedPython:
    """The entry of ``pythons`` for ``machine``: see the module docstring.

    ``minor``: the minor asked for (``--python 3.12``), an error when not pinned here;
    ``venv_minor``: the existing environment's, kept when pinned here.
    """
    fitting = [
        (target, entry)
        for entry in pythons
        for target in entry.targets
        if _machine_satisfies(machine, target)
    ]
    minors = {target.python[:2] for target, _ in fitting}
    chosen = minor if minor is not None else venv_minor if venv_minor in minors else None
    if chosen is None and minors:
        chosen = max(minors)
    candidates = [(t, e) for t, e in fitting if t.python[:2] == chosen]
    if not candidates:
        pinned = sorted({t.name for entry in pythons for t in entry.targets})
        wanted = None if minor is None else f"{minor[0]}.{minor[1]}"
        raise NoPinnedPythonError(machine.name, pinned, minor=wanted)
    return max(candidates, key=lambda pair: pair[0].sort_key())[1]


def _machine_satisfies(machine: Machine, target: Target) -> bool:
    return (
        (target.os, target.arch, target.libc) == (machine.os, machine.arch, machine.libc)
        and (target.libc_floor or (0, 0)) <= (machine.libc_version or (0, 0))
        and (target.macos_floor or (0, 0)) <= (machine.macos_version or (0, 0))
    )


def this_machine() -> Machine:
    """This machine, as the interpreter running omniwheel sees it (the host probe)."""
    from omniwheel.platform.host import probe_interpreter, running_executable

    return probe_interpreter(running_executable()).machine


# --- providing --------------------------------------------------------------------------------


def in_store(build: PinnedPython, *, store_root: Path) -> bool:
    """Whether the build's tree is unpacked in the store (probed or not yet)."""
    return python_tree(store_root, build.sha256).is_dir()


def provided(build: PinnedPython, *, store_root: Path) -> ProvidedPython:
    """Where ``build`` is (or would be) in the store, without checking anything."""
    tree = python_tree(store_root, build.sha256)
    return ProvidedPython(
        build=build,
        tree=tree,
        executable=tree.joinpath(*build.executable.split("/")),
        libpython=tree.joinpath(*build.libpython.split("/")),
    )


def provide_python(
    build: PinnedPython,
    *,
    store_root: Path,
    mirror: str | None = None,
    offline: bool = False,
    index: IndexLocation | None = None,
    fetcher: ChunkSource | None = None,
    limits: ArchiveLimits | None = None,
) -> ProvidedPython:
    """``build``'s tree in the store (``<cache>/store-v1``), downloaded, unpacked and probed if
    needed; see the module docstring.

    ``mirror``: a checked base URL (:func:`~omniwheel.python.pbs.check_mirror`) replacing the
    canonical release prefix; ``offline``: use only the store (:class:`PythonNotInStoreError`);
    ``fetcher``: what downloads (default: a :class:`~omniwheel.store.download.WheelFetcher`
    with ``index``'s TLS trust and credentials for that index's host).
    """
    url = download_url(build, mirror=mirror)
    where = provided(build, store_root=store_root)
    archived = python_archive_file(store_root, build.sha256).is_file()
    if offline and not where.tree.is_dir() and not archived:
        raise PythonNotInStoreError(build, url)
    source = WheelSource(
        name="CPython",
        version=str(build.version),
        filename=build.filename,
        sha256=build.sha256,
        url=url,
    )
    owned = None
    try:
        if fetcher is None and not where.tree.is_dir() and not archived:
            from omniwheel.store.download import WheelFetcher

            fetcher = owned = WheelFetcher(index=index)
        chosen = fetcher
        tree, fetched = ensure_python_tree(
            build,
            store_root=store_root,
            fetch=lambda: _chunks(chosen, source, build),
            origin=strip_credentials(url),
            limits=limits,
        )
    except TransientFetchError as exc:  # still failing after the store's retries
        raise PythonDownloadError(build, url, _reason(exc)) from exc
    finally:
        if owned is not None:
            owned.close()
    verify_python(where, url=url)
    return ProvidedPython(
        build=build,
        tree=tree,
        executable=where.executable,
        libpython=where.libpython,
        fetched=fetched,
    )


def _chunks(
    fetcher: ChunkSource | None, source: WheelSource, build: PinnedPython
) -> Iterator[bytes]:
    """The archive's bytes; a final download failure becomes :class:`PythonDownloadError`
    (a transient one stays what it is, for the store to retry)."""
    if fetcher is None:  # pragma: no cover - a fetcher is opened whenever bytes are needed
        raise PythonDownloadError(build, source.origin, "no downloader was given")
    try:
        yield from fetcher.chunks(source)
    except TransientFetchError:
        raise
    except StoreError as exc:
        raise PythonDownloadError(build, source.origin, _reason(exc)) from exc


def _reason(exc: StoreError) -> str:
    """The fetcher's own words, without the ``CPython 3.X.Y (file):`` prefix it starts with."""
    return exc.message.partition(": ")[2] or exc.message


# --- probing ----------------------------------------------------------------------------------


def verify_python(where: ProvidedPython, *, url: str) -> None:
    """Probe the tree once (unless its record says it passed at this very path); on a mismatch
    remove the tree and its archive and raise :class:`PythonProbeError`."""
    record = _record_path(where)
    if _recorded(record, where):
        return
    problem = _probe_problem(where)
    if problem is not None:
        remove_python_tree(where.tree)
        python_archive_file(where.tree.parent.parent, where.build.sha256).unlink(missing_ok=True)
        record.unlink(missing_ok=True)
        raise PythonProbeError(where.build, url, problem)
    from omniwheel._atomic import write_atomic

    data = {"tree": str(where.tree), "version": str(where.build.version)}
    write_atomic(record, (json.dumps(data) + "\n").encode())


def _record_path(where: ProvidedPython) -> Path:
    return where.tree.parent / f"{where.build.sha256}{PROBE_RECORD_SUFFIX}"


def _recorded(record: Path, where: ProvidedPython) -> bool:
    try:
        data = json.loads(record.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tree") == str(where.tree)


def _probe_problem(where: ProvidedPython) -> str | None:
    """What is wrong with the tree's interpreter, or None when it is the pinned build."""
    answer = _run_probe(where.executable)
    if isinstance(answer, str):
        return answer
    build = where.build
    implementation, version = answer.get("implementation"), answer.get("version")
    if implementation != build.implementation:
        return f"its interpreter is {implementation}, not {build.implementation}"
    if version != str(build.version):
        return f"its interpreter reports Python {version}, not the pinned {build.version}"
    if sys.platform == "linux":
        return _libpython_problem(where, answer.get("libpython"))
    return None


def _libpython_problem(where: ProvidedPython, mapped: object) -> str | None:
    if not isinstance(mapped, list):
        return "its interpreter answered the probe without the libpython it maps"
    root = os.path.realpath(where.tree)
    outside = [
        str(path)
        for path in mapped
        if os.path.commonpath([root, os.path.realpath(str(path))]) != root
    ]
    if outside:
        return (
            f"its interpreter loads {', '.join(outside)}, a libpython outside its own tree "
            "(a host library, not the pinned build's)"
        )
    return None


def _run_probe(executable: Path) -> dict[str, object] | str:
    """The probe's answer, or why there is none."""
    try:
        done = subprocess.run(
            [str(executable), "-B", "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"its interpreter {executable} does not run ({exc})"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"its interpreter {executable} fails (exit {done.returncode}): {detail}"
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"its interpreter {executable} printed no probe answer"
    if not isinstance(answer, dict):
        return f"its interpreter {executable} printed no probe answer"
    return answer


def stored_builds(store_root: Path) -> frozenset[str]:
    """The sha256s of the interpreter trees in the store (for listings)."""
    directory = store_root / PYTHONS_DIR
    try:
        return frozenset(
            child.name
            for child in directory.iterdir()
            if not child.name.startswith(".") and child.is_dir()
        )
    except OSError:
        return frozenset()
