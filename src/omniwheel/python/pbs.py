"""python-build-standalone releases: their checksum list, asset names, and the build a target pins.

A python-build-standalone (PBS) release is a tag (a date such as ``20250311``) and a set of
assets listed, each with its sha256, in one ``SHA256SUMS`` file (``{sha256}  {file}`` lines).
That file alone is enough to lock interpreters, as index metadata is enough to lock wheels: no
archive is downloaded to lock.  This module is pure: it reads that text
(:func:`parse_release`), reads asset names (:func:`parse_asset_name`), maps omniwheel targets to
PBS triples (:func:`triple_for`), chooses one build per target (:func:`choose_build`,
:func:`pin_targets`) and spells URLs (:func:`asset_url`, :func:`download_url`).  Fetching the file
is :mod:`omniwheel.python.release_fetch`; unpacking an archive is
:mod:`omniwheel.store.python_archive`.

Only ``install_only_stripped`` and ``install_only`` ``.tar.gz`` archives are used (gzip needs
nothing outside the standard library).  Other assets are recognised and skipped, each with the
reason: ``full`` ``.tar.zst`` archives, ``freethreaded`` and ``debug`` builds, ``+static`` and
Windows ``-static`` variants, ``x86_64_v2``..``v4`` microarchitecture builds (they crash on older
CPUs; baseline ``x86_64`` runs everywhere), and musl builds before ``20250311`` (statically
linked: they cannot load the extension modules in musllinux wheels).

The lock records the *canonical* URL (:data:`RELEASE_DOWNLOAD`); a mirror is machine
configuration applied when downloading, with uv's ``UV_PYTHON_INSTALL_MIRROR`` layout
``{mirror}/{tag}/{asset}`` so that one mirror serves both tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import quote, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from omniwheel.errors import OmniwheelError
from omniwheel.index.discovery import strip_credentials
from omniwheel.platform.target import Arch, Libc, Os, PlatformSpec, Target, format_python

RELEASE_DOWNLOAD = "https://github.com/astral-sh/python-build-standalone/releases/download"
"""The canonical download prefix: ``{RELEASE_DOWNLOAD}/{tag}/{asset}`` (uv's mirror prefix)."""

DEFAULT_PYTHON_RELEASE = "20260814"
"""The release this omniwheel version names: a lock pins from it when no release is given
(``--python-release``, ``[tool.omniwheel] python-release``).  A lock keeps the release it was
made with, like a locked version, so a newer omniwheel naming a newer release does not move
its pins; ``lock --upgrade`` moves them to this one.  (That this release exists with these
builds was not verified here: the release host cannot be reached from this machine.)"""
MIRROR_VARIABLE = "OMNIWHEEL_PYTHON_MIRROR"
"""The environment variable naming a mirror (uv's ``UV_PYTHON_INSTALL_MIRROR`` layout)."""

CHECKSUMS_FILE = "SHA256SUMS"
MUSL_DYNAMIC_SINCE = "20250311"
"""The first release whose musl builds are dynamically linked (earlier ones are static)."""

Implementation = Literal["cpython"]

_TAG = re.compile(r"[0-9]{8}", re.ASCII)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_CHECKSUM_LINE = re.compile(r"(?P<sha256>\S+) [ *](?P<file>\S.*)", re.ASCII)
_ASSET = re.compile(
    r"cpython-(?P<version>[0-9]+\.[0-9]+\.[0-9]+(?:(?:a|b|rc)[0-9]+)?)"
    r"\+(?P<tag>[0-9]{8})-(?P<rest>[A-Za-z0-9_.+-]+)\.(?P<archive>tar\.gz|tar\.zst)",
    re.ASCII,
)
_MICROARCH = re.compile(r"x86_64_v[234]", re.ASCII)
_MIRROR_SCHEMES = frozenset({"http", "https", "file"})
_PBS_ARCH = {Arch.X86_64: "x86_64", Arch.AARCH64: "aarch64", Arch.I686: "i686"}


class Flavor(StrEnum):
    """The archive flavours omniwheel installs, best first."""

    INSTALL_ONLY_STRIPPED = "install_only_stripped"
    INSTALL_ONLY = "install_only"


_FLAVOR_RANK = {Flavor.INSTALL_ONLY_STRIPPED: 0, Flavor.INSTALL_ONLY: 1}
_FLAVOR_NAMES = frozenset(flavor.value for flavor in Flavor)


class InterpreterError(OmniwheelError):
    """Pinning, fetching or installing a standalone interpreter failed (the family)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumProblem:
    """One bad line of a ``SHA256SUMS`` file."""

    line: int | None
    """1-based; None for a problem of the whole file."""
    problem: str

    def __str__(self) -> str:
        return self.problem if self.line is None else f"line {self.line}: {self.problem}"


class ChecksumsError(InterpreterError):
    """A ``SHA256SUMS`` file that cannot be trusted as a list of assets; every problem at once."""

    def __init__(self, url: str, problems: Iterable[ChecksumProblem]) -> None:
        self.url = strip_credentials(url)
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"{self.url} is not a usable SHA256SUMS file ({count} "
            f"{'problem' if count == 1 else 'problems'}):\n{lines}",
            hint="check that the release tag and the mirror are right (the mirror must hold "
            "the release's own SHA256SUMS, `{sha256}  {file}` per line)",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingBuild:
    """Why one target has no usable build in a release, and what the release has instead."""

    target: Target
    triple: str
    reason: str
    available: tuple[str, ...]
    """The usable builds of the triple in the release (``3.12.8 install_only_stripped``)."""

    def __str__(self) -> str:
        found = ", ".join(self.available) or "none"
        return f"{self.target} ({self.triple}): {self.reason}; builds for {self.triple}: {found}"


class NoBuildError(InterpreterError):
    """Some targets have no interpreter build in the release; lists every one of them."""

    def __init__(self, release: str, missing: Iterable[MissingBuild]) -> None:
        self.release = release
        self.missing = tuple(missing)
        lines = "\n".join(f"  - {item}" for item in self.missing)
        noun = "target has" if len(self.missing) == 1 else "targets have"
        super().__init__(
            f"python-build-standalone release {release}: {len(self.missing)} {noun} no "
            f"interpreter build:\n{lines}",
            hint="choose another release (`python-release` in [tool.omniwheel]), or drop the "
            "target (its Python version from `requires-python`, or its platform from "
            "`platforms`)",
        )


class MirrorError(InterpreterError):
    """An interpreter mirror setting that is not a usable base URL."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumEntry:
    """One line of ``SHA256SUMS``: a file name and its sha256 (lower-case hex)."""

    filename: str
    sha256: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetName:
    """A CPython asset name, read: ``cpython-{version}+{tag}-{triple}-{build}.{archive}``."""

    filename: str
    version: Version
    tag: str
    triple: str
    """As omniwheel looks it up: a Windows ``-shared`` suffix (older releases) is dropped."""
    build: tuple[str, ...]
    """The dash-separated parts after the triple: ``("install_only_stripped",)``,
    ``("freethreaded", "install_only")``, ``("pgo+lto", "full")``, …"""
    archive: Literal["tar.gz", "tar.zst"]
    static: bool = False
    """A statically linked build (``+static``, Windows ``-static``, musl before 20250311)."""

    @property
    def flavor(self) -> Flavor | None:
        """The flavour when omniwheel installs this asset, else None (see :attr:`skip_reason`)."""
        return None if self.skip_reason is not None else Flavor(self.build[0])

    @property
    def skip_reason(self) -> str | None:
        """Why omniwheel does not install this asset, or None when it does."""
        build = "-".join(self.build)
        checks = (
            (
                self.archive != "tar.gz",
                f"a .{self.archive} archive (only install_only .tar.gz archives are used)",
            ),
            (
                _MICROARCH.match(self.triple) is not None,
                "an x86_64_v2..v4 build (needs a newer CPU; baseline x86_64 is used)",
            ),
            (self.static, "statically linked (cannot load extension modules)"),
            ("freethreaded" in build, "a free-threaded build"),
            ("debug" in build, "a debug build"),
            (
                build not in _FLAVOR_NAMES,
                f"the `{build}` variant (only install_only archives are used)",
            ),
        )
        return next((reason for failed, reason in checks if failed), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseAsset:
    """An asset omniwheel can install: its read name, flavour and sha256."""

    name: AssetName
    flavor: Flavor
    sha256: str

    @property
    def filename(self) -> str:
        return self.name.filename

    @property
    def version(self) -> Version:
        return self.name.version

    @property
    def triple(self) -> str:
        return self.name.triple


@dataclass(frozen=True, slots=True, kw_only=True)
class PbsRelease:
    """A release as its ``SHA256SUMS`` describes it: what omniwheel can install, and the rest."""

    tag: str
    url: str
    """Where ``SHA256SUMS`` was read (credentials removed), for messages."""
    assets: tuple[ReleaseAsset, ...]
    skipped: tuple[AssetName, ...]
    """CPython assets recognised but not installable (:attr:`AssetName.skip_reason`)."""

    def builds_for(self, triple: str) -> tuple[ReleaseAsset, ...]:
        """The installable assets for ``triple``, newest version first, best flavour first."""
        mine = sorted(
            (asset for asset in self.assets if asset.triple == triple),
            key=lambda asset: _FLAVOR_RANK[asset.flavor],
        )
        return tuple(sorted(mine, key=lambda asset: asset.version, reverse=True))  # stable


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedPython:
    """One interpreter build, exactly: what a lock records for the targets it serves.

    Hashable, so targets that share a build share one value (one lock record).  ``url`` is the
    canonical URL, never a mirror's; ``executable`` and ``libpython`` are paths inside the
    archive (``/``-separated).
    """

    implementation: Implementation = "cpython"
    version: Version
    release: str
    triple: str
    flavor: Flavor
    url: str
    sha256: str
    executable: str
    libpython: str

    @property
    def filename(self) -> str:
        """The asset's file name, as in ``SHA256SUMS``."""
        return asset_filename(self.version, self.release, self.triple, self.flavor)

    def describe(self) -> str:
        """For messages: ``CPython 3.12.1 (x86_64-unknown-linux-gnu, release 20250311)``."""
        return f"CPython {self.version} ({self.triple}, release {self.release})"


# --- reading SHA256SUMS and asset names -------------------------------------------------------


def parse_checksums(text: str, *, url: str) -> tuple[ChecksumEntry, ...]:
    """Read ``SHA256SUMS`` text (``{sha256}  {file}``, or ``{sha256} *{file}``, per line).

    Blank lines are skipped; a file listed twice with one hash counts once.  Bad lines (shape,
    hash) and a file listed with two hashes raise :class:`ChecksumsError` naming ``url`` and
    every bad line at once.
    """
    entries: dict[str, ChecksumEntry] = {}
    problems: list[ChecksumProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            continue
        entry, problem = _checksum_line(number, line)
        if problem is None and entry is not None:
            problem = _conflict(entries.get(entry.filename), entry)
            entries.setdefault(entry.filename, entry)
        if problem is not None:
            problems.append(ChecksumProblem(line=number, problem=problem))
    if problems:
        raise ChecksumsError(url, problems)
    if not entries:
        raise ChecksumsError(url, [ChecksumProblem(line=None, problem="the file lists no assets")])
    return tuple(entries.values())


def _checksum_line(number: int, line: str) -> tuple[ChecksumEntry | None, str | None]:
    match = _CHECKSUM_LINE.fullmatch(line)
    if match is None:
        return None, f"`{_quoted(line)}` is not `{{sha256}}  {{file}}`"
    sha256, filename = match["sha256"], match["file"]
    if _SHA256.fullmatch(sha256) is None:
        return None, f"`{_quoted(sha256)}` is not a sha256 (64 hex digits)"
    if "/" in filename or "\\" in filename:
        return None, f"`{_quoted(filename)}` is a path, not a release asset's name"
    return ChecksumEntry(filename=filename, sha256=sha256.lower(), line=number), None


def _conflict(known: ChecksumEntry | None, entry: ChecksumEntry) -> str | None:
    if known is None or known.sha256 == entry.sha256:
        return None
    return (
        f"`{entry.filename}` is listed again with another sha256 (line {known.line} gives "
        f"{known.sha256}, this line {entry.sha256})"
    )


def _quoted(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def parse_asset_name(filename: str) -> AssetName | None:
    """Read a CPython asset name; None when ``filename`` is not one (other files, PyPy, …)."""
    match = _ASSET.fullmatch(filename)
    if match is None:
        return None
    try:
        version = Version(match["version"])
    except InvalidVersion:  # pragma: no cover - the pattern admits only valid versions
        return None
    split = _split_triple(match["rest"].split("-"))
    if split is None:
        return None
    triple, build, static = split
    tag = match["tag"]
    if triple.endswith("-linux-musl") and tag < MUSL_DYNAMIC_SINCE:
        static = True
    archive: Literal["tar.gz", "tar.zst"] = "tar.gz" if match["archive"] == "tar.gz" else "tar.zst"
    return AssetName(
        filename=filename,
        version=version,
        tag=tag,
        triple=triple,
        build=build,
        archive=archive,
        static=static or any("static" in part.split("+") for part in build),
    )


def _split_triple(parts: list[str]) -> tuple[str, tuple[str, ...], bool] | None:
    """``{arch}-apple-darwin`` or ``{arch}-{vendor}-{os}-{env}``, then the build parts."""
    length = 3 if len(parts) > 1 and parts[1] == "apple" else 4
    triple, build = "-".join(parts[:length]), parts[length:]
    static = False
    if triple.endswith("-windows-msvc") and build and build[0] in ("shared", "static"):
        static = build[0] == "static"  # older releases: `-shared` is the ordinary build
        build = build[1:]
    if len(parts) < length or not build:
        return None
    return triple, tuple(build), static


def parse_release(text: str, *, tag: str, url: str) -> PbsRelease:
    """Read release ``tag``'s ``SHA256SUMS`` text (fetched from ``url``) into a release.

    Besides the checks of :func:`parse_checksums`, a CPython asset naming another release is a
    problem (a mirror mixing releases); files that are not CPython assets are ignored.
    """
    check_release_tag(tag)
    entries = parse_checksums(text, url=url)
    assets: list[ReleaseAsset] = []
    skipped: list[AssetName] = []
    problems: list[ChecksumProblem] = []
    for entry in entries:
        name = parse_asset_name(entry.filename)
        if name is None:
            continue
        if name.tag != tag:
            problems.append(
                ChecksumProblem(
                    line=entry.line, problem=f"`{entry.filename}` belongs to release {name.tag}"
                )
            )
        elif name.flavor is None:
            skipped.append(name)
        else:
            assets.append(ReleaseAsset(name=name, flavor=name.flavor, sha256=entry.sha256))
    if problems:
        raise ChecksumsError(url, problems)
    return PbsRelease(
        tag=tag, url=strip_credentials(url), assets=tuple(assets), skipped=tuple(skipped)
    )


def check_release_tag(tag: str) -> str:
    """``tag`` when it is a release tag (eight digits, a date); :class:`InterpreterError` else."""
    if _TAG.fullmatch(tag) is None:
        raise InterpreterError(
            f"`{tag}` is not a python-build-standalone release tag",
            hint="release tags are dates written YYYYMMDD, e.g. 20250311",
        )
    return tag


def asset_filename(version: Version, tag: str, triple: str, flavor: Flavor) -> str:
    """``cpython-{version}+{tag}-{triple}-{flavor}.tar.gz``."""
    return f"cpython-{version}+{tag}-{triple}-{flavor}.tar.gz"


# --- targets, triples and archive layout ------------------------------------------------------


def triple_for(platform: PlatformSpec) -> str:
    """The PBS triple of ``platform``: ``x86_64-unknown-linux-gnu``, ``aarch64-apple-darwin``, …

    Linux glibc gets the baseline build (never ``x86_64_v2``..``v4``); Linux musl builds are
    usable only from release :data:`MUSL_DYNAMIC_SINCE` on (:func:`choose_build` says so);
    Windows is ``{arch}-pc-windows-msvc`` (they need the Visual C++ runtime, not shipped).
    """
    arch = _PBS_ARCH[platform.arch]
    if platform.os is Os.LINUX:
        return f"{arch}-unknown-linux-{'musl' if platform.libc is Libc.MUSL else 'gnu'}"
    if platform.os is Os.MACOS:
        return f"{arch}-apple-darwin"
    return f"{arch}-pc-windows-msvc"


def executable_path(triple: str) -> str:
    """The interpreter inside an install_only archive: ``python/bin/python3``.

    Windows: ``python/python.exe`` (from pypa/hatch's PBS support; not verified here).
    """
    return "python/python.exe" if _is_windows(triple) else "python/bin/python3"


def libpython_path(triple: str, version: Version) -> str:
    """The shared libpython inside an install_only archive, for embedders (PythonCall).

    Linux ``python/lib/libpython3.X.so.1.0`` (seen in archives built the PBS way);
    macOS ``python/lib/libpython3.X.dylib`` and Windows ``python/python3X.dll`` follow PBS's
    documented layout but are unverified here (no such archive can be fetched or run).
    """
    major, minor = version.release[:2]
    if _is_windows(triple):
        return f"python/python{major}{minor}.dll"
    if triple.endswith("-apple-darwin"):
        return f"python/lib/libpython{major}.{minor}.dylib"
    return f"python/lib/libpython{major}.{minor}.so.1.0"


def _is_windows(triple: str) -> bool:
    return triple.endswith("-windows-msvc")


# --- choosing builds ----------------------------------------------------------------------


def choose_build(
    release: PbsRelease, target: Target, *, requires_python: SpecifierSet | None = None
) -> PinnedPython:
    """The build ``target`` pins in ``release``: its minor's newest admitted patch.

    Admitted means allowed by ``requires-python`` and by the target's patch floor (target
    ``3.11.5`` stands for 3.11.5 and later); pre-releases only when the minor has no admitted
    final release (PEP 440, as :meth:`SpecifierSet.filter` decides).  ``install_only_stripped``
    is preferred over ``install_only``.  No such build: :class:`NoBuildError`.
    """
    triple = triple_for(target.platform)
    builds = release.builds_for(triple)
    chosen = _newest_admitted(builds, target, requires_python)
    if chosen is None:
        missing = _missing(release, target, triple, builds, requires_python)
        raise NoBuildError(release.tag, [missing])
    return pin(chosen, release.tag)


def pin_targets(
    release: PbsRelease, targets: Iterable[Target], *, requires_python: SpecifierSet | None = None
) -> Mapping[Target, PinnedPython]:
    """:func:`choose_build` for every target; one :class:`NoBuildError` lists all that lack one."""
    pinned: dict[Target, PinnedPython] = {}
    missing: list[MissingBuild] = []
    for target in targets:
        try:
            pinned[target] = choose_build(release, target, requires_python=requires_python)
        except NoBuildError as error:
            missing.extend(error.missing)
    if missing:
        raise NoBuildError(release.tag, missing)
    return pinned


def pin(asset: ReleaseAsset, tag: str) -> PinnedPython:
    """The lock's record of ``asset`` of release ``tag``."""
    return PinnedPython(
        version=asset.version,
        release=tag,
        triple=asset.triple,
        flavor=asset.flavor,
        url=asset_url(tag, asset.filename),
        sha256=asset.sha256,
        executable=executable_path(asset.triple),
        libpython=libpython_path(asset.triple, asset.version),
    )


def _admitting(target: Target, requires_python: SpecifierSet | None) -> SpecifierSet:
    spec = SpecifierSet(str(requires_python or ""))
    if len(target.python) == 3:
        spec &= SpecifierSet(f">={target.python_full_version}")
    return spec


def _newest_admitted(
    builds: tuple[ReleaseAsset, ...], target: Target, requires_python: SpecifierSet | None
) -> ReleaseAsset | None:
    of_minor = [asset for asset in builds if asset.version.release[:2] == target.python[:2]]
    admitted = set(_admitting(target, requires_python).filter(a.version for a in of_minor))
    # `builds` is ordered newest first, best flavour first: the first admitted one wins.
    return next((asset for asset in of_minor if asset.version in admitted), None)


def _missing(
    release: PbsRelease,
    target: Target,
    triple: str,
    builds: tuple[ReleaseAsset, ...],
    requires_python: SpecifierSet | None,
) -> MissingBuild:
    minor = format_python(target.python[:2])
    available = tuple(dict.fromkeys(f"{asset.version} {asset.flavor}" for asset in builds))
    of_minor = sorted({a.version for a in builds if a.version.release[:2] == target.python[:2]})
    skipped = [
        name
        for name in release.skipped
        if name.triple == triple and name.version.release[:2] == target.python[:2]
    ]
    if of_minor:
        spec = _admitting(target, requires_python)
        listed = ", ".join(str(version) for version in of_minor)
        reason = f"no build of Python {minor} admitted by `{spec}` (the release has {listed})"
    elif target.platform.libc is Libc.MUSL and release.tag < MUSL_DYNAMIC_SINCE:
        reason = (
            f"musl builds before release {MUSL_DYNAMIC_SINCE} are statically linked and "
            "cannot load extension modules"
        )
    elif skipped:
        reasons = sorted({f"{name.filename} is {name.skip_reason}" for name in skipped})
        reason = f"no usable build of Python {minor} ({'; '.join(reasons)})"
    else:
        reason = f"no build of Python {minor}"
    return MissingBuild(target=target, triple=triple, reason=reason, available=available)


# --- URLs ---------------------------------------------------------------------------------


def asset_url(tag: str, filename: str, *, base: str = RELEASE_DOWNLOAD) -> str:
    """``{base}/{tag}/{filename}`` with the file name percent-encoded (``+`` as ``%2B``)."""
    return f"{base.rstrip('/')}/{tag}/{quote(filename, safe='')}"


def checksums_url(tag: str, *, mirror: str | None = None) -> str:
    """Where release ``tag``'s ``SHA256SUMS`` is: ``{mirror or canonical}/{tag}/SHA256SUMS``."""
    return asset_url(check_release_tag(tag), CHECKSUMS_FILE, base=mirror or RELEASE_DOWNLOAD)


def download_url(pinned: PinnedPython, *, mirror: str | None = None) -> str:
    """Where to download ``pinned`` from: its canonical URL, or ``{mirror}/{tag}/{asset}``.

    Like uv's ``UV_PYTHON_INSTALL_MIRROR``, the mirror replaces the whole
    :data:`RELEASE_DOWNLOAD` prefix and is used exclusively.
    """
    if mirror is None:
        return pinned.url
    return asset_url(pinned.release, pinned.filename, base=mirror)


def check_mirror(text: str, *, source: str) -> str:
    """A mirror base URL from ``source`` (``OMNIWHEEL_PYTHON_MIRROR``, …), trailing ``/`` removed.

    It must be ``http(s)://host/…`` or ``file:///…``; anything else raises
    :class:`MirrorError` quoting it without credentials.
    """
    value = text.strip().rstrip("/")
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    usable = parts is not None and parts.scheme in _MIRROR_SCHEMES
    if parts is not None and parts.scheme in ("http", "https"):
        usable = bool(parts.hostname)
    elif parts is not None and parts.scheme == "file":
        usable = parts.netloc in ("", "localhost") and parts.path.startswith("/")
    if not usable:
        raise MirrorError(
            f"{source} `{strip_credentials(value)}` is not a mirror URL",
            hint="give the base URL a release's files hang from, e.g. "
            "https://mirror.example/python-build-standalone or file:///srv/pbs "
            "(layout {base}/{tag}/{asset}, as uv's UV_PYTHON_INSTALL_MIRROR)",
        )
    return value


def python_mirror(cli: str | None, environ: Mapping[str, str]) -> str | None:
    """The mirror a command line or the environment names (``--python-mirror``, then
    :data:`MIRROR_VARIABLE`), checked; None leaves it to ``[tool.omniwheel] python-mirror``."""
    if cli:
        return check_mirror(cli, source="--python-mirror")
    configured = environ.get(MIRROR_VARIABLE)
    return check_mirror(configured, source=MIRROR_VARIABLE) if configured else None
