"""Artifact trees of wheels: layout, modes from the archive, refusals, and writing them out.

The hash of a wheel's tree, computed from its zip entries, must equal the hash of the tree once
written (whatever the umask) and the tree git records for that directory.
"""

from __future__ import annotations

import ensurepip
import os
import stat
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from omniwheel.julia import ArtifactError
from omniwheel.julia.tree import (
    ArtifactTreeError,
    Tree,
    git_tree_sha1,
    git_tree_sha1_of_wheel,
    iter_items,
    path_order,
    tree_of_wheel,
    write_tree,
)
from omniwheel.julia.treehash import TreeEntry, TreePathError, tree_sha1, tree_sha1_of_dir
from tests.support.git_tree import git_write_tree, needs_git
from tests.support.wheelbuilder import ZIP_TIMESTAMP, build_wheel

DATA = "demo-1.0.data"
LAYOUT_FILES = {
    "demo/__init__.py": b"",
    "demo/core.py": b"X = 1\n",
    f"{DATA}/purelib/demo_extra/__init__.py": b"# purelib\n",
    f"{DATA}/platlib/_demo_native.so": b"\x7fELF fake\n",
    f"{DATA}/scripts/demo-tool": b"#!python\nprint('hi')\n",
    f"{DATA}/data/share/demo/thing.txt": b"data\n",
    f"{DATA}/headers/demo.h": b"int demo(void);\n",
}


def _demo(wheel_dir: Path, files: Mapping[str, bytes] | None = None) -> Path:
    return build_wheel(wheel_dir, "demo", "1.0", files=files or LAYOUT_FILES)


def _rewritten(wheel: Path, *, modes: Mapping[str, int] = {}) -> Path:
    """A copy of ``wheel`` whose named entries carry other mode bits."""
    out = wheel.with_name(f"modes-{wheel.name}")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in modes:
                info.external_attr = modes[info.filename] << 16
            target.writestr(info, source.read(info))
    return out


def _with_entries(wheel: Path, entries: Sequence[tuple[str, int, bytes]]) -> Path:
    """``wheel`` with raw entries (name, full st_mode, bytes) appended, duplicates allowed."""
    with zipfile.ZipFile(wheel, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are the point
        for name, mode, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return wheel


# --- layout -----------------------------------------------------------------------------------


def test_wheel_tree_layout(wheel_dir: Path) -> None:
    tree = tree_of_wheel(_demo(wheel_dir))
    assert sorted(tree.files) == [
        "_demo_native.so",
        f"{DATA}/data/share/demo/thing.txt",
        f"{DATA}/headers/demo.h",
        f"{DATA}/scripts/demo-tool",
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/RECORD",
        "demo-1.0.dist-info/WHEEL",
        "demo/__init__.py",
        "demo/core.py",
        "demo_extra/__init__.py",
    ]
    assert list(tree.files) == sorted(tree.files, key=path_order)
    assert tree.files["demo_extra/__init__.py"].member == f"{DATA}/purelib/demo_extra/__init__.py"
    assert tree.script_paths() == (f"{DATA}/scripts/demo-tool",)


def test_scripts_are_executable_and_the_rest_is_not(wheel_dir: Path) -> None:
    tree = tree_of_wheel(_demo(wheel_dir))
    executable = {path for path, file in tree.files.items() if file.executable}
    assert executable == {f"{DATA}/scripts/demo-tool"}


@pytest.mark.parametrize(
    ("mode", "executable"),
    [(0o100755, True), (0o100744, True), (0o100654, True), (0o100701, True), (0o100644, False)],
)
def test_mode_comes_from_the_zip_entry(wheel_dir: Path, mode: int, executable: bool) -> None:
    wheel = _rewritten(_demo(wheel_dir), modes={"demo/core.py": mode})
    assert tree_of_wheel(wheel).files["demo/core.py"].executable is executable


def test_entry_without_unix_mode_is_not_executable(wheel_dir: Path) -> None:
    wheel = _rewritten(_demo(wheel_dir), modes={"demo/core.py": 0})
    assert tree_of_wheel(wheel).files["demo/core.py"].executable is False


def test_dot_git_entries_are_dropped(wheel_dir: Path) -> None:
    files = {**LAYOUT_FILES, "demo/.git/HEAD": b"junk\n", "demo/sub/.git": b"gitdir: x\n"}
    tree = tree_of_wheel(_demo(wheel_dir, files))
    assert not [path for path in tree.files if ".git" in path.split("/")]


def test_directory_entries_are_implied(wheel_dir: Path) -> None:
    wheel = _with_entries(_demo(wheel_dir), [("demo/empty/", stat.S_IFDIR | 0o755, b"")])
    assert "demo/empty" not in tree_of_wheel(wheel).files
    assert "demo/empty/" not in tree_of_wheel(wheel).files


def test_filename_defaults_to_the_file_name(wheel_dir: Path) -> None:
    wheel = _demo(wheel_dir)
    assert tree_of_wheel(wheel).filename == wheel.name
    assert tree_of_wheel(wheel, filename="published.whl").filename == "published.whl"


# --- hashes and writing -----------------------------------------------------------------------


def _written(tree: Tree | Mapping[str, TreeEntry] | Path, dest: Path, mask: int) -> Path:
    previous = os.umask(mask)
    try:
        write_tree(tree, dest)
    finally:
        os.umask(previous)
    return dest


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o277, 0o000])
def test_written_tree_hashes_like_the_wheel_whatever_the_umask(
    wheel_dir: Path, tmp_path: Path, mask: int
) -> None:
    wheel = _rewritten(_demo(wheel_dir), modes={"demo/core.py": 0o100755})
    expected = git_tree_sha1_of_wheel(wheel)
    dest = _written(tree_of_wheel(wheel), tmp_path / "tree", mask)
    assert tree_sha1_of_dir(dest) == expected
    modes = {
        path.relative_to(dest).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in dest.rglob("*")
    }
    assert modes["demo/core.py"] == 0o755
    assert modes[f"{DATA}/scripts/demo-tool"] == 0o755
    assert modes["demo/__init__.py"] == 0o644
    assert modes["demo"] == 0o755


@needs_git
def test_git_agrees_with_the_wheel_hash(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _rewritten(_demo(wheel_dir), modes={"demo/core.py": 0o100755})
    dest = _written(tree_of_wheel(wheel), tmp_path / "tree", 0o022)
    assert git_write_tree(dest, tmp_path / "git") == git_tree_sha1_of_wheel(wheel)


def _bundled_wheels() -> list[Path]:
    return sorted((Path(ensurepip.__file__).parent / "_bundled").glob("*.whl"))


@needs_git
@pytest.mark.skipif(not _bundled_wheels(), reason="this Python bundles no wheels")
@pytest.mark.parametrize("wheel", _bundled_wheels(), ids=lambda path: path.name)
def test_real_wheel_hash_matches_git(wheel: Path, tmp_path: Path) -> None:
    """A wheel built by a real build backend (the ones ensurepip bundles)."""
    tree = tree_of_wheel(wheel)
    dest = _written(tree, tmp_path / "tree", 0o022)
    assert git_tree_sha1(tree) == git_write_tree(dest, tmp_path / "git")
    assert tree_sha1_of_dir(dest) == git_tree_sha1(tree)


def test_abstract_tree_is_written_with_symlinks(tmp_path: Path) -> None:
    entries = {
        "bin/tool": TreeEntry.file(b"#!/bin/sh\necho hi\n", executable=True),
        "lib/libfoo.so.1": TreeEntry.file(b"lib\n"),
        "lib/libfoo.so": TreeEntry.symlink("libfoo.so.1"),
        "lib/up": TreeEntry.symlink("../bin"),
    }
    dest = _written(entries, tmp_path / "tree", 0o077)
    assert (dest / "lib" / "libfoo.so").is_symlink()
    assert (dest / "lib" / "libfoo.so").readlink() == Path("libfoo.so.1")
    assert tree_sha1_of_dir(dest) == tree_sha1(entries) == git_tree_sha1(entries)


def test_directory_tree_round_trips(tmp_path: Path) -> None:
    entries = {"a/b.txt": TreeEntry.file(b"b\n"), "a/x": TreeEntry.file(b"", executable=True)}
    first = _written(entries, tmp_path / "first", 0o022)
    (first / ".git").mkdir()
    (first / ".git" / "HEAD").write_text("skipped\n")
    second = _written(first, tmp_path / "second", 0o022)
    assert not (second / ".git").exists()
    assert git_tree_sha1(first) == tree_sha1_of_dir(second) == tree_sha1(entries)


def test_path_order_puts_a_directory_before_its_neighbours() -> None:
    paths = ["a-b", "a/x", "a.b", "a/b/c", "a0", "b"]
    assert sorted(paths, key=path_order) == ["a/b/c", "a/x", "a-b", "a.b", "a0", "b"]


def test_all_sources_walk_in_path_order(tmp_path: Path) -> None:
    entries = {path: TreeEntry.file(b"") for path in ("a-b", "a/x", "a.b", "a/b/c", "a0")}
    expected = sorted(entries, key=path_order)
    assert [item.path for item in iter_items(entries)] == expected
    written = _written(entries, tmp_path / "tree", 0o022)
    assert [item.path for item in iter_items(written)] == expected


def test_items_are_sorted_and_sized(wheel_dir: Path) -> None:
    tree = tree_of_wheel(_demo(wheel_dir))
    items = [(item.path, item.size, len(item.stream.read())) for item in iter_items(tree)]
    assert [path for path, _, _ in items] == sorted(tree.files, key=path_order)
    assert all(size == read for _, size, read in items)


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside", "a/../../outside"])
def test_write_refuses_symlinks_out_of_the_tree(tmp_path: Path, target: str) -> None:
    with pytest.raises(ArtifactError, match="points outside the tree"):
        write_tree({"link": TreeEntry.symlink(target)}, tmp_path / "tree")


def test_write_refuses_to_write_through_a_symlink(tmp_path: Path) -> None:
    entries = {"d": TreeEntry.symlink("elsewhere"), "d/x": TreeEntry.file(b"x")}
    with pytest.raises(TreePathError, match="both a file and a directory"):
        write_tree(entries, tmp_path / "tree")
    assert not (tmp_path / "tree").exists()


def test_write_refuses_an_existing_destination(wheel_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    with pytest.raises(FileExistsError):
        write_tree(tree_of_wheel(_demo(wheel_dir)), tmp_path / "tree")


# --- refusals ---------------------------------------------------------------------------------

REGULAR = stat.S_IFREG | 0o644


@pytest.mark.parametrize(
    ("entries", "culprit", "problem"),
    [
        ([("../evil.py", REGULAR, b"")], "../evil.py", "`..`"),
        ([("demo/../../evil.py", REGULAR, b"")], "demo/../../evil.py", "`..`"),
        ([("/etc/evil", REGULAR, b"")], "/etc/evil", "absolute"),
        ([("C:/evil", REGULAR, b"")], "C:/evil", "drive letter"),
        ([("demo\\evil.py", REGULAR, b"")], "demo\\evil.py", "backslash"),
        ([("demo/link", stat.S_IFLNK | 0o777, b"/etc")], "demo/link", "symbolic link"),
        ([("demo/fifo", stat.S_IFIFO | 0o644, b"")], "demo/fifo", "special file"),
        ([("demo/core.py", REGULAR, b"again")], "demo/core.py", "appears twice"),
        ([("demo/CORE.py", REGULAR, b"")], "demo/CORE.py", "ignoring case"),
        (
            [(f"{DATA}/purelib/demo/core.py", REGULAR, b"")],
            f"{DATA}/purelib/demo/core.py",
            "where `demo/core.py` goes too",
        ),
        (
            [(f"{DATA}/platlib/demo/__init__.py", REGULAR, b"")],
            f"{DATA}/platlib/demo/__init__.py",
            "where `demo/__init__.py` goes too",
        ),
        ([("demo/core.py/inner", REGULAR, b"")], "demo/core.py", "both a file and a directory"),
        ([(f"{DATA}/unknown/x", REGULAR, b"")], f"{DATA}/unknown/x", "is not inside one of"),
        ([(f"{DATA}/loose", REGULAR, b"")], f"{DATA}/loose", "is not inside one of"),
    ],
)
def test_unsafe_entries_are_refused(
    wheel_dir: Path, entries: list[tuple[str, int, bytes]], culprit: str, problem: str
) -> None:
    wheel = _with_entries(_demo(wheel_dir), entries)
    with pytest.raises(ArtifactTreeError) as caught:
        tree_of_wheel(wheel)
    assert caught.value.source == wheel.name
    assert caught.value.entry == culprit
    assert problem in caught.value.problem
    assert wheel.name in caught.value.message
    assert culprit in caught.value.message


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    with pytest.raises(ArtifactTreeError, match="not a readable zip archive"):
        tree_of_wheel(wheel)


def test_a_wheel_needs_one_dist_info(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "")
    with pytest.raises(ArtifactTreeError, match=r"needs one \.dist-info directory \(found none\)"):
        tree_of_wheel(wheel)
