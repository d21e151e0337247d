"""Relocking keeps the versions a lock already has, unless told to upgrade (as uv does)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.wheelbuilder import build_wheel

TARGETS = ("--platform", "linux-x86_64@3.12", "--platform", "windows-x86_64@3.12")


def _lock(project: Path, server: IndexServer, *args: str) -> LockRun:
    return run_lock(project, args, index_url=server.url, cache_dir=project.parent / "cache")


def _versions(project: Path) -> dict[str, str]:
    data = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in data["packages"]}


def _setup(server: IndexServer, tmp_path: Path, dependencies: list[str]) -> Path:
    wheels = tmp_path / "wheels"
    server.add_file(build_wheel(wheels, "app", "1.0", requires_dist=["lib>=1"]))
    server.add_file(build_wheel(wheels, "lib", "1.0"))
    project = tmp_path / "project"
    write_project(project, {"name": "p", "version": "0", "dependencies": dependencies})
    first = _lock(project, server, *TARGETS)
    assert first.exit_code == 0, first.output
    server.add_file(build_wheel(wheels, "app", "2.0", requires_dist=["lib>=1"]))
    server.add_file(build_wheel(wheels, "lib", "2.0"))
    return project


def test_relock_keeps_locked_versions_and_check_passes(
    index_server: IndexServer, tmp_path: Path
) -> None:
    project = _setup(index_server, tmp_path, ["app"])
    again = _lock(project, index_server)
    assert again.exit_code == 0, again.output
    assert _versions(project) == {"app": "1.0", "lib": "1.0"}
    assert _lock(project, index_server, "--check").exit_code == 0


def test_upgrade_takes_the_newest_everywhere(index_server: IndexServer, tmp_path: Path) -> None:
    project = _setup(index_server, tmp_path, ["app"])
    run = _lock(project, index_server, "--upgrade")
    assert run.exit_code == 0, run.output
    assert _versions(project) == {"app": "2.0", "lib": "2.0"}
    assert "app: 1.0 → 2.0" in run.stderr


def test_upgrade_package_moves_only_that_package(index_server: IndexServer, tmp_path: Path) -> None:
    project = _setup(index_server, tmp_path, ["app"])
    run = _lock(project, index_server, "--upgrade-package", "LIB")
    assert run.exit_code == 0, run.output
    assert _versions(project) == {"app": "1.0", "lib": "2.0"}


def test_a_requirement_that_excludes_the_locked_version_moves_it(
    index_server: IndexServer, tmp_path: Path
) -> None:
    project = _setup(index_server, tmp_path, ["app"])
    write_project(project, {"name": "p", "version": "0", "dependencies": ["app", "lib>=2"]})
    run = _lock(project, index_server)
    assert run.exit_code == 0, run.output
    assert _versions(project) == {"app": "1.0", "lib": "2.0"}
