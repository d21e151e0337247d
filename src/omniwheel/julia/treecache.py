"""The ``git-tree-sha1`` of each wheel's artifact tree, cached forever by the wheel's sha256.

A wheel's bytes never change under its sha256, and its tree hash is a function of those bytes
(:func:`omniwheel.julia.tree.git_tree_sha1_of_wheel`), so once computed it is kept for good:
``omniwheel artifacts write`` on a warm cache reads small files instead of downloading every
target's wheels again.  Layout under ``<cache root>/julia-trees-v1/`` (see :data:`TREES_DIR`)::

    <sha256[:2]>/<sha256>    40 lowercase hex digits: the tree's git-tree-sha1

Entries are written atomically (temporary file + rename), so concurrent processes computing the
same entry both write the same bytes and a reader never sees half of one.  An entry that does
not hold a well-formed hash is ignored and recomputed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from omniwheel._atomic import write_atomic
from omniwheel.julia import ArtifactError
from omniwheel.julia.tree import git_tree_sha1_of_wheel

TREES_DIR = "julia-trees-v1"
PYTHON_TREES_DIR = "julia-python-trees-v1"
"""The same layout for interpreter archives (by the archive's sha256): the tree it unpacks to,
as archived (:func:`omniwheel.julia.python_artifact.archive_tree_sha1`).  Bump it when that
hash changes (julia/treehash.py, or what counts as the archive's tree)."""
# Bump the version when what a tree holds changes (the layout rules of julia/tree.py: what is
# merged at the root, what is kept under .data, the executable rule, the skipped names) or when
# the hash itself changes (julia/treehash.py): every cached hash is then stale.

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, slots=True)
class TreeHashCache:
    """Tree hashes by wheel sha256, rooted at ``root`` (``<cache root>/julia-trees-v1``)."""

    root: Path

    @classmethod
    def in_cache(cls, cache_root: Path) -> TreeHashCache:
        return cls(cache_root / TREES_DIR)

    @classmethod
    def for_pythons(cls, cache_root: Path) -> TreeHashCache:
        """The cache of interpreter archives' tree hashes (:data:`PYTHON_TREES_DIR`); only
        :meth:`get` and :meth:`put` apply to it."""
        return cls(cache_root / PYTHON_TREES_DIR)

    def get(self, sha256: str) -> str | None:
        """The cached tree hash of the wheel with this sha256, or None."""
        try:
            text = self._entry(sha256).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return text if _SHA1.fullmatch(text) else None

    def put(self, sha256: str, git_tree_sha1: str) -> None:
        if _SHA1.fullmatch(git_tree_sha1) is None:
            raise ArtifactError(f"`{git_tree_sha1}` is not a git-tree-sha1")
        write_atomic(self._entry(sha256), f"{git_tree_sha1}\n".encode())

    def tree_sha1(self, sha256: str, wheel: Path, *, filename: str) -> str:
        """The tree hash of ``wheel`` (whose sha256 the caller verified), cached or computed."""
        cached = self.get(sha256)
        if cached is not None:
            return cached
        computed = git_tree_sha1_of_wheel(wheel, filename=filename)
        self.put(sha256, computed)
        return computed

    def _entry(self, sha256: str) -> Path:
        # The hash becomes a path: nothing but 64 lowercase hex digits may get that far.
        if _SHA256.fullmatch(sha256) is None:
            raise ArtifactError(f"`{sha256}` is not a sha256 hex digest")
        return self.root / sha256[:2] / sha256
