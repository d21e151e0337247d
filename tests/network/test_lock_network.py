"""Locks made against the real public index (the one discovered as users' would be), pinned in time.

``--exclude-newer 2026-11-01`` makes them deterministic: the same files are visible on every run.
They download metadata only, except the deliberate uv install test, which fetches the locked wheels
of one target and uv itself to prove that a standard PEP 751 installer accepts our lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, cast

import pytest
from packaging.markers import Environment
from packaging.pylock import Pylock
from packaging.utils import canonicalize_name

from omniwheel.cli.main import main
from omniwheel.platform.target import target_from_name

pytestmark = pytest.mark.network

CUTOFF = "2026-11-01"
TARGETS = (
    "linux-x86_64",
    "windows-x86_64",
    "macos-arm64",
)
PYTHONS = ("3.10", "3.12")

PROJECT = """\
[project]
name = "network-demo"
version = "0"
requires-python = ">=3.10"
dependencies = [
    # click 8.5 dropped its Windows-only colorama dependency; 8.4 still shows marker handling
    "click<8.5",
    "attrs",
    "pywin32; sys_platform == 'win32'",
    "tomli; python_version < '3.11'",
]
"""


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("omniwheel-cache")


def _lock(project: Path, cache_dir: Path, *args: str) -> int:
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("OMNIWHEEL_CACHE_DIR", str(cache_dir))
        return main(["lock", "--project", str(project), "--exclude-newer", CUTOFF, *args])
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def matrix_lock(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    project = tmp_path_factory.mktemp("network-project")
    (project / "pyproject.toml").write_text(PROJECT)
    args = [arg for t in TARGETS for arg in ("--platform", t)]
    args += [arg for p in PYTHONS for arg in ("--python-version", p)]
    assert _lock(project, cache_dir, *args) == 0
    return project / "pylock.toml"


def _selected(lock_path: Path) -> dict[str, set[str]]:
    """Package names a standard installer picks on each locked target."""
    data = tomllib.loads(lock_path.read_text())
    pylock = Pylock.from_dict(data)
    chosen: dict[str, set[str]] = {}
    for name in data["tool"]["omniwheel"]["targets"]:
        target = target_from_name(name)
        environment = cast(Environment, target.marker_environment())
        picked = pylock.select(environment=environment, tags=target.tags)
        chosen[name] = {package.name for package, _ in picked}
    return chosen


def test_matrix_covers_every_target(matrix_lock: Path) -> None:
    targets = tomllib.loads(matrix_lock.read_text())["tool"]["omniwheel"]["targets"]
    assert len(targets) == len(TARGETS) * len(PYTHONS)
    assert any(name.startswith("windows-x86_64@3.10") for name in targets)


def test_platform_specific_packages_only_where_needed(matrix_lock: Path) -> None:
    for target, names in _selected(matrix_lock).items():
        windows = target.startswith("windows")
        assert ("pywin32" in names) == windows, target
        assert ("colorama" in names) == windows, target  # click needs it on Windows only
        assert ("tomli" in names) == target.endswith("@3.10"), target
        assert {"click", "attrs"} <= names


def test_relock_is_byte_identical_and_check_passes(matrix_lock: Path, cache_dir: Path) -> None:
    before = matrix_lock.read_bytes()
    assert _lock(matrix_lock.parent, cache_dir) == 0
    assert matrix_lock.read_bytes() == before
    assert _lock(matrix_lock.parent, cache_dir, "--check") == 0


def test_lock_records_inputs_without_credentials(matrix_lock: Path) -> None:
    tool: dict[str, Any] = tomllib.loads(matrix_lock.read_text())["tool"]["omniwheel"]
    assert tool["exclude-newer"].isoformat().startswith("2026-11-01T00:00:00")
    assert "@" not in tool["index-url"].split("//", 1)[1]


@pytest.fixture(scope="module")
def uv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """uv installed from the index into its own scratch venv, as a user would."""
    venv = tmp_path_factory.mktemp("uv-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "uv"],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return venv / "bin" / "uv"


def test_uv_installs_the_lock_for_this_linux_target(
    tmp_path: Path, cache_dir: Path, uv: Path
) -> None:
    """A standard PEP 751 installer (uv) syncs our cross-platform lock on this machine."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PROJECT)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    code = _lock(
        project,
        cache_dir,
        "--platform",
        f"linux-x86_64@{here}",
        "--platform",
        f"windows-x86_64@{here}",
    )
    assert code == 0
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
    subprocess.run([str(uv), "venv", "--python", sys.executable, str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    lock = project / "pylock.toml"
    subprocess.run(
        [str(uv), "pip", "sync", "--python", str(python), str(lock)],
        check=True,
        env=env,
    )
    listed = subprocess.run(
        [str(python), "-c", "import attrs, click; print(attrs.__version__, click.__name__)"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "click" in listed.stdout
    locked = {package["name"] for package in tomllib.loads(lock.read_text())["packages"]}
    assert {"pywin32", "colorama"} <= locked  # the lock offers the Windows-only packages
    assert _installed(venv) == {"attrs", "click"}  # and uv left them out on Linux


def _installed(venv: Path) -> set[str]:
    """The distributions in ``venv``, by the names of its ``*.dist-info`` directories."""
    (site_packages,) = venv.glob("lib/python*/site-packages")
    return {
        canonicalize_name(path.name.partition("-")[0]) for path in site_packages.glob("*.dist-info")
    }
