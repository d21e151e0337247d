"""Usage records of pinned interpreter builds, and ``prune``/``clean`` of ``store-v1/pythons``.

Interpreter trees have read-only directories (as the store leaves them): the removals are run
with the modes binding root too (``tests/support/privileges``), so they hold for a normal user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniwheel.store.usage import (
    UsageRecord,
    clean,
    plan_prune,
    prune,
    read_usage,
    record_usage,
)
from tests.support.privileges import modes_enforced

USED, UNUSED = "a" * 64, "b" * 64
WHEEL = "c" * 64


def _read_only_tree(path: Path) -> None:
    (path / "python" / "bin").mkdir(parents=True)
    (path / "python" / "bin" / "python3").write_text("#!/bin/sh\n")
    for directory in (path / "python" / "bin", path / "python", path):
        for child in directory.iterdir():
            if child.is_file():
                child.chmod(0o555)
        directory.chmod(0o555)


def _store(cache: Path) -> Path:
    store = cache / "store-v1"
    pythons = store / "pythons"
    pythons.mkdir(parents=True)
    for sha in (USED, UNUSED):
        _read_only_tree(pythons / sha)
        (pythons / f"{sha}.tar.gz").write_bytes(b"archive")
        (pythons / f"{sha}.probe.json").write_text("{}")
    (store / "locks").mkdir()
    (store / "locks" / f"python-{UNUSED}.lock").write_text("")
    _read_only_tree(pythons / f".{UNUSED[:16]}-interrupted")
    return store


def test_records_keep_their_interpreters(tmp_path: Path) -> None:
    lock, venv = tmp_path / "pylock.toml", tmp_path / ".venv"
    record_usage(tmp_path, lock=lock, venv=venv, entries=[WHEEL], pythons=[USED])
    (record,) = read_usage(tmp_path)
    assert record.pythons == frozenset({USED})
    record_usage(tmp_path, lock=lock, venv=venv, entries=[WHEEL])
    (own,) = (tmp_path / "usage-v1").iterdir()
    assert "pythons" not in own.read_text()
    assert read_usage(tmp_path)[0].pythons == frozenset()


def test_prune_plans_interpreters_by_live_records() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    live = UsageRecord(
        lock=Path("/l"),
        venv=Path("/v"),
        last_used=when,
        entries=frozenset(),
        pythons=frozenset({USED}),
    )
    gone = UsageRecord(
        lock=Path("/gone"),
        venv=Path("/v"),
        last_used=when,
        entries=frozenset(),
        pythons=frozenset({UNUSED}),
    )
    plan = plan_prune(
        [live, gone], [], present_pythons=[USED, UNUSED], exists=lambda p: p != Path("/gone")
    )
    assert (plan.keep_pythons, plan.remove_pythons) == ((USED,), (UNUSED,))


def test_prune_removes_unused_interpreters_and_interrupted_unpacks(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store = _store(cache)
    lock, venv = tmp_path / "pylock.toml", tmp_path / ".venv"
    lock.write_text("")
    venv.mkdir()
    record_usage(cache, lock=lock, venv=venv, entries=[], pythons=[USED])
    with modes_enforced():
        result = prune(cache)
    assert (result.removed_pythons, result.kept_pythons) == (1, 1)
    assert result.removed == 0  # the interpreter's lock file is not a wheel entry
    assert result.leftovers == 1
    left = sorted(path.name for path in (store / "pythons").iterdir())
    assert left == [USED, f"{USED}.probe.json", f"{USED}.tar.gz"]
    assert not (store / "locks" / f"python-{UNUSED}.lock").exists()


def test_clean_removes_read_only_interpreter_trees(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _store(cache)
    with modes_enforced():
        freed = clean(cache)
    assert freed > 0
    assert [path.name for path in cache.iterdir()] == [".omniwheel-cache.lock"]


@pytest.mark.parametrize("pythons", ['"not a list"', "[1, 2]"])
def test_odd_pythons_values_read_as_text_or_none(tmp_path: Path, pythons: str) -> None:
    (tmp_path / "usage-v1.toml").write_text(
        'version = 1\n[[environment]]\nlock = "/l"\nvenv = "/v"\nentries = []\n'
        f"pythons = {pythons}\n"
    )
    (record,) = read_usage(tmp_path)
    assert record.pythons in (frozenset(), frozenset({"1", "2"}))
