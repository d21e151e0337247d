"""The text grammar of platform names: ``os-arch[-libc[floor]][-macosfloor]`` and Julia triplets.

Private machinery of :mod:`omniwheel.platform.target`, kept apart the way ``packaging`` keeps its
parsers apart: it reads a name into plain parts (canonical OS, architecture and libc words, and
floors) and raises :class:`~omniwheel.errors.TargetError` saying which part is wrong.  Whether the
parts make a supported platform (i686 macOS, a glibc floor without manylinux tags) is decided
where :class:`~omniwheel.platform.target.PlatformSpec` is built from them, so this module needs
nothing from ``target.py`` and imports run one way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from omniwheel.errors import TargetError

GRAMMAR_HINT = (
    "write a target as os-arch[-libc[floor]][-macosfloor][@3.X[.Y]], e.g. linux-x86_64, "
    "linux-aarch64-musl, linux-x86_64-glibc2.17, macos-arm64, macos-x86_64-12.0, "
    "windows-x86_64@3.12; Julia triplets such as x86_64-linux-gnu, aarch64-apple-darwin or "
    "x86_64-w64-mingw32 work too"
)

# How messages name each OS (keys are the values of target.Os).
OS_DISPLAY: Mapping[str, str] = MappingProxyType(
    {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
)

# Every spelling accepted in a name, to the canonical word (the values of Os, Arch and Libc).
_OS_ALIASES = MappingProxyType(
    {
        "linux": "linux",
        "macos": "macos",
        "darwin": "macos",
        "osx": "macos",
        "mac": "macos",
        "windows": "windows",
        "win": "windows",
        "win32": "windows",
    }
)
_ARCH_ALIASES = MappingProxyType(
    {
        "x86_64": "x86_64",
        "amd64": "x86_64",
        "x64": "x86_64",
        "aarch64": "aarch64",
        "arm64": "aarch64",
        "i686": "i686",
        "i386": "i686",
        "x86": "i686",
    }
)
_LIBC_ALIASES = MappingProxyType({"glibc": "glibc", "gnu": "glibc", "musl": "musl"})

_LIBC_PART = re.compile(r"(?P<libc>[a-z]+?)(?P<floor>[0-9]+\.[0-9]+)?", re.ASCII)
_FLOOR_PART = re.compile(r"(?P<major>[0-9]+)(?:\.(?P<minor>[0-9]+))?", re.ASCII)

_OS_HINT = "known OSes: linux, macos (or darwin, osx, mac), windows (or win, win32)"
_ARCH_HINT = "known architectures: x86_64 (or amd64, x64), aarch64 (or arm64), i686 (or x86, i386)"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformParts:
    """A platform name as read, with canonical words; not yet checked to be supported."""

    os: str
    arch: str
    libc: str | None = None
    libc_floor: tuple[int, int] | None = None
    macos_floor: tuple[int, int] | None = None


def parse_platform_text(text: str) -> PlatformParts:
    """Read a lower-case platform name (no ``@X.Y``); :class:`TargetError` names the bad part."""
    parts = text.split("-")
    if "" in parts:
        raise TargetError("empty part (a doubled dash, or a dash at an end)")
    if len(parts) >= 2 and parts[1] in ("linux", "apple", "w64"):
        return _julia_triplet(parts)
    os = _lookup(_OS_ALIASES, parts[0], "OS", _OS_HINT)
    if len(parts) == 1:
        raise TargetError(f"no architecture after `{parts[0]}`", hint=_ARCH_HINT)
    arch = _lookup(_ARCH_ALIASES, parts[1], "architecture", _ARCH_HINT)
    if len(parts) > 3:
        raise TargetError(f"too many parts after the architecture: `{'-'.join(parts[2:])}`")
    if len(parts) == 2:
        return PlatformParts(os=os, arch=arch)
    return _with_extra_part(os, arch, parts[2])


def extra_part_hint(os: str) -> str:
    """What may follow the architecture in a name for this OS (``os`` is an Os value)."""
    if os == "linux":
        return (
            "after a Linux architecture comes a libc, optionally with its floor: glibc, musl, "
            "glibc2.17, musl1.1"
        )
    if os == "macos":
        return "after a macOS architecture comes only a macOS floor, e.g. macos-x86_64-12.0"
    return "Windows targets are just windows-ARCH, e.g. windows-x86_64 or windows-arm64"


def _with_extra_part(os: str, arch: str, part: str) -> PlatformParts:
    """The platform with its third part: a libc (Linux) or a macOS floor."""
    if floor := _FLOOR_PART.fullmatch(part):
        if os == "linux":
            raise TargetError(
                f"a Linux floor goes with its libc: `glibc{part}` or `musl{part}`, not `{part}`",
                hint=extra_part_hint(os),
            )
        if os == "windows":
            raise TargetError(f"Windows targets take no floor (`{part}`)", hint=extra_part_hint(os))
        return PlatformParts(os=os, arch=arch, macos_floor=_floor_of(floor))
    libc_part = _LIBC_PART.fullmatch(part)
    if libc_part is None or libc_part["libc"] not in _LIBC_ALIASES:
        raise TargetError(f"unknown part `{part}`", hint=extra_part_hint(os))
    if os != "linux":
        raise TargetError(
            f"{OS_DISPLAY[os]} targets have no libc (`{part}`)", hint=extra_part_hint(os)
        )
    libc = _LIBC_ALIASES[libc_part["libc"]]
    libc_floor = _floor_of(_FLOOR_PART.fullmatch(libc_part["floor"] or ""))
    return PlatformParts(os=os, arch=arch, libc=libc, libc_floor=libc_floor)


def _julia_triplet(parts: list[str]) -> PlatformParts:
    """``arch-linux-{gnu,musl}``, ``arch-apple-darwin[N]``, ``arch-w64-mingw32``."""
    arch = _lookup(_ARCH_ALIASES, parts[0], "architecture", _ARCH_HINT)
    if len(parts) != 3:
        raise TargetError(
            "a Julia triplet has exactly three parts here (no libgfortran/cxx/julia tags)",
            hint="e.g. x86_64-linux-gnu, x86_64-linux-musl, aarch64-apple-darwin, "
            "x86_64-w64-mingw32",
        )
    vendor, system = parts[1], parts[2]
    if vendor == "linux" and system in ("gnu", "musl"):
        return PlatformParts(os="linux", arch=arch, libc=_LIBC_ALIASES[system])
    if vendor == "apple" and re.fullmatch(r"darwin[0-9.]*", system):
        return PlatformParts(os="macos", arch=arch)
    if vendor == "w64" and system == "mingw32":
        return PlatformParts(os="windows", arch=arch)
    raise TargetError(
        f"unknown Julia triplet ending `{vendor}-{system}`",
        hint="Julia triplets end in linux-gnu, linux-musl, apple-darwin or w64-mingw32",
    )


def _lookup(aliases: Mapping[str, str], word: str, what: str, hint: str) -> str:
    try:
        return aliases[word]
    except KeyError:
        raise TargetError(f"unknown {what} `{word}`", hint=hint) from None


def _floor_of(match: re.Match[str] | None) -> tuple[int, int] | None:
    if match is None:
        return None
    return (int(match["major"]), int(match["minor"] or 0))
