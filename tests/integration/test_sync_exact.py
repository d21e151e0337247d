"""Sync is exact: a distribution the lock does not hold is removed, whoever installed it."""

from __future__ import annotations

from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel


def test_a_package_installed_by_pip_is_removed_when_the_lock_changes(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    stray = build_wheel(space.root / "stray-wheels", "stray", "1.0")
    space.pip_install(stray)
    assert "stray" in space.versions()
    space.write(["alpha"])  # gamma leaves the lock; the lock changes, so sync looks again
    space.lock()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0"}
    assert not (space.site_packages() / "stray").exists()


def test_a_distribution_without_record_is_reported_and_kept(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    legacy = space.site_packages() / "legacy-0.1.dist-info"
    legacy.mkdir()
    (legacy / "METADATA").write_text("Metadata-Version: 2.1\nName: legacy\nVersion: 0.1\n")
    space.write(["alpha"])
    space.lock()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "legacy 0.1 is not in the lock, but has no RECORD" in run.stderr
    assert legacy.is_dir()
