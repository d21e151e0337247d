"""Targets: one machine a lock serves, as wheel tags and a PEP 508 marker environment.

A :class:`Target` names an OS, a CPU architecture, for Linux a C library with the oldest release
to support (its *floor*), for macOS the oldest macOS release, and a CPython version.  Everything
here is computed from those fields alone and never from the machine omniwheel runs on
(``platform/host.py`` is the one module that looks at the host), so a lock for Windows can be made
on Linux.  Tags come from :mod:`packaging.tags` called with explicit arguments only.

Names users type are read by :func:`parse_target` / :func:`parse_platform` with the grammar
``os-arch[-libc[floor]][-macosfloor][@X.Y[.Z]]`` (aliases and Julia triplets accepted; the text
grammar itself lives in ``_grammar.py``); a target always prints in one canonical form with
explicit floors, e.g. ``linux-x86_64-glibc2.28@3.12``.

A target's Python ``3.X`` stands for every release ``3.X.y``; ``3.X.Z`` stands for every
``3.X.y`` with ``y >= Z`` (a patch floor).  That is what :meth:`Target.fits_requires_python`
checks, and why a target pins a patch only when some ``Requires-Python`` forces it.  A lock that
pins interpreters resolves each target *at* the release it pins (:meth:`Target.at_release`): the
target then stands for that one release, and every rule above sees only it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias, TypeVar

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import Version

from omniwheel.errors import TargetError
from omniwheel.platform._grammar import (
    GRAMMAR_HINT,
    OS_DISPLAY,
    PlatformParts,
    extra_part_hint,
    parse_platform_text,
)

PythonVersion: TypeAlias = tuple[int, int] | tuple[int, int, int]
"""A CPython minor ``(3, X)``, or a minor with a patch floor ``(3, X, Z)`` (``Z > 0``)."""

Floor: TypeAlias = tuple[int, int]
"""A ``(major, minor)`` release of glibc, musl or macOS: the oldest one a target supports."""


class Os(StrEnum):
    """Operating systems omniwheel locks for."""

    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


class Arch(StrEnum):
    """CPU architectures, named as Linux and Julia name them (macOS/Windows say ``arm64``)."""

    X86_64 = "x86_64"
    AARCH64 = "aarch64"
    I686 = "i686"


class Libc(StrEnum):
    """The C library of a Linux target: it decides manylinux (glibc) or musllinux tags."""

    GLIBC = "glibc"
    MUSL = "musl"


# Default floors.  A floor keeps out wheels that need a newer system than the one supported.
# glibc 2.28: the baseline of the current manylinux_2_28 build images; every mainstream Linux
#   distribution still supported (RHEL 8+, Debian 10+, Ubuntu 20.04+) has it.  Older systems
#   (CentOS 7 / manylinux2014) are opt-in: `linux-x86_64-glibc2.17`.
# musl 1.2: the baseline of the current musllinux_1_2 build images (Alpine 3.13 and newer).
# macOS 13.0 for arm64 and x86_64 alike: the oldest macOS release Apple was still shipping
#   security fixes for when this default was chosen, so every Mac that is kept up to date can
#   load every wheel the lock picks; wheels built for it or older qualify, wheels that need
#   macOS 14+ are left out.  One floor for both keeps the two halves of a Mac matrix alike.
DEFAULT_LIBC_FLOORS: Mapping[Libc, Floor] = MappingProxyType(
    {Libc.GLIBC: (2, 28), Libc.MUSL: (1, 2)}
)
DEFAULT_MACOS_FLOOR: Floor = (13, 0)

OLDEST_PYTHON: tuple[int, int] = (3, 8)
LAST_PATCH = 99
"""The highest patch release a Python minor is assumed to reach (a generous upper bound)."""

# How each OS spells each architecture it supports in a target name; the keys are also the
# supported (OS, architecture) pairs.
_ARCH_SPELLING: Mapping[tuple[Os, Arch], str] = MappingProxyType(
    {
        (Os.LINUX, Arch.X86_64): "x86_64",
        (Os.LINUX, Arch.AARCH64): "aarch64",
        (Os.LINUX, Arch.I686): "i686",
        (Os.MACOS, Arch.X86_64): "x86_64",
        (Os.MACOS, Arch.AARCH64): "arm64",
        (Os.WINDOWS, Arch.X86_64): "x86_64",
        (Os.WINDOWS, Arch.AARCH64): "arm64",
        (Os.WINDOWS, Arch.I686): "x86",
    }
)
# PEP 508 `platform_machine` as CPython reports it on each OS (`platform.machine()`).
_MACHINE: Mapping[tuple[Os, Arch], str] = MappingProxyType(
    {
        (Os.LINUX, Arch.X86_64): "x86_64",
        (Os.LINUX, Arch.AARCH64): "aarch64",
        (Os.LINUX, Arch.I686): "i686",
        (Os.MACOS, Arch.X86_64): "x86_64",
        (Os.MACOS, Arch.AARCH64): "arm64",
        (Os.WINDOWS, Arch.X86_64): "AMD64",
        (Os.WINDOWS, Arch.AARCH64): "ARM64",
        (Os.WINDOWS, Arch.I686): "x86",
    }
)
_SYS_PLATFORM = MappingProxyType({Os.LINUX: "linux", Os.MACOS: "darwin", Os.WINDOWS: "win32"})
_SYSTEM = MappingProxyType({Os.LINUX: "Linux", Os.MACOS: "Darwin", Os.WINDOWS: "Windows"})
_WINDOWS_TAG = MappingProxyType(
    {Arch.X86_64: "win_amd64", Arch.AARCH64: "win_arm64", Arch.I686: "win32"}
)
# The oldest glibc minor each architecture has manylinux tags for (PEP 600 / PEP 599).
_OLDEST_GLIBC_MINOR = MappingProxyType({Arch.X86_64: 5, Arch.I686: 5, Arch.AARCH64: 17})
# Legacy manylinux names (PEP 513/571/599) for the glibc minors they alias.
_LEGACY_MANYLINUX = MappingProxyType({17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"})
# The oldest macOS floor that has tags for an architecture: Apple silicon arrived with 11.0.
_OLDEST_MACOS = MappingProxyType({Arch.X86_64: (10, 9), Arch.AARCH64: (11, 0)})

_PYTHON_PART = re.compile(r"[0-9]+(?:\.[0-9]+)*", re.ASCII)
_PYTHON_HINT = "write a CPython version as 3.X or 3.X.Y, e.g. 3.12 or 3.11.5 (3.8 and newer)"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformSpec:
    """A target without its Python version: OS, architecture, libc and floors.

    Missing parts are filled on construction (Linux: glibc, floor glibc 2.28 or musl 1.2;
    macOS: floor 13.0), so two specs for the same platform are equal.  Raises
    :class:`TargetError` for combinations that do not exist (musl on macOS, i686 macOS, …).
    """

    os: Os
    arch: Arch
    libc: Libc | None = None
    libc_floor: Floor | None = None
    macos_floor: Floor | None = None

    def __post_init__(self) -> None:
        os, arch = _checked_member(Os, self.os, "OS"), _checked_member(Arch, self.arch, "arch")
        if (os, arch) not in _ARCH_SPELLING:
            raise TargetError(f"{OS_DISPLAY[os]} has no {arch} targets", hint=_supported_arches(os))
        libc, libc_floor = _checked_libc(os, arch, self.libc, self.libc_floor)
        macos_floor = _checked_macos_floor(os, arch, self.macos_floor)
        _assign(self, os=os, arch=arch, libc=libc, libc_floor=libc_floor, macos_floor=macos_floor)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The canonical name, floors explicit: ``linux-aarch64-musl1.2``, ``macos-arm64-13.0``."""
        parts = [str(self.os), _ARCH_SPELLING[self.os, self.arch]]
        if self.libc is not None and self.libc_floor is not None:
            parts.append(f"{self.libc}{_dotted(self.libc_floor)}")
        if self.macos_floor is not None:
            parts.append(_dotted(self.macos_floor))
        return "-".join(parts)

    @property
    def julia_triplet(self) -> str:
        """The Julia (BinaryBuilder) triplet: ``x86_64-linux-gnu``, ``aarch64-apple-darwin``, …"""
        if self.os is Os.LINUX:
            return f"{self.arch}-linux-{'musl' if self.libc is Libc.MUSL else 'gnu'}"
        if self.os is Os.MACOS:
            return f"{self.arch}-apple-darwin"
        return f"{self.arch}-w64-mingw32"

    @property
    def sys_platform(self) -> str:
        """PEP 508 ``sys_platform``: ``linux``, ``darwin`` or ``win32``."""
        return _SYS_PLATFORM[self.os]

    @property
    def platform_machine(self) -> str:
        """PEP 508 ``platform_machine`` as CPython reports it there (``AMD64`` on Windows)."""
        return _MACHINE[self.os, self.arch]

    def platform_tags(self) -> Iterator[str]:
        """The platform parts of compatible wheel tags, best first (PEP 425/600/656, macOS)."""
        if self.os is Os.WINDOWS:
            yield _WINDOWS_TAG[self.arch]
        elif self.os is Os.MACOS:
            assert self.macos_floor is not None  # filled in __post_init__
            yield from mac_platforms(version=self.macos_floor, arch=self.platform_machine)
        else:
            libc = self.libc or Libc.GLIBC
            floor = self.libc_floor or DEFAULT_LIBC_FLOORS[libc]
            linux_tags = _musllinux_tags if libc is Libc.MUSL else _manylinux_tags
            yield from linux_tags(self.arch, floor)

    def at(self, python: PythonVersion | str) -> Target:
        """This platform with a CPython version (``(3, 12)``, ``"3.11.5"``)."""
        return Target(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            libc_floor=self.libc_floor,
            macos_floor=self.macos_floor,
            python=python if isinstance(python, tuple) else parse_python_version(python),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One machine a lock serves: a :class:`PlatformSpec` plus a CPython version.

    Frozen and hashable; missing floors are filled as in :class:`PlatformSpec`, and a patch
    floor of 0 is dropped (``(3, 12, 0)`` is ``(3, 12)``: both stand for every 3.12.y).
    """

    os: Os
    arch: Arch
    libc: Libc | None = None
    libc_floor: Floor | None = None
    macos_floor: Floor | None = None
    python: PythonVersion
    pinned_release: Version | None = None
    """The one release of the interpreter the lock pins for this target, when resolution runs
    for it: the target then stands for that release alone (markers, ``Requires-Python``).
    Not part of :attr:`name` (messages name the target as the user wrote it); only resolution
    sees such targets, and :meth:`unpinned` gives back the lock's own."""

    def __post_init__(self) -> None:
        spec = PlatformSpec(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            libc_floor=self.libc_floor,
            macos_floor=self.macos_floor,
        )
        _assign(
            self,
            os=spec.os,
            arch=spec.arch,
            libc=spec.libc,
            libc_floor=spec.libc_floor,
            macos_floor=spec.macos_floor,
            python=_checked_python(self.python),
        )
        pinned = self.pinned_release
        if pinned is not None and not _within(pinned, self.python):
            raise TargetError(
                f"Python {pinned} cannot be pinned for {self.name}: the target "
                f"stands for {_describe_python(self.python)}",
                hint="pin an interpreter build of the target's own Python",
            )

    def __str__(self) -> str:
        return self.name

    @property
    def platform(self) -> PlatformSpec:
        """This target without its Python version (made once per target)."""
        return _target_platform(self)

    @property
    def name(self) -> str:
        """The canonical name, e.g. ``linux-x86_64-glibc2.28@3.12`` or ``windows-arm64@3.11.5``
        (made once per target)."""
        return _target_name(self)

    @property
    def platform_name(self) -> str:
        """The canonical name without the Python version: ``macos-arm64-13.0``."""
        return self.platform.name

    @property
    def python_version(self) -> str:
        """PEP 508 ``python_version``: ``"3.12"``."""
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def python_full_version(self) -> str:
        """The lowest release this target stands for: ``"3.12.0"``, the floor ``"3.11.5"`` of
        target ``@3.11.5``, or the pinned release."""
        return str(self.releases[0])

    @property
    def releases(self) -> tuple[Version, ...]:
        """Every CPython release this target stands for, oldest first: the pinned release
        alone, else :func:`releases_of` its Python."""
        if self.pinned_release is not None:
            return (self.pinned_release,)
        return releases_of(self.python)

    @property
    def julia_triplet(self) -> str:
        """The Julia triplet of the platform (``x86_64-linux-gnu``); Python is not part of it."""
        return self.platform.julia_triplet

    @property
    def tags(self) -> tuple[Tag, ...]:
        """Every wheel tag a CPython of this target installs, best first (computed once)."""
        return _target_tags(self)

    @property
    def tag_ranks(self) -> Mapping[Tag, int]:
        """Each of :attr:`tags` with its position (0 is best), for ranking wheels."""
        return _target_tag_ranks(self)

    @property
    def marker_key(self) -> tuple[str, str, str]:
        """``(sys_platform, platform_machine, python_version)``.

        Targets with equal keys cannot be told apart by any marker a package could write
        (glibc vs musl, two floors, two patch floors), so a standard installer would see one
        environment: the resolver must give them one version per package.
        """
        return (self.platform.sys_platform, self.platform.platform_machine, self.python_version)

    def marker_environment(self) -> dict[str, str]:
        """Every PEP 508 marker variable as this target's CPython would report it.

        ``platform_release`` and ``platform_version`` (the kernel/OS build strings) cannot be
        known for a foreign target: they are empty, which makes every comparison against a
        real value (``platform_release >= "5"``) false.  ``python_full_version`` is the lowest
        release the target stands for.
        """
        platform = self.platform
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full_version,
            "os_name": "nt" if self.os is Os.WINDOWS else "posix",
            "platform_machine": platform.platform_machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": _SYSTEM[self.os],
            "platform_version": "",
            "python_full_version": self.python_full_version,
            "python_version": self.python_version,
            "sys_platform": platform.sys_platform,
        }

    def fits_requires_python(self, spec: SpecifierSet) -> bool:
        """Whether ``spec`` admits every CPython release this target stands for.

        Target ``3.X`` stands for every ``3.X.y`` (``3.X.Z`` for every ``y >= Z``), so
        ``>=3.11.5`` does not fit target 3.11 but fits 3.11.5 and 3.12, and ``!=3.12.3`` does
        not fit 3.12.  Pre-releases are not considered.  A target resolved at a pinned
        release fits exactly the specifiers admitting that release (a pre-release build
        included: ``>=3.14`` excludes ``3.14.0rc2``, as it does for that interpreter).
        """
        return _fits(_text_of(spec), self.python, self.pinned_release)

    def with_python(self, python: PythonVersion | str) -> Target:
        """A copy of this target with another CPython version (and no pinned release)."""
        version = python if isinstance(python, tuple) else parse_python_version(python)
        return replace(self, python=version, pinned_release=None)

    def at_release(self, release: Version) -> Target:
        """This target as resolution sees it when the lock pins interpreter ``release`` (a
        pre-release build such as ``3.14.0rc2`` included: that is what it reports)."""
        return replace(self, pinned_release=release)

    @property
    def unpinned(self) -> Target:
        """This target without a pinned release: the lock's own target."""
        if self.pinned_release is None:
            return self
        return replace(self, pinned_release=None)

    def sort_key(self) -> tuple[int, int, int, Floor, Floor, tuple[int, int, int]]:
        """A total order for target lists: OS, arch, libc, floors, Python (enum order, then up)."""
        return _target_sort_key(self)


@functools.cache
def releases_of(python: PythonVersion) -> tuple[Version, ...]:
    """Every release a target Python stands for: 3.X.0 (or the patch floor) to 3.X.99."""
    first = python[2] if len(python) == 3 else 0
    return tuple(Version(f"{python[0]}.{python[1]}.{y}") for y in range(first, LAST_PATCH + 1))


def format_python(python: tuple[int, ...]) -> str:
    """``(3, 12)`` → ``"3.12"``, ``(3, 11, 5)`` → ``"3.11.5"``."""
    return ".".join(str(part) for part in python)


def parse_python_version(text: str) -> PythonVersion:
    """Read ``3.X`` or ``3.X.Y`` (CPython 3.8 and newer); :class:`TargetError` otherwise."""
    cleaned = text.strip()
    if not cleaned:
        raise TargetError("empty Python version", hint=_PYTHON_HINT)
    if not _PYTHON_PART.fullmatch(cleaned):
        raise TargetError(f"`{text}` is not a Python version", hint=_PYTHON_HINT)
    parts = tuple(int(part) for part in cleaned.split("."))
    if len(parts) == 1:
        raise TargetError(f"Python version `{text}` has no minor version", hint=_PYTHON_HINT)
    if len(parts) > 3:
        raise TargetError(f"Python version `{text}` has too many parts", hint=_PYTHON_HINT)
    return _checked_python(parts)


def parse_target(text: str) -> tuple[PlatformSpec, PythonVersion | None]:
    """Read a target name: a platform, and the Python version after ``@`` if there is one.

    Grammar ``os-arch[-libc[floor]][-macosfloor][@X.Y[.Z]]``, case-insensitive, with the
    aliases ``darwin``/``osx``/``mac``, ``win``/``win32``, ``amd64``/``x64``, ``arm64``,
    ``x86``/``i386``, ``gnu``; Julia triplets (``x86_64-linux-gnu``, ``aarch64-apple-darwin``,
    ``x86_64-w64-mingw32``) too.  Raises :class:`TargetError` quoting ``text`` and saying
    which part is wrong.
    """
    try:
        head, at, python_text = text.strip().lower().partition("@")
        if not head:
            raise TargetError("no platform before `@`" if at else "empty target")
        python = parse_python_version(python_text) if at else None
        return _platform_of(parse_platform_text(head)), python
    except TargetError as error:
        raise TargetError(
            f"invalid target `{text}`: {error.message}", hint=error.hint or GRAMMAR_HINT
        ) from None


def parse_platform(text: str) -> PlatformSpec:
    """Read a platform name (a target name without ``@X.Y``)."""
    spec, python = parse_target(text)
    if python is not None:
        raise TargetError(
            f"invalid platform `{text}`: a Python version (`@{format_python(python)}`) "
            "does not belong here",
            hint="give Python versions separately, e.g. --python-version 3.12",
        )
    return spec


@functools.lru_cache(maxsize=1024)
def target_from_name(text: str) -> Target:
    """Read a full target name, which must carry its Python version (``…@3.12``).

    Cached: a lock names each of its targets once per package entry, and targets are frozen."""
    spec, python = parse_target(text)
    if python is None:
        raise TargetError(
            f"invalid target `{text}`: no Python version",
            hint=f"add one after `@`, e.g. {spec.name}@3.12",
        )
    return spec.at(python)


def _platform_of(parts: PlatformParts) -> PlatformSpec:
    """The platform a parsed name describes (checked, floors filled, as on construction)."""
    return PlatformSpec(
        os=Os(parts.os),
        arch=Arch(parts.arch),
        libc=None if parts.libc is None else Libc(parts.libc),
        libc_floor=parts.libc_floor,
        macos_floor=parts.macos_floor,
    )


_Enum = TypeVar("_Enum", Os, Arch, Libc)


# --- validation ----------------------------------------------------------------------------


def _checked_member(kind: type[_Enum], value: str, what: str) -> _Enum:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise TargetError(f"unknown {what} `{value}`", hint=f"one of: {choices}") from None


def _checked_libc(
    os: Os, arch: Arch, libc: Libc | None, floor: Floor | None
) -> tuple[Libc | None, Floor | None]:
    if os is not Os.LINUX:
        if libc is not None or floor is not None:
            raise TargetError(f"{OS_DISPLAY[os]} targets have no libc", hint=extra_part_hint(os))
        return None, None
    libc = Libc.GLIBC if libc is None else _checked_member(Libc, libc, "libc")
    floor = DEFAULT_LIBC_FLOORS[libc] if floor is None else floor
    if libc is Libc.GLIBC and (floor[0] != 2 or floor[1] < _OLDEST_GLIBC_MINOR[arch]):
        oldest = f"2.{_OLDEST_GLIBC_MINOR[arch]}"
        raise TargetError(
            f"glibc floor {_dotted(floor)} is not a glibc 2 release with manylinux tags for "
            f"{arch} (the oldest is {oldest})",
            hint=f"use a floor from glibc{oldest} up, e.g. glibc2.17 or glibc2.28",
        )
    if libc is Libc.MUSL and floor[0] != 1:
        raise TargetError(
            f"musl floor {_dotted(floor)} is not a musl 1 release",
            hint="use musl1.1 or musl1.2",
        )
    return libc, floor


def _checked_macos_floor(os: Os, arch: Arch, floor: Floor | None) -> Floor | None:
    if os is not Os.MACOS:
        if floor is not None:
            raise TargetError(
                f"{OS_DISPLAY[os]} targets have no macOS floor", hint=extra_part_hint(os)
            )
        return None
    floor = DEFAULT_MACOS_FLOOR if floor is None else floor
    oldest = _OLDEST_MACOS[arch]
    if floor < oldest:
        reason = " (the first macOS on Apple silicon)" if arch is Arch.AARCH64 else ""
        raise TargetError(
            f"macOS floor {_dotted(floor)} is below {_dotted(oldest)}{reason}",
            hint=f"use {_dotted(oldest)} or newer, e.g. macos-{_ARCH_SPELLING[os, arch]}-13.0",
        )
    if (floor[0] == 10 and floor[1] > 15) or (floor[0] > 10 and floor[1] != 0):
        raise TargetError(
            f"macOS floor {_dotted(floor)} is not one that wheel tags use",
            hint="from macOS 11 on a floor is a major release X.0 (e.g. 12.0); before: 10.9–10.15",
        )
    return floor


def _checked_python(version: tuple[int, ...]) -> PythonVersion:
    text = format_python(version)
    if len(version) not in (2, 3) or any(part < 0 for part in version):
        raise TargetError(f"`{text}` is not a Python version", hint=_PYTHON_HINT)
    if version[0] != 3 or version[1] < OLDEST_PYTHON[1]:
        raise TargetError(
            f"Python {text} is not supported: omniwheel locks for CPython 3.8 and newer",
            hint=_PYTHON_HINT,
        )
    if len(version) == 3 and version[2] != 0:
        return (version[0], version[1], version[2])
    return (version[0], version[1])


def _supported_arches(os: Os) -> str:
    names = [spelling for (each, _), spelling in _ARCH_SPELLING.items() if each is os]
    return f"{OS_DISPLAY[os]} targets exist for: {', '.join(names)}"


def _assign(obj: object, **fields: object) -> None:
    """Store normalised field values on a frozen dataclass while it is being built."""
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


def _dotted(floor: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in floor)


# --- tags and fits (cached: targets are frozen and few) ------------------------------------


def _manylinux_tags(arch: Arch, floor: Floor) -> Iterator[str]:
    """``manylinux_2_M_arch`` from the floor down, each followed by its legacy alias.

    ``linux_ARCH`` is left out on purpose: such wheels are built for one machine and are
    not installable from an index.
    """
    for minor in range(floor[1], _OLDEST_GLIBC_MINOR[arch] - 1, -1):
        yield f"manylinux_2_{minor}_{arch}"
        # aarch64 stops at 2_17, so it only ever gets the manylinux2014 alias.
        legacy = _LEGACY_MANYLINUX.get(minor)
        if legacy is not None:
            yield f"{legacy}_{arch}"


def _musllinux_tags(arch: Arch, floor: Floor) -> Iterator[str]:
    for minor in range(floor[1], -1, -1):
        yield f"musllinux_{floor[0]}_{minor}_{arch}"


def cpython_wheel_tags(
    python: tuple[int, int], platforms: list[str], *, free_threaded: bool = False
) -> tuple[Tag, ...]:
    """Every wheel tag a CPython ``python`` on these platform tags installs, best first.

    Its own ABI (``cp312``, or ``cp313t`` when free-threaded), then abi3 and ``none``, then the
    pure-Python tags; computed by :mod:`packaging.tags` from these values alone.
    """
    interpreter = f"cp{python[0]}{python[1]}"
    abi = f"{interpreter}t" if free_threaded else interpreter
    tags = (
        *cpython_tags(python_version=python, abis=[abi], platforms=platforms),
        *compatible_tags(python_version=python, interpreter=interpreter, platforms=platforms),
    )
    return tuple(dict.fromkeys(tags))


# A lock's few targets are asked for their platform, name and order thousands of times (every
# target-keyed table, message and sorted list): each is made once per target.
@functools.cache
def _target_platform(target: Target) -> PlatformSpec:
    return PlatformSpec(
        os=target.os,
        arch=target.arch,
        libc=target.libc,
        libc_floor=target.libc_floor,
        macos_floor=target.macos_floor,
    )


@functools.cache
def _target_name(target: Target) -> str:
    return f"{target.platform_name}@{format_python(target.python)}"


@functools.cache
def _target_sort_key(target: Target) -> tuple[int, int, int, Floor, Floor, tuple[int, int, int]]:
    patch = target.python[2] if len(target.python) == 3 else 0
    return (
        list(Os).index(target.os),
        list(Arch).index(target.arch),
        -1 if target.libc is None else list(Libc).index(target.libc),
        target.libc_floor or (0, 0),
        target.macos_floor or (0, 0),
        (target.python[0], target.python[1], patch),
    )


@functools.cache
def _target_tags(target: Target) -> tuple[Tag, ...]:
    minor = (target.python[0], target.python[1])
    return cpython_wheel_tags(minor, list(target.platform.platform_tags()))


@functools.cache
def _target_tag_ranks(target: Target) -> Mapping[Tag, int]:
    return MappingProxyType({tag: rank for rank, tag in enumerate(_target_tags(target))})


_TEXTS: dict[int, tuple[SpecifierSet, str]] = {}
_TEXTS_KEPT = 1 << 16


def _text_of(spec: SpecifierSet) -> str:
    """``str(spec)``, made once per specifier object (it sorts and joins its parts): resolution
    asks about the same few dozen Requires-Python objects thousands of times.  Each object is
    held with its text, so that its id is not reused; nothing changes a specifier's text."""
    known = _TEXTS.get(id(spec))
    if known is None:
        if len(_TEXTS) >= _TEXTS_KEPT:  # a bound for long-lived processes, never met by a lock
            _TEXTS.clear()
        known = _TEXTS[id(spec)] = (spec, str(spec))
    return known[1]


@functools.cache
def _fits(spec_text: str, python: PythonVersion, pinned: Version | None) -> bool:
    spec = SpecifierSet(spec_text)
    if pinned is not None:
        return spec.contains(pinned, prereleases=True)
    return all(spec.contains(release, prereleases=False) for release in releases_of(python))


def _within(release: Version, python: PythonVersion) -> bool:
    """Whether ``release`` is one the target Python ``python`` stands for."""
    parts = (*release.release, 0, 0)[:3]
    floor = python[2] if len(python) == 3 else 0
    return len(release.release) <= 3 and parts[:2] == python[:2] and floor <= parts[2] <= LAST_PATCH


def _describe_python(python: PythonVersion) -> str:
    if len(python) == 3:
        return f"{python[0]}.{python[1]}.{python[2]} and later {python[0]}.{python[1]} releases"
    return f"every {python[0]}.{python[1]}.y release"
