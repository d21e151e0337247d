"""Installing wheels from their store trees into an environment, and removing distributions.

A wheel's files are placed from its tree in the store by the :data:`LinkMode`: ``hardlink`` (the
default; copied when the filesystem refuses a hardlink, e.g. across devices), ``copy`` (writable
copies, independent of the store) or ``symlink`` (links into the store: the environment breaks
if the store entry goes) — to where the install scheme puts them: the root into purelib or
platlib (``Root-Is-Purelib``), ``<name>.data/<key>/`` into the scheme's ``scripts``, ``headers``,
``data``, ``purelib`` or ``platlib``.  Scripts starting with ``#!python``, console and GUI
scripts (``entry_points.txt``, made with :class:`installer.scripts.Script`) and the dist-info
files ``INSTALLER``, ``REQUESTED`` and ``RECORD`` are written as new files, never through a link
into the store.  The new ``RECORD`` lists the installed paths, relative to site-packages as
pip writes them, so any installer can uninstall what omniwheel installed — and the reverse:
:func:`remove_dist` removes what a ``RECORD`` lists, never anything outside the environment.

:func:`execute_plan` runs a :class:`~omniwheel.env.plan.Plan`: fetch first (a failed download
leaves the environment untouched), then remove, then link, then (optionally) compile the new
``.py`` files with the environment's interpreter (``python -m compileall``), whose ``.pyc``
files are added to each distribution's ``RECORD``.
"""

from __future__ import annotations

import base64
import csv
import errno
import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING

from installer.scripts import Script
from installer.utils import get_launcher_kind, parse_entrypoints

from omniwheel.env.layout import LinkMode
from omniwheel.env.plan import INSTALLER_NAME, InstalledDist, Plan, SelectedWheel
from omniwheel.errors import OmniwheelError
from omniwheel.store.store import Fetcher, Store, WheelSource
from omniwheel.store.unpack import UNHASHED

if TYPE_CHECKING:
    from installer.scripts import LauncherKind  # a typing-only alias

SHEBANG_LIMIT = 127
"""Longest ``#!`` line the kernel is sure to honour; longer ones go through ``/bin/sh``."""
_WRITTEN_BY_INSTALLER = frozenset({*UNHASHED, "INSTALLER", "REQUESTED"})
_LINK_FALLBACK_ERRNOS = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP})
_WINDOWS_NO_SYMLINK_PRIVILEGE = 1314
COMPILE_TIMEOUT_SECONDS = 600


class InstallError(OmniwheelError):
    """A wheel could not be installed into, or a distribution removed from, the environment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scheme:
    """Where each part of a wheel goes in one environment (its sysconfig paths)."""

    root: Path
    """The environment: nothing outside it is ever written or removed."""
    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers_base: Path
    """``<venv>/include/site/pythonX.Y``; each distribution's headers go in a subdirectory."""

    @classmethod
    def from_paths(cls, paths: Mapping[str, str], *, root: Path, python_version: str) -> Scheme:
        data = Path(paths["data"])
        return cls(
            root=root,
            purelib=Path(paths["purelib"]),
            platlib=Path(paths["platlib"]),
            scripts=Path(paths["scripts"]),
            data=data,
            headers_base=data / "include" / "site" / f"python{python_version}",
        )

    def directory(self, key: str, name: str) -> Path:
        """The directory for a ``.data/<key>`` subdirectory of distribution ``name``."""
        if key == "headers":
            return self.headers_base / name
        return {
            "scripts": self.scripts,
            "data": self.data,
            "purelib": self.purelib,
            "platlib": self.platlib,
        }[key]


@dataclass(slots=True)
class Linker:
    """Places store files by ``mode``, switching to copies for good once links fail."""

    mode: LinkMode = "hardlink"
    copying: bool = False
    linked: int = 0
    copied: int = 0
    _made: set[Path] = field(default_factory=set)

    def place(self, source: Path, dest: Path) -> bool:
        """Link (or copy) ``source`` to ``dest``, replacing it; False if ``source`` is absent."""
        self.parent(dest)
        try:
            self._place(source, dest)
        except FileExistsError:
            dest.unlink()
            self._place(source, dest)
        except FileNotFoundError:
            if source.exists():
                raise
            return False  # listed in the wheel's RECORD but not in the wheel: nothing to place
        return True

    def parent(self, path: Path) -> None:
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)

    def _place(self, source: Path, dest: Path) -> None:
        if self.mode != "copy" and not self.copying:
            try:
                if self.mode == "symlink":
                    dest.symlink_to(source)
                else:
                    os.link(source, dest)
                self.linked += 1
                return
            except OSError as exc:
                if not _link_refused(exc):
                    raise
                self.copying = True
        if dest.exists() or dest.is_symlink():
            raise FileExistsError(dest)
        shutil.copyfile(source, dest)
        # A copy is the environment's own: writable by its owner, unlike the store's file.
        dest.chmod((source.stat().st_mode & 0o777) | 0o200)
        self.copied += 1


def _link_refused(exc: OSError) -> bool:
    """Whether a failed link means "this filesystem (or user) cannot link here": copy instead."""
    if isinstance(exc, FileExistsError | FileNotFoundError):
        return False
    winerror = getattr(exc, "winerror", None)
    return exc.errno in _LINK_FALLBACK_ERRNOS or winerror == _WINDOWS_NO_SYMLINK_PRIVILEGE


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptMaker:
    """Makes launchers and fixes ``#!python`` for one interpreter (the venv's)."""

    python: Path
    kind: LauncherKind = field(default_factory=get_launcher_kind)

    def shebang(self) -> bytes:
        executable = str(self.python)
        line = f"#!{executable}"
        if " " not in executable and len(line) <= SHEBANG_LIMIT:
            return line.encode()
        # Too long or with spaces for the kernel: /bin/sh runs the interpreter; Python reads
        # the second line as the start of a string and ignores it.
        return f"#!/bin/sh\n'''exec' '{executable}' \"$0\" \"$@\"\n' '''".encode()

    def console_scripts(self, entry_points: str) -> Iterator[tuple[str, bytes]]:
        for name, module, attr, section in parse_entrypoints(entry_points):
            yield Script(name, module, attr, section).generate(str(self.python), self.kind)


@dataclass(slots=True)
class _Record:
    """The RECORD being built for one installed distribution."""

    base: Path
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, path: Path, hash_field: str, size: int | str) -> None:
        relative = os.path.relpath(path, self.base).replace(os.sep, "/")
        self.rows.append((relative, hash_field, str(size)))

    def text(self, record_path: Path) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(sorted(self.rows))
        writer.writerow((os.path.relpath(record_path, self.base).replace(os.sep, "/"), "", ""))
        return out.getvalue().encode()


# --- installing ----------------------------------------------------------------------------


@dataclass(slots=True)
class InstalledRecord:
    """One freshly installed distribution's RECORD, kept to add compiled files to it."""

    path: Path
    record: _Record

    def python_files(self) -> list[Path]:
        """The ``.py`` files installed inside site-packages (scripts and data are not compiled)."""
        return [
            self.record.base / relative
            for relative, _, _ in self.record.rows
            if relative.endswith(".py") and not relative.startswith("../")
        ]

    def add_compiled(self, python_files: Sequence[Path]) -> None:
        """Record the ``.pyc`` files compiling ``python_files`` left, and rewrite RECORD."""
        for source in python_files:
            for compiled in sorted((source.parent / "__pycache__").glob(f"{source.stem}.*.pyc")):
                self.record.add(compiled, _record_hash(compiled.read_bytes()), _size(compiled))
        _write_new(self.path, self.record.text(self.path), None)


def install_wheel(
    tree: Path, wheel: SelectedWheel, *, scheme: Scheme, maker: ScriptMaker, linker: Linker
) -> InstalledRecord:
    """Install the unpacked wheel at ``tree`` (a verified store tree) into ``scheme``."""
    dist_info = _dist_info(tree, wheel)
    stem = dist_info.removesuffix(".dist-info")
    root = scheme.purelib if _root_is_purelib(tree / dist_info) else scheme.platlib
    record = _Record(base=root)
    for archive_path, hash_field, size in _tree_record(tree / dist_info / "RECORD"):
        parts = archive_path.split("/")
        if parts[0] == dist_info and parts[-1] in _WRITTEN_BY_INSTALLER and len(parts) == 2:
            continue
        source = tree.joinpath(*parts)
        if parts[0] == f"{stem}.data":
            dest = scheme.directory(parts[1], wheel.name).joinpath(*parts[2:])
            if parts[1] == "scripts" and _starts_with_python_shebang(source):
                _write_new(dest, _fixed_script(source, maker), record, executable=True)
                continue
        else:
            dest = root.joinpath(*parts)
        if linker.place(source, dest):
            record.add(dest, hash_field, size)
    _install_entry_points(tree / dist_info, scheme, maker, record, linker)
    return _write_dist_info(root / dist_info, wheel, record, linker)


def _dist_info(tree: Path, wheel: SelectedWheel) -> str:
    names = [entry.name for entry in tree.iterdir() if entry.name.endswith(".dist-info")]
    if len(names) != 1:
        raise InstallError(f"{wheel.describe()}: its store tree {tree} is damaged (no dist-info)")
    return names[0]


def _root_is_purelib(dist_info: Path) -> bool:
    with (dist_info / "WHEEL").open("rb") as handle:
        message = BytesParser().parse(handle, headersonly=True)
    return str(message.get("Root-Is-Purelib", "false")).strip().lower() == "true"


def _tree_record(path: Path) -> Iterator[tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) == 3:
                yield row[0], row[1], row[2]


def _starts_with_python_shebang(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8) == b"#!python"


def _fixed_script(source: Path, maker: ScriptMaker) -> bytes:
    content = source.read_bytes()
    _, newline, rest = content.partition(b"\n")
    return maker.shebang() + newline + rest


def _install_entry_points(
    dist_info: Path, scheme: Scheme, maker: ScriptMaker, record: _Record, linker: Linker
) -> None:
    try:
        text = (dist_info / "entry_points.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for filename, content in maker.console_scripts(text):
        dest = scheme.scripts / filename
        linker.parent(dest)
        _write_new(dest, content, record, executable=True)


def _write_dist_info(
    dist_info: Path, wheel: SelectedWheel, record: _Record, linker: Linker
) -> InstalledRecord:
    linker.parent(dist_info / "RECORD")
    _write_new(dist_info / "INSTALLER", f"{INSTALLER_NAME}\n".encode(), record)
    if wheel.requested:
        _write_new(dist_info / "REQUESTED", b"", record)
    else:
        (dist_info / "REQUESTED").unlink(missing_ok=True)
    record_path = dist_info / "RECORD"
    _write_new(record_path, record.text(record_path), None)
    return InstalledRecord(path=record_path, record=record)


def _write_new(
    path: Path, data: bytes, record: _Record | None, *, executable: bool = False
) -> None:
    """Write ``data`` as a new file (never through an existing link) and record it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with path.open("xb") as handle:
        handle.write(data)
    if executable:
        path.chmod(0o755)
    if record is not None:
        record.add(path, _record_hash(data), len(data))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _size(path: Path) -> int:
    return path.stat().st_size


# --- compiling -----------------------------------------------------------------------------


def compile_bytecode(python: Path, installed: Sequence[InstalledRecord]) -> None:
    """Compile the installed ``.py`` files with ``python`` and add the ``.pyc`` to RECORDs.

    Files that do not compile (test data in Python 2 syntax, templates) are skipped, as pip
    does; only a failure to run the interpreter at all is an error.
    """
    files = [record.python_files() for record in installed]
    listed = "\n".join(str(path) for group in files for path in group)
    if not listed:
        return
    try:
        subprocess.run(
            [str(python), "-m", "compileall", "-q", "-i", "-"],
            input=listed,
            text=True,
            capture_output=True,
            timeout=COMPILE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"cannot compile bytecode with {python}: {exc}") from exc
    for record, group in zip(installed, files, strict=True):
        record.add_compiled(group)


# --- removing ------------------------------------------------------------------------------


def remove_dist(dist: InstalledDist, *, site_packages: Path, scheme: Scheme) -> None:
    """Remove what the distribution's RECORD lists (inside the environment only)."""
    dist_info = site_packages / dist.dist_info
    root = scheme.root.resolve()
    keep = {
        path.resolve()
        for path in (scheme.purelib, scheme.platlib, scheme.scripts, scheme.data, root)
    }
    parents: set[Path] = set()
    for path in _recorded_paths(dist_info, root):
        _remove_file(path)
        parents.add(path.parent)
    shutil.rmtree(dist_info, ignore_errors=True)
    for directory in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        _prune_empty(directory, keep, root)


def _recorded_paths(dist_info: Path, root: Path) -> Iterator[Path]:
    """The files RECORD lists, resolved; those outside the environment are skipped."""
    try:
        rows = list(_tree_record(dist_info / "RECORD"))
    except (FileNotFoundError, UnicodeDecodeError):
        return
    # Compare real paths: the venv may sit behind a symlink (/tmp on macOS, lib64 -> lib).
    real_root = root.resolve()
    for relative, _, _ in rows:
        joined = dist_info.parent / relative
        if joined.name in ("", ".", ".."):
            continue
        # The directory's real path, but not the file's: a symlinked file (``--link-mode
        # symlink``) points into the store, and it is the link that goes, never its target.
        path = Path(os.path.realpath(joined.parent)) / joined.name
        if path.is_relative_to(real_root) and path != real_root:
            yield path


def _remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        return
    if path.suffix == ".py":
        for compiled in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)


def _prune_empty(directory: Path, keep: set[Path], root: Path) -> None:
    current = directory
    while current.is_relative_to(root) and current not in keep and current != root:
        pycache = current / "__pycache__"
        if pycache.is_dir() and not any(pycache.iterdir()):
            pycache.rmdir()
        try:
            current.rmdir()
        except OSError:
            return  # not empty (or already gone and its parent is not ours to judge)
        current = current.parent


# --- executing a plan ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Executed:
    """What executing a plan did."""

    fetched: frozenset[str]
    """sha256s whose bytes were downloaded (or read from a local path) into the store."""
    linked_files: int
    copied_files: int


def execute_plan(
    plan: Plan,
    *,
    store: Store,
    fetcher: Fetcher,
    site_packages: Path,
    scheme: Scheme,
    maker: ScriptMaker,
    link_mode: LinkMode = "hardlink",
    compile_with: Path | None = None,
    on_fetched: Callable[[WheelSource, bool], None] | None = None,
) -> Executed:
    """Fetch what the store lacks, remove what goes, link what comes — in that order — then
    compile the new files with the interpreter ``compile_with``, if given."""
    fetched = store.ensure_trees((w.source for w in plan.fetch), fetcher, on_done=on_fetched)
    for dist in plan.remove:
        remove_dist(dist, site_packages=site_packages, scheme=scheme)
    linker = Linker(mode=link_mode)
    installed = []
    for wheel in plan.link:
        tree = store.tree(wheel.source.sha256)
        if not tree.is_dir():  # listed as stored when planned, gone since (cache cleaned)
            store.ensure_tree(wheel.source, fetcher)
        installed.append(install_wheel(tree, wheel, scheme=scheme, maker=maker, linker=linker))
    if compile_with is not None:
        compile_bytecode(compile_with, installed)
    return Executed(fetched=fetched, linked_files=linker.linked, copied_files=linker.copied)
