"""What an artifact tree is: a wheel as installed into a site-packages directory.

A tree is directly a ``sys.path`` entry, and the same tree (same ``git-tree-sha1``) serves
the depot, the tarball and ``run --artifacts``.  From a wheel's zip entries:

- the root content (packages, modules, ``<name>-<version>.dist-info/``) stays at the root;
- ``<name>-<version>.data/purelib/`` and ``.data/platlib/`` are merged into the root, as an
  installer merges them into site-packages;
- ``.data/scripts/``, ``.data/headers/`` and ``.data/data/`` — what an installer scatters into
  ``bin/``, ``include/`` and the prefix — stay where the wheel holds them, under
  ``<name>-<version>.data/``.  That name is no Python identifier, so it can never shadow or
  join an importable package, and it is unique to the distribution, so it never collides with
  the package's own files.  Scripts are executable whatever the archive says (installers make
  them so); their ``#!python`` lines are left as they are (``run --artifacts`` generates the
  scripts it puts on ``PATH``);
- the ``.dist-info`` directory is kept byte for byte: its ``RECORD`` names files as the wheel
  holds them.  A tree is read-only and never uninstalled, so nothing reads RECORD for removal,
  and adding installer files (``INSTALLER``, ``REQUESTED``) would make the hash depend on who
  installed it;
- entries named ``.git`` are dropped: Pkg's tree hash skips them and ``Tar.tree_hash`` does
  not, so keeping them would make the two disagree;
- a file is executable (``0o755``, git mode ``100755``) when any execute bit is set in its zip
  entry's mode (``external_attr >> 16``), else ``0o644``.  The mode comes from the archive
  only, so neither the umask nor the filesystem can change the hash.

Unsafe entries (``..``, absolute paths, drive letters, backslashes, symlinks, special files,
two entries landing on one path — also ignoring case, as macOS and Windows do — or a path that
is both a file and a directory) raise :class:`ArtifactTreeError` naming the wheel and entry.
RECORD hashes are not checked here: a wheel reaches this module only after its sha256 matched
the lock.

Trees from elsewhere are handled alike (:data:`TreeLike`): an abstract mapping of path →
:class:`~omniwheel.julia.treehash.TreeEntry` (tests, symlinks) and a directory on disk.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import IO, TypeAlias

from omniwheel.julia import ArtifactError
from omniwheel.julia.treehash import (
    CHUNK,
    SKIPPED_NAME,
    Blob,
    BlobHasher,
    EntryKind,
    TreeEntry,
    check_tree_paths,
    entry_mode,
    path_problem,
    tree_sha1_of_blobs,
)

LIB_KEYS = frozenset({"purelib", "platlib"})
"""``.data`` subdirectories merged into the root."""
KEPT_KEYS = frozenset({"scripts", "headers", "data"})
"""``.data`` subdirectories kept under ``<name>-<version>.data/``."""

FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
DIRECTORY_MODE = 0o755


class ArtifactTreeError(ArtifactError):
    """A wheel (or directory) that cannot become an artifact tree."""

    def __init__(self, source: str, entry: str | None, problem: str) -> None:
        where = f"entry `{entry}` of {source}" if entry is not None else source
        super().__init__(
            f"cannot make an artifact tree of {where}: {problem}",
            hint="the wheel is broken or malicious; report it to the package's maintainers",
        )
        self.source = source
        self.entry = entry
        self.problem = problem


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeFile:
    """One file of a wheel's tree: the zip entry holding it, its mode and its size."""

    member: str
    executable: bool
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """A wheel's artifact tree: tree path → file in :func:`path_order`; bytes stay in the wheel."""

    wheel: Path
    filename: str
    files: Mapping[str, TreeFile]

    def script_paths(self) -> tuple[str, ...]:
        """Tree paths of the wheel's ``.data/scripts`` files (for a generated scripts dir)."""
        return tuple(path for path in self.files if _is_script(path))


TreeLike: TypeAlias = Tree | Mapping[str, TreeEntry] | Path
"""A wheel's tree, an abstract tree, or a directory on disk."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One file or symlink of a tree while it is read: ``stream`` gives its bytes (a
    symlink's target for symlinks), exactly ``size`` of them."""

    path: str
    kind: EntryKind
    executable: bool
    size: int
    stream: IO[bytes]


def tree_of_wheel(wheel: Path, *, filename: str | None = None) -> Tree:
    """The artifact tree of ``wheel`` (published as ``filename``, default its file name)."""
    name = filename or wheel.name
    try:
        with zipfile.ZipFile(wheel) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactTreeError(name, None, f"not a readable zip archive ({exc})") from exc
    data_dir = _dist_info(name, infos).removesuffix(".dist-info") + ".data"
    files: dict[str, TreeFile] = {}
    owners: dict[str, str] = {}
    for info in infos:
        path = _tree_path(name, info, data_dir)
        if path is None:
            continue
        _claim(name, owners, path, info.filename)
        executable = _is_script(path) or bool((info.external_attr >> 16) & 0o111)
        files[path] = TreeFile(member=info.filename, executable=executable, size=info.file_size)
    _check_file_dir_conflicts(name, files)
    ordered = {path: files[path] for path in sorted(files, key=path_order)}
    return Tree(wheel=wheel, filename=name, files=MappingProxyType(ordered))


def git_tree_sha1(tree: TreeLike) -> str:
    """The ``git-tree-sha1`` of a tree: what Pkg computes once it is written or unpacked."""
    blobs: dict[str, Blob] = {}
    for item in iter_items(tree):
        hasher = BlobHasher(item.size)
        while chunk := item.stream.read(CHUNK):
            hasher.update(chunk)
        mode = entry_mode(item.kind, executable=item.executable)
        blobs[item.path] = Blob(mode=mode, sha1=hasher.digest())
    return tree_sha1_of_blobs(blobs)


def git_tree_sha1_of_wheel(wheel: Path, *, filename: str | None = None) -> str:
    """The ``git-tree-sha1`` of a wheel's artifact tree, read from its zip entries."""
    return git_tree_sha1(tree_of_wheel(wheel, filename=filename))


def write_tree(tree: TreeLike, dest: Path) -> None:
    """Write ``tree`` into ``dest`` (which must not exist): files ``0o755``/``0o644``,
    directories ``0o755``, symlinks as symlinks — set with ``chmod``, so the umask does not
    matter.  Symlinks must be relative and stay inside the tree.  On failure ``dest`` is
    half-written: write into a temporary directory and rename it.
    """
    if not isinstance(tree, Tree | Path):
        check_tree_paths(tree)  # no symlink may stand where a directory is written through
    dest.mkdir()
    dest.chmod(DIRECTORY_MODE)
    for item in iter_items(tree):
        target = dest.joinpath(*item.path.split("/"))
        _make_parents(dest, target.parent)
        if item.kind == "symlink":
            link = item.stream.read().decode()
            _check_link(item.path, link)
            target.symlink_to(link)
            continue
        _copy_exactly(item, target)
        target.chmod(EXECUTABLE_MODE if item.executable else FILE_MODE)


def iter_items(tree: TreeLike) -> Iterator[Item]:
    """Every file and symlink of ``tree`` in :func:`path_order`; each stream is open while
    its item is the current one."""
    if isinstance(tree, Tree):
        return _wheel_items(tree)
    if isinstance(tree, Path):
        return _dir_items(tree)
    return _memory_items(tree)


def path_order(path: str) -> list[str]:
    """The order trees are walked in: by path components, so a directory's content comes
    right after it (``a/x`` before ``a-b``), as in a recursive walk sorted by name."""
    return path.split("/")


# --- wheels ------------------------------------------------------------------------------------


def _dist_info(name: str, infos: list[zipfile.ZipInfo]) -> str:
    tops = {info.filename.split("/", 1)[0] for info in infos if "/" in info.filename}
    found = sorted(top for top in tops if top.endswith(".dist-info"))
    if len(found) != 1:
        listed = ", ".join(found) or "none"
        raise ArtifactTreeError(name, None, f"needs one .dist-info directory (found {listed})")
    return found[0]


def _tree_path(name: str, info: zipfile.ZipInfo, data_dir: str) -> str | None:
    """Where an entry lands in the tree; None for directories and ``.git`` entries."""
    member = info.filename
    problem = path_problem(member.removesuffix("/")) or _type_problem(info)
    if problem is not None:
        raise ArtifactTreeError(name, member, problem)
    if info.is_dir() or SKIPPED_NAME in member.split("/"):
        return None
    parts = member.split("/")
    if parts[0] != data_dir:
        return member
    if len(parts) < 3 or parts[1] not in LIB_KEYS | KEPT_KEYS:
        keys = ", ".join(sorted(LIB_KEYS | KEPT_KEYS))
        raise ArtifactTreeError(name, member, f"is not inside one of {data_dir}/{{{keys}}}/")
    if parts[1] in LIB_KEYS:
        return "/".join(parts[2:])
    return member


def _type_problem(info: zipfile.ZipInfo) -> str | None:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "is a symbolic link (wheels may only hold regular files)"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is a special file (wheels may only hold regular files)"
    return None


def _claim(name: str, owners: dict[str, str], path: str, member: str) -> None:
    key = path.casefold()
    if key in owners:
        first = owners[key]
        if first == member:
            raise ArtifactTreeError(name, member, "appears twice in the archive")
        raise ArtifactTreeError(
            name,
            member,
            f"lands on `{path}`, where `{first}` goes too (names are compared ignoring case)",
        )
    owners[key] = member


def _check_file_dir_conflicts(name: str, files: Mapping[str, TreeFile]) -> None:
    folded = {path.casefold(): path for path in files}
    for path in files:
        parents = PurePosixPath(path).parents
        for parent in list(parents)[:-1]:
            clash = folded.get(str(parent).casefold())
            if clash is not None:
                member = files[clash].member
                raise ArtifactTreeError(name, member, f"`{clash}` is both a file and a directory")


def _is_script(path: str) -> bool:
    parts = path.split("/")
    return len(parts) > 2 and parts[0].endswith(".data") and parts[1] == "scripts"


def _wheel_items(tree: Tree) -> Iterator[Item]:
    try:
        with zipfile.ZipFile(tree.wheel) as archive:
            for path, file in tree.files.items():
                with archive.open(file.member) as stream:
                    yield Item(
                        path=path,
                        kind="file",
                        executable=file.executable,
                        size=file.size,
                        stream=stream,
                    )
    except zipfile.BadZipFile as exc:
        raise ArtifactTreeError(tree.filename, None, f"reading failed ({exc})") from exc


# --- abstract trees and directories ------------------------------------------------------------


def _memory_items(entries: Mapping[str, TreeEntry]) -> Iterator[Item]:
    for path in sorted(entries, key=path_order):
        if SKIPPED_NAME in path.split("/"):
            continue
        entry = entries[path]
        yield Item(
            path=path,
            kind=entry.kind,
            executable=entry.executable,
            size=len(entry.data),
            stream=io.BytesIO(entry.data),
        )


def _dir_items(root: Path, prefix: str = "") -> Iterator[Item]:
    """Files and symlinks under ``root`` by path (``.git`` skipped, symlinks not followed)."""
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name == SKIPPED_NAME:
            continue
        path = f"{prefix}{entry.name}"
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            yield from _dir_items(Path(entry.path), f"{path}/")
        elif stat.S_ISLNK(info.st_mode):
            link = os.fsencode(Path(entry.path).readlink())
            yield Item(
                path=path, kind="symlink", executable=False, size=len(link), stream=io.BytesIO(link)
            )
        elif stat.S_ISREG(info.st_mode):
            with Path(entry.path).open("rb") as stream:
                executable = bool(info.st_mode & stat.S_IXUSR)
                yield Item(
                    path=path, kind="file", executable=executable, size=info.st_size, stream=stream
                )
        else:
            raise ArtifactTreeError(str(root), entry.name, "is a special file")


# --- writing -----------------------------------------------------------------------------------


def _make_parents(dest: Path, parent: Path) -> None:
    missing = []
    while not parent.exists() and parent != dest:
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        directory.mkdir()
        directory.chmod(DIRECTORY_MODE)


def _check_link(path: str, link: str) -> None:
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
    if link.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise ArtifactError(f"symlink `{path}` → `{link}` points outside the tree")


def _copy_exactly(item: Item, target: Path) -> None:
    written = 0
    with target.open("xb") as out:
        while chunk := item.stream.read(CHUNK):
            written += len(chunk)
            out.write(chunk)
    if written != item.size:
        raise ArtifactError(f"`{item.path}`: expected {item.size} bytes, read {written}")
