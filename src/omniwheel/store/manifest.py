"""What installing needs to know about a store tree, worked out once and kept beside it.

To install a wheel from its tree, :mod:`omniwheel.env.install` needs the name of its dist-info
directory, its ``Root-Is-Purelib``, its entry points, the files its ``RECORD`` lists (but for
``RECORD`` itself, its signatures, ``INSTALLER`` and ``REQUESTED``, which the installer writes) and
the directories those files are in.  Deriving that from the tree each time (a directory listing,
an email-header parse, ``RECORD`` through :mod:`csv`) was a tenth of a warm sync, so it is derived
once per tree and cached as JSON in ``<store>/manifests-v1/<sha256>.json``
(:meth:`~omniwheel.store.store.Store.manifest_file`).

A manifest is trusted as far as its tree is: both are derived from the verified wheel, live in
the same store and are never written in place (the manifest is replaced atomically).  One that
cannot be read, or has another :data:`MANIFEST_VERSION`, is derived again and rewritten; where the
store is read-only it is simply derived each time.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniwheel._atomic import write_atomic
from omniwheel.store.store import StoreError

MANIFEST_VERSION = 1
"""Bump (with the ``manifests-v1`` directory name in :mod:`~omniwheel.store.store`) when what a
manifest holds, or how it is derived from a tree, changes."""
UNHASHED = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s"})
"""dist-info files RECORD lists without a hash: RECORD itself and its signatures."""
WRITTEN_BY_INSTALLER = frozenset({*UNHASHED, "INSTALLER", "REQUESTED"})
"""dist-info files an installer writes itself, never taken from the wheel."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeManifest:
    """One store tree as installing sees it."""

    tree: Path
    dist_info: str
    """The dist-info directory's name, ``name-1.0.dist-info``."""
    root_is_purelib: bool
    entry_points: str | None
    """``entry_points.txt``, if the wheel has one."""
    files: Sequence[Sequence[str]]
    """``RECORD``'s rows (path, hash field, size), but for :data:`WRITTEN_BY_INSTALLER`."""
    directories: Sequence[str]
    """The directories (``/``-separated, relative to the tree) the files are in, sorted."""


def load_manifest(tree: Path, cached: Path, *, label: str) -> TreeManifest:
    """The manifest of ``tree`` from ``cached``, else derived from the tree and cached there.

    ``label`` names the wheel in the error raised when the tree is damaged."""
    try:
        data = json.loads(cached.read_bytes())
        if data["version"] == MANIFEST_VERSION:
            manifest = _from_json(tree, data)
            if (tree / manifest.dist_info).is_dir():  # else the tree is damaged: say so below
                return manifest
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, unreadable or of another shape: derive it again
    manifest = derive_manifest(tree, label=label)
    with contextlib.suppress(OSError):  # a read-only store: derive it next time too
        write_atomic(cached, _to_json(manifest))
    return manifest


def derive_manifest(tree: Path, *, label: str) -> TreeManifest:
    """Work out ``tree``'s manifest from the tree itself."""
    names = [entry.name for entry in tree.iterdir() if entry.name.endswith(".dist-info")]
    if len(names) != 1:
        raise StoreError(f"{label}: its store tree {tree} is damaged (no dist-info)")
    dist_info = names[0]
    skipped = {f"{dist_info}/{name}" for name in WRITTEN_BY_INSTALLER}
    with (tree / dist_info / "RECORD").open(encoding="utf-8", newline="") as handle:
        files = [row for row in csv.reader(handle) if len(row) == 3 and row[0] not in skipped]
    try:
        entry_points: str | None = (tree / dist_info / "entry_points.txt").read_text("utf-8")
    except FileNotFoundError:
        entry_points = None
    return TreeManifest(
        tree=tree,
        dist_info=dist_info,
        root_is_purelib=_root_is_purelib(tree / dist_info / "WHEEL"),
        entry_points=entry_points,
        files=files,
        directories=sorted({path.rpartition("/")[0] for path, _, _ in files} - {""}),
    )


def _root_is_purelib(wheel_file: Path) -> bool:
    from email.parser import BytesParser

    with wheel_file.open("rb") as handle:
        message = BytesParser().parse(handle, headersonly=True)
    return str(message.get("Root-Is-Purelib", "false")).strip().lower() == "true"


def _to_json(manifest: TreeManifest) -> bytes:
    data = {
        "version": MANIFEST_VERSION,
        "dist-info": manifest.dist_info,
        "root-is-purelib": manifest.root_is_purelib,
        "entry-points": manifest.entry_points,
        "files": manifest.files,
        "directories": manifest.directories,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _from_json(tree: Path, data: dict[str, Any]) -> TreeManifest:
    entry_points = data["entry-points"]
    files, directories = data["files"], data["directories"]
    if not (
        isinstance(data["dist-info"], str)
        and isinstance(data["root-is-purelib"], bool)
        and (entry_points is None or isinstance(entry_points, str))
        and isinstance(files, list)
        and set(map(type, files)) <= {list}
        and set(map(len, files)) <= {3}
        and isinstance(directories, list)
    ):
        raise TypeError("not a manifest")
    return TreeManifest(
        tree=tree,
        dist_info=data["dist-info"],
        root_is_purelib=data["root-is-purelib"],
        entry_points=entry_points,
        files=files,
        directories=directories,
    )
