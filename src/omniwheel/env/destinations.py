"""Where a wheel's files go in an environment, worked out before anything is written.

:class:`Scheme` is an environment's install scheme (its sysconfig paths); :func:`plan_wheel` maps
one stored wheel (its :class:`~omniwheel.store.manifest.TreeManifest`) onto a scheme: each file's
store path, destination and ``RECORD`` path, the console scripts to write (made by
:class:`ScriptMaker`) and the directories to make.  :func:`colliding_groups` then finds the wheels
that write the same files, which must be installed one after the other.

This runs for every file of every wheel a sync installs (18,000 for a 100-package environment),
so it works on plain ``str`` paths: building ``Path`` objects, or calling ``relpath`` per file,
cost as much as the links themselves.
"""

# Paths here are str, not Path, on purpose (see the docstring): os functions, not Path methods.
# ruff: noqa: PTH118, PTH120

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from installer.scripts import Script
from installer.utils import get_launcher_kind, parse_entrypoints

from omniwheel.env.linker import needed_directories
from omniwheel.env.plan import SelectedWheel

if TYPE_CHECKING:
    from installer.scripts import LauncherKind  # a typing-only alias

    from omniwheel.store.manifest import TreeManifest

SHEBANG_LIMIT = 127
"""Longest ``#!`` line the kernel is sure to honour; longer ones go through ``/bin/sh``."""
_POSIX = os.sep == "/"


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


PlannedFile = tuple[str, str, str, str, str, bool]
"""One file of a wheel to place: its store path, its destination, its RECORD path, hash field and
size, and whether it is a ``.data/scripts`` file (rewritten, not linked, if it starts with
``#!python``)."""
Launcher = tuple[str, str, bytes]
"""A console or GUI script to write: destination, RECORD path, content."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelPlan:
    """Everything installing one wheel writes, worked out before anything is written."""

    wheel: SelectedWheel
    root: Path
    """purelib or platlib, as the wheel's ``Root-Is-Purelib`` says."""
    dist_info: str
    """The dist-info directory's name."""
    files: list[PlannedFile]
    launchers: list[Launcher]
    directories: list[str]
    """The directories to make, parents first (those that existed before the sync left out)."""

    def dist_info_file(self, name: str) -> str:
        return os.path.join(self.root, self.dist_info, name)

    def destinations(self) -> list[str]:
        """Every path this plan writes (its files, its scripts, its dist-info files)."""
        written = [file[1] for file in self.files]
        written += [launcher[0] for launcher in self.launchers]
        written += [self.dist_info_file(name) for name in ("INSTALLER", "REQUESTED", "RECORD")]
        return written


# --- planning -----------------------------------------------------------------------------


def existing_directories(scheme: Scheme) -> set[str]:
    candidates = (scheme.root, scheme.purelib, scheme.platlib, scheme.scripts, scheme.data)
    return {str(path) for path in candidates if path.is_dir()}


def real_directories(scheme: Scheme) -> list[tuple[str, str]]:
    """The scheme's directories that are not their real path (``lib64`` linking to ``lib``, a
    venv behind a symlink), with that real path: longest first, to compare paths for real."""
    directories = {scheme.root, scheme.purelib, scheme.platlib, scheme.scripts, scheme.data}
    aliased = {(str(path), os.path.realpath(path)) for path in directories}
    pairs = [(given, real) for given, real in aliased if given != real]
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def colliding_groups(
    plans: Sequence[WheelPlan], real: Sequence[tuple[str, str]] = ()
) -> list[list[int]]:
    """The plans' indexes grouped so that no two groups write the same file, each in order.

    Two plans collide when they write the same path, or one writes a file where the other
    needs a directory; paths are compared as their real paths (see :func:`real_directories`),
    so two spellings of one directory are one."""
    leader = list(range(len(plans)))

    def find(index: int) -> int:
        while leader[index] != index:
            leader[index] = leader[leader[index]]
            index = leader[index]
        return index

    def join(first: int, second: int) -> None:
        leader[find(second)] = find(first)

    owner: dict[str, int] = {}
    for index, plan in enumerate(plans):
        mine = dict.fromkeys(_real_paths(plan.destinations(), real), index)
        for path in owner.keys() & mine.keys():
            join(owner[path], index)
        owner.update(mine)  # colliding paths now name the later plan, in the same group
    for index, plan in enumerate(plans):
        for directory in _real_paths(plan.directories, real):
            if owner.get(directory, index) != index:
                join(owner[directory], index)
    groups: dict[int, list[int]] = {}
    for index in range(len(plans)):
        groups.setdefault(find(index), []).append(index)
    return list(groups.values())


def _real_paths(paths: list[str], real: Sequence[tuple[str, str]]) -> list[str]:
    if not real:
        return paths  # every scheme directory is its real path: compare paths as they are
    return [_real_path(path, real) for path in paths]


def _real_path(path: str, real: Sequence[tuple[str, str]]) -> str:
    for given, resolved in real:
        if path == given or path.startswith(f"{given}{os.sep}"):
            return resolved + path[len(given) :]
    return path


def plan_wheel(
    manifest: TreeManifest,
    wheel: SelectedWheel,
    *,
    scheme: Scheme,
    maker: ScriptMaker,
    existing: Collection[str],
) -> WheelPlan:
    root = scheme.purelib if manifest.root_is_purelib else scheme.platlib
    places = _Places(scheme=scheme, name=wheel.name, root=str(root), dist_info=manifest.dist_info)
    files = _files(manifest, places)
    launchers = list(_launchers(manifest.entry_points, scheme, maker, root))
    parents = {places.directory(archive_dir) for archive_dir in manifest.directories}
    parents.update(os.path.dirname(launcher[0]) for launcher in launchers)
    parents.add(os.path.join(root, manifest.dist_info))
    return WheelPlan(
        wheel=wheel,
        root=root,
        dist_info=manifest.dist_info,
        files=files,
        launchers=launchers,
        directories=needed_directories(parents, existing),
    )


class _Places:
    """Where one wheel's archive paths go in the environment (str paths, see the docstring)."""

    def __init__(self, *, scheme: Scheme, name: str, root: str, dist_info: str) -> None:
        self.scheme, self.name, self.root = scheme, name, root
        self.data = f"{dist_info.removesuffix('.dist-info')}.data/"
        self._data_directories: dict[str, tuple[str, str]] = {}

    def data_directory(self, key: str) -> tuple[str, str]:
        """Where a ``.data/<key>`` directory goes, and that place's RECORD path prefix."""
        if key not in self._data_directories:
            directory = str(self.scheme.directory(key, self.name))
            relative = os.path.relpath(directory, self.root).replace(os.sep, "/")
            prefix = "" if relative == "." else f"{relative}/"
            self._data_directories[key] = directory, prefix
        return self._data_directories[key]

    def directory(self, archive_dir: str) -> str:
        """Where the wheel's directory ``archive_dir`` goes."""
        if not archive_dir.startswith(self.data):
            return f"{self.root}{os.sep}{_native(archive_dir)}"
        key, _, rest = archive_dir.removeprefix(self.data).partition("/")
        directory = self.data_directory(key)[0]
        return f"{directory}{os.sep}{_native(rest)}" if rest else directory


def _native(relative: str) -> str:
    return relative if _POSIX else relative.replace("/", os.sep)


def _files(manifest: TreeManifest, places: _Places) -> list[PlannedFile]:
    """Where each file the manifest lists goes.  (The hottest loop of a warm sync after the
    links themselves: kept to plain string work.)"""
    prefix, sep, root, data = f"{manifest.tree}{os.sep}", os.sep, places.root, places.data
    files: list[PlannedFile] = []
    for archive_path, hash_field, size in manifest.files:
        native = archive_path if _POSIX else archive_path.replace("/", sep)
        if archive_path.startswith(data):
            key, _, rest = archive_path.removeprefix(data).partition("/")
            directory, relative = places.data_directory(key)
            dest = f"{directory}{sep}{_native(rest)}"
            script = key == "scripts"
            files.append((prefix + native, dest, relative + rest, hash_field, size, script))
        else:
            dest = f"{root}{sep}{native}"
            files.append((prefix + native, dest, archive_path, hash_field, size, False))
    return files


def _launchers(
    entry_points: str | None, scheme: Scheme, maker: ScriptMaker, root: Path
) -> Iterator[Launcher]:
    if entry_points is None:
        return
    for filename, content in maker.console_scripts(entry_points):
        dest = scheme.scripts / filename
        yield str(dest), os.path.relpath(dest, root).replace(os.sep, "/"), content
