"""The pinned interpreter as a Julia artifact: entries, tree hashes, generated Julia.

Tree hashes are checked three ways on an archive with the shapes that trip hashes up (a symlink,
a hard link, an empty directory, group-only execute bits): from the archive's members, from the
tree the store unpacks, and by ``git write-tree`` over that tree (a separate git directory, so
nothing is written into it).  Generated Julia cannot run here; it is parsed with tree-sitter's
Julia grammar, and that check is itself shown to fail on broken code.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from packaging.version import Version

from omniwheel.julia import ArtifactError
from omniwheel.julia.artifacts_toml import (
    Artifact,
    ArtifactConflictError,
    ArtifactEntry,
    ArtifactsDoc,
    select_entries,
    with_artifact,
)
from omniwheel.julia.python_artifact import (
    PYTHON_ARTIFACT,
    MissingPinError,
    PinnedTargets,
    archive_tree_sha1,
    check_agreement,
    default_python,
    default_pythons,
    platform_augmentation_jl,
    python_artifact,
    python_helper_jl,
)
from omniwheel.julia.selection import (
    PLATFORM_AUGMENTATION_JL,
    augmented_host,
    julia_platform,
    select_artifacts_jl,
)
from omniwheel.julia.treehash import tree_sha1_of_dir
from omniwheel.lock.tool_table import LockedPython
from omniwheel.platform.target import Target, target_from_name
from omniwheel.python.pbs import Flavor, PinnedPython, asset_url, executable_path, libpython_path
from omniwheel.store.python_archive import unpack_python_archive
from tests.support.git_tree import git_write_tree, needs_git
from tests.support.julia_syntax import syntax_errors

TAG = "20261015"


def _build(triple: str, version: str = "3.12.1", sha256: str = "ab" * 32) -> PinnedPython:
    parsed = Version(version)
    name = f"cpython-{version}+{TAG}-{triple}-install_only.tar.gz"
    return PinnedPython(
        version=parsed,
        release=TAG,
        triple=triple,
        flavor=Flavor.INSTALL_ONLY,
        url=asset_url(TAG, name),
        sha256=sha256,
        executable=executable_path(triple),
        libpython=libpython_path(triple, parsed),
    )


LINUX = _build("x86_64-unknown-linux-gnu", sha256="11" * 32)
MAC = _build("aarch64-apple-darwin", sha256="22" * 32)
WINDOWS = _build("x86_64-pc-windows-msvc", sha256="33" * 32)
LINUX_311 = _build("x86_64-unknown-linux-gnu", "3.11.7", sha256="44" * 32)
TREES = {b.sha256: f"{i}" * 40 for i, b in enumerate((LINUX, MAC, WINDOWS, LINUX_311), 1)}


def _pins(*pairs: tuple[str, PinnedPython]) -> tuple[tuple[Target, ...], tuple[LockedPython, ...]]:
    targets = tuple(target_from_name(name) for name, _ in pairs)
    pythons = tuple(
        LockedPython(targets=(target,), build=build)
        for target, (_, build) in zip(targets, pairs, strict=True)
    )
    return targets, pythons


MATRIX = _pins(
    ("linux-x86_64@3.12", LINUX),
    ("linux-x86_64@3.11", LINUX_311),
    ("macos-arm64@3.12", MAC),
    ("windows-x86_64@3.12", WINDOWS),
)


# --- entries -------------------------------------------------------------------------------------


def test_one_entry_per_platform_with_the_archive_as_download() -> None:
    artifact = python_artifact(PinnedTargets.of(*MATRIX), TREES)
    assert artifact.name == PYTHON_ARTIFACT
    assert not artifact.platform_free
    by_tree = {entry.git_tree_sha1: entry for entry in artifact.entries}
    assert len(by_tree) == 4
    linux = by_tree[TREES[LINUX.sha256]]
    assert linux.platform == {"os": "linux", "arch": "x86_64", "libc": "glibc", "python": "3.12"}
    (download,) = linux.downloads
    assert (download.url, download.sha256, download.size) == (LINUX.url, LINUX.sha256, None)
    assert by_tree[TREES[MAC.sha256]].platform == {
        "os": "macos",
        "arch": "aarch64",
        "python": "3.12",
    }


def test_every_target_selects_its_own_build() -> None:
    targets, pythons = MATRIX
    artifact = python_artifact(PinnedTargets.of(targets, pythons), TREES)
    doc = ArtifactsDoc(artifacts={PYTHON_ARTIFACT: artifact})
    for target, entry in zip(targets, pythons, strict=True):
        chosen = select_entries(doc, augmented_host(target))[PYTHON_ARTIFACT]
        assert chosen.git_tree_sha1 == TREES[entry.build.sha256], target.name


def test_floors_julia_cannot_tell_apart_share_one_entry() -> None:
    targets, pythons = _pins(
        ("linux-x86_64-glibc2.17@3.12", LINUX), ("linux-x86_64-glibc2.28@3.12", LINUX)
    )
    artifact = python_artifact(PinnedTargets.of(targets, pythons), TREES)
    assert len(artifact.entries) == 1


def test_floors_with_different_builds_are_a_conflict() -> None:
    targets, pythons = _pins(
        ("linux-x86_64-glibc2.17@3.12", LINUX),
        ("linux-x86_64-glibc2.28@3.12", _build("x86_64-unknown-linux-gnu", "3.12.2", "55" * 32)),
    )
    with pytest.raises(ArtifactConflictError, match="pin different interpreters"):
        python_artifact(PinnedTargets.of(targets, pythons), TREES)


def test_a_target_without_a_pin_is_named() -> None:
    targets, pythons = MATRIX
    extra = target_from_name("linux-aarch64@3.12")
    with pytest.raises(MissingPinError, match="linux-aarch64"):
        PinnedTargets.of((*targets, extra), pythons)


def test_a_build_without_a_tree_hash_says_how_to_get_one() -> None:
    with pytest.raises(ArtifactError, match="no tree hash for the pinned interpreter") as caught:
        python_artifact(PinnedTargets.of(*MATRIX), {})
    assert "artifacts write" in (caught.value.hint or "")


def test_package_entries_must_have_an_interpreter_entry_for_their_platform() -> None:
    python = python_artifact(PinnedTargets.of(*MATRIX), TREES)
    ok = ArtifactEntry(
        git_tree_sha1="9" * 40, platform=julia_platform(target_from_name("macos-arm64@3.12"))
    )
    free = ArtifactEntry(git_tree_sha1="8" * 40)
    check_agreement(python, [Artifact(name="omniwheel_a", entries=(ok,))])
    check_agreement(python, [Artifact(name="omniwheel_pure", entries=(free,))])
    stray = ArtifactEntry(
        git_tree_sha1="7" * 40, platform=julia_platform(target_from_name("linux-aarch64@3.12"))
    )
    with pytest.raises(ArtifactError, match=r"omniwheel_b \(arch=aarch64"):
        check_agreement(python, [Artifact(name="omniwheel_b", entries=(ok, stray))])


def test_a_package_named_like_the_interpreter_artifact_is_refused() -> None:
    entry = ArtifactEntry(git_tree_sha1="9" * 40)
    doc = ArtifactsDoc(
        artifacts={PYTHON_ARTIFACT: Artifact(name=PYTHON_ARTIFACT, entries=(entry,))}
    )
    with pytest.raises(ArtifactConflictError, match="two artifacts"):
        with_artifact(doc, python_artifact(PinnedTargets.of(*MATRIX), TREES))


# --- the python tag's default --------------------------------------------------------------------


def test_the_default_is_the_newest_pinned_minor_per_platform() -> None:
    targets, _ = MATRIX
    defaults = default_pythons(targets)
    assert defaults == {
        ("linux", "x86_64", "glibc"): "3.12",
        ("macos", "aarch64", ""): "3.12",
        ("windows", "x86_64", ""): "3.12",
    }
    assert (
        default_python(defaults, target_from_name("linux-x86_64-glibc2.35@3.10").platform) == "3.12"
    )
    assert default_python(defaults, target_from_name("linux-aarch64@3.12").platform) is None


def test_without_pins_the_augmentation_is_unchanged() -> None:
    assert platform_augmentation_jl({}) == PLATFORM_AUGMENTATION_JL


def test_the_pinned_augmentation_defaults_without_asking_python() -> None:
    text = platform_augmentation_jl(default_pythons(MATRIX[0]))
    assert '("linux", "x86_64", "glibc") => "3.12",' in text
    assert '("macos", "aarch64", "") => "3.12",' in text
    body = text[text.index("function augment_platform!") :]
    # the override first, then the pin; a Python is asked only where nothing is pinned
    assert (
        body.index('get(ENV, "OMNIWHEEL_PYTHON_VERSION"')
        < body.index("omniwheel_pinned_python(platform)")
        < body.index("omniwheel_python_version()")
    )


# --- generated Julia parses ----------------------------------------------------------------------


def test_the_syntax_check_catches_broken_julia() -> None:
    assert syntax_errors("function f(x)\n    x + 1\n") != []
    assert syntax_errors('const D = Dict("a" => 1,\n') != []
    assert syntax_errors("f(x) = x + 1\n") == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(PLATFORM_AUGMENTATION_JL, id="augmentation"),
        pytest.param(
            platform_augmentation_jl(default_pythons(MATRIX[0])), id="pinned-augmentation"
        ),
        pytest.param(select_artifacts_jl("Artifacts.toml"), id="select-artifacts"),
        pytest.param(python_helper_jl(PinnedTargets.of(*MATRIX), TREES), id="helper"),
    ],
)
def test_generated_julia_parses(source: str) -> None:
    assert syntax_errors(source) == []


def test_the_helper_knows_each_trees_layout() -> None:
    text = python_helper_jl(PinnedTargets.of(*MATRIX), TREES)
    tree = TREES[WINDOWS.sha256]
    assert f'"{tree}" => ("python/python.exe", "python/python312.dll"),' in text
    linux = f'"{TREES[LINUX.sha256]}" => ("python/bin/python3", "python/lib/libpython3.12.so.1.0")'
    assert linux in text
    assert 'ENV["JULIA_PYTHONCALL_EXE"] = python_exe()' in text
    assert 'ENV["JULIA_PYTHONCALL_LIB"] = libpython()' in text
    assert "name != PYTHON_ARTIFACT" in text  # the interpreter is no site directory


# --- the tree hash of an archive -----------------------------------------------------------------


def _member(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, 0
    return info


def _awkward_archive(path: Path) -> tuple[Path, str]:
    """A PBS-shaped archive with a symlink, a hard link, an empty directory, odd modes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("python", "python/bin", "python/lib", "python/share", "python/share/empty"):
            tar.addfile(_member(name, tarfile.DIRTYPE, 0o755))
        files = {
            "python/bin/python3.12": (b"#!/bin/sh\necho 3.12.1\n", 0o755),
            "python/lib/libpython3.12.so.1.0": (b"\x7fELF not really\n", 0o644),
            "python/lib/group-x": (b"group may run me\n", 0o654),
            "python/lib/owner-x": (b"owner may run me\n", 0o744),
        }
        for name, (data, mode) in files.items():
            info = _member(name, mode=mode)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = _member("python/bin/python3", tarfile.SYMTYPE, 0o777)
        link.linkname = "python3.12"
        tar.addfile(link)
        hard = _member("python/lib/libpython3.12.so", tarfile.LNKTYPE)
        hard.linkname = "python/lib/libpython3.12.so.1.0"
        tar.addfile(hard)
    path.write_bytes(buffer.getvalue())
    return path, hashlib.sha256(buffer.getvalue()).hexdigest()


@needs_git
def test_the_archive_hash_is_the_unpacked_trees_and_gits(tmp_path: Path) -> None:
    archive, sha256 = _awkward_archive(tmp_path / "python.tar.gz")
    build = PinnedPython(
        version=Version("3.12.1"),
        release=TAG,
        triple="x86_64-unknown-linux-gnu",
        flavor=Flavor.INSTALL_ONLY,
        url=LINUX.url,
        sha256=sha256,
        executable="python/bin/python3",
        libpython="python/lib/libpython3.12.so.1.0",
    )
    tree = unpack_python_archive(archive, build, store_root=tmp_path / "store")
    from_archive = archive_tree_sha1(archive)
    assert from_archive == tree_sha1_of_dir(tree)
    assert from_archive == git_write_tree(tree, tmp_path / "git", force=True)
    # the group-only execute bit does not make a file executable, for git nor for Julia
    assert not (tree / "python" / "lib" / "group-x").stat().st_mode & 0o100


@needs_git
def test_a_tree_written_into_no_longer_matches(tmp_path: Path) -> None:
    """Why the hash is taken from the archive: bytecode written into a used tree changes it."""
    archive, _ = _awkward_archive(tmp_path / "python.tar.gz")
    work = tmp_path / "copy"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    before = tree_sha1_of_dir(work)
    assert before == archive_tree_sha1(archive)
    (work / "python" / "lib" / "__pycache__").mkdir()
    (work / "python" / "lib" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert tree_sha1_of_dir(work) != before
    assert git_write_tree(work, tmp_path / "git", force=True) == tree_sha1_of_dir(work)
