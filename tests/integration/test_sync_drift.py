"""Every ``sync`` (and ``run``) audits the environment, also when the lock is unchanged.

Each test syncs, changes the environment behind omniwheel's back the way users and other tools
do, and syncs again with the very same lock: the drift must be found, named, and repaired
exactly as a changed lock would repair it.  The audit itself is :mod:`omniwheel.env.audit`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from omniwheel.env.audit import COARSE_RACY_NS
from omniwheel.env.layout import Snapshot, read_state, write_state
from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel


def _synced(space: Workspace) -> None:
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def _age_snapshot(space: Workspace) -> None:
    """Set every watched directory's time 10 s back and record that, as if the last sync were
    long past: no directory is racy, so only a real change makes the audit look inside one."""
    state = read_state(space.venv)
    assert state is not None
    aged = {}
    for directory, mtime_ns in state.snapshot.mtimes.items():
        aged[directory] = mtime_ns - 10 * COARSE_RACY_NS
        os.utime(space.venv / directory, ns=(aged[directory], aged[directory]))
    write_state(space.venv, state.with_snapshot(Snapshot(taken_ns=time.time_ns(), mtimes=aged)))


def test_a_stray_distribution_installed_by_pip_is_removed(space: Workspace) -> None:
    _synced(space)
    space.pip_install(build_wheel(space.root / "stray-wheels", "stray", "1.0"))
    assert "stray" in space.versions()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "stray-1.0.dist-info is not in the lock" in run.stderr
    assert "Removed 1 package" in run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert not (space.site_packages() / "stray").exists()
    assert "Audited 3 packages" in space.cli("sync").stderr


def test_a_stray_without_record_is_reported_once_and_kept(space: Workspace) -> None:
    _synced(space)
    legacy = space.site_packages() / "legacy-0.1.dist-info"
    legacy.mkdir()
    (legacy / "METADATA").write_text("Metadata-Version: 2.1\nName: legacy\nVersion: 0.1\n")
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "legacy 0.1 is not in the lock, but has no RECORD" in run.stderr
    assert legacy.is_dir()
    again = space.cli("sync")
    assert "Audited 3 packages" in again.stderr
    assert "legacy" not in again.stderr


def test_a_deleted_file_is_restored(space: Workspace) -> None:
    _synced(space)
    _age_snapshot(space)
    module = space.site_packages() / "alpha" / "__init__.py"
    module.unlink()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "alpha: lib/" in run.stderr
    assert "alpha/__init__.py is missing" in run.stderr
    assert "Installed 1 package" in run.stderr
    assert module.is_file()
    assert space.python("import alpha; print(alpha.CODE)").strip() == "3"


def test_a_file_deleted_right_after_the_sync_is_found(space: Workspace) -> None:
    """A change in the same clock tick as the snapshot leaves the directory's time as it was:
    the audit looks inside racy directories whatever their time says."""
    _synced(space)
    script = space.venv / "bin" / "alpha-hello"
    script.unlink()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "bin/alpha-hello is missing" in run.stderr
    assert script.is_file()


def test_a_deleted_package_directory_is_restored(space: Workspace) -> None:
    _synced(space)
    _age_snapshot(space)
    shutil.rmtree(space.site_packages() / "alpha")
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "alpha/__init__.py is missing" in run.stderr
    assert space.python("import alpha; print(alpha.CODE)").strip() == "3"


def test_a_replaced_version_is_put_back(space: Workspace) -> None:
    _synced(space)
    space.pip_install(build_wheel(space.root / "other-wheels", "beta", "2.0"))
    assert space.versions()["beta"] == "2.0"
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "beta: beta-1.0.dist-info was removed" in run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert not list(space.site_packages().glob("beta-2.0*"))


def test_the_same_version_reinstalled_by_another_installer_is_installed_again(
    space: Workspace,
) -> None:
    _synced(space)
    _age_snapshot(space)
    space.pip_install(build_wheel(space.root / "same-wheels", "gamma", "1.0"), "--force")
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "gamma: reinstalled by pip" in run.stderr
    installer = next(space.site_packages().glob("gamma-1.0.dist-info")) / "INSTALLER"
    assert installer.read_text().strip() == "omniwheel"


def test_a_removed_dist_info_is_restored(space: Workspace) -> None:
    _synced(space)
    shutil.rmtree(next(space.site_packages().glob("gamma-1.0.dist-info")))
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "gamma: gamma-1.0.dist-info was removed" in run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_importing_modules_is_not_a_drift(space: Workspace) -> None:
    """Importing writes ``__pycache__`` into package directories: their times change, their
    files do not; the audit looks, finds them whole, and keeps the new times."""
    _synced(space)
    _age_snapshot(space)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    env.pop("PYTHONDONTWRITEBYTECODE")
    subprocess.run([str(space.venv / "bin" / "python"), "-c", "import alpha"], check=True, env=env)
    assert (space.site_packages() / "alpha" / "__pycache__").is_dir()
    before = read_state(space.venv)
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "Audited 3 packages" in run.stderr
    after = read_state(space.venv)
    assert before is not None
    assert after is not None
    package = f"{before.site_packages}/alpha"
    assert after.snapshot.mtimes[package] != before.snapshot.mtimes[package]  # kept the new time
    assert after.snapshot.mtimes[package] == (space.venv / package).stat().st_mtime_ns
    assert after.dists == before.dists


def test_run_repairs_before_running(space: Workspace) -> None:
    _synced(space)
    space.pip_install(build_wheel(space.root / "stray-wheels", "stray", "1.0"))
    run = space.cli("run", "--", "python", "-c", "import stray")
    assert run.exit_code != 0  # removed before the command ran
    assert "stray-1.0.dist-info is not in the lock" in run.stderr
    assert "stray" not in space.versions()
