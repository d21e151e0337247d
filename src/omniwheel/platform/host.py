"""The one module that looks at the machine omniwheel runs on, through a chosen interpreter.

Installing needs facts only the real machine has: its OS, CPU architecture, C library and
version, and — for the interpreter the environment will use — its PEP 508 marker values, wheel
tags and install scheme.  All of them are read by running that interpreter once with a small
stdlib-only script (:mod:`omniwheel.platform.probe`), so an x86_64 Python under Rosetta, a
32-bit Python on a 64-bit OS or a free-threaded build report what *they* can load, not what the
kernel says.

Tags come from :mod:`packaging.tags`: for the interpreter running omniwheel (same executable)
``sys_tags()`` itself; for any other interpreter they are computed from the probed values
(Python version, ABI, the platform tags of :class:`~omniwheel.platform.target.PlatformSpec` with
the machine's real libc or macOS version as floor).  Every other module takes these values as
plain data.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.tags import Tag, sys_tags

from omniwheel.errors import TargetError
from omniwheel.platform.probe import (
    InterpreterProbeError,
    ProbeFacts,
    PythonIdentity,
    run_probe,
)
from omniwheel.platform.target import (
    DEFAULT_LIBC_FLOORS,
    DEFAULT_MACOS_FLOOR,
    Arch,
    Floor,
    Libc,
    Os,
    PlatformSpec,
    cpython_wheel_tags,
)

__all__ = [
    "Interpreter",
    "InterpreterProbeError",
    "Machine",
    "computed_tags",
    "interpreter_from",
    "probe_interpreter",
    "running_executable",
    "running_version",
]

_OS_OF_SYS_PLATFORM = MappingProxyType({"linux": Os.LINUX, "darwin": Os.MACOS, "win32": Os.WINDOWS})
_ARCH_OF_MACHINE = MappingProxyType(
    {
        "x86_64": Arch.X86_64,
        "amd64": Arch.X86_64,
        "aarch64": Arch.AARCH64,
        "arm64": Arch.AARCH64,
        "i686": Arch.I686,
        "i386": Arch.I686,
        "x86": Arch.I686,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Machine:
    """The platform as the probed interpreter sees it, with real (not floor) versions."""

    os: Os
    arch: Arch
    libc: Libc | None = None
    libc_version: Floor | None = None
    macos_version: Floor | None = None

    @property
    def platform(self) -> PlatformSpec:
        """This machine as a platform whose floors are its own libc / macOS versions."""
        return PlatformSpec(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            libc_floor=self.libc_version,
            macos_floor=_macos_tag_floor(self.macos_version),
        )

    @property
    def name(self) -> str:
        """``linux-x86_64-glibc2.36``, ``macos-arm64-14.0``, ``windows-x86_64``."""
        return self.platform.name

    def suggested_platform(self) -> PlatformSpec:
        """The platform to lock for so this machine is covered: default floors, lowered to fit."""
        libc_floor = None
        if self.libc is not None and self.libc_version is not None:
            libc_floor = min(DEFAULT_LIBC_FLOORS[self.libc], self.libc_version)
        macos_floor = None
        if self.macos_version is not None:
            macos_floor = min(DEFAULT_MACOS_FLOOR, _macos_tag_floor(self.macos_version) or (0, 0))
        return PlatformSpec(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            libc_floor=libc_floor,
            macos_floor=macos_floor,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpreter(PythonIdentity):
    """One Python interpreter on this machine, with everything installing for it needs."""

    executable: Path
    """The path it was probed as (a venv's ``bin/python`` stays that, unresolved)."""
    version: tuple[int, int, int]
    implementation: str
    free_threaded: bool
    machine: Machine
    marker_environment: Mapping[str, str]
    """Every PEP 508 marker variable, as this interpreter reports it."""
    paths: Mapping[str, str]
    """``sysconfig.get_paths()`` of its default scheme (in a venv: the venv's own paths)."""
    tags: tuple[Tag, ...]
    """The wheel tags it installs, best first."""


def probe_interpreter(executable: Path) -> Interpreter:
    """Run ``executable`` once and describe it; :class:`InterpreterProbeError` if it fails."""
    return interpreter_from(run_probe(executable))


def interpreter_from(facts: ProbeFacts) -> Interpreter:
    """The interpreter these probe facts describe: its machine and wheel tags worked out."""
    try:
        running = facts.is_running_interpreter()
        return _interpreter_from(facts.executable, facts.data, running=running)
    except (KeyError, TypeError, ValueError) as exc:
        raise InterpreterProbeError(
            f"{facts.executable} answered the interpreter probe with unusable data ({exc!r})"
        ) from exc


def running_executable() -> Path:
    """The interpreter running omniwheel itself."""
    return Path(sys.executable)


def running_version() -> tuple[int, int, int]:
    """The version of the interpreter running omniwheel, without a subprocess."""
    return (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)


def _interpreter_from(executable: Path, data: Mapping[str, Any], *, running: bool) -> Interpreter:
    major, minor, micro = (int(part) for part in data["version"])
    markers = {str(key): str(value) for key, value in data["markers"].items()}
    machine = _machine(data, markers)
    implementation = str(data["implementation"])
    free_threaded = bool(data["free_threaded"])
    python = (major, minor)
    tags = _tags(executable, implementation, python, free_threaded, machine, running=running)
    return Interpreter(
        executable=executable,
        version=(major, minor, micro),
        implementation=implementation,
        free_threaded=free_threaded,
        machine=machine,
        marker_environment=MappingProxyType(markers),
        paths=MappingProxyType({str(k): str(v) for k, v in data["paths"].items()}),
        tags=tags,
    )


def _machine(data: Mapping[str, Any], markers: Mapping[str, str]) -> Machine:
    os_ = _OS_OF_SYS_PLATFORM.get(markers["sys_platform"])
    arch = _ARCH_OF_MACHINE.get(markers["platform_machine"].lower())
    if os_ is None or arch is None:
        raise TargetError(
            f"this machine ({markers['sys_platform']} on {markers['platform_machine']}) is not a "
            "platform omniwheel installs for",
            hint="omniwheel supports Linux, macOS and Windows on x86_64, aarch64/arm64 and i686",
        )
    if arch is Arch.X86_64 and int(data["pointer_bits"]) == 32:
        arch = Arch.I686  # a 32-bit interpreter on a 64-bit OS loads 32-bit wheels only
    if os_ is Os.LINUX:
        return _linux_machine(arch, data)
    if os_ is Os.MACOS:
        return Machine(os=os_, arch=arch, macos_version=_floor(str(data["mac_version"])))
    return Machine(os=os_, arch=arch)


def _linux_machine(arch: Arch, data: Mapping[str, Any]) -> Machine:
    glibc = data.get("glibc")
    if glibc:
        return Machine(os=Os.LINUX, arch=arch, libc=Libc.GLIBC, libc_version=_floor(str(glibc)))
    musl = _musl_version(Path(str(data["executable"])))
    if musl is not None:
        return Machine(os=Os.LINUX, arch=arch, libc=Libc.MUSL, libc_version=musl)
    raise TargetError(
        "cannot tell this Linux machine's C library (neither glibc nor musl answered)",
        hint="omniwheel installs manylinux (glibc) and musllinux (musl) wheels only",
    )


def _musl_version(executable: Path) -> Floor | None:
    # packaging reads the interpreter's ELF program interpreter and asks the musl loader for
    # its version; there is no public API for it, and re-implementing ELF parsing is worse.
    from packaging import _musllinux

    version = _musllinux._get_musl_version(str(executable))
    return None if version is None else (version.major, version.minor)


def _floor(text: str) -> Floor | None:
    parts = text.strip().split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts[:2]):
        return None
    return (int(parts[0]), int(parts[1]))


def _macos_tag_floor(version: Floor | None) -> Floor | None:
    """From macOS 11 on, wheel tags use ``X_0`` for every ``X.y``."""
    if version is None:
        return None
    return version if version[0] == 10 else (version[0], 0)


def _tags(
    executable: Path,
    implementation: str,
    python: tuple[int, int],
    free_threaded: bool,
    machine: Machine,
    *,
    running: bool,
) -> tuple[Tag, ...]:
    if running:
        return tuple(sys_tags())
    if implementation != "cpython":
        raise InterpreterProbeError(
            f"{executable} is {implementation}; omniwheel installs for CPython only",
            hint="choose a CPython interpreter with --python",
        )
    return computed_tags(python=python, free_threaded=free_threaded, machine=machine)


def computed_tags(
    *, python: tuple[int, int], free_threaded: bool, machine: Machine
) -> tuple[Tag, ...]:
    """The tags of a CPython ``python`` on ``machine``, best first, from those values alone."""
    platforms = list(machine.platform.platform_tags())
    if machine.os is Os.LINUX:
        # A wheel built on and for this very machine; packaging ranks it first, so do we.
        platforms.insert(0, f"linux_{machine.arch}")
    return cpython_wheel_tags(python, platforms, free_threaded=free_threaded)
