"""``lock --json`` and ``sync --json`` against the local index: the report says what happened.

stdout holds exactly one JSON object (:mod:`omniwheel.cli.json_report`), checked against what is
on disk afterwards: the lock's targets and versions, the venv's dist-infos, the store.  Warnings
and errors stay on stderr, and a failure writes no JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omniwheel.cli.json_report import SCHEMA
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.scenario_index import populate_index
from tests.support.sync_space import PYTHON, Workspace

# `fastmath` 2.0 has binary wheels for Linux and Windows only, so macOS falls back to the pure
# 1.5; `nowindows` has no Windows wheel, so the Windows target is skipped.
PACKAGES: list[dict[str, Any]] = [
    {
        "name": "fastmath",
        "version": "2.0",
        "wheels": ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64"],
    },
    {"name": "fastmath", "version": "1.5"},
    {
        "name": "nowindows",
        "version": "1.0",
        "wheels": ["py3-none-manylinux_2_17_x86_64", "py3-none-macosx_11_0_arm64"],
    },
]
LINUX = "linux-x86_64-glibc2.28@3.12"
MACOS = "macos-arm64-13.0@3.12"
WINDOWS = "windows-x86_64@3.12"
PLATFORMS = ("linux-x86_64", "macos-arm64", "windows-x86_64")


def _report(stdout: str) -> dict[str, Any]:
    report = json.loads(stdout)  # the whole of stdout: nothing else may be printed there
    assert isinstance(report, dict)
    assert report["schema"] == SCHEMA
    return report


# -- lock ------------------------------------------------------------------------------------


@pytest.fixture
def matrix_project(index_server: IndexServer, tmp_path: Path) -> Iterator[Path]:
    populate_index(index_server, PACKAGES, tmp_path / "index-files")
    project = tmp_path / "project"
    metadata = {
        "name": "demo",
        "version": "0.1",
        "requires-python": ">=3.11",
        "dependencies": ["fastmath", "nowindows"],
    }
    write_project(project, metadata, {"no-wheel": "skip-target"})
    yield project
    assert index_server.handler_errors == []


def _lock(project: Path, server: IndexServer, *args: str) -> LockRun:
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    return run_lock(
        project,
        [*platforms, "--python-version", "3.12", *args],
        index_url=server.url,
        cache_dir=project.parent / "cache",
    )


def test_lock_json_reports_targets_packages_and_divergences(
    matrix_project: Path, index_server: IndexServer
) -> None:
    run = _lock(matrix_project, index_server, "--json")
    assert run.exit_code == 0, run.output
    report = _report(run.stdout)
    assert report["command"] == "lock"
    assert report["lock"] == str(matrix_project / "pylock.toml")
    assert (matrix_project / "pylock.toml").is_file()
    assert report["changed"] is True
    assert report["check"] is False
    assert report["targets"] == [
        {"name": LINUX, "platform": "linux-x86_64-glibc2.28", "python": "3.12"},
        {"name": MACOS, "platform": "macos-arm64-13.0", "python": "3.12"},
    ]
    assert [entry["name"] for entry in report["skipped"]] == [WINDOWS]
    assert "nowindows" in report["skipped"][0]["reason"]
    assert report["packages"] == {
        LINUX: {"fastmath": "2.0", "nowindows": "1.0"},
        MACOS: {"fastmath": "1.5", "nowindows": "1.0"},
    }
    [divergence] = report["divergences"]
    assert divergence["name"] == "fastmath"
    newest, older = divergence["versions"]
    assert newest == {"version": "2.0", "targets": [LINUX], "reason": None}
    assert older["version"] == "1.5"
    assert older["targets"] == [MACOS]
    assert "no wheel for macos-arm64" in older["reason"]
    # the summary is replaced by the report; the warning stays on stderr
    assert f"warning: skipped {WINDOWS}" in run.stderr
    assert "Resolved" not in run.stderr


def test_lock_json_says_when_the_file_is_unchanged(
    matrix_project: Path, index_server: IndexServer
) -> None:
    assert _lock(matrix_project, index_server).exit_code == 0
    again = _report(_lock(matrix_project, index_server, "--json").stdout)
    assert again["changed"] is False
    checked = _report(_lock(matrix_project, index_server, "--json", "--check").stdout)
    assert (checked["changed"], checked["check"]) == (False, True)


def test_lock_json_failure_is_an_error_on_stderr_and_no_json(
    matrix_project: Path, index_server: IndexServer
) -> None:
    run = _lock(matrix_project, index_server, "--json", "--platform", "nonsense-os")
    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.startswith("error: ")
    assert "Traceback" not in run.stderr


# -- sync ------------------------------------------------------------------------------------


def _sync(space: Workspace, *args: str) -> dict[str, Any]:
    run = space.cli("sync", "--json", *args)
    assert run.exit_code == 0, run.stderr
    report = _report(run.stdout)
    assert report["command"] == "sync"
    return report


def _installed(space: Workspace) -> list[dict[str, str]]:
    """The venv's distributions, from its own ``importlib.metadata``."""
    return [{"name": n, "version": v} for n, v in sorted(space.versions().items())]


def test_sync_json_reports_what_was_installed_and_fetched(space: Workspace) -> None:
    report = _sync(space)
    assert report["lock"] == str(space.project / "pylock.toml")
    assert report["venv"] == str(space.venv)
    assert PYTHON in report["interpreter"]
    assert (report["created_venv"], report["no_op"], report["dry_run"]) == (True, False, False)
    assert report["installed"] == _installed(space)
    assert [p["name"] for p in report["installed"]] == ["alpha", "beta", "gamma"]
    assert report["fetched"] == report["installed"]  # the store was empty
    assert len(list((space.store / "wheels").iterdir())) == 3
    assert report["removed"] == []
    assert report["packages"] == 3
    assert report["choice"] == {"dependencies": True, "extras": [], "groups": []}


def test_sync_json_of_an_environment_in_sync_is_a_no_op(space: Workspace) -> None:
    _sync(space)
    report = _sync(space)
    assert (report["no_op"], report["created_venv"]) == (True, False)
    assert (report["installed"], report["removed"], report["fetched"]) == ([], [], [])
    assert report["packages"] == 3


def test_sync_json_fetches_nothing_the_store_has(space: Workspace) -> None:
    _sync(space)
    other = space.root / "other-venv"
    report = _sync(space, "--venv", str(other))
    assert report["venv"] == str(other)
    assert len(report["installed"]) == 3
    assert report["fetched"] == []


def test_sync_json_reports_a_removed_package(space: Workspace) -> None:
    _sync(space)
    space.write(["alpha"])
    space.lock()
    report = _sync(space)
    assert report["removed"] == [{"name": "gamma", "version": "1.0"}]
    assert report["installed"] == []
    assert report["no_op"] is False
    assert "gamma" not in space.versions()


def test_sync_json_reports_and_repairs_a_drift_with_the_lock_unchanged(space: Workspace) -> None:
    _sync(space)
    (space.venv / "bin" / "alpha-hello").unlink()
    run = space.cli("sync", "--json")
    assert run.exit_code == 0, run.stderr
    report = _report(run.stdout)
    assert report["drift"] == ["alpha: bin/alpha-hello is missing"]
    assert "changed since the last sync: alpha: bin/alpha-hello is missing" in run.stderr
    assert report["installed"] == [{"name": "alpha", "version": "1.0"}]
    assert report["no_op"] is False
    assert (space.venv / "bin" / "alpha-hello").is_file()
    assert _sync(space)["drift"] == []


def test_sync_json_dry_run_writes_only_the_report(space: Workspace) -> None:
    run = space.cli("sync", "--json", "--dry-run")
    assert run.exit_code == 0, run.stderr
    report = _report(run.stdout)  # no plan lines around it
    assert report["dry_run"] is True
    assert [p["name"] for p in report["installed"]] == ["alpha", "beta", "gamma"]
    assert report["fetched"] == report["installed"]
    assert not space.venv.exists()


def test_sync_json_failure_is_an_error_on_stderr_and_no_json(space: Workspace) -> None:
    run = space.cli("sync", "--json", "--offline")
    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.startswith("error: ")
    assert "\nhint: " in run.stderr
    assert "Traceback" not in run.stderr
