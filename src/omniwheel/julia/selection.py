"""How Julia picks an Artifacts.toml entry for a machine, encoded in Python.

Julia describes a machine as a ``Platform``: a set of string tags (``arch``, ``os``, ``libc``,
…) built by ``Base.BinaryPlatforms``.  An ``[[name]]`` entry's string keys (but
``git-tree-sha1``) become such a platform; ``select_platform`` then picks the entry for the
host.  :class:`JuliaPlatform`, :func:`platforms_match` and :func:`select_platform` follow
``base/binaryplatforms.jl`` exactly (see ``../shared/reference/julia-artifacts.md``):

- construction lowercases ``os``, tag names and values, normalises ``arch`` aliases (``amd64``
  → ``x86_64``, ``arm64`` → ``aarch64``, …), fills ``libc = glibc`` on Linux and ``call_abi =
  eabihf`` on 32-bit ARM Linux, writes ``libgfortran_version``/``libstdcxx_version``/
  ``os_version`` as Julia prints the ``VersionNumber`` they parse to (``5``, ``05``, ``V5`` →
  ``5.0.0``; a value that does not parse is kept as it is, and fails only where Julia later
  reads it as a version: a cap, ``julia_version``, a triplet), and refuses a name or value
  holding any of ``+ - space / < > : " ' \\ | ? *`` (so any pre-release or build);
- two platforms match when every key that *both* carry compares equal (a key only one side has
  is skipped: a wildcard).  ``julia_version`` compares major.minor; on a host platform
  (:meth:`JuliaPlatform.host`) ``os_version`` and ``libstdcxx_version`` are caps the other side
  must not exceed;
- among matches the smallest ``match_loss`` (keys in either minus keys in both) wins, ties going
  to the lexicographically greatest :meth:`~JuliaPlatform.triplet`.

omniwheel's entries carry ``os``, ``arch``, ``libc`` (Linux) and a custom ``python`` tag with
the target's ``X.Y`` (:func:`julia_platform`).  Julia's own host platform has no ``python``
tag, so it needs *augmenting* (:func:`augmented_host`): with ``python`` on both sides it is
compared like any tag, and a host selects exactly the entry of its Python, or none when the
lock does not need the package there.

What a plain (non-augmented) host does: ``python`` is then a wildcard, so every entry for the
host's os/arch/libc matches, all with the same loss, and the greatest triplet wins — by string
order, so ``…-python+3.9`` beats ``…-python+3.13``, which beats ``…-python+3.12``.  A plain
host therefore gets the tree of whichever Python sorts last, and also gets packages the lock
needs only on other Pythons.  It is right only when the lock has one Python version per
platform.  Platform-free (single-table) entries are chosen on every host, plain or not.

The package passes the augmented platform itself::

    using Artifacts, Base.BinaryPlatforms
    include(joinpath(@__DIR__, "..", ".pkg", "platform_augmentation.jl"))
    numpy_tree() = @artifact_str("omniwheel_numpy", augment_platform!(HostPlatform()))

and Pkg picks the same entries at install time through ``.pkg/select_artifacts.jl``
(:func:`select_artifacts_jl`), which it runs instead of its own selection (Julia ≥ 1.7).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeVar

from omniwheel.julia import ArtifactError
from omniwheel.platform.target import Os, Target

PYTHON_TAG = "python"
"""The custom tag omniwheel's entries carry: the target's CPython ``X.Y``."""
UNKNOWN_PYTHON = "none"
"""What the augmentation sets when it finds no Python: a value no entry has."""

FORBIDDEN_CHARACTERS = "+- /<>:\"'\\|?*"
"""Characters Julia's ``add_tag!`` refuses in a tag name or value."""

RESERVED_TAGS = frozenset(
    {
        "arch",
        "os",
        "os_version",
        "libc",
        "call_abi",
        "libgfortran_version",
        "libstdcxx_version",
        "cxxstring_abi",
        "julia_version",
    }
)
_VERSION_TAGS = ("libgfortran_version", "libstdcxx_version", "os_version")
_ARCH_ALIASES = {
    "amd64": "x86_64",
    "i386": "i686",
    "i486": "i686",
    "i586": "i686",
    "armv6": "armv6l",
    "arm": "armv7l",
    "armv7": "armv7l",
    "armv8": "armv7l",
    "armv8l": "armv7l",
    "arm64": "aarch64",
    "ppc64le": "powerpc64le",
}
# Julia's `VERSION_REGEX` (base/version.jl), compiled there with the `i` and `x` flags and
# PCRE's UTF and UCP options.  Case-insensitive `[a-z]` there matches the 52 ASCII letters,
# U+017F (long s) and U+212A (Kelvin sign); `\d` matches any Unicode decimal digit, as in Python;
# `$` also matches before a final newline, as in Python.  Group numbers follow Julia's captures:
# major, minor, patch, a bare `-`, the pre-release, a bare `+`, the build.
_LETTER = "A-Za-z\u017f\u212a"
_IDENT = f"[0-9{_LETTER}-]"
_VERSION_NUMBER = re.compile(
    rf"""^
    [vV]?
    (\d+)
    (?:\.(\d+))?
    (?:\.(\d+))?
    (?:(-)|
    ([{_LETTER}]{_IDENT}*(?:\.{_IDENT}+)*|-(?:{_IDENT}+\.)*{_IDENT}+)?
    (?:(\+)|
    (?:\+((?:{_IDENT}+\.)*{_IDENT}+))?
    ))
    $""",
    re.VERBOSE,
)
_ASCII_DIGITS = re.compile(r"[0-9]+")
_VINT_MAX = 2**32 - 1
"""Julia's version parts are `UInt32`s (`VInt`); a larger part throws `OverflowError`."""
_IDENT_MAX = 2**64 - 1
"""Numeric pre-release and build identifiers are `UInt64`s."""
# Tags triplet() spells in its fixed part; every other tag is appended as `-key+value`.
_TRIPLET_FIXED = frozenset(
    {
        "os",
        "arch",
        "libc",
        "call_abi",
        "libgfortran_version",
        "libstdcxx_version",
        "cxxstring_abi",
        "os_version",
    }
)

_Value = TypeVar("_Value")


class PlatformTagError(ArtifactError):
    """A tag name or value Julia would refuse."""


_Ident = int | str
_IdentsOrder = tuple[int, tuple[tuple[int, int, str], ...]]
_VersionOrder = tuple[int, int, int, _IdentsOrder, _IdentsOrder]


@dataclass(frozen=True, slots=True)
class _JuliaVersion:
    """A Julia ``VersionNumber``: what the version tags are parsed to, compared and printed as."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[_Ident, ...] = ()
    build: tuple[_Ident, ...] = ()

    def __str__(self) -> str:
        """Julia's ``print(io, v)``: ``∞`` for ``typemax``, else ``M.m.p[-pre][+build]``."""
        if self == _TYPEMAX:
            return "∞"
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(ident) for ident in self.prerelease)
        if self.build:
            text += "+" + ".".join(str(ident) for ident in self.build)
        return text

    def order(self) -> _VersionOrder:
        """A key sorting as Julia's ``isless`` does (and equal exactly when ``==`` holds): a
        pre-release sorts below its release, an empty build (``1.0+``) above every build, and
        identifiers compare empty string < number < other string."""
        pre = (0, tuple(map(_ident_order, self.prerelease))) if self.prerelease else (1, ())
        build = (1, ()) if self.build == ("",) else (0, tuple(map(_ident_order, self.build)))
        return (self.major, self.minor, self.patch, pre, build)


_TYPEMAX = _JuliaVersion(major=_VINT_MAX, minor=_VINT_MAX, patch=_VINT_MAX, build=("",))


class Strategy(StrEnum):
    """How a tag's values compare (Julia's "comparison strategies")."""

    DEFAULT = "default"
    JULIA_VERSION = "julia_version"
    """Equal major and minor version."""
    VERSION_CAP = "version_cap"
    """On the side that requests it, the value is a cap the other side may not exceed."""


@dataclass(frozen=True, slots=True)
class JuliaPlatform:
    """A Julia ``Platform``: normalised tags (``arch`` and ``os`` among them) and the
    non-default comparison strategies.  Build it with :meth:`of`."""

    tags: tuple[tuple[str, str], ...]
    strategies: tuple[tuple[str, Strategy], ...] = ()

    @classmethod
    def of(cls, arch: str, os: str, tags: Mapping[str, str] | None = None) -> JuliaPlatform:
        """``Platform(arch, os, tags)`` as Julia builds it (without strict validation)."""
        values = {"arch": _normal_arch(arch), "os": os.lower()}
        for name, value in (tags or {}).items():
            key = name.lower()
            if key in ("arch", "os"):
                raise PlatformTagError(f"tag `{name}` is given twice")
            text = _normal_version(value) if key in _VERSION_TAGS else value
            values[key] = _checked_tag(key, text)
        if values["os"] == "linux":
            values.setdefault("libc", "glibc")
            if values["arch"] in ("armv7l", "armv6l"):
                values.setdefault("call_abi", "eabihf")
        strategies = {"julia_version": Strategy.JULIA_VERSION} if "julia_version" in values else {}
        return cls(tags=tuple(sorted(values.items())), strategies=tuple(sorted(strategies.items())))

    def get(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    def as_dict(self) -> dict[str, str]:
        return dict(self.tags)

    def strategy(self, key: str) -> Strategy:
        return dict(self.strategies).get(key, Strategy.DEFAULT)

    def with_tag(self, key: str, value: str) -> JuliaPlatform:
        """``platform[key] = value`` (what an augmentation does)."""
        values = {**self.as_dict(), key: _checked_tag(key, value)}
        return replace(self, tags=tuple(sorted(values.items())))

    def host(self) -> JuliaPlatform:
        """``HostPlatform(p)``: ``os_version`` and ``libstdcxx_version`` become caps."""
        strategies = self.strategy_map()
        for key in ("os_version", "libstdcxx_version"):
            if self.get(key) is not None:
                strategies[key] = Strategy.VERSION_CAP
        return replace(self, strategies=tuple(sorted(strategies.items())))

    def strategy_map(self) -> dict[str, Strategy]:
        return dict(self.strategies)

    def triplet(self) -> str:
        """Julia's ``triplet(p)``, e.g. ``x86_64-linux-gnu-python+3.12``.

        Julia appends the extra tags in ``Dict`` order, which is unspecified; here they are
        sorted.  The order matters only for platforms with two or more extra tags, which
        omniwheel never writes.
        """
        tags = self.as_dict()
        text = tags["arch"] + _os_part(tags) + _libc_part(tags) + tags.get("call_abi", "")
        if "libgfortran_version" in tags:
            text += f"-libgfortran{_version(tags['libgfortran_version']).major}"
        if "cxxstring_abi" in tags:
            text += f"-{tags['cxxstring_abi']}"
        if "libstdcxx_version" in tags:
            text += f"-libstdcxx{_version(tags['libstdcxx_version']).patch}"
        extras = sorted((k, v) for k, v in tags.items() if k not in _TRIPLET_FIXED)
        return text + "".join(f"-{key}+{value}" for key, value in extras)


def platforms_match(a: JuliaPlatform, b: JuliaPlatform) -> bool:
    """Julia's ``platforms_match(a, b)``: every key both carry compares equal."""
    a_tags, b_tags = a.as_dict(), b.as_dict()
    for key in a_tags.keys() & b_tags.keys():
        a_strategy, b_strategy = a.strategy(key), b.strategy(key)
        if Strategy.DEFAULT not in (a_strategy, b_strategy) and a_strategy != b_strategy:
            raise PlatformTagError(
                f"cannot compare platforms with two different strategies for `{key}`"
            )
        strategy = b_strategy if b_strategy is not Strategy.DEFAULT else a_strategy
        a_asks, b_asks = a_strategy == strategy, b_strategy == strategy
        if not _compare(strategy, a_tags[key], b_tags[key], a_asks=a_asks, b_asks=b_asks):
            return False
    return True


def match_loss(a: JuliaPlatform, b: JuliaPlatform) -> int:
    """How incomplete a match is: keys either platform has minus keys both have."""
    a_keys, b_keys = a.as_dict().keys(), b.as_dict().keys()
    return len(a_keys | b_keys) - len(a_keys & b_keys)


def select_platform(
    candidates: Mapping[JuliaPlatform, _Value], host: JuliaPlatform
) -> _Value | None:
    """Julia's ``select_platform``: the best-matching candidate's value, or None.

    Matches are ranked by :func:`match_loss` against ``host``, ties broken by the greatest
    triplet.  Candidates with equal loss *and* triplet keep their given order (Julia's order
    there follows its ``Dict`` and is unspecified).
    """
    matches = [platform for platform in candidates if platforms_match(platform, host)]
    if not matches:
        return None
    losses = {platform: match_loss(platform, host) for platform in matches}
    shared = Counter(losses.values())
    # Julia's sort asks for a triplet only to break a tie in loss, and a comparison sort must
    # compare every tied match with a neighbour: exactly these triplets are computed, so a
    # triplet Julia cannot print (an unreadable version tag) fails here when it fails there.
    triplets = {p: p.triplet() for p in matches if shared[losses[p]] > 1}
    best = min(losses.values())
    tied = [platform for platform in matches if losses[platform] == best]
    return candidates[max(tied, key=lambda platform: triplets.get(platform, ""))]


# --- omniwheel's tags --------------------------------------------------------------------------


def julia_platform(target: Target) -> dict[str, str]:
    """The platform keys an omniwheel entry for ``target`` carries: ``os``, ``arch``,
    ``libc`` (Linux only) and ``python`` (``X.Y``; a patch floor is dropped, since Julia
    compares tags as strings and the host knows its minor version)."""
    tags = {"os": str(target.os), "arch": str(target.arch)}
    if target.os is Os.LINUX and target.libc is not None:
        tags["libc"] = str(target.libc)
    tags[PYTHON_TAG] = target.python_version
    return tags


def entry_platform(target: Target) -> JuliaPlatform:
    """The Julia platform an entry for ``target`` reads as."""
    tags = julia_platform(target)
    return JuliaPlatform.of(tags.pop("arch"), tags.pop("os"), tags)


def plain_host(
    target: Target, *, julia_version: str = "1.10.4", extra: Mapping[str, str] | None = None
) -> JuliaPlatform:
    """The ``HostPlatform()`` a Julia on ``target``'s machine has: arch, os, libc, and the
    compiler ABI tags ``host_triplet()`` adds (``libgfortran5``, ``cxx11`` and
    ``libstdcxx30`` where libstdc++ is used) plus ``julia_version`` — no ``python``."""
    tags = {"libgfortran_version": "5", "julia_version": julia_version}
    if target.os is not Os.MACOS:
        tags |= {"cxxstring_abi": "cxx11", "libstdcxx_version": "3.4.30"}
    if target.os is Os.LINUX and target.libc is not None:
        tags["libc"] = str(target.libc)
    tags |= extra or {}
    return JuliaPlatform.of(str(target.arch), str(target.os), tags).host()


def augmented_host(
    target: Target, *, julia_version: str = "1.10.4", extra: Mapping[str, str] | None = None
) -> JuliaPlatform:
    """:func:`plain_host` after ``augment_platform!``: with ``python = "X.Y"``."""
    host = plain_host(target, julia_version=julia_version, extra=extra)
    return host.with_tag(PYTHON_TAG, target.python_version)


# --- the Julia side ----------------------------------------------------------------------------

PLATFORM_AUGMENTATION_JL = """\
# Generated by omniwheel; do not edit (`omniwheel artifacts write` rewrites it).
#
# `augment_platform!(p)` adds the `python` tag -- the X.Y version of the Python your package
# runs -- so that the omniwheel_* entries of Artifacts.toml built for that Python are chosen:
#     @artifact_str("omniwheel_numpy", augment_platform!(HostPlatform()))
# The version comes from ENV["OMNIWHEEL_PYTHON_VERSION"], else from asking the interpreter in
# ENV["JULIA_PYTHONCALL_EXE"] (PythonCall) or ENV["PYTHON"] (PyCall), else `python3` or
# `python` on PATH.  With no Python found it is "none", which no per-Python entry matches.
using Base.BinaryPlatforms

function omniwheel_python_version()
    version = get(ENV, "OMNIWHEEL_PYTHON_VERSION", "")
    isempty(version) || return version
    for exe in (get(ENV, "JULIA_PYTHONCALL_EXE", ""), get(ENV, "PYTHON", ""), "python3", "python")
        (isempty(exe) || startswith(exe, "@")) && continue
        cmd = `$exe -c "import sys; print('%d.%d' % sys.version_info[:2])"`
        out = try
            readchomp(pipeline(cmd; stderr=devnull))
        catch
            ""
        end
        occursin(r"^\\d+\\.\\d+$", out) && return out
    end
    return "none"
end

function augment_platform!(platform::Platform)
    haskey(platform, "python") || (platform["python"] = omniwheel_python_version())
    return platform
end
"""
"""``.pkg/platform_augmentation.jl``: Julia code adding the ``python`` tag to a platform."""


PYTHON_VERSION_VARIABLE = "OMNIWHEEL_PYTHON_VERSION"
PYTHON_EXECUTABLE_VARIABLES = ("JULIA_PYTHONCALL_EXE", "PYTHON")
PYTHON_COMMANDS = ("python3", "python")


def julia_python_request(
    environ: Mapping[str, str], which: Callable[[str], str | None]
) -> str | None:
    """The Python :data:`PLATFORM_AUGMENTATION_JL` asks, as a ``--python`` request (a version
    or an executable), looked up in the same order; None when it would find none.

    Placing trees for Julia (``sync --julia-depot``, ``run --artifacts``) uses this Python's
    ``X.Y`` so the depot holds the trees the package's augmented selection will want.
    """
    version = environ.get(PYTHON_VERSION_VARIABLE, "")
    if version:
        return version
    for variable in PYTHON_EXECUTABLE_VARIABLES:
        executable = environ.get(variable, "")
        if executable and not executable.startswith("@"):
            return executable
    return next((found for name in PYTHON_COMMANDS if (found := which(name))), None)


def select_artifacts_jl(artifacts_file: str = "Artifacts.toml") -> str:
    """``.pkg/select_artifacts.jl``: Pkg runs it at install time (Julia ≥ 1.7) with the
    target triplet and installs the entries it prints — those for the augmented platform.
    Lazy entries are left to be fetched on first use (``using LazyArtifacts``)."""
    return f"""\
# Generated by omniwheel; do not edit.  Pkg runs this instead of its own artifact selection
# so that the omniwheel_* entries for the Python in use are the ones installed.
using TOML, Artifacts, Base.BinaryPlatforms
include("./platform_augmentation.jl")
artifacts_toml = joinpath(dirname(@__DIR__), {_julia_string(artifacts_file)})
target_triplet = get(ARGS, 1, Base.BinaryPlatforms.host_triplet())
platform = augment_platform!(HostPlatform(parse(Platform, target_triplet)))
TOML.print(stdout, select_downloadable_artifacts(artifacts_toml; platform))
"""


# --- helpers -----------------------------------------------------------------------------------


def _normal_arch(arch: str) -> str:
    lowered = arch.lower()
    return _ARCH_ALIASES.get(lowered, lowered)


def _normal_version(value: str) -> str:
    """What ``Platform()`` stores for a version tag before ``add_tag!``: ``string(v)`` when
    ``tryparse(VersionNumber, value)`` gives a ``v`` (``"05"`` → ``"5.0.0"``), else ``value``."""
    version = _tryparse_version(value)
    return value if version is None else str(version)


def _tryparse_version(value: str) -> _JuliaVersion | None:
    """Julia's ``tryparse(VersionNumber, value)``: None where it returns ``nothing``.

    Where Julia's ``tryparse`` *throws* instead — a part too large for its integer type, or a
    non-ASCII digit its regex accepts but ``parse`` refuses — this raises
    :class:`PlatformTagError`, since the ``Platform`` (and so the whole artifact lookup) fails.
    """
    if value == "∞":
        return _TYPEMAX
    match = _VERSION_NUMBER.match(value)
    if match is None:
        return None
    major, minor, patch, minus, prerelease, plus, build = match.groups()
    parts = [_version_int(value, part or "0", _VINT_MAX) for part in (major, minor, patch)]
    if prerelease is not None and prerelease.startswith("-"):
        prerelease = prerelease[1:]
    pre = _split_idents(value, prerelease) if prerelease is not None else ("",) if minus else ()
    built = _split_idents(value, build) if build is not None else ("",) if plus else ()
    return _JuliaVersion(
        major=parts[0], minor=parts[1], patch=parts[2], prerelease=pre, build=built
    )


def _split_idents(value: str, text: str) -> tuple[_Ident, ...]:
    return tuple(
        _version_int(value, ident, _IDENT_MAX) if ident.isdecimal() else ident
        for ident in text.split(".")
    )


def _version_int(value: str, digits: str, limit: int) -> int:
    if _ASCII_DIGITS.fullmatch(digits) is None:
        raise PlatformTagError(f"`{value}`: Julia cannot read the digits `{digits}` of a version")
    number = int(digits)
    if number > limit:
        raise PlatformTagError(f"`{value}`: the version part `{digits}` overflows in Julia")
    return number


def _ident_order(ident: _Ident) -> tuple[int, int, str]:
    if isinstance(ident, int):
        return (1, ident, "")
    return (0, 0, "") if ident == "" else (2, 0, ident)


def _version(value: str) -> _JuliaVersion:
    """Julia's ``VersionNumber(value)``, which throws where ``tryparse`` gives ``nothing``."""
    version = _tryparse_version(value)
    if version is None:
        raise PlatformTagError(f"`{value}` is not a version number Julia can read")
    return version


def _checked_tag(key: str, value: str) -> str:
    """Julia's ``add_tag!``: the value lowercased; forbidden characters refused."""
    lowered = value.lower()
    for what, text in (("name", key), ("value", lowered)):
        bad = sorted({char for char in text if char in FORBIDDEN_CHARACTERS})
        if bad:
            shown = " ".join(f"`{char}`" for char in bad)
            raise PlatformTagError(f"tag {what} `{text}` contains {shown}, which Julia refuses")
    return lowered


def _compare(strategy: Strategy, a: str, b: str, *, a_asks: bool, b_asks: bool) -> bool:
    if strategy is Strategy.JULIA_VERSION:
        a_version, b_version = _version(a), _version(b)
        return (a_version.major, a_version.minor) == (b_version.major, b_version.minor)
    if strategy is Strategy.VERSION_CAP:
        a_order, b_order = _version(a).order(), _version(b).order()
        if a_asks and b_asks:
            return a_order == b_order
        return b_order <= a_order if a_asks else a_order <= b_order
    return a == b


def _os_part(tags: Mapping[str, str]) -> str:
    os = tags["os"]
    version = tags.get("os_version")
    if os == "linux":
        return "-linux"
    if os == "macos":
        return f"-apple-darwin{_version(version).major if version else ''}"
    if os == "windows":
        return "-w64-mingw32"
    if os == "freebsd":
        parsed = _version(version) if version else None
        suffix = f"{parsed.major}.{parsed.minor}" if parsed else ""
        return f"-unknown-freebsd{suffix}"
    if os == "openbsd":
        return "-unknown-openbsd"
    return "-unknown"


def _libc_part(tags: Mapping[str, str]) -> str:
    libc = tags.get("libc")
    if libc is None:
        return ""
    return "-gnu" if libc == "glibc" else f"-{libc}"


def _julia_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'
