"""Deterministic artifact tarballs, named by their tree, and the URLs they are published at.

Pkg downloads an artifact as a tarball, checks the download's sha256, unpacks it with Tar.jl
and checks the ``git-tree-sha1`` of the result.  A tarball written here is
``<git-tree-sha1>.tar.gz``:

- a tar stream (POSIX pax format: plain ustar headers, plus a pax ``x`` header only for a long
  or non-ASCII name, both of which Tar.jl reads), gzip-compressed — the one format every Pkg
  release unpacks;
- the tree's files at the archive root (no ``./`` and no top-level folder), with an entry for
  every directory before its content (Tar.jl would create missing parents itself, but explicit
  entries keep other unpackers happy), in :func:`~omniwheel.julia.tree.path_order`;
- every header fixed: mtime 0, uid/gid 0, empty user and group names, mode ``0o755`` for
  executables and directories, ``0o644`` for other files (Tar.jl decides executability from
  ``mode & 0o100``), symlinks as symlinks; no empty directories and no ``.git`` (Pkg's tree
  hash and ``Tar.tree_hash`` disagree on both);
- gzip at level 9 with header mtime 0 and no file name.

So the same tree gives the same bytes with the same zlib.  Another zlib (another Python build)
may compress differently; that is why an existing tarball is never rewritten: when
``<git-tree-sha1>.tar.gz`` exists, it is reused once its content is verified to be that tree,
so the sha256 already published for it stays true.  The recorded ``git-tree-sha1`` is computed
from the very bytes written into the archive, i.e. what Pkg will find after unpacking.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from omniwheel.julia import ArtifactError
from omniwheel.julia.artifacts_toml import Download
from omniwheel.julia.tree import (
    DIRECTORY_MODE,
    EXECUTABLE_MODE,
    FILE_MODE,
    Item,
    TreeLike,
    iter_items,
)
from omniwheel.julia.treehash import (
    CHUNK,
    Blob,
    BlobHasher,
    blob_sha1,
    entry_mode,
    path_problem,
    tree_sha1_of_blobs,
)

TARBALL_SUFFIX = ".tar.gz"
SYMLINK_MODE = 0o777
GZIP_LEVEL = 9
URL_SCHEMES = frozenset({"https", "http", "file"})
_SHA1 = re.compile(r"[0-9a-f]{40}")
_BASE_URL_HINT = (
    "give the URL of the directory the tarballs will be uploaded to, "
    "e.g. --base-url https://example.org/releases/v1/"
)


class BaseUrlError(ArtifactError):
    """A ``--base-url`` that cannot prefix a published tarball's name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackedArtifact:
    """A tarball of one tree: where it is, its sha256 and size, and the tree it unpacks to."""

    path: Path
    sha256: str
    size: int
    git_tree_sha1: str
    reused: bool = False

    def download(self, base_url: str) -> Download:
        """The ``[[name.download]]`` source for this tarball published under ``base_url``."""
        return Download(
            url=download_url(base_url, self.git_tree_sha1), sha256=self.sha256, size=self.size
        )


def pack_tree(tree: TreeLike, out_dir: Path) -> PackedArtifact:
    """Write ``tree`` as ``out_dir/<git-tree-sha1>.tar.gz``, or reuse the one already there.

    An existing tarball of that name is verified (it must unpack to that tree) and never
    overwritten; one holding another tree is an :class:`ArtifactError`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, linked or removed
        dir=out_dir, prefix=".pack-", suffix=".partial", delete=False
    )
    partial = Path(handle.name)
    try:
        with handle:
            sha1 = _write_tarball(tree, handle)
        final = out_dir / f"{sha1}{TARBALL_SUFFIX}"
        if not _place(partial, final):
            return _reused(final, sha1)
    finally:
        partial.unlink(missing_ok=True)
    sha256, size = _file_digest(final)
    return PackedArtifact(path=final, sha256=sha256, size=size, git_tree_sha1=sha1)


def tarball_tree_sha1(path: Path) -> str:
    """The ``git-tree-sha1`` Pkg computes after unpacking the tarball at ``path``.

    Directory entries only imply directories (empty ones are skipped, as Pkg's hash skips
    them); hard links hash like their target.  Unsafe names and entry types Tar.jl refuses are
    an :class:`ArtifactError`.
    """
    blobs: dict[str, Blob] = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                _hash_member(path, archive, member, blobs)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArtifactError(f"cannot read tarball {path}: {exc}") from exc
    return tree_sha1_of_blobs(blobs)


def check_base_url(base_url: str) -> str:
    """``base_url`` ending in ``/``; :class:`BaseUrlError` unless it is an ``http(s)`` URL
    with a host (or a ``file:`` URL) without credentials, query or fragment."""
    problem = _base_url_problem(base_url)
    if problem is not None:
        raise BaseUrlError(f"`{base_url}` is not a usable base URL: {problem}", hint=_BASE_URL_HINT)
    return base_url if base_url.endswith("/") else f"{base_url}/"


def download_url(base_url: str, git_tree_sha1: str) -> str:
    """Where the tarball of ``git_tree_sha1`` is published: ``<base>/<sha1>.tar.gz``."""
    if _SHA1.fullmatch(git_tree_sha1) is None:
        raise ArtifactError(f"`{git_tree_sha1}` is not a git-tree-sha1 (40 lowercase hex digits)")
    return f"{check_base_url(base_url)}{git_tree_sha1}{TARBALL_SUFFIX}"


# --- writing -----------------------------------------------------------------------------------


class _HashingReader:
    """Passes a stream's bytes to tarfile while feeding them to a blob hasher."""

    def __init__(self, stream: IO[bytes], hasher: BlobHasher) -> None:
        self._stream = stream
        self._hasher = hasher

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._hasher.update(data)
        return data


def _write_tarball(tree: TreeLike, out: IO[bytes]) -> str:
    """Write the tarball of ``tree`` into ``out``; the tree hash of what was written."""
    blobs: dict[str, Blob] = {}
    written_dirs: set[str] = set()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=GZIP_LEVEL) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar,
    ):
        for item in iter_items(tree):
            for directory in _parents(item.path):
                if directory not in written_dirs:
                    written_dirs.add(directory)
                    tar.addfile(_header(directory, tarfile.DIRTYPE, DIRECTORY_MODE))
            blobs[item.path] = _add_item(tar, item)
    return tree_sha1_of_blobs(blobs)


def _add_item(tar: tarfile.TarFile, item: Item) -> Blob:
    mode = entry_mode(item.kind, executable=item.executable)
    if item.kind == "symlink":
        target = item.stream.read()
        info = _header(item.path, tarfile.SYMTYPE, SYMLINK_MODE)
        info.linkname = target.decode()
        tar.addfile(info)
        return Blob(mode=mode, sha1=blob_sha1(target))
    info = _header(item.path, tarfile.REGTYPE, EXECUTABLE_MODE if item.executable else FILE_MODE)
    info.size = item.size
    hasher = BlobHasher(item.size)
    tar.addfile(info, _HashingReader(item.stream, hasher))
    return Blob(mode=mode, sha1=hasher.digest())


def _header(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _parents(path: str) -> Iterator[str]:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        yield "/".join(parts[:depth])


def _place(partial: Path, final: Path) -> bool:
    """Give ``partial`` the name ``final`` unless that name exists; False when it did."""
    try:
        os.link(partial, final)
    except FileExistsError:
        return False
    except OSError:
        # No hard links here (some network or FAT filesystems): a rename, checked first.
        if final.exists():
            return False
        partial.rename(final)
    return True


def _reused(final: Path, sha1: str) -> PackedArtifact:
    found = tarball_tree_sha1(final)
    if found != sha1:
        raise ArtifactError(
            f"{final} exists but unpacks to tree {found}, not {sha1}",
            hint="a published tarball must never change under its name: remove the file if "
            "it was never published, else investigate how it changed",
        )
    sha256, size = _file_digest(final)
    return PackedArtifact(path=final, sha256=sha256, size=size, git_tree_sha1=sha1, reused=True)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- reading -----------------------------------------------------------------------------------


def _hash_member(
    path: Path, archive: tarfile.TarFile, member: tarfile.TarInfo, blobs: dict[str, Blob]
) -> None:
    name = member.name.removeprefix("./").rstrip("/")
    if name in ("", "."):
        return
    problem = path_problem(name)
    if problem is not None:
        raise ArtifactError(f"tarball {path}: entry `{member.name}` {problem}")
    if member.isdir():
        return
    if member.issym():
        blobs[name] = Blob(
            mode=entry_mode("symlink", executable=False), sha1=blob_sha1(member.linkname.encode())
        )
    elif member.islnk():
        target = member.linkname.removeprefix("./")
        if target not in blobs:
            raise ArtifactError(f"tarball {path}: hard link `{member.name}` to unknown `{target}`")
        blobs[name] = blobs[target]
    elif member.isreg():
        blobs[name] = _member_blob(archive, member)
    else:
        raise ArtifactError(f"tarball {path}: entry `{member.name}` is of a type Tar.jl refuses")


def _member_blob(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Blob:
    stream = archive.extractfile(member)
    if stream is None:  # pragma: no cover - regular members always have a stream
        raise ArtifactError(f"cannot read `{member.name}`")
    hasher = BlobHasher(member.size)
    with stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
    executable = bool(member.mode & 0o100)
    return Blob(mode=entry_mode("file", executable=executable), sha1=hasher.digest())


def _base_url_problem(base_url: str) -> str | None:
    if not base_url or any(char.isspace() or ord(char) < 0x20 for char in base_url):
        return "it is empty or contains whitespace"
    parts = urlsplit(base_url)
    if parts.scheme not in URL_SCHEMES:
        return "it is not an http(s) or file URL"
    if parts.scheme != "file" and not parts.hostname:
        return "it has no host"
    if parts.username is not None or parts.password is not None:
        return "it carries credentials, which would be published in Artifacts.toml"
    if parts.query or parts.fragment:
        return "it has a query or fragment, so file names cannot be appended to it"
    return None
