"""``omniwheel sync`` and ``run`` end to end: a lock made against the local index, a real venv.

Each test locks a small project for this machine (``omniwheel lock --platform <this host>``),
syncs it into a fresh venv built from the running interpreter and looks at the result through
the venv's own Python (``importlib.metadata``), its scripts and the store.  The wheels are
built by the tests: pure ``py3-none-any`` wheels with a console script, a ``.data/scripts``
file, a ``.data/data`` file and a ``.pth`` file.  The last test (marked ``network``) syncs a
lock made against the real index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omniwheel.cli.main import main
from omniwheel.env.layout import STATE_FILENAME, read_state
from omniwheel.store import store as store_module
from omniwheel.store import unpack_pool
from tests.support.index_server import IndexServer
from tests.support.lock_runner import ISOLATED_VARIABLES, write_project
from tests.support.privileges import modes_enforced
from tests.support.sync_space import PYTHON, Workspace, publish, this_platform


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BACKOFF_SECONDS", 0.0)


def test_sync_installs_exactly_the_lock(space: Workspace) -> None:
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "Installed 3 packages" in run.stderr
    assert "(0 linked from store, 3 downloaded)" in run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert space.python("import alpha_hidden; print(alpha_hidden.HIDDEN)") == "True\n"
    assert (space.venv / "share" / "alpha" / "notes.txt").read_text() == "notes\n"


def test_scripts_work_and_dist_info_is_written_not_linked(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    hello = subprocess.run(
        [str(space.venv / "bin" / "alpha-hello")], capture_output=True, text=True, check=True
    )
    assert hello.stdout.startswith(f"hello from alpha {space.venv}")
    raw = subprocess.run(
        [str(space.venv / "bin" / "alpha-raw")], capture_output=True, text=True, check=True
    )
    assert raw.stdout == "raw 3\n"
    dist_info = space.site_packages() / "alpha-1.0.dist-info"
    assert (dist_info / "INSTALLER").read_text() == "omniwheel\n"
    assert (dist_info / "REQUESTED").is_file()
    assert not (space.site_packages() / "beta-1.0.dist-info" / "REQUESTED").exists()
    record = (dist_info / "RECORD").read_text()
    assert "../../../bin/alpha-hello,sha256=" in record
    assert "alpha/__init__.py,sha256=" in record
    assert (dist_info / "RECORD").stat().st_nlink == 1
    linked = space.site_packages() / "alpha" / "__init__.py"
    assert linked.stat().st_nlink >= 2  # hardlinked from the store
    assert linked.stat().st_mode & 0o222 == 0
    with modes_enforced():  # root writes any file unless held to its mode
        assert not os.access(linked, os.W_OK, effective_ids=True)


def test_a_second_sync_is_a_no_op(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    space.server.clear_requests()
    state = read_state(space.venv)
    installed = {p.name: p.stat().st_mtime_ns for p in space.site_packages().iterdir()}
    again = space.cli("sync")
    assert again.exit_code == 0
    assert "Audited 3 packages" in again.stderr
    assert space.server.requests == []
    after = read_state(space.venv)
    # Nothing was installed again; at most the audit kept fresher directory times.
    assert state is not None
    assert after is not None
    assert (after.lock_sha256, after.dists, after.footprints) == (
        state.lock_sha256,
        state.dists,
        state.footprints,
    )
    assert {p.name: p.stat().st_mtime_ns for p in space.site_packages().iterdir()} == installed


def test_a_fresh_venv_links_from_the_warm_store(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    other = space.root / "other-venv"
    space.server.clear_requests()
    run = space.cli("sync", "--venv", str(other))
    assert run.exit_code == 0, run.stderr
    assert "(3 linked from store, 0 downloaded)" in run.stderr
    assert space.server.requests == []


def test_a_dependency_dropped_from_the_lock_is_removed(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    space.write(["alpha"])
    space.lock()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "Removed 1 package\n" in run.stderr
    assert "- gamma 1.0" in run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0"}
    assert not (space.site_packages() / "gamma").exists()
    assert not (space.site_packages() / "gamma-1.0.dist-info").exists()


def test_an_interrupted_sync_is_repaired_by_the_next(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    (space.venv / STATE_FILENAME).unlink()  # as if killed before the state was written
    (space.site_packages() / "beta" / "__init__.py").unlink()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.python("import beta; print(beta.__version__)") == "1.0\n"


def test_dry_run_prints_the_plan_and_changes_nothing(space: Workspace) -> None:
    run = space.cli("sync", "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines() == ["+ alpha 1.0", "+ beta 1.0", "+ gamma 1.0"]
    assert "Would install 3 packages (3 to download)" in run.stderr
    assert not space.venv.exists()
    assert not (space.store / "trees").exists()


def test_run_uses_the_environment_and_passes_exit_codes_through(
    space: Workspace, capfd: pytest.CaptureFixture[str]
) -> None:
    code = space.cli("run", "--", "python", "-c", "import alpha, sys; sys.exit(alpha.CODE)")
    assert code.exit_code == 3
    assert space.cli("run", "--", "alpha-hello").exit_code == 0
    assert f"hello from alpha {space.venv}" in capfd.readouterr().out
    missing = space.cli("run", "--", "no-such-command-here")
    assert missing.exit_code == 1
    assert "no-such-command-here" in missing.stderr


def test_run_without_a_lock_says_to_lock(space: Workspace) -> None:
    (space.project / "pylock.toml").unlink()
    run = space.cli("run", "--frozen", "--", "python", "-V")
    assert run.exit_code == 1
    assert "no pylock.toml" in run.stderr
    assert "hint: run `omniwheel lock`" in run.stderr


def test_a_lock_for_other_machines_names_its_targets_and_the_fix(space: Workspace) -> None:
    space.lock("windows-x86_64@3.12")
    run = space.cli("sync")
    assert run.exit_code == 1
    assert "does not cover this machine" in run.stderr
    assert "windows-x86_64@3.12" in run.stderr
    assert f"--platform {this_platform()}" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_hash_mismatch_is_refused_and_leaves_nothing_behind(space: Workspace) -> None:
    wheel = space.root / "index-files" / "alpha-1.0-py3-none-any.whl"
    space.server.add_file(wheel, advertised_sha256="ab" * 32)
    relock = space.cli("lock", "--refresh")  # resolved again: the lock now names a sha256
    assert relock.exit_code == 0, relock.stderr  # the served bytes do not have
    run = space.cli("sync")
    assert run.exit_code == 1
    assert "alpha 1.0 (alpha-1.0-py3-none-any.whl)" in run.stderr
    assert space.server.file_url("alpha-1.0-py3-none-any.whl") in run.stderr
    assert f"the lock says sha256 {'ab' * 32}" in run.stderr
    assert "but the file from" in run.stderr
    assert all("alpha" not in path.name for path in (space.store / "wheels").iterdir())
    assert list((space.store / "tmp").iterdir()) == []
    assert not (space.site_packages() / "alpha").exists()


def test_a_file_that_changed_size_on_the_index_is_refused(space: Workspace, tmp_path: Path) -> None:
    publish(space.server, tmp_path / "changed", alpha_marker=b"import os  # changed\n")
    run = space.cli("sync")
    assert run.exit_code == 1
    assert "alpha 1.0 (alpha-1.0-py3-none-any.whl)" in run.stderr
    assert "sent more than" in run.stderr
    assert list((space.store / "tmp").iterdir()) == []


def test_a_truncated_download_is_retried_then_reported(space: Workspace) -> None:
    space.server.truncate("/files/beta-*", 10)
    space.server.clear_requests()
    run = space.cli("sync")
    assert run.exit_code == 1
    attempts = [r for r in space.server.requests if r.path.startswith("/files/beta-")]
    assert len(attempts) == store_module.ATTEMPTS == 3
    assert "error: beta 1.0 (beta-1.0-py3-none-any.whl): downloading" in run.stderr
    assert "hint: check the network connection to 127.0.0.1" in run.stderr
    assert list((space.store / "tmp").iterdir()) == []


def test_offline_sync_names_what_the_store_lacks(space: Workspace) -> None:
    run = space.cli("sync", "--offline")
    assert run.exit_code == 1
    assert "--offline, but the store lacks 3 of the wheels" in run.stderr
    for name in ("alpha", "beta", "gamma"):
        assert f"{name} 1.0 ({name}-1.0-py3-none-any.whl) from {space.server.base_url}" in (
            run.stderr
        )
    assert not (space.site_packages() / "alpha").exists()
    assert space.cli("sync").exit_code == 0
    other = space.root / "offline-venv"
    assert space.cli("sync", "--offline", "--venv", str(other)).exit_code == 0


def test_index_credentials_go_with_downloads_from_its_host(space: Workspace) -> None:
    space.server.require_auth("reader", "s3cret-token")
    denied = space.cli("sync")
    assert denied.exit_code == 1
    assert "HTTP 401" in denied.stderr
    assert "credentials" in denied.stderr
    with_credentials = space.server.url.replace("http://", "http://reader:s3cret-token@")
    run = space.cli("sync", environ={"OMNIWHEEL_INDEX_URL": with_credentials})
    assert run.exit_code == 0, run.stderr
    assert "s3cret-token" not in run.stderr + run.stdout
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_index_credentials_never_go_to_another_host(space: Workspace) -> None:
    with IndexServer() as other:
        elsewhere = other.url.replace("http://", "http://reader:s3cret-token@")
        space.server.clear_requests()
        run = space.cli("sync", "--frozen", environ={"OMNIWHEEL_INDEX_URL": elsewhere})
    assert run.exit_code == 0, run.stderr
    downloads = [r for r in space.server.requests if r.path.endswith(".whl")]
    assert len(downloads) == 3
    assert all("authorization" not in r.headers for r in downloads)


def _another_patch_release() -> Path | None:
    """An interpreter of this minor version that is not the running one, if the machine has one."""
    for directory in ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"):
        candidate = Path(directory) / f"python{PYTHON}"
        if candidate.is_file() and not candidate.samefile(sys.executable):
            version = subprocess.run(
                [str(candidate), "-c", "import sys; print(sys.version_info[:3])"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            if version and version != str(tuple(sys.version_info[:3])):
                return candidate
    return None


def test_another_python_recreates_the_venv(space: Workspace) -> None:
    other = _another_patch_release()
    if other is None:
        pytest.skip(f"no second Python {PYTHON} on this machine")
    assert space.cli("sync").exit_code == 0
    run = space.cli("sync", "--python", str(other))
    assert run.exit_code == 0, run.stderr
    assert f"Created {space.venv} with CPython" in run.stderr
    assert space.python("import sys; print(sys.base_prefix)").strip() != sys.base_prefix
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert "Audited" in space.cli("sync", "--python", str(other)).stderr


def test_concurrent_syncs_share_one_store(space: Workspace) -> None:
    environ = {name: value for name, value in os.environ.items() if name not in ISOLATED_VARIABLES}
    environ |= {
        "OMNIWHEEL_INDEX_URL": space.server.url,
        "OMNIWHEEL_CACHE_DIR": str(space.cache),
        "PIP_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
    }
    space.server.delay("/files/*", 0.1)  # keep both processes inside the download together
    space.server.clear_requests()
    command = [sys.executable, "-m", "omniwheel.cli.main", "sync", "--project", str(space.project)]
    processes = [
        subprocess.Popen(
            [*command, "--venv", str(space.root / f"venv-{n}")],
            env=environ,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=120)[1] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert len(list((space.store / "trees").iterdir())) == 3
    assert list((space.store / "tmp").iterdir()) == []
    fetches = [r for r in space.server.requests if r.path.endswith(".whl")]
    assert len(fetches) == 3  # each wheel downloaded once, by whichever process got there first


@pytest.mark.network
def test_sync_a_lock_made_against_the_real_index(tmp_path: Path) -> None:
    """Pure and binary wheels from the real index (numpy is the deliberate big download)."""
    project = tmp_path / "project"
    write_project(
        project,
        {
            "name": "net",
            "version": "0",
            "requires-python": f">={PYTHON}",
            "dependencies": ["attrs", "idna", "markupsafe", "numpy"],
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMNIWHEEL_CACHE_DIR", str(tmp_path / "cache"))
        patch.delenv("OMNIWHEEL_VENV", raising=False)
        lock = ["lock", "--project", str(project), "--exclude-newer", "2026-11-01"]
        assert main([*lock, "--platform", this_platform()]) == 0
        assert main(["sync", "--project", str(project)]) == 0
    python = project / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import attrs, idna, markupsafe, numpy; print(numpy.ones(2).sum())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "2.0\n"
    checked = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_cold_sync_unpacking_on_worker_processes_installs_the_same(
    space: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unpack_pool, "PROCESS_MIN_BYTES", 0)  # three small wheels are enough
    # pytest's main module, which the workers import again, does nothing on import either.
    monkeypatch.setattr(unpack_pool, "spawning_is_safe", lambda: True)
    started: list[int | None] = []
    real = unpack_pool.process_unpacker

    def counting(processes: int | None = None) -> Any:
        started.append(processes)
        return real(processes)

    monkeypatch.setattr(unpack_pool, "process_unpacker", counting)
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert started == [os.cpu_count() or 1]  # one pool, a process per core
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    trees = sorted((space.store / "trees").iterdir())
    assert len(trees) == 3
    assert all(not (path.stat().st_mode & 0o222) for path in trees[0].rglob("*.py"))
