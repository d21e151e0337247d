"""A relock with nothing to do stops before resolving: same inputs, a lock this omniwheel resolved.

The proof is a stamp in the cache named by the sha256 of the lock's bytes
(:mod:`omniwheel.lock.resolved_stamp`); anything that could change the answer (the project, the
options, ``--refresh``/``--upgrade``, a hand edit, another omniwheel version, another cache)
resolves again, and ``--check`` and ``--json`` always resolve.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from omniwheel.cli import unchanged_lock
from omniwheel.lock import resolved_stamp
from tests.support.index_server import IndexServer
from tests.support.lock_runner import (
    LockRun,
    lock_in_fresh_interpreter,
    run_lock,
    write_project,
)
from tests.support.wheelbuilder import build_wheel

TARGETS = ("--platform", "linux-x86_64@3.12", "--platform", "windows-x86_64@3.12")
KEPT = "pylock.toml is up to date: 2 packages for 2 targets"


def _lock(project: Path, server: IndexServer, *args: str, cache: str = "cache") -> LockRun:
    return run_lock(project, args, index_url=server.url, cache_dir=project.parent / cache)


@pytest.fixture
def project(index_server: IndexServer, tmp_path: Path) -> Path:
    """A project locked once (so its cache holds the stamp), with a newer release since."""
    wheels = tmp_path / "wheels"
    index_server.add_file(build_wheel(wheels, "app", "1.0", requires_dist=["lib>=1"]))
    index_server.add_file(build_wheel(wheels, "lib", "1.0"))
    root = tmp_path / "project"
    write_project(root, {"name": "p", "version": "0", "dependencies": ["app"]})
    first = _lock(root, index_server, *TARGETS)
    assert first.exit_code == 0, first.output
    index_server.add_file(build_wheel(wheels, "lib", "2.0"))
    return root


def _asked(server: IndexServer) -> int:
    return len(server.requests)


def test_a_relock_with_the_same_inputs_resolves_nothing(
    project: Path, index_server: IndexServer
) -> None:
    before = (project / "pylock.toml").read_bytes()
    asked = _asked(index_server)
    run = _lock(project, index_server)
    assert run.exit_code == 0, run.output
    assert KEPT in run.stderr
    assert "nothing resolved, the index was not asked" in run.stderr
    assert "Resolved" not in run.stderr
    assert _asked(index_server) == asked
    assert (project / "pylock.toml").read_bytes() == before
    # The targets recorded from the command line, given again, are the same inputs.
    again = _lock(project, index_server, *TARGETS)
    assert KEPT in again.stderr
    assert _asked(index_server) == asked


@pytest.mark.parametrize(
    "args",
    [("--refresh",), ("--upgrade",), ("--upgrade-package", "lib"), ("--check",), ("--json",)],
)
def test_options_that_ask_for_a_resolution_get_one(
    project: Path, index_server: IndexServer, args: tuple[str, ...]
) -> None:
    asked = _asked(index_server)
    run = _lock(project, index_server, *args)
    assert run.exit_code == 0, run.output
    assert KEPT not in run.output
    if args[0] != "--json":  # reads pages still fresh in the cache, so it may ask nothing
        assert "Resolved 2 packages" in run.stderr
    if args[0] in {"--refresh", "--upgrade"}:
        assert _asked(index_server) > asked


def test_a_changed_project_resolves(project: Path, index_server: IndexServer) -> None:
    write_project(project, {"name": "p", "version": "0", "dependencies": ["app", "lib>=2"]})
    run = _lock(project, index_server)
    assert run.exit_code == 0, run.output
    assert KEPT not in run.stderr
    assert "lib: 1.0 → 2.0" in run.stderr


def test_changed_targets_resolve(project: Path, index_server: IndexServer) -> None:
    run = _lock(project, index_server, "--platform", "linux-x86_64@3.12")
    assert run.exit_code == 0, run.output
    assert "Resolved 2 packages for 1 target" in run.stderr


def test_a_hand_edited_lock_is_resolved_again(project: Path, index_server: IndexServer) -> None:
    path = project / "pylock.toml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    run = _lock(project, index_server)
    assert run.exit_code == 0, run.output
    assert KEPT not in run.stderr
    assert "# edited" not in path.read_text(encoding="utf-8")  # rewritten as resolved
    assert KEPT in _lock(project, index_server).stderr  # and stamped again


def test_another_cache_or_omniwheel_version_resolves_again(
    project: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert KEPT not in _lock(project, index_server, cache="other-cache").stderr
    monkeypatch.setattr(resolved_stamp, "__version__", "0.0.0+another")
    monkeypatch.setattr(unchanged_lock, "__version__", "0.0.0+another")
    assert KEPT not in _lock(project, index_server).stderr
    assert KEPT in _lock(project, index_server).stderr  # that version stamped it in turn


def test_a_damaged_stamp_only_costs_a_resolution(project: Path, index_server: IndexServer) -> None:
    stamps = project.parent / "cache" / resolved_stamp.RESOLVED_DIR
    for stamp in stamps.iterdir():
        stamp.write_text("garbage\n", encoding="utf-8")
    # The earlier answer for the very same inputs (omniwheel.cli.unchanged_lock) goes too.
    shutil.rmtree(project.parent / "cache" / unchanged_lock.UNCHANGED_DIR)
    run = _lock(project, index_server)
    assert run.exit_code == 0, run.output
    assert KEPT not in run.stderr
    assert KEPT in _lock(project, index_server).stderr


def test_the_early_stop_loads_no_resolver_index_client_or_pep751_reader(
    project: Path, index_server: IndexServer
) -> None:
    """What the README says: the early stop does not load the resolver."""
    run = lock_in_fresh_interpreter(
        project,
        [],
        index_url=index_server.url,
        cache_dir=project.parent / "cache",
        watched=("omniwheel.resolve", "omniwheel.lock.locker", "omniwheel.lock.pylock", "httpx"),
    )
    assert run.exit_code == 0, run.stderr
    assert KEPT in run.stderr
    assert run.loaded == ()
