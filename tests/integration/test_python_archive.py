"""Interpreter archives into the store: real PBS-shaped archives run, hostile ones leave nothing.

The real archives are built from this machine's pyenv CPythons (``tests/support/pbs_archives``);
a test that needs one is skipped where pyenv has no ``--enable-shared`` build.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from omniwheel.platform.target import target_from_name
from omniwheel.python.pbs import Flavor, PinnedPython, choose_build, download_url
from omniwheel.python.release_fetch import fetch_release
from omniwheel.store import python_archive
from omniwheel.store.download import WheelFetcher
from omniwheel.store.python_archive import (
    PYTHONS_DIR,
    ArchiveLimits,
    PythonArchiveError,
    PythonHashMismatchError,
    ensure_python_tree,
    python_archive_file,
    python_tree,
    unpack_python_archive,
)
from omniwheel.store.store import StoreError, TransientFetchError, WheelSource
from tests.support.pbs_archives import (
    HOSTILITIES,
    ArchiveShelf,
    BuiltArchive,
    Hostility,
    build_archive,
    hostile_archive,
    minimal_archive,
    shelf,
)
from tests.support.static_server import StaticServer

_PROBE = """
import json, os, sys
maps = [line.split()[-1] for line in open("/proc/self/maps") if "libpython" in line]
print(json.dumps({"version": list(sys.version_info[:3]), "libpython": sorted(set(maps)),
                  "prefix": sys.prefix}))
"""


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> ArchiveShelf:
    return shelf(tmp_path_factory)


@pytest.fixture(scope="session")
def built(archives: ArchiveShelf) -> BuiltArchive:
    """One real archive (the first shared pyenv CPython of 3.11, 3.12, 3.13, 3.10)."""
    return archives.any_archive()


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "store-v1"


def _pinned(archives: ArchiveShelf, archive: BuiltArchive) -> PinnedPython:
    """What a lock would pin for the archive: read from the shelf's SHA256SUMS by pbs.py."""
    release = fetch_release(archives.tag, mirror=archives.root.as_uri())
    minor = Version(archive.version).release[:2]
    target = target_from_name(f"linux-x86_64@{minor[0]}.{minor[1]}")
    pinned = choose_build(release, target)
    assert pinned.sha256 == archive.sha256
    return pinned


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def _probe(executable: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    answer = subprocess.run(
        [str(executable), "-B", "-I", "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    )
    result: dict[str, object] = json.loads(answer.stdout)
    return result


def _listing(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*")}


def _left_in_store(store_root: Path) -> set[str]:
    """What an unpack left in the store, but the lock files (and empty working dirs)."""
    return {
        name
        for name in _listing(store_root)
        if not name.startswith("locks") and name not in (PYTHONS_DIR, "tmp")
    }


# --- real archives -------------------------------------------------------------------------


def test_a_real_archive_is_verified_unpacked_and_runs_from_the_store(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    pinned = _pinned(archives, built)
    fetches: list[int] = []

    def fetch() -> Iterator[bytes]:
        fetches.append(1)
        return _chunks(built.path)

    tree, fetched = ensure_python_tree(
        pinned, store_root=store_root, fetch=fetch, origin=str(built.path)
    )
    assert (tree, fetched) == (python_tree(store_root, built.sha256), True)
    assert python_archive_file(store_root, built.sha256).read_bytes() == built.path.read_bytes()
    before = _listing(tree)

    probe = _probe(tree / pinned.executable)
    assert probe["version"] == [int(part) for part in built.version.split(".")]
    assert probe["prefix"] == str(tree / "python")
    # The interpreter loads its own libpython, the one the lock names, not the pyenv original.
    assert probe["libpython"] == [os.path.realpath(tree / pinned.libpython)]
    assert _listing(tree) == before  # nothing (no __pycache__) was written into the store

    assert ensure_python_tree(pinned, store_root=store_root, fetch=fetch, origin="x") == (
        tree,
        False,
    )
    assert len(fetches) == 1
    assert _left_in_store(store_root) == {
        f"{PYTHONS_DIR}/{built.sha256}.tar.gz",
        *(f"{PYTHONS_DIR}/{built.sha256}/{name}" for name in before),
        f"{PYTHONS_DIR}/{built.sha256}",
    }


def test_the_store_tree_is_read_only(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    tree = unpack_python_archive(built.path, _pinned(archives, built), store_root=store_root)
    modes = {
        stat.S_IMODE(path.lstat().st_mode)
        for path in (tree, *tree.rglob("*"))
        if not path.is_symlink()
    }
    assert modes == {0o444, 0o555}
    executable = tree / "python" / "bin" / f"python3.{built.version.split('.')[1]}"
    assert stat.S_IMODE(executable.stat().st_mode) == 0o555
    python_archive.remove_python_tree(tree)
    assert not tree.exists()


def test_an_archive_is_downloaded_from_a_mirror(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    """The path sync will take: SHA256SUMS and the archive from one mirror, over HTTP."""
    with StaticServer(archives.root) as server:
        release = fetch_release(archives.tag, mirror=server.url)
        minor = Version(built.version).release[:2]
        pinned = choose_build(release, target_from_name(f"linux-x86_64@{minor[0]}.{minor[1]}"))
        url = download_url(pinned, mirror=server.url)
        source = WheelSource(
            name="cpython",
            version=str(pinned.version),
            filename=pinned.filename,
            sha256=pinned.sha256,
            url=url,
        )
        with WheelFetcher(index=None) as fetcher:
            tree, fetched = ensure_python_tree(
                pinned, store_root=store_root, fetch=lambda: fetcher.chunks(source), origin=url
            )
    assert fetched
    assert pinned.url.startswith("https://github.com/astral-sh/python-build-standalone/")
    assert [r.path for r in server.requests] == [
        f"/{archives.tag}/SHA256SUMS",
        f"/{archives.tag}/{pinned.filename}",
    ]
    assert (tree / pinned.executable).is_file()


def test_the_fixture_archives_are_byte_reproducible(built: BuiltArchive, tmp_path: Path) -> None:
    again = build_archive(built.source, tmp_path, tag=built.tag)
    assert again.sha256 == built.sha256


# --- bytes the lock does not name ----------------------------------------------------------


def test_a_hash_mismatch_leaves_nothing(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    pinned = dataclasses.replace(_pinned(archives, built), sha256="0" * 64)
    with pytest.raises(PythonHashMismatchError) as caught:
        ensure_python_tree(
            pinned,
            store_root=store_root,
            fetch=lambda: _chunks(built.path),
            origin="https://user:secret@mirror.example/pbs/x.tar.gz",
        )
    error = caught.value
    assert error.actual == built.sha256
    assert "CPython" in error.message
    assert "https://mirror.example/pbs/x.tar.gz" in error.message
    assert "secret" not in error.message
    assert _left_in_store(store_root) == set()


def test_a_stored_file_with_other_bytes_is_not_unpacked(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.tar.gz"
    other.write_bytes(built.path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(PythonHashMismatchError):
        unpack_python_archive(other, _pinned(archives, built), store_root=store_root)
    assert not (store_root / PYTHONS_DIR).exists()


def test_a_passing_fetch_failure_is_retried(
    archives: ArchiveShelf,
    built: BuiltArchive,
    store_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(python_archive, "BACKOFF_SECONDS", 0.0)
    attempts: list[int] = []

    def flaky() -> Iterator[bytes]:
        attempts.append(1)
        if len(attempts) == 1:
            yield b"partial"
            raise TransientFetchError("connection dropped")
        yield from _chunks(built.path)

    tree, fetched = ensure_python_tree(
        _pinned(archives, built), store_root=store_root, fetch=flaky, origin="x"
    )
    assert fetched
    assert tree.is_dir()
    assert len(attempts) == 2
    assert list((store_root / "tmp").iterdir()) == []


# --- hostile archives ----------------------------------------------------------------------

_PROBLEMS: dict[Hostility, str] = {
    "traversal": "climbs out of the tree",
    "absolute": "is an absolute path",
    "escaping-symlink": "outside the tree",
    "absolute-symlink": "not a relative path",
    "symlink-chain": "symlink that leads outside the tree",
    "through-symlink": "lies beyond the symlink `python/etc`",
    "escaping-hardlink": "hard link to `../outside`",
    "missing-executable": "has no `python/bin/python3`",
    "device": "character device",
    "fifo": "is a FIFO",
    "duplicate": "appears twice",
    "truncated": "is not a valid .tar.gz archive",
    "not-gzip": "is not a valid .tar.gz archive",
}


def _synthetic(sha256: str) -> PinnedPython:
    name = "cpython-3.99.0+20261015-x86_64-unknown-linux-gnu-install_only.tar.gz"
    return PinnedPython(
        version=Version("3.99.0"),
        release="20261015",
        triple="x86_64-unknown-linux-gnu",
        flavor=Flavor.INSTALL_ONLY,
        url=f"https://mirror.example/20261015/{name}",
        sha256=sha256,
        executable="python/bin/python3",
        libpython="python/lib/libpython3.99.so.1.0",
    )


def test_every_hostility_has_an_expected_problem() -> None:
    assert set(_PROBLEMS) == set(HOSTILITIES)


@pytest.mark.parametrize("kind", HOSTILITIES)
def test_a_hostile_archive_is_refused_and_leaves_nothing(
    kind: Hostility, tmp_path: Path, store_root: Path
) -> None:
    workdir = tmp_path / "work"
    archive, sha256 = hostile_archive(kind, workdir / "archives")
    pinned = _synthetic(sha256)
    with pytest.raises(PythonArchiveError) as caught:
        ensure_python_tree(
            pinned, store_root=store_root, fetch=lambda: _chunks(archive), origin=pinned.url
        )
    error = caught.value
    assert _PROBLEMS[kind] in error.problem
    assert "CPython 3.99.0 (x86_64-unknown-linux-gnu, release 20261015)" in error.message
    assert pinned.url in error.message
    # nothing half-unpacked in the store, nothing written beside it
    assert not python_tree(store_root, sha256).exists()
    assert [p.name for p in (store_root / PYTHONS_DIR).iterdir()] == [f"{sha256}.tar.gz"]
    assert {p.name for p in tmp_path.iterdir()} == {"work", "store-v1"}
    assert not Path("/tmp/omniwheel-evil").exists()


def test_a_good_minimal_archive_is_accepted(tmp_path: Path, store_root: Path) -> None:
    """The hostile archives' common base is fine on its own: each refusal is its one rule."""
    archive, sha256 = minimal_archive(tmp_path)
    tree = unpack_python_archive(archive, _synthetic(sha256), store_root=store_root)
    python3 = tree / "python" / "bin" / "python3"
    assert python3.is_symlink()
    assert python3.resolve() == (tree / "python" / "bin" / "python3.99").resolve()
    assert _listing(store_root / PYTHONS_DIR) == {
        sha256,
        *(f"{sha256}/{name}" for name in ("python", "python/bin", "python/lib")),
        *(f"{sha256}/python/bin/{name}" for name in ("python3", "python3.99")),
    }


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (ArchiveLimits(max_members=3), "past the limit of 3 members"),
        (ArchiveLimits(max_total_bytes=5), "over the limit of 5"),
    ],
)
def test_limits(limits: ArchiveLimits, problem: str, tmp_path: Path, store_root: Path) -> None:
    archive, sha256 = minimal_archive(tmp_path)
    with pytest.raises(PythonArchiveError, match=problem):
        unpack_python_archive(archive, _synthetic(sha256), store_root=store_root, limits=limits)
    assert [p.name for p in (store_root / PYTHONS_DIR).iterdir()] == []


def test_a_sha256_that_is_not_one_never_becomes_a_path(store_root: Path) -> None:
    with pytest.raises(StoreError, match="is not a sha256"):
        python_tree(store_root, "../../etc")
