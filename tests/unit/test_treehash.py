"""git-tree-sha1 as Pkg computes it: the spec's vectors, and git itself on trees built here.

The vectors live in ``tests/vectors/julia_treehash.toml``.  Each is checked three ways: as an
abstract tree, as a directory on disk, and (where git can hold the tree) against
``git add -A && git write-tree``.
"""

from __future__ import annotations

import os
import random
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from omniwheel.julia import ArtifactError
from omniwheel.julia.treehash import (
    EMPTY_TREE,
    Blob,
    BlobHasher,
    GitMode,
    TreeEntry,
    TreePathError,
    blob_sha1,
    check_tree_paths,
    path_problem,
    tree_sha1,
    tree_sha1_of_blobs,
    tree_sha1_of_dir,
)
from tests.support.git_tree import git_write_tree, needs_git

VECTORS: dict[str, Any] = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "julia_treehash.toml").read_text(encoding="utf-8")
)


def _params(section: str) -> list[Any]:
    return [pytest.param(vector, id=vector["key"]) for vector in VECTORS[section]]


def _entries(vector: Mapping[str, Any]) -> dict[str, TreeEntry]:
    entries = {
        file["path"]: TreeEntry.file(file["data"].encode(), executable=bool(file["mode"] & 0o100))
        for file in vector["files"]
    }
    for link in vector.get("symlinks", []):
        entries[link["path"]] = TreeEntry.symlink(link["target"])
    return entries


def _materialise(vector: Mapping[str, Any], root: Path) -> Path:
    root.mkdir()
    for file in vector["files"]:
        path = root / file["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file["data"], encoding="utf-8")
        path.chmod(file["mode"])
    for link in vector.get("symlinks", []):
        (root / link["path"]).symlink_to(link["target"])
    for directory in vector.get("empty_dirs", []):
        (root / directory).mkdir(parents=True)
    return root


@pytest.mark.parametrize("vector", _params("tree"))
def test_abstract_tree_matches_vector(vector: Mapping[str, Any]) -> None:
    assert tree_sha1(_entries(vector)) == vector["git_tree_sha1"]


@pytest.mark.parametrize("vector", _params("tree"))
def test_directory_matches_vector(vector: Mapping[str, Any], tmp_path: Path) -> None:
    root = _materialise(vector, tmp_path / "tree")
    assert tree_sha1_of_dir(root) == vector["git_tree_sha1"]


@needs_git
@pytest.mark.parametrize("vector", [v for v in _params("tree") if v.values[0].get("git", True)])
def test_git_agrees_with_vector(vector: Mapping[str, Any], tmp_path: Path) -> None:
    root = _materialise(vector, tmp_path / "tree")
    assert git_write_tree(root, tmp_path / "git") == vector["git_tree_sha1"]


@pytest.mark.parametrize("vector", _params("blob"))
def test_blob_vector(vector: Mapping[str, Any]) -> None:
    assert blob_sha1(vector["data"].encode()).hex() == vector["sha1"]


def test_empty_tree_constant() -> None:
    assert tree_sha1({}) == EMPTY_TREE


# --- against git, on trees that stress the ordering ---------------------------------------------


def _tricky_tree(root: Path) -> Path:
    """Names that sort differently once a directory is compared as ``name/``, modes, links."""
    files = {
        "a": b"plain\n",
        "a.b": b"dot\n",
        "a-b": b"dash\n",
        "a0": b"zero\n",
        "a/inner.py": b"x = 1\n",
        "a/b/c/deep.txt": b"deep\n",
        "a/b.c": b"file beside dir\n",
        "A": b"upper case sorts first\n",
        "with space.txt": b"space\n",
        "caf\u00e9.txt": b"non-ASCII name\n",
        "empty-file": b"",
        "bin/run": b"#!/bin/sh\nexit 0\n",
    }
    for name, data in files.items():
        # `a` is both a file and a directory above: keep the directory, rename the file.
        path = root / ("a.file" if name == "a" else name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "bin" / "run").chmod(0o755)
    (root / "a" / "b" / "c" / "deep.txt").chmod(0o700)
    (root / "link-to-dir").symlink_to("a/b")
    (root / "dangling").symlink_to("does/not/exist")
    (root / "empty" / "nested").mkdir(parents=True)
    return root


@needs_git
def test_tricky_tree_matches_git(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _tricky_tree(root)
    assert tree_sha1_of_dir(root) == git_write_tree(root, tmp_path / "git")


@needs_git
@pytest.mark.parametrize("seed", range(6))
def test_random_trees_match_git(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    root = tmp_path / "tree"
    root.mkdir()
    names = ["a", "a.b", "a-b", "a0", "a_", "b", "Z", "x.py", "x", "x-"]
    entries: dict[str, TreeEntry] = {}
    for _ in range(40):
        depth = rng.randint(1, 4)
        parts = [rng.choice(names) + rng.choice(["", "d"]) for _ in range(depth - 1)]
        path = "/".join([*(f"{part}.dir" for part in parts), rng.choice(names)])
        if any(path.startswith(f"{p}/") or p.startswith(f"{path}/") for p in entries):
            continue
        executable = rng.random() < 0.3
        entries[path] = TreeEntry.file(rng.randbytes(rng.randint(0, 50)), executable=executable)
    for path, entry in entries.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(entry.data)
        target.chmod(0o755 if entry.executable else 0o644)
    expected = git_write_tree(root, tmp_path / "git")
    assert tree_sha1_of_dir(root) == expected
    assert tree_sha1(entries) == expected


@needs_git
def test_directory_with_only_dot_git_is_an_empty_tree_as_in_pkg(tmp_path: Path) -> None:
    """Pkg decides "contains files" before skipping `.git`: git would drop `d` altogether."""
    root = tmp_path / "tree"
    (root / "d" / ".git").mkdir(parents=True)
    (root / "d" / ".git" / "HEAD").write_text("junk\n")
    (root / "a").write_text("hello\n")
    hello = blob_sha1(b"hello\n").hex()
    listing = f"100644 blob {hello}\ta\n040000 tree {EMPTY_TREE}\td\n"
    scratch = tmp_path / "scratch.git"
    subprocess.run(["git", "init", "-q", "--bare", str(scratch)], check=True)
    expected = subprocess.run(
        ["git", "mktree", "--missing"],
        input=listing,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GIT_DIR": str(scratch)},
    ).stdout.strip()
    assert tree_sha1_of_dir(root) == expected
    assert tree_sha1({"a": TreeEntry.file(b"hello\n"), "d/.git/HEAD": TreeEntry.file(b"x")}) == (
        expected
    )


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty"),
        ("../x", "`..`"),
        ("a/../../x", "`..`"),
        ("/etc/passwd", "absolute"),
        ("C:/x", "drive letter"),
        ("a\\b", "backslash"),
        ("a//b", "empty or `.`"),
        ("./a", "empty or `.`"),
        ("a/", "empty or `.`"),
        ("a\x00b", "NUL"),
    ],
)
def test_unsafe_paths_are_refused(path: str, problem: str) -> None:
    found = path_problem(path)
    assert found is not None
    assert problem in found
    with pytest.raises(TreePathError, match="tree path"):
        tree_sha1({path: TreeEntry.file(b"x")})


def test_good_path_has_no_problem() -> None:
    assert path_problem("pkg/sub/module.py") is None


@pytest.mark.parametrize(
    "paths",
    [("a", "a/b"), ("a/b", "a"), ("x/a", "x/a/b/c")],
    ids=["file-first", "dir-first", "deep"],
)
def test_file_and_directory_at_one_path_is_refused(paths: tuple[str, ...]) -> None:
    with pytest.raises(TreePathError, match="both a file and a directory"):
        check_tree_paths(paths)


def test_blob_hasher_refuses_a_short_stream() -> None:
    hasher = BlobHasher(10)
    hasher.update(b"short")
    with pytest.raises(ArtifactError, match="expected 10 bytes"):
        hasher.digest()


def test_blobs_and_entries_agree() -> None:
    blobs = {"x": Blob(mode=GitMode.EXECUTABLE, sha1=blob_sha1(b"data"))}
    assert tree_sha1_of_blobs(blobs) == tree_sha1({"x": TreeEntry.file(b"data", executable=True)})


def test_special_files_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ArtifactError, match="not a regular file"):
        tree_sha1_of_dir(tmp_path)


def test_hashing_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not a directory"):
        tree_sha1_of_dir(tmp_path / "missing")
