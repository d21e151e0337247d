"""python-build-standalone-shaped archives built from this machine's pyenv interpreters, offline.

Real PBS archives cannot be fetched here, so tests build look-alikes the way
``reference/interpreters.md`` §5.4 found to work: a pyenv CPython built with
``--enable-shared`` is copied under ``python/`` minus what tests never need (``site-packages``,
``test``, ``config-*``, ``idlelib``, ``tkinter``, ``lib2to3``, ``ensurepip``, every
``__pycache__``, and ``bin/`` scripts other than ``python*``), and the RUNPATH of
``bin/python3.X`` is rewritten in place, NUL-padded, to ``$ORIGIN/../lib`` — PBS's own approach —
so that the copy loads its own ``libpython`` and not the original prefix's.  Members are sorted,
owned by 0:0 with mtime 0, and gzipped with mtime 0 and no file name: the same interpreter gives
the same bytes (and sha256) every time.  Names follow PBS:
``cpython-{X.Y.Z}+{tag}-x86_64-unknown-linux-gnu-install_only.tar.gz``, listed in a
``SHA256SUMS``.

:func:`shelf` keeps one :class:`ArchiveShelf` per test session, so each minor is built once
(about a second) however many test modules ask.  :func:`hostile_archive` writes small archives
that break one rule each.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pytest

TAG = "20261015"
TRIPLE = "x86_64-unknown-linux-gnu"
FLAVOR = "install_only"
RUNPATH = b"$ORIGIN/../lib"

_SKIPPED_LIB_DIRS = frozenset(
    {"site-packages", "test", "idlelib", "tkinter", "lib2to3", "ensurepip", "__pycache__"}
)
_VERSION_DIR = re.compile(r"3\.([0-9]+)\.([0-9]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltArchive:
    """One PBS-shaped archive and what a lock would say about it."""

    path: Path
    version: str
    """``X.Y.Z`` of the interpreter it holds."""
    tag: str
    sha256: str
    source: Path
    """The pyenv prefix it was built from."""

    @property
    def filename(self) -> str:
        return self.path.name


def pyenv_versions_dirs() -> list[Path]:
    """Where pyenv keeps interpreters: ``$PYENV_ROOT``, ``pyenv root``, ``~/.pyenv``, root's."""
    roots: list[Path] = []
    if env_root := os.environ.get("PYENV_ROOT"):
        roots.append(Path(env_root))
    if pyenv := shutil.which("pyenv"):
        answer = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, check=False, timeout=30
        )
        if answer.returncode == 0 and answer.stdout.strip():
            roots.append(Path(answer.stdout.strip()))
    roots += [Path.home() / ".pyenv", Path("/root/.pyenv")]
    found: list[Path] = []
    for root in roots:
        versions = root / "versions"
        if versions.is_dir() and versions.resolve() not in {p.resolve() for p in found}:
            found.append(versions)
    return found


def find_shared_pyenv(minor: int) -> Path | None:
    """The newest pyenv prefix of CPython 3.``minor`` built with ``--enable-shared``, if any."""
    candidates: list[tuple[int, Path]] = []
    for versions in pyenv_versions_dirs():
        for prefix in versions.iterdir():
            match = _VERSION_DIR.fullmatch(prefix.name)
            if match is None or int(match[1]) != minor:
                continue
            shared = prefix / "lib" / f"libpython3.{minor}.so.1.0"
            if shared.is_file() and (prefix / "bin" / f"python3.{minor}").is_file():
                candidates.append((int(match[2]), prefix))
    return max(candidates)[1] if candidates else None


def archive_name(version: str, tag: str = TAG, flavor: str = FLAVOR) -> str:
    return f"cpython-{version}+{tag}-{TRIPLE}-{flavor}.tar.gz"


def build_archive(prefix: Path, out_dir: Path, *, tag: str = TAG) -> BuiltArchive:
    """Build the PBS-shaped archive of the pyenv interpreter at ``prefix`` into ``out_dir``."""
    version = prefix.name
    minor = version.split(".")[1]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / archive_name(version, tag)
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=1, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_dir_info("python"))
        for relative in _members(prefix, minor):
            _add(tar, prefix, relative, minor)
    data = buffer.getvalue()
    path.write_bytes(data)
    return BuiltArchive(
        path=path,
        version=version,
        tag=tag,
        sha256=hashlib.sha256(data).hexdigest(),
        source=prefix,
    )


def _members(prefix: Path, minor: str) -> Iterator[str]:
    """Relative paths to archive, sorted, directories before what they hold."""
    stdlib = f"lib/python3.{minor}"
    for directory, dirnames, filenames in os.walk(prefix):
        relative_dir = Path(directory).relative_to(prefix).as_posix()
        relative_dir = "" if relative_dir == "." else relative_dir
        dirnames[:] = sorted(d for d in dirnames if _kept_dir(relative_dir, d, stdlib))
        names = sorted(filenames)
        if relative_dir == "bin":
            names = [name for name in names if name.startswith("python")]
        for name in sorted([*dirnames, *names]):
            yield f"{relative_dir}/{name}" if relative_dir else name


def _kept_dir(parent: str, name: str, stdlib: str) -> bool:
    if name == "__pycache__":
        return False
    if parent == stdlib:
        return name not in _SKIPPED_LIB_DIRS and not name.startswith("config-")
    if parent == "bin":
        return False
    return not (parent == "" and name not in ("bin", "include", "lib", "share"))


def _dir_info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return _normalised(info)


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def _add(tar: tarfile.TarFile, prefix: Path, relative: str, minor: str) -> None:
    source = prefix / relative
    name = f"python/{relative}"
    mode = source.lstat().st_mode
    if stat.S_ISLNK(mode):
        target = str(source.readlink())
        if target.startswith("/"):
            return  # an absolute link would point back into the original prefix
        info = _normalised(tarfile.TarInfo(name))
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        tar.addfile(info)
    elif stat.S_ISDIR(mode):
        tar.addfile(_dir_info(name))
    elif stat.S_ISREG(mode):
        data = source.read_bytes()
        if relative == f"bin/python3.{minor}":
            data = _relocatable(data, prefix)
        info = _normalised(tarfile.TarInfo(name))
        info.size, info.mode = len(data), 0o755 if mode & 0o111 else 0o644
        tar.addfile(info, io.BytesIO(data))


def _relocatable(executable: bytes, prefix: Path) -> bytes:
    """``executable`` with its RUNPATH ``{prefix}/lib`` rewritten to ``$ORIGIN/../lib``."""
    old = str(prefix / "lib").encode() + b"\x00"
    if executable.count(old) != 1 or len(old) <= len(RUNPATH):
        pytest.skip(f"cannot rewrite the RUNPATH of {prefix}/bin: `{old!r}` is not there once")
    return executable.replace(old, RUNPATH.ljust(len(old), b"\x00"))


def write_sha256sums(directory: Path, archives: list[BuiltArchive], *extra: str) -> Path:
    """``directory/SHA256SUMS`` listing ``archives`` (and ``extra`` preformatted lines)."""
    lines = [f"{archive.sha256}  {archive.filename}" for archive in archives]
    path = directory / "SHA256SUMS"
    path.write_text("".join(f"{line}\n" for line in [*lines, *extra]), encoding="utf-8")
    return path


class ArchiveShelf:
    """Archives built once per session, by minor, under one directory: ``{dir}/{tag}/``."""

    def __init__(self, root: Path, tag: str = TAG) -> None:
        self.root = root
        self.tag = tag
        self._built: dict[int, BuiltArchive] = {}

    @property
    def release_dir(self) -> Path:
        return self.root / self.tag

    def archive(self, minor: int) -> BuiltArchive:
        """The archive of CPython 3.``minor``; skips the test when pyenv has no shared build."""
        if minor not in self._built:
            prefix = find_shared_pyenv(minor)
            if prefix is None:
                pytest.skip(f"no pyenv CPython 3.{minor} built with --enable-shared here")
            self._built[minor] = build_archive(prefix, self.release_dir, tag=self.tag)
            write_sha256sums(self.release_dir, list(self._built.values()))
        return self._built[minor]

    def any_archive(self, preferred: tuple[int, ...] = (11, 12, 13, 10)) -> BuiltArchive:
        """The first minor of ``preferred`` that pyenv has as a shared build."""
        for minor in preferred:
            if minor in self._built or find_shared_pyenv(minor) is not None:
                return self.archive(minor)
        pytest.skip("no pyenv CPython built with --enable-shared here")


_SHELVES: dict[Path, ArchiveShelf] = {}


def shelf(factory: pytest.TempPathFactory) -> ArchiveShelf:
    """The session's shelf (one per pytest base temporary directory)."""
    base = factory.getbasetemp()
    if base not in _SHELVES:
        _SHELVES[base] = ArchiveShelf(factory.mktemp("pbs-archives"))
    return _SHELVES[base]


# --- hostile archives -------------------------------------------------------------------------

Hostility = Literal[
    "traversal",
    "absolute",
    "escaping-symlink",
    "absolute-symlink",
    "symlink-chain",
    "through-symlink",
    "escaping-hardlink",
    "missing-executable",
    "device",
    "fifo",
    "duplicate",
    "truncated",
    "not-gzip",
]
HOSTILITIES: tuple[Hostility, ...] = get_args(Hostility)


def _file(
    name: str, data: bytes = b"#!/bin/sh\n", mode: int = 0o755
) -> tuple[tarfile.TarInfo, bytes]:
    info = _normalised(tarfile.TarInfo(name))
    info.size, info.mode = len(data), mode
    return info, data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = _normalised(tarfile.TarInfo(name))
    info.type, info.linkname, info.mode = kind, target, 0o777
    return info, b""


def _special(name: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = _normalised(tarfile.TarInfo(name))
    info.type, info.mode, info.devmajor, info.devminor = kind, 0o666, 1, 3
    return info, b""


_BASE = [
    (_dir_info("python"), b""),
    (_dir_info("python/bin"), b""),
    _file("python/bin/python3.99"),
    _link("python/bin/python3", "python3.99"),
    (_dir_info("python/lib"), b""),
]
_EXTRA: dict[Hostility, list[tuple[tarfile.TarInfo, bytes]]] = {
    "traversal": [_file("python/lib/../../evil", b"evil")],
    "absolute": [_file("/tmp/omniwheel-evil", b"evil")],
    "escaping-symlink": [_link("python/lib/escape", "../../../etc")],
    "absolute-symlink": [_link("python/lib/escape", "/etc/passwd")],
    # each link stays inside on its own; `a/b/t -> s/../..` leaves only once `a/b/s -> ../..`
    # exists (the link it goes through comes later in the archive)
    "symlink-chain": [
        (_dir_info("python/a"), b""),
        (_dir_info("python/a/b"), b""),
        _link("python/a/b/t", "s/../../../.."),
        _link("python/a/b/s", "../.."),
    ],
    "through-symlink": [_link("python/etc", "lib"), _file("python/etc/passwd", b"x")],
    "escaping-hardlink": [_link("python/lib/hard", "../outside", tarfile.LNKTYPE)],
    "device": [_special("python/lib/null", tarfile.CHRTYPE)],
    "fifo": [_special("python/lib/pipe", tarfile.FIFOTYPE)],
    "duplicate": [_file("python/lib/twice", b"one"), _file("python/lib/twice", b"two")],
}


def minimal_archive(out_dir: Path) -> tuple[Path, str]:
    """A small archive that breaks no rule (the hostile ones' common base); path and sha256."""
    return _write_archive(list(_BASE), out_dir / "minimal.tar.gz")


def hostile_archive(kind: Hostility, out_dir: Path) -> tuple[Path, str]:
    """An archive with ``python/bin/python3`` that breaks one rule; its path and sha256."""
    members = list(_BASE)
    if kind == "missing-executable":
        members = [m for m in members if not m[0].name.startswith("python/bin/python3")]
    if kind == "truncated":
        members.append(_file("python/lib/big", os.urandom(256 * 1024)))
    members += _EXTRA.get(kind, [])
    path, sha256 = _write_archive(members, out_dir / f"{kind}.tar.gz")
    if kind in ("truncated", "not-gzip"):
        data = path.read_bytes()
        data = data[: len(data) // 2] if kind == "truncated" else b"<html>Not Found</html>\n"
        path.write_bytes(data)
        sha256 = hashlib.sha256(data).hexdigest()
    return path, sha256


def _write_archive(members: list[tuple[tarfile.TarInfo, bytes]], path: Path) -> tuple[Path, str]:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path, hashlib.sha256(buffer.getvalue()).hexdigest()


def stand_in_archive(directory: Path, version: str, tag: str, triple: str) -> str:
    """A small archive laid out as the triple's install_only build (``directory/<asset>``), for
    targets whose interpreter cannot run here: it is hashed and unpacked, never run.  Returns
    its file name."""
    windows = triple.endswith("-windows-msvc")
    minor = version.rsplit(".", 1)[0]
    files = (
        {"python/python.exe": b"MZ not really\n", f"python/python{minor.replace('.', '')}.dll": b""}
        if windows
        else {
            f"python/bin/python{minor}": b"#!/bin/sh\nexit 1\n",
            f"python/lib/libpython{minor}.so.1.0": triple.encode(),
        }
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("python", "python/bin", "python/lib", "python/include/empty"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = (
                len(data),
                0o755 if "bin/" in name or name.endswith("exe") else 0o644,
            )
            tar.addfile(info, io.BytesIO(data))
        if not windows:
            link = tarfile.TarInfo("python/bin/python3")
            link.type, link.linkname = tarfile.SYMTYPE, f"python{minor}"
            tar.addfile(link)
    name = f"cpython-{version}+{tag}-{triple}-install_only.tar.gz"
    (directory / name).write_bytes(buffer.getvalue())
    return name
