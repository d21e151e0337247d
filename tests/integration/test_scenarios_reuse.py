"""Cross-target reuse changes nothing: every scenario locks to the same bytes with it off.

:mod:`omniwheel.resolve.reuse` lets a group of targets take an earlier group's pins when it can
prove they hold, instead of running resolvelib again.  This runs every scenario of
``tests/scenarios`` twice through the real ``omniwheel lock`` — as users run it, and with
``resolve_matrix(..., reuse=False)`` — and compares the written lock files byte for byte (and,
for scenarios that must fail, the exit code and the error).  The CLI has no switch for reuse, so
the resolver entry point the locker calls is wrapped (``tests/support/reuse_recorder.py``); the
wrapper also records each resolution, so the test can tell that reuse was really used where the
suite offers it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_scenarios import load_scenario, publish, scenario_files
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.reuse_recorder import Recorder, record_resolutions


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    return record_resolutions(monkeypatch)


# Scenarios resolving several groups where reuse is rightly refused for every later group (none
# yet).  In every other scenario with several groups, the test checks that reuse did happen, so
# that comparing the two locks is not vacuous.
REFUSING: frozenset[str] = frozenset()


@pytest.mark.parametrize("path", scenario_files(), ids=lambda path: path.stem)
def test_reuse_gives_the_same_lock(
    path: Path, tmp_path: Path, index_server: IndexServer, recorder: Recorder
) -> None:
    scenario = load_scenario(path)
    publish(scenario, index_server, tmp_path / "wheels")
    project_dir = tmp_path / "project"
    write_project(project_dir, scenario.project, scenario.tool, scenario.groups)

    def lock(*, reuse: bool) -> LockRun:
        (project_dir / "pylock.toml").unlink(missing_ok=True)  # no earlier pins to keep
        recorder.reuse = reuse
        recorder.results.clear()
        cache = tmp_path / "cache"
        return run_lock(project_dir, scenario.args, index_url=index_server.url, cache_dir=cache)

    with_reuse = lock(reuse=True)
    reused = recorder.count("reuse")
    several = recorder.groups() > 1
    without = lock(reuse=False)
    assert with_reuse.exit_code == scenario.expect.exit_code, with_reuse.output
    assert without.exit_code == with_reuse.exit_code, without.output
    assert without.lock_text == with_reuse.lock_text
    if with_reuse.exit_code != 0:
        assert without.stderr == with_reuse.stderr
    assert recorder.count("reuse") == 0, "reuse=False still reused"
    if several and scenario.name not in REFUSING:
        assert reused > 0, "no group reused an earlier one's pins"
