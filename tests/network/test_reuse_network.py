"""Cross-target reuse on a real workload: the lock is the same bytes with reuse off.

The workload of ``test_lock_network.py`` (its project, targets, Python versions and
``--exclude-newer`` pin) is locked twice through the real ``omniwheel lock``: as users run it, and
with ``resolve_matrix(..., reuse=False)`` so that resolvelib resolves every group.  Only pages and
metadata are downloaded; the second lock reads them from the first one's cache.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.cli.main import main
from tests.network.test_lock_network import CUTOFF, PROJECT, PYTHONS, TARGETS
from tests.support.reuse_recorder import record_resolutions

pytestmark = pytest.mark.network


def test_reuse_gives_the_same_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIWHEEL_CACHE_DIR", str(tmp_path / "cache"))
    recorder = record_resolutions(monkeypatch)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PROJECT)
    lock_path = project / "pylock.toml"
    args = ["lock", "--project", str(project), "--exclude-newer", CUTOFF]
    args += [arg for target in TARGETS for arg in ("--platform", target)]
    args += [arg for python in PYTHONS for arg in ("--python-version", python)]

    assert main(args) == 0
    with_reuse = lock_path.read_bytes()
    assert recorder.groups() == len(TARGETS) * len(PYTHONS)
    assert recorder.count("reuse") > 0, "no group reused an earlier one's pins"

    lock_path.unlink()  # the second lock must not keep the first one's versions
    recorder.reuse = False
    recorder.results.clear()
    assert main(args) == 0
    assert recorder.count("reuse") == 0, "reuse=False still reused"
    assert lock_path.read_bytes() == with_reuse
