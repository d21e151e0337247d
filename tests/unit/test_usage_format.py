"""The usage file is written without tomlkit: the same text tomlkit wrote, read back the same."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import tomlkit

from omniwheel.store.usage import USAGE_VERSION, UsageRecord, read_usage, record_usage, usage_toml

SHA = ["0" * 64, "a" * 64, "f" * 64]
AWKWARD_NAMES = [
    'quote"s',
    "back\\slash",
    "tab\there",
    "new\nline",
    "del\x7fete",
    "\x01\x1b",
    "é😀",
]
TIMES = [
    datetime(2026, 1, 5, 10, 11, 12, tzinfo=UTC),
    datetime(2026, 1, 5, 10, 11, 12, 123, tzinfo=UTC),
    datetime(2026, 1, 5, 10, 11, 12, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 1, 5, 10, 11, 12),
]


def _tomlkit_text(records: list[UsageRecord]) -> str:
    """What the usage file looked like when tomlkit wrote it."""
    document = tomlkit.document()
    document.add(tomlkit.comment("Which environments use which store entries (cache prune)."))
    document["version"] = USAGE_VERSION
    tables = tomlkit.aot()
    for record in sorted(records, key=lambda r: (str(r.lock), str(r.venv))):
        table = {
            "lock": str(record.lock),
            "venv": str(record.venv),
            "last-used": record.last_used,
            "entries": sorted(record.entries),
        }
        tables.append(tomlkit.item(table))
    document["environment"] = tables
    return tomlkit.dumps(document)


def _record(name: str, when: datetime, entries: list[str]) -> UsageRecord:
    return UsageRecord(
        lock=Path(f"/p/{name}/pylock.toml"),
        venv=Path(f"/p/{name}/.venv"),
        last_used=when,
        entries=frozenset(entries),
    )


@pytest.mark.parametrize("name", AWKWARD_NAMES)
@pytest.mark.parametrize("when", TIMES)
def test_the_text_is_what_tomlkit_wrote(name: str, when: datetime) -> None:
    records = [_record(name, when, SHA), _record("b", TIMES[0], []), _record("a", when, SHA[:1])]
    text = usage_toml(records)
    assert text == _tomlkit_text(records)
    locks = {table["lock"] for table in tomllib.loads(text)["environment"]}
    assert f"/p/{name}/pylock.toml" in locks


def test_no_records_still_reads_back_as_none() -> None:
    assert tomllib.loads(usage_toml([])) == {"version": USAGE_VERSION}


def test_record_usage_replaces_the_environments_own_record(tmp_path: Path) -> None:
    lock, venv = tmp_path / "pylock.toml", tmp_path / ".venv"
    record_usage(tmp_path, lock=lock, venv=venv, entries=SHA[:2], now=TIMES[0])
    record_usage(tmp_path, lock=lock, venv=tmp_path / "other", entries=SHA[2:], now=TIMES[0])
    record_usage(tmp_path, lock=lock, venv=venv, entries=SHA[1:], now=TIMES[1])
    records = {record.venv.name: record for record in read_usage(tmp_path)}
    assert sorted(records) == [".venv", "other"]
    assert records[".venv"].entries == frozenset(SHA[1:])
    assert records[".venv"].last_used == TIMES[1].replace(microsecond=0)
