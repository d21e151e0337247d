"""The direct pylock.toml writer spells values exactly as tomlkit does, and they read back.

The scenario snapshots pin whole locks; these vectors cover values the snapshots do not reach
(control characters, non-ASCII text, keys that need quotes, datetimes with microseconds)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest
import tomlkit

from omniwheel.lock import pylock_text

STRINGS = [
    "",
    "plain",
    'python_version >= "3.12" and sys_platform == "win32"',
    "back\\slash",
    "tab\there, newline\nthere, return\r, form\f, backspace\b",
    "bell\x07 escape\x1b delete\x7f nul\x00",
    "café ü 日本",
    'three """ quotes',
]


@pytest.mark.parametrize("text", STRINGS)
def test_strings_are_escaped_as_tomlkit_escapes_them(text: str) -> None:
    expected = tomlkit.dumps({"k": text})
    assert f"k = {pylock_text._string(text)}\n" == expected
    assert tomllib.loads(expected)["k"] == text


@pytest.mark.parametrize("key", ["main", "extra:old", "group:test-suite", "a b", "x_y-Z9", "é"])
def test_keys_are_quoted_when_tomlkit_quotes_them(key: str) -> None:
    assert f"{pylock_text._key(key)} = 1\n" == tomlkit.dumps({key: 1})


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2026, 7, 23, 20, 16, 12, 938651, tzinfo=UTC),
        datetime(2026, 7, 23, 20, 16, 12, 5, tzinfo=UTC),
    ],
)
def test_datetimes_are_written_as_tomlkit_writes_them(moment: datetime) -> None:
    written = f"t = {pylock_text._datetime(moment)}\n"
    assert written == tomlkit.dumps({"t": moment})
    assert tomllib.loads(written)["t"] == moment


@pytest.mark.parametrize("items", [[], ["one"], ["one", "two"], ['a"b', "c\\d", "e"]])
def test_string_arrays_are_laid_out_as_tomlkit_lays_them_out(items: list[str]) -> None:
    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    assert f"a = {pylock_text._strings(items)}\n" == tomlkit.dumps({"a": array})
    assert f"a = {pylock_text._one_line(items)}\n" == tomlkit.dumps({"a": list(items)})
