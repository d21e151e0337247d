"""Artifact tarballs: reproducible bytes, fixed headers, round trip to the recorded tree hash,
reuse without overwriting, and the base URL they are published under."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from omniwheel.julia import ArtifactError
from omniwheel.julia.artifacts_toml import Download
from omniwheel.julia.pack import (
    BaseUrlError,
    check_base_url,
    download_url,
    pack_tree,
    tarball_tree_sha1,
)
from omniwheel.julia.tree import (
    git_tree_sha1,
    git_tree_sha1_of_wheel,
    path_order,
    tree_of_wheel,
    write_tree,
)
from omniwheel.julia.treehash import TreeEntry, tree_sha1, tree_sha1_of_dir
from tests.support.git_tree import git_write_tree, needs_git
from tests.support.wheelbuilder import build_wheel
from tests.unit.test_julia_tree import LAYOUT_FILES, _rewritten

LONG = "/".join(["deeply"] * 12) + "/" + "n" * 120 + ".py"
ENTRIES: Mapping[str, TreeEntry] = {
    "bin/tool": TreeEntry.file(b"#!/bin/sh\necho hi\n", executable=True),
    "lib/libfoo.so.1": TreeEntry.file(b"lib\n"),
    "lib/libfoo.so": TreeEntry.symlink("libfoo.so.1"),
    "a-b": TreeEntry.file(b"dash\n"),
    "a/x": TreeEntry.file(b"x\n"),
    "caf\u00e9.txt": TreeEntry.file(b"accent\n"),
    LONG: TreeEntry.file(b"long\n"),
}


def _wheel(wheel_dir: Path) -> Path:
    wheel = build_wheel(wheel_dir, "demo", "1.0", files=LAYOUT_FILES)
    return _rewritten(wheel, modes={"demo/core.py": 0o100755})


def _unpacked(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball, "r:gz") as archive:
        archive.extractall(dest, filter="tar")
    return dest


# --- bytes and headers ------------------------------------------------------------------------


def test_packing_twice_gives_identical_bytes(wheel_dir: Path, tmp_path: Path) -> None:
    tree = tree_of_wheel(_wheel(wheel_dir))
    first = pack_tree(tree, tmp_path / "one")
    second = pack_tree(tree, tmp_path / "two")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert (first.sha256, first.size) == (second.sha256, second.size)
    assert first.path.name == f"{first.git_tree_sha1}.tar.gz"
    assert first.git_tree_sha1 == git_tree_sha1_of_wheel(_wheel(wheel_dir))
    assert not first.reused


def test_wheel_dir_and_abstract_tree_pack_alike(wheel_dir: Path, tmp_path: Path) -> None:
    tree = tree_of_wheel(_wheel(wheel_dir))
    write_tree(tree, tmp_path / "written")
    from_wheel = pack_tree(tree, tmp_path / "a")
    from_dir = pack_tree(tmp_path / "written", tmp_path / "b")
    assert from_wheel.path.read_bytes() == from_dir.path.read_bytes()


def test_headers_are_fixed(tmp_path: Path) -> None:
    packed = pack_tree(ENTRIES, tmp_path)
    with tarfile.open(packed.path, "r:gz") as archive:
        members = archive.getmembers()
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (
            0,
            0,
            0,
            "",
            "",
        )
        assert not member.name.startswith(("./", "/"))
        expected = 0o777 if member.issym() else 0o755 if member.isdir() else 0o644
        if member.name == "bin/tool":
            expected = 0o755
        assert member.mode == expected, member.name
    names = [member.name for member in members]
    assert names[:6] == ["a", "a/x", "a-b", "bin", "bin/tool", "caf\u00e9.txt"]
    assert names == sorted(names, key=path_order)
    assert [m.name for m in members if m.isdir()] == [
        "a",
        "bin",
        *("/".join(["deeply"] * n) for n in range(1, 13)),
        "lib",
    ]


def test_gzip_header_has_no_time_and_no_name(tmp_path: Path) -> None:
    data = pack_tree(ENTRIES, tmp_path).path.read_bytes()
    assert data[:3] == b"\x1f\x8b\x08"
    assert data[3] == 0  # FLG: no FNAME, no FCOMMENT, no FEXTRA
    assert data[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert gzip.decompress(data)[:512].count(b"\x00") > 0


def test_payload_is_a_tar_stream_with_files_at_the_root(tmp_path: Path) -> None:
    packed = pack_tree({"top.py": TreeEntry.file(b"")}, tmp_path)
    with tarfile.open(packed.path, "r:gz") as archive:
        assert archive.getnames() == ["top.py"]


# --- round trips ------------------------------------------------------------------------------


def test_unpacking_gives_the_recorded_tree_hash(wheel_dir: Path, tmp_path: Path) -> None:
    packed = pack_tree(tree_of_wheel(_wheel(wheel_dir)), tmp_path / "dist")
    unpacked = _unpacked(packed.path, tmp_path / "unpacked")
    assert tree_sha1_of_dir(unpacked) == packed.git_tree_sha1
    assert tarball_tree_sha1(packed.path) == packed.git_tree_sha1


def test_symlinks_long_and_non_ascii_names_round_trip(tmp_path: Path) -> None:
    packed = pack_tree(ENTRIES, tmp_path / "dist")
    assert packed.git_tree_sha1 == tree_sha1(ENTRIES)
    unpacked = _unpacked(packed.path, tmp_path / "unpacked")
    assert (unpacked / "lib" / "libfoo.so").is_symlink()
    assert (unpacked / LONG).read_bytes() == b"long\n"
    assert tree_sha1_of_dir(unpacked) == packed.git_tree_sha1


@needs_git
def test_git_agrees_with_the_unpacked_tree(wheel_dir: Path, tmp_path: Path) -> None:
    packed = pack_tree(tree_of_wheel(_wheel(wheel_dir)), tmp_path / "dist")
    unpacked = _unpacked(packed.path, tmp_path / "unpacked")
    assert git_write_tree(unpacked, tmp_path / "git") == packed.git_tree_sha1


def test_directory_input_leaves_out_dot_git_and_empty_directories(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "pkg" / "empty").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x = 1\n")
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref\n")
    packed = pack_tree(source, tmp_path / "dist")
    with tarfile.open(packed.path, "r:gz") as archive:
        assert archive.getnames() == ["pkg", "pkg/mod.py"]
    assert packed.git_tree_sha1 == tree_sha1_of_dir(source) == git_tree_sha1(source)


def test_empty_tree_packs(tmp_path: Path) -> None:
    packed = pack_tree({}, tmp_path)
    assert packed.git_tree_sha1 == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    assert tarball_tree_sha1(packed.path) == packed.git_tree_sha1


# --- reuse, never overwrite -------------------------------------------------------------------


def test_existing_tarball_is_reused_not_rewritten(tmp_path: Path) -> None:
    first = pack_tree(ENTRIES, tmp_path)
    before = first.path.stat()
    again = pack_tree(ENTRIES, tmp_path)
    assert again.reused
    assert (again.sha256, again.size, again.path) == (first.sha256, first.size, first.path)
    after = again.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.path.name]


def test_existing_tarball_with_other_bytes_but_the_same_tree_is_kept(tmp_path: Path) -> None:
    """E.g. made by another zlib: its published sha256 must stay true."""
    sha1 = tree_sha1(ENTRIES)
    other = tmp_path / f"{sha1}.tar.gz"
    with tarfile.open(other, "w:gz", compresslevel=1) as archive:
        for path, entry in ENTRIES.items():
            source = tmp_path / "src" / path
            source.parent.mkdir(parents=True, exist_ok=True)
            if entry.kind == "symlink":
                source.symlink_to(entry.data.decode())
            else:
                source.write_bytes(entry.data)
                source.chmod(0o755 if entry.executable else 0o644)
            archive.add(source, arcname=path, recursive=False)
    original = other.read_bytes()
    packed = pack_tree(ENTRIES, tmp_path)
    assert packed.reused
    assert other.read_bytes() == original
    assert packed.size == len(original)


def test_existing_tarball_with_another_tree_is_an_error(tmp_path: Path) -> None:
    sha1 = tree_sha1(ENTRIES)
    impostor = tmp_path / f"{sha1}.tar.gz"
    pack_tree({"other": TreeEntry.file(b"x")}, tmp_path / "elsewhere").path.rename(impostor)
    original = impostor.read_bytes()
    with pytest.raises(ArtifactError, match="exists but unpacks to tree") as caught:
        pack_tree(ENTRIES, tmp_path)
    assert caught.value.hint is not None
    assert impostor.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["elsewhere", impostor.name])


def test_failed_pack_leaves_nothing_behind(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_text("a\n")
    os.mkfifo(source / "pipe")
    with pytest.raises(ArtifactError, match="special file"):
        pack_tree(source, tmp_path / "dist")
    assert list((tmp_path / "dist").iterdir()) == []


# --- reading foreign tarballs -----------------------------------------------------------------


def _tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _info(
    name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, link: str = ""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    return info


def test_reading_accepts_dot_slash_names_hard_links_and_empty_directories(tmp_path: Path) -> None:
    tarball = _tarball(
        tmp_path / "t.tar.gz",
        [
            (_info("./", tarfile.DIRTYPE, 0o755), b""),
            (_info("./a"), b"hello\n"),
            (_info("./empty", tarfile.DIRTYPE, 0o755), b""),
            (_info("./b", tarfile.LNKTYPE, link="./a"), b""),
        ],
    )
    expected = tree_sha1({"a": TreeEntry.file(b"hello\n"), "b": TreeEntry.file(b"hello\n")})
    assert tarball_tree_sha1(tarball) == expected


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        (_info("../evil"), "`..`"),
        (_info("/abs"), "absolute"),
        (_info("dev", tarfile.CHRTYPE), "type Tar.jl refuses"),
        (_info("fifo", tarfile.FIFOTYPE), "type Tar.jl refuses"),
        (_info("hard", tarfile.LNKTYPE, link="missing"), "unknown `missing`"),
    ],
)
def test_reading_refuses_what_tar_jl_refuses(
    tmp_path: Path, info: tarfile.TarInfo, problem: str
) -> None:
    tarball = _tarball(tmp_path / "t.tar.gz", [(info, b"")])
    with pytest.raises(ArtifactError, match=problem):
        tarball_tree_sha1(tarball)


def test_reading_a_broken_tarball_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(ArtifactError, match="cannot read tarball"):
        tarball_tree_sha1(broken)


# --- base URLs --------------------------------------------------------------------------------

SHA1 = "9f99f4f8af9da3d949db6c280c654680b623d817"


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://example.org/releases/v1/", f"https://example.org/releases/v1/{SHA1}.tar.gz"),
        ("https://example.org/releases/v1", f"https://example.org/releases/v1/{SHA1}.tar.gz"),
        ("http://[::1]:8080/a", f"http://[::1]:8080/a/{SHA1}.tar.gz"),
        ("file:///srv/artifacts", f"file:///srv/artifacts/{SHA1}.tar.gz"),
    ],
)
def test_download_url(base_url: str, url: str) -> None:
    assert download_url(base_url, SHA1) == url


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("", "empty"),
        ("example.org/releases", "not an http(s) or file URL"),
        ("/srv/artifacts", "not an http(s) or file URL"),
        ("C:\\artifacts", "not an http(s) or file URL"),
        ("ftp://example.org/x/", "not an http(s) or file URL"),
        ("https:///releases/", "no host"),
        ("https://user:secret@example.org/r/", "credentials"),
        ("https://example.org/r/?token=1", "query or fragment"),
        ("https://example.org/r/#top", "query or fragment"),
        ("https://example.org/my releases/", "whitespace"),
    ],
)
def test_bad_base_urls_are_refused(base_url: str, problem: str) -> None:
    with pytest.raises(BaseUrlError) as caught:
        check_base_url(base_url)
    assert problem in caught.value.message
    assert f"`{base_url}`" in caught.value.message
    assert caught.value.hint is not None
    assert "--base-url" in caught.value.hint


@pytest.mark.parametrize("sha1", ["", "abc", SHA1.upper(), SHA1 + "0"])
def test_download_url_needs_a_tree_hash(sha1: str) -> None:
    with pytest.raises(ArtifactError, match="not a git-tree-sha1"):
        download_url("https://example.org/", sha1)


def test_packed_artifact_gives_its_download(tmp_path: Path) -> None:
    packed = pack_tree(ENTRIES, tmp_path)
    assert packed.download("https://example.org/r") == Download(
        url=f"https://example.org/r/{packed.git_tree_sha1}.tar.gz",
        sha256=packed.sha256,
        size=packed.size,
    )


def test_modes_survive_unpacking(tmp_path: Path) -> None:
    packed = pack_tree(ENTRIES, tmp_path / "dist")
    unpacked = _unpacked(packed.path, tmp_path / "unpacked")
    assert stat.S_IMODE((unpacked / "bin" / "tool").stat().st_mode) & 0o100
    assert not stat.S_IMODE((unpacked / "a-b").stat().st_mode) & 0o111
