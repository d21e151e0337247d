"""Git tree hashes (``git-tree-sha1``) exactly as Julia's Pkg computes them.

An artifact is named by the git tree hash of its directory, and Pkg checks a downloaded
artifact by hashing the unpacked directory with ``GitTools.tree_hash``.  This module is that
function, over an abstract tree (POSIX path → :class:`TreeEntry`), over precomputed blobs, or
over a directory on disk:

- a blob is ``sha1(b"blob <len>\\0" + bytes)``; a symlink's blob holds its target;
- a tree is ``sha1(b"tree <len>\\0" + entries)``, each entry ``b"<mode> <name>\\0"`` plus the
  child's 20 raw hash bytes;
- modes are ``100644``, ``100755`` (owner execute bit set), ``120000`` (symlink), ``40000``
  (directory);
- entries sort by the bytes of their names, a directory's name with ``/`` appended (git's
  order: ``foo.txt`` < ``foo/`` < ``foo0``);
- an entry named ``.git`` is skipped at every level, and so is a directory with no file in it.

One quirk is kept on purpose because Pkg has it: whether a directory "contains files" is
decided *before* ``.git`` is skipped, so a directory holding only a ``.git`` directory with
files in it is hashed as an empty tree (git itself would leave it out).  Artifact trees never
hold ``.git`` (:mod:`omniwheel.julia.tree` drops it), so the quirk never matters for them.

Symlink blobs hash the target's UTF-8 bytes, as git does; Pkg releases up to 1.12 count the
target's characters instead, which differs only for non-ASCII targets, which wheels cannot
have.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeAlias

from omniwheel.julia import ArtifactError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
"""The hash of a tree with nothing in it (git's well-known empty tree)."""

CHUNK = 1024 * 1024
SKIPPED_NAME = ".git"
_DRIVE = re.compile(r"[A-Za-z]:")


class GitMode(StrEnum):
    """The mode git records for a tree entry, as the ASCII octal git writes (no leading 0)."""

    FILE = "100644"
    EXECUTABLE = "100755"
    SYMLINK = "120000"
    TREE = "40000"


EntryKind: TypeAlias = Literal["file", "symlink"]


class TreePathError(ArtifactError):
    """A path that cannot be part of a tree (``..``, absolute, empty parts, file vs dir)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeEntry:
    """One file or symlink of an abstract tree.

    ``data`` is the file's bytes, or for a symlink its target (UTF-8).  ``executable`` is
    meaningless for symlinks.
    """

    kind: EntryKind = "file"
    executable: bool = False
    data: bytes = b""

    @classmethod
    def file(cls, data: bytes, *, executable: bool = False) -> TreeEntry:
        return cls(kind="file", executable=executable, data=data)

    @classmethod
    def symlink(cls, target: str) -> TreeEntry:
        return cls(kind="symlink", data=target.encode())

    @property
    def mode(self) -> GitMode:
        return entry_mode(self.kind, executable=self.executable)


@dataclass(frozen=True, slots=True, kw_only=True)
class Blob:
    """A tree entry once its content is hashed: its mode and its 20-byte blob id."""

    mode: GitMode
    sha1: bytes


def entry_mode(kind: EntryKind, *, executable: bool) -> GitMode:
    if kind == "symlink":
        return GitMode.SYMLINK
    return GitMode.EXECUTABLE if executable else GitMode.FILE


class BlobHasher:
    """Streams the bytes of one blob whose size is known up front (a zip entry, a file)."""

    def __init__(self, size: int) -> None:
        self._expected = size
        self._seen = 0
        self._digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)

    def update(self, chunk: bytes) -> None:
        self._seen += len(chunk)
        self._digest.update(chunk)

    def digest(self) -> bytes:
        """The blob id; :class:`ArtifactError` when the bytes were not the announced size."""
        if self._seen != self._expected:
            raise ArtifactError(f"expected {self._expected} bytes for a blob, got {self._seen}")
        return self._digest.digest()


def blob_sha1(data: bytes) -> bytes:
    """The raw 20-byte git blob id of ``data``."""
    hasher = BlobHasher(len(data))
    hasher.update(data)
    return hasher.digest()


def tree_sha1(entries: Mapping[str, TreeEntry]) -> str:
    """The ``git-tree-sha1`` of an abstract tree (POSIX relative path → entry)."""
    return tree_sha1_of_blobs(
        {path: Blob(mode=entry.mode, sha1=blob_sha1(entry.data)) for path, entry in entries.items()}
    )


def tree_sha1_of_blobs(blobs: Mapping[str, Blob]) -> str:
    """The ``git-tree-sha1`` of a tree given as POSIX relative path → hashed entry.

    Directories are implied by the paths, so none is empty.  Raises :class:`TreePathError`
    for a path that is unsafe or that is both a file and a directory.
    """
    return _node_sha1(_nest(blobs)).hex()


def tree_sha1_of_dir(root: Path) -> str:
    """The ``git-tree-sha1`` of a directory on disk, as ``Pkg.GitTools.tree_hash`` gives it.

    Executable means the owner execute bit (``st_mode & 0o100``); symlinks are not followed.
    Special files (FIFOs, devices) are refused rather than read.
    """
    if not root.is_dir():
        raise ArtifactError(f"cannot hash {root}: not a directory")
    return _node_sha1(_dir_node(root)).hex()


def check_tree_paths(paths: Iterable[str]) -> None:
    """Raise :class:`TreePathError` unless ``paths`` can all be entries of one tree."""
    _nest(dict.fromkeys(paths, Blob(mode=GitMode.FILE, sha1=bytes(20))))


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name an entry of a tree, or None when it can."""
    parts = path.split("/")
    checks = (
        (not path or "\x00" in path, "is empty or contains a NUL character"),
        ("\\" in path, "contains a backslash"),
        (path.startswith("/"), "is absolute"),
        (_DRIVE.match(path) is not None, "starts with a drive letter"),
        (".." in parts, "climbs out of the tree with `..`"),
        (any(part in ("", ".") for part in parts), "has an empty or `.` component"),
    )
    return next((problem for failed, problem in checks if failed), None)


# --- nesting and hashing -----------------------------------------------------------------------

_Node: TypeAlias = dict[str, "_Node | Blob"]


def _nest(blobs: Mapping[str, Blob]) -> _Node:
    root: _Node = {}
    for path, blob in blobs.items():
        problem = path_problem(path)
        if problem is not None:
            raise TreePathError(f"tree path `{path}` {problem}")
        *parents, leaf = path.split("/")
        node = root
        for depth, part in enumerate(parents, start=1):
            child = node.setdefault(part, {})
            if isinstance(child, Blob):
                raise TreePathError(
                    f"tree path `{'/'.join(parents[:depth])}` is both a file and a directory"
                )
            node = child
        if leaf in node:
            raise TreePathError(f"tree path `{path}` is both a file and a directory")
        node[leaf] = blob
    return root


def _node_sha1(node: _Node) -> bytes:
    rows: list[tuple[bytes, GitMode, bytes]] = []
    for name, child in node.items():
        if name == SKIPPED_NAME:
            continue
        if isinstance(child, Blob):
            rows.append((name.encode(), child.mode, child.sha1))
        else:
            rows.append((name.encode(), GitMode.TREE, _node_sha1(child)))
    rows.sort(key=lambda row: row[0] + b"/" if row[1] is GitMode.TREE else row[0])
    body = b"".join(f"{mode} ".encode() + name + b"\0" + sha1 for name, mode, sha1 in rows)
    return hashlib.sha1(f"tree {len(body)}\0".encode() + body, usedforsecurity=False).digest()


def _dir_node(directory: Path) -> _Node:
    """A directory as a node: files and symlinks as blobs, subdirectories with files as nodes."""
    node: _Node = {}
    for entry in _scan(directory):
        path = Path(entry.path)
        if entry.name == SKIPPED_NAME:
            # Skipped when hashed, but it decides whether its parent "contains files" (Pkg).
            if _contains_files(path):
                node[entry.name] = Blob(mode=GitMode.FILE, sha1=bytes(20))
            continue
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            if _contains_files(path):
                node[entry.name] = _dir_node(path)
        else:
            node[entry.name] = _disk_blob(path, info)
    return node


def _disk_blob(path: Path, info: os.stat_result) -> Blob:
    if stat.S_ISLNK(info.st_mode):
        return Blob(mode=GitMode.SYMLINK, sha1=blob_sha1(os.fsencode(path.readlink())))
    if not stat.S_ISREG(info.st_mode):
        raise ArtifactError(f"cannot hash {path}: not a regular file, directory or symlink")
    hasher = BlobHasher(info.st_size)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    executable = bool(info.st_mode & stat.S_IXUSR)
    return Blob(mode=entry_mode("file", executable=executable), sha1=hasher.digest())


def _contains_files(path: Path) -> bool:
    """Pkg's ``contains_files``: a non-directory counts as a file; ``.git`` is not special."""
    if not stat.S_ISDIR(path.lstat().st_mode):
        return True
    return any(_contains_files(Path(entry.path)) for entry in _scan(path))


def _scan(directory: Path) -> Iterable[os.DirEntry[str]]:
    with os.scandir(directory) as entries:
        return list(entries)
