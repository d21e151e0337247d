"""``sync`` under hostile conditions: SIGKILL at any moment, a read-only store, and the
environment's metadata checked by the standard tools (``importlib.metadata``, ``pip check``).

The last test (marked ``network``) installs uv from the index, has it write a pylock.toml with
``uv pip compile`` and syncs that lock: any valid PEP 751 file works, whoever wrote it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support.sync_space import PYTHON, Workspace

KILL_AFTER_SECONDS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
"""Moments to kill a sync at, after the first download started: during downloads, unpacking,
venv creation and linking, or after the end (then there is nothing to repair)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheels_by_sha(space: Workspace) -> dict[str, Path]:
    return {_sha256(path): path for path in (space.root / "index-files").glob("*.whl")}


def _assert_store_trustworthy(space: Workspace) -> None:
    """Every entry in ``wheels/`` and ``trees/`` is whole: what a later sync trusts is right."""
    wheels = _wheels_by_sha(space)
    for path in sorted((space.store / "wheels").glob("*")):
        assert path.name.endswith(".whl"), path
        assert _sha256(path) == path.name.removesuffix(".whl"), f"{path} is half-written"
    trees = space.store / "trees"
    for tree in sorted(trees.iterdir()) if trees.is_dir() else []:
        with zipfile.ZipFile(wheels[tree.name]) as archive:
            expected = {name for name in archive.namelist() if not name.endswith("/")}
        present = {
            path.relative_to(tree).as_posix() for path in tree.rglob("*") if not path.is_dir()
        }
        assert present == expected, f"{tree} is incomplete"


def _start_sync(space: Workspace) -> subprocess.Popen[str]:
    return subprocess.Popen(
        space.command("sync"),
        env=space.subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_a_download(space: Workspace, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if any(r.path.endswith(".whl") for r in space.server.requests):
            return
        time.sleep(0.01)


def test_sync_killed_at_any_moment_is_repaired_by_the_next(space: Workspace) -> None:
    space.server.delay("/files/beta-*", 0.5)  # one slow download keeps the others company
    for delay in KILL_AFTER_SECONDS:
        space.server.clear_requests()
        process = _start_sync(space)
        _wait_for_a_download(space, process)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        _assert_store_trustworthy(space)
    space.server.reset_faults()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    _assert_store_trustworthy(space)
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert space.python("import alpha, beta, gamma; print(alpha.CODE)") == "3\n"
    prune = space.omniwheel("cache", "prune")  # clears what the killed syncs left in tmp/
    assert prune.exit_code == 0, prune.stderr
    assert list((space.store / "tmp").iterdir()) == []


def test_a_killed_download_leaves_nothing_trusted(space: Workspace) -> None:
    space.server.delay("/files/*", 5.0)
    process = _start_sync(space)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list((space.store / "tmp").glob("*.part")):
        time.sleep(0.01)
    assert list((space.store / "tmp").glob("*.part")), "no download was in progress"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert list((space.store / "wheels").iterdir()) == []
    assert not (space.store / "trees").exists() or list((space.store / "trees").iterdir()) == []
    space.server.reset_faults()
    assert space.cli("sync").exit_code == 0
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def _read_only_sync(space: Workspace, venv: Path) -> subprocess.CompletedProcess[str]:
    """``omniwheel sync --venv VENV`` in a private mount namespace where the cache is a
    read-only bind mount of itself (root can write through chmod, not through ``ro``)."""
    cache = str(space.cache)
    script = (
        'mount --make-rprivate / && mount --bind "$0" "$0" && '
        'mount -o remount,ro,bind "$0" "$0" && touch "$0/probe" 2>/dev/null && exit 90; '
        'exec "$@"'
    )
    command = ["unshare", "--mount", "sh", "-c", script, cache]
    command += [*space.command("sync", "--venv", str(venv))]
    return subprocess.run(
        command, env=space.subprocess_environ(), capture_output=True, text=True, check=False
    )


def _can_make_read_only_mounts(space: Workspace) -> str | None:
    if shutil.which("unshare") is None:
        return "no `unshare` on this machine"
    probe = space.root / "mount-probe"
    probe.mkdir()
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" "$0"', str(probe)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return f"cannot make a private bind mount here: {done.stderr.strip()}"
    return None


def test_a_read_only_store_that_holds_everything_still_syncs(space: Workspace) -> None:
    reason = _can_make_read_only_mounts(space)
    if reason is not None:
        pytest.skip(reason)
    assert space.cli("sync").exit_code == 0
    other = space.root / "second-venv"
    done = _read_only_sync(space, other)
    assert done.returncode != 90, "the bind mount was not read-only"
    assert done.returncode == 0, done.stderr
    assert "(3 linked from store, 0 downloaded)" in done.stderr
    assert "could not record the environment's store entries" in done.stderr
    python = other / "bin" / "python"
    imported = subprocess.run(
        [str(python), "-c", "import alpha, beta, gamma; print(alpha.CODE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout == "3\n"


def test_importlib_metadata_and_pip_check_agree_with_the_lock(space: Workspace) -> None:
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed beside the tests")
    assert space.cli("sync").exit_code == 0
    lock = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    locked = {package["name"]: package["version"] for package in lock["packages"]}
    assert space.versions() == locked
    pip = [sys.executable, "-m", "pip", "--python", str(space.venv / "bin" / "python")]
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CONFIG_FILE": os.devnull}
    check = subprocess.run(
        [*pip, "check"], capture_output=True, text=True, check=False, env=environ
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No broken requirements found." in check.stdout
    listed = subprocess.run(
        [*pip, "list", "--format", "json"], capture_output=True, text=True, check=True, env=environ
    )
    assert {item["name"]: item["version"] for item in json.loads(listed.stdout)} == locked


def test_pip_check_reports_a_broken_environment(space: Workspace) -> None:
    """The check above could pass vacuously; here pip must see the missing dependency."""
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed beside the tests")
    assert space.cli("sync").exit_code == 0
    shutil.rmtree(space.site_packages() / "beta-1.0.dist-info")
    check = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(space.venv / "bin" / "python"), "check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert check.returncode == 1
    assert "alpha 1.0 requires beta, which is not installed." in check.stdout


@pytest.mark.network
def test_sync_a_lock_that_uv_pip_compile_wrote(tmp_path: Path) -> None:
    venv = tmp_path / "uv-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "uv"],
        check=True,
        env=environ,
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.in").write_text("attrs\nidna\nmarkupsafe\n", encoding="utf-8")
    uv_environ = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
    subprocess.run(
        [
            str(venv / "bin" / "uv"),
            "pip",
            "compile",
            "requirements.in",
            "--output-file",
            "pylock.toml",
            "--python-version",
            PYTHON,
            "--exclude-newer",
            "2026-11-01",
            "--quiet",
        ],
        cwd=project,
        check=True,
        env=uv_environ,
    )
    assert "created-by" in (project / "pylock.toml").read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "omniwheel.cli.main", "sync", "--project", str(project)],
        env={**os.environ, "OMNIWHEEL_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Installed 3 packages" in done.stderr
    imported = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-c",
            "import attrs, idna, markupsafe; print(markupsafe.escape('<x>'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout == "&lt;x&gt;\n"
