"""The store's usage records, the prune decision (pure) and the cache lease."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniwheel.store.usage import (
    USAGE_DIR,
    USAGE_FILE,
    CacheBusyError,
    UsageRecord,
    exclusive_lease,
    plan_prune,
    read_usage,
    record_usage,
    shared_lease,
)

A, B, C = "a" * 64, "b" * 64, "c" * 64
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _record(lock: str, venv: str, *entries: str) -> UsageRecord:
    return UsageRecord(lock=Path(lock), venv=Path(venv), last_used=WHEN, entries=frozenset(entries))


def test_prune_keeps_what_live_records_need() -> None:
    records = [
        _record("/p/pylock.toml", "/p/.venv", A, B),
        _record("/q/pylock.toml", "/q/.venv", C),
    ]
    existing = {Path("/p/pylock.toml"), Path("/p/.venv"), Path("/q/pylock.toml")}
    plan = plan_prune(records, [A, B, C, "d" * 64], exists=existing.__contains__)
    assert plan.keep == (A, B)
    assert plan.remove == (C, "d" * 64)
    assert plan.live == (records[0],)


def test_prune_without_records_removes_everything() -> None:
    plan = plan_prune([], [B, A], exists=lambda _: True)
    assert plan.remove == (A, B)
    assert plan.keep == ()


def test_records_round_trip_and_replace_the_same_environment(tmp_path: Path) -> None:
    record_usage(
        tmp_path, lock=Path("/p/pylock.toml"), venv=Path("/p/.venv"), entries=[A], now=WHEN
    )
    record_usage(
        tmp_path, lock=Path("/q/pylock.toml"), venv=Path("/q/.venv"), entries=[B], now=WHEN
    )
    record_usage(
        tmp_path, lock=Path("/p/pylock.toml"), venv=Path("/p/.venv"), entries=[C], now=WHEN
    )
    assert read_usage(tmp_path) == [
        _record("/p/pylock.toml", "/p/.venv", C),
        _record("/q/pylock.toml", "/q/.venv", B),
    ]
    texts = [path.read_text(encoding="utf-8") for path in (tmp_path / USAGE_DIR).iterdir()]
    assert len(texts) == 2  # one file per environment
    assert all("version = 1" in text for text in texts)
    assert all("last-used = 2026-01-02T03:04:05Z" in text for text in texts)
    assert not (tmp_path / USAGE_FILE).exists()


def test_recording_an_environment_reads_and_rewrites_no_other_record(tmp_path: Path) -> None:
    record_usage(tmp_path, lock=Path("/q/pylock.toml"), venv=Path("/q/.venv"), entries=[B])
    (other,) = (tmp_path / USAGE_DIR).iterdir()
    before = (other.read_bytes(), other.stat().st_mtime_ns)
    (tmp_path / USAGE_FILE).write_text("not toml [", encoding="utf-8")  # never read by a sync
    record_usage(tmp_path, lock=Path("/p/pylock.toml"), venv=Path("/p/.venv"), entries=[A])
    assert (other.read_bytes(), other.stat().st_mtime_ns) == before
    assert [r.venv for r in read_usage(tmp_path)] == [Path("/p/.venv"), Path("/q/.venv")]


def test_the_single_file_of_earlier_versions_is_read_below_the_own_files(tmp_path: Path) -> None:
    (tmp_path / USAGE_FILE).write_text(
        "version = 1\n"
        '[[environment]]\nlock = "/p/pylock.toml"\nvenv = "/p/.venv"\n'
        f'last-used = 2026-01-02T03:04:05Z\nentries = ["{A}"]\n'
        '[[environment]]\nlock = "/q/pylock.toml"\nvenv = "/q/.venv"\n'
        f'last-used = 2026-01-02T03:04:05Z\nentries = ["{B}"]\n',
        encoding="utf-8",
    )
    record_usage(
        tmp_path, lock=Path("/p/pylock.toml"), venv=Path("/p/.venv"), entries=[C], now=WHEN
    )
    assert read_usage(tmp_path) == [
        _record("/p/pylock.toml", "/p/.venv", C),  # its own file replaces the old record
        _record("/q/pylock.toml", "/q/.venv", B),  # still only in the old file
    ]


@pytest.mark.parametrize(
    "content", ["not toml [", "version = 2\n", "version = 1\nenvironment = [{lock = 3}]\n"]
)
@pytest.mark.parametrize("where", [USAGE_FILE, f"{USAGE_DIR}/0123.toml"])
def test_unusable_records_count_as_none(tmp_path: Path, content: str, where: str) -> None:
    (tmp_path / where).parent.mkdir(exist_ok=True)
    (tmp_path / where).write_text(content, encoding="utf-8")
    assert read_usage(tmp_path) == []


def _try_exclusive(cache: Path, purpose: str) -> None:
    with exclusive_lease(cache, purpose=purpose):
        pass


def test_the_exclusive_lease_is_refused_while_a_shared_one_is_held(tmp_path: Path) -> None:
    busy = pytest.raises(CacheBusyError, match="cannot prune: another omniwheel process")
    with shared_lease(tmp_path), shared_lease(tmp_path), busy:  # shared leases coexist
        _try_exclusive(tmp_path, "prune")
    with exclusive_lease(tmp_path, purpose="prune"), pytest.raises(CacheBusyError):
        _try_exclusive(tmp_path, "clean")
    _try_exclusive(tmp_path, "clean")  # released
