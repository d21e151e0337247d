"""Issue 10's whole path on the default matrix: lock pinning interpreters, sync, Julia artifacts.

A project with no ``platforms`` setting locks for the default matrix (five platforms, each with
every CPython minor still supported that ``requires-python`` admits: 3.11 to 3.13) with
``--pin-python``, from a release served by a loopback mirror: archives built from this machine's
pyenv CPythons for Linux x86_64, small stand-ins for the other triples (hashed, never run).
Then ``sync`` must build the venv on the pinned interpreter with no other one involved (no
``python`` on ``PATH``), and ``artifacts write`` must give every target an interpreter entry and
package entries that agree with the lock.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from omniwheel.julia.artifacts_toml import parse_artifacts, select_entries
from omniwheel.julia.python_artifact import PYTHON_ARTIFACT
from omniwheel.julia.selection import augmented_host
from omniwheel.platform.target import target_from_name
from omniwheel.store.python_archive import PYTHONS_DIR
from omniwheel.store.store import STORE_DIR
from tests.support.index_server import IndexServer
from tests.support.lock_runner import run_lock, write_project
from tests.support.pbs_archives import BuiltArchive, shelf, stand_in_archive
from tests.support.static_server import StaticServer
from tests.support.sync_space import run_cli
from tests.support.wheelbuilder import build_wheel

MINORS = (11, 12, 13)
"""The minors the default matrix takes from ``>=3.10,<3.14`` (3.10 is past its end of life)."""
FOREIGN = (
    ("aarch64-unknown-linux-gnu", "manylinux_2_17_aarch64"),
    ("x86_64-apple-darwin", "macosx_11_0_x86_64"),
    ("aarch64-apple-darwin", "macosx_11_0_arm64"),
    ("x86_64-pc-windows-msvc", "win_amd64"),
)
HOST_WHEEL_TAG = "manylinux_2_17_x86_64"
UNSET = ("OMNIWHEEL_PYTHON_VERSION", "JULIA_PYTHONCALL_EXE", "PYTHON", "PYTHONDONTWRITEBYTECODE")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the pinned archives for this machine are built for Linux x86_64",
)


@pytest.fixture(scope="session")
def host_archives(tmp_path_factory: pytest.TempPathFactory) -> dict[int, BuiltArchive]:
    archives = shelf(tmp_path_factory)
    return {minor: archives.archive(minor) for minor in MINORS}


def _release(directory: Path, host: dict[int, BuiltArchive]) -> str:
    """``directory``: every archive of the release and its ``SHA256SUMS``; the tag."""
    tag = next(iter(host.values())).tag
    directory.mkdir(parents=True)
    names = []
    for built in host.values():
        (directory / built.filename).write_bytes(built.path.read_bytes())
        names.append(built.filename)
        for triple, _ in FOREIGN:
            names.append(stand_in_archive(directory, built.version, tag, triple))
    sums = [f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n" for n in names]
    (directory / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    return tag


@pytest.fixture
def mirror(tmp_path: Path, host_archives: dict[int, BuiltArchive]) -> Iterator[StaticServer]:
    _release(tmp_path / "mirror" / next(iter(host_archives.values())).tag, host_archives)
    with StaticServer(tmp_path / "mirror") as server:
        yield server


def _publish(server: IndexServer, directory: Path) -> None:
    server.add_file(build_wheel(directory, "purepkg", "1.0", files={"purepkg.py": b"CODE = 3\n"}))
    for platform in (HOST_WHEEL_TAG, *(tag for _, tag in FOREIGN)):
        files = {"native/__init__.py": f"BUILT = '{platform}'\n".encode()}
        wheel = build_wheel(
            directory, "native", "1.0", tags=[f"cp310-abi3-{platform}"], files=files
        )
        server.add_file(wheel)


def test_the_default_matrix_locks_syncs_and_writes_artifacts_on_pinned_interpreters(
    index_server: IndexServer,
    tmp_path: Path,
    mirror: StaticServer,
    host_archives: dict[int, BuiltArchive],
) -> None:
    tag = next(iter(host_archives.values())).tag
    project, cache = tmp_path / "project", tmp_path / "cache"
    _publish(index_server, tmp_path / "index-files")
    write_project(
        project,
        {
            "name": "demo",
            "version": "0.1",
            "requires-python": ">=3.10,<3.14",
            "dependencies": ["purepkg", "native"],
        },
    )
    args = ["--pin-python", "--python-release", tag, "--python-mirror", mirror.url]
    locked = run_lock(project, args, index_url=index_server.url, cache_dir=cache)
    assert locked.exit_code == 0, locked.output
    lock = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    targets = lock["tool"]["omniwheel"]["targets"]
    assert len(targets) == 5 * len(MINORS)
    assert {name.rpartition("@")[2] for name in targets} == {f"3.{m}" for m in MINORS}
    pin_of = {
        target: pin for pin in lock["tool"]["omniwheel"]["python"] for target in pin["targets"]
    }
    assert sorted(pin_of) == sorted(targets)  # every target has its interpreter

    # sync: no python on PATH; the venv runs on the pinned build of the newest minor.
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    environ = {"OMNIWHEEL_PYTHON_MIRROR": mirror.url, "PATH": str(empty)}
    synced = run_cli(
        ["sync", "--project", str(project)],
        server_url=index_server.url,
        cache=cache,
        environ=environ,
        unset=UNSET,
    )
    assert synced.exit_code == 0, synced.stderr
    newest = host_archives[max(MINORS)]
    pythons = (cache / STORE_DIR / PYTHONS_DIR).resolve()
    config = (project / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    home = next(line.split("=", 1)[1].strip() for line in config.splitlines() if "home" in line)
    assert Path(home).resolve().is_relative_to(pythons), config
    answer = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-c",
            "import sys, native, purepkg; print(sys.version.split()[0], sys._base_executable,"
            " native.BUILT)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": str(empty), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    version, base, built = answer.stdout.split()
    assert version == newest.version
    assert Path(base).resolve().is_relative_to(pythons)
    assert built == HOST_WHEEL_TAG

    # artifacts write: each target selects its own interpreter and its own packages.
    written = run_cli(
        ["artifacts", "write", "--project", str(project)],
        server_url=index_server.url,
        cache=cache,
        environ=environ,
        unset=UNSET,
    )
    assert written.exit_code == 0, written.stderr
    doc = parse_artifacts((project / "Artifacts.toml").read_text(encoding="utf-8"))
    for name in targets:
        target = target_from_name(name)
        selected = select_entries(doc, augmented_host(target))
        (download,) = selected[PYTHON_ARTIFACT].downloads
        assert download.sha256 == pin_of[name]["hashes"]["sha256"], name
        assert download.url == pin_of[name]["url"], name
        assert {"omniwheel_purepkg", "omniwheel_native"} <= set(selected), name
