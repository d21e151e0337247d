"""python/provision.py: the pinned build for this machine, put in the store and probed once.

Archives are built from this machine's pyenv CPythons (``tests/support/pbs_archives``) and served
from a loopback mirror; a test needing one is skipped where pyenv has no shared build.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from omniwheel.lock.tool_table import LockedPython
from omniwheel.platform.host import Machine
from omniwheel.platform.target import Arch, Libc, Os, target_from_name
from omniwheel.python.pbs import (
    Flavor,
    PinnedPython,
    asset_url,
    choose_build,
    download_url,
)
from omniwheel.python.provision import (
    PROBE_RECORD_SUFFIX,
    NoPinnedPythonError,
    PythonDownloadError,
    PythonNotInStoreError,
    PythonProbeError,
    provide_python,
)
from omniwheel.python.provision import choose_build as choose_pinned
from omniwheel.python.release_fetch import fetch_release
from omniwheel.store.python_archive import (
    PYTHONS_DIR,
    PythonHashMismatchError,
    python_archive_file,
    python_tree,
)
from tests.support.pbs_archives import ArchiveShelf, BuiltArchive, shelf
from tests.support.static_server import StaticServer

GLIBC_2_36 = Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 36))


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> ArchiveShelf:
    return shelf(tmp_path_factory)


@pytest.fixture(scope="session")
def built(archives: ArchiveShelf) -> BuiltArchive:
    return archives.archive(sys.version_info.minor)


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "store-v1"


def _pinned(archives: ArchiveShelf, archive: BuiltArchive) -> PinnedPython:
    release = fetch_release(archives.tag, mirror=archives.root.as_uri())
    minor = Version(archive.version).release[:2]
    return choose_build(release, target_from_name(f"linux-x86_64@{minor[0]}.{minor[1]}"))


def _entry(version: str, *targets: str) -> LockedPython:
    build = PinnedPython(
        version=Version(version),
        release="20261015",
        triple="x86_64-unknown-linux-gnu",
        flavor=Flavor.INSTALL_ONLY,
        url=f"https://example.invalid/{version}",
        sha256=f"{int(version.split('.')[1]):02d}" * 32,
        executable="python/bin/python3",
        libpython="python/lib/libpython.so",
    )
    return LockedPython(targets=tuple(target_from_name(t) for t in targets), build=build)


# --- choosing -----------------------------------------------------------------------------------

PINS = (
    _entry("3.11.7", "linux-x86_64-glibc2.17@3.11", "linux-x86_64-glibc2.28@3.11"),
    _entry("3.12.1", "linux-x86_64-glibc2.28@3.12"),
    _entry("3.12.2", "linux-x86_64-glibc2.40@3.12"),
    _entry("3.13.0", "linux-x86_64-musl@3.13", "macos-arm64@3.13", "linux-aarch64@3.13"),
)


@pytest.mark.parametrize(
    ("minor", "venv_minor", "version"),
    [
        (None, None, "3.12.1"),  # the newest minor pinned for this machine (3.13: other machines)
        ((3, 11), None, "3.11.7"),
        (None, (3, 11), "3.11.7"),  # the environment's minor, still pinned here
        (None, (3, 10), "3.12.1"),  # not pinned here any more: the newest
        ((3, 12), (3, 11), "3.12.1"),  # asked for beats the environment's
    ],
)
def test_the_build_for_this_machine_and_minor(
    minor: tuple[int, int] | None, venv_minor: tuple[int, int] | None, version: str
) -> None:
    chosen = choose_pinned(PINS, GLIBC_2_36, minor=minor, venv_minor=venv_minor)
    assert str(chosen.build.version) == version


def test_the_highest_floor_the_machine_satisfies_wins() -> None:
    newer = dataclasses.replace(GLIBC_2_36, libc_version=(2, 41))
    assert str(choose_pinned(PINS, newer, minor=(3, 12)).build.version) == "3.12.2"


def test_no_pin_for_this_machine_or_minor_names_what_is_pinned() -> None:
    with pytest.raises(NoPinnedPythonError) as raised:
        choose_pinned(PINS, GLIBC_2_36, minor=(3, 13))
    assert "Python 3.13" in raised.value.message
    assert "linux-x86_64-glibc2.36" in raised.value.message
    assert "linux-x86_64-musl1.2@3.13" in raised.value.message
    old = dataclasses.replace(GLIBC_2_36, libc_version=(2, 5))
    with pytest.raises(NoPinnedPythonError, match="pins no interpreter for this machine"):
        choose_pinned(PINS, old)


# --- providing ----------------------------------------------------------------------------------


def test_a_pinned_build_is_downloaded_once_and_probed_once(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    pinned = _pinned(archives, built)
    with StaticServer(archives.root) as server:
        first = provide_python(pinned, store_root=store_root, mirror=server.url)
        again = provide_python(pinned, store_root=store_root, mirror=server.url)
    assert first.fetched
    assert not again.fetched
    assert [r.path for r in server.requests] == [f"/{archives.tag}/{pinned.filename}"]
    assert first.tree == python_tree(store_root, pinned.sha256)
    assert first.executable == first.tree / "python" / "bin" / "python3"
    assert first.libpython.is_file()
    record = store_root / PYTHONS_DIR / f"{pinned.sha256}{PROBE_RECORD_SUFFIX}"
    assert record.is_file()
    assert not list(first.tree.rglob("__pycache__"))  # the probe wrote nothing into the tree


def test_offline_uses_the_store_and_fails_clearly_without_it(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    pinned = _pinned(archives, built)
    with pytest.raises(PythonNotInStoreError) as raised:
        provide_python(pinned, store_root=store_root, offline=True)
    message = f"{raised.value.message}\n{raised.value.hint}"
    assert pinned.describe() in message
    assert pinned.url in message
    assert "OMNIWHEEL_PYTHON_MIRROR" in message
    provide_python(pinned, store_root=store_root, mirror=archives.root.as_uri())
    assert provide_python(pinned, store_root=store_root, offline=True).tree.is_dir()


@pytest.mark.parametrize("fault", ["status-500", "status-404", "truncate"])
def test_download_failures_name_the_build_and_leave_nothing(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path, fault: str
) -> None:
    pinned = _pinned(archives, built)
    with StaticServer(archives.root) as server:
        if fault == "truncate":
            server.fail("*.tar.gz", truncate=True)
        else:
            server.fail("*.tar.gz", status=int(fault.removeprefix("status-")))
        with pytest.raises((PythonDownloadError, PythonHashMismatchError)) as raised:
            provide_python(pinned, store_root=store_root, mirror=server.url)
    message = raised.value.message
    assert pinned.describe() in message
    assert download_url(pinned, mirror=server.url) in message
    assert not python_tree(store_root, pinned.sha256).exists()
    assert not python_archive_file(store_root, pinned.sha256).exists()
    assert not list((store_root / "tmp").iterdir())


def test_a_hash_mismatch_is_refused(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path
) -> None:
    pinned = dataclasses.replace(_pinned(archives, built), sha256="0" * 64)
    with pytest.raises(PythonHashMismatchError) as raised:
        provide_python(pinned, store_root=store_root, mirror=archives.root.as_uri())
    assert pinned.describe() in raised.value.message
    assert not python_tree(store_root, pinned.sha256).exists()


def test_an_archive_labelled_with_another_version_is_refused_and_removed(
    archives: ArchiveShelf, store_root: Path, tmp_path: Path
) -> None:
    """A 3.12 archive served under the 3.11 name (sha256 right for its bytes): the probe finds
    3.12 and the tree and archive go, so a later sync does not trust them."""
    real = archives.archive(12)
    label = "3.11.7"
    mirror = tmp_path / "mirror"
    (mirror / archives.tag).mkdir(parents=True)
    pinned = dataclasses.replace(_pinned(archives, real), version=Version(label))
    pinned = dataclasses.replace(pinned, url=asset_url(archives.tag, pinned.filename))
    os.link(real.path, mirror / archives.tag / pinned.filename)
    with pytest.raises(PythonProbeError) as raised:
        provide_python(pinned, store_root=store_root, mirror=mirror.as_uri())
    assert f"reports Python {real.version}, not the pinned {label}" in raised.value.message
    assert download_url(pinned, mirror=mirror.as_uri()) in raised.value.message
    assert not python_tree(store_root, pinned.sha256).exists()
    assert not python_archive_file(store_root, pinned.sha256).exists()
    assert not (store_root / PYTHONS_DIR / f"{pinned.sha256}{PROBE_RECORD_SUFFIX}").exists()


def test_a_moved_store_is_probed_again_once(
    archives: ArchiveShelf, built: BuiltArchive, store_root: Path, tmp_path: Path
) -> None:
    import shutil

    pinned = _pinned(archives, built)
    provide_python(pinned, store_root=store_root, mirror=archives.root.as_uri())
    moved = tmp_path / "elsewhere" / "store-v1"
    shutil.copytree(store_root, moved, symlinks=True)
    record = moved / PYTHONS_DIR / f"{pinned.sha256}{PROBE_RECORD_SUFFIX}"
    before = record.read_text()
    again = provide_python(pinned, store_root=moved, offline=True)
    assert str(again.tree) in record.read_text()
    assert record.read_text() != before
