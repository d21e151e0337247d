"""omniwheel's tables in pylock.toml: what is written reads back equal; what a person got wrong
is refused with its key path, every problem at once."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from packaging.pylock import Pylock

from omniwheel.errors import LockFileError
from omniwheel.lock.pylock import render_pylock
from omniwheel.lock.tool_table import (
    LockToolTable,
    PackageToolTable,
    SkippedTarget,
    ToolTableError,
    read_tool_tables,
)
from tests.support.small_lock import LINUX, SKIPPED, WINDOWS, small_lock

PATH = Path("project/pylock.toml")
TABLE = "tool.omniwheel"


def _read(text: str) -> Any:
    return read_tool_tables(Pylock.from_dict(tomllib.loads(text)), path=PATH)


def _edited(edit: dict[str, object], *, package: int | None = None) -> str:
    """The small lock's text with ``edit`` applied to ``[tool.omniwheel]`` (or to a package's)."""
    document = tomlkit.parse(render_pylock(small_lock()))
    tool: Any = document["tool"] if package is None else document["packages"][package]["tool"]
    for key, value in edit.items():
        if key == "":
            tool["omniwheel"] = value
        elif value is None:
            del tool["omniwheel"][key]
        else:
            tool["omniwheel"][key] = value
    return tomlkit.dumps(document)


def _problems(text: str) -> list[str]:
    with pytest.raises(ToolTableError) as caught:
        _read(text)
    assert isinstance(caught.value, LockFileError)
    assert caught.value.path == PATH
    assert caught.value.hint == "delete it and run `omniwheel lock` to write a new one"
    return [str(problem) for problem in caught.value.problems]


def test_what_is_written_reads_back_as_the_same_model() -> None:
    lock = small_lock()
    tables = _read(render_pylock(lock))
    assert tables.lock == LockToolTable.of(lock)
    assert tables.lock.inputs == lock.inputs
    assert tables.lock.skipped == (SkippedTarget(target=SKIPPED, reason="no wheel of native fits"),)
    assert tables.lock.locked_targets == (LINUX, WINDOWS)
    assert tables.packages == tuple(PackageToolTable.of(p) for p in lock.packages)
    assert tables.packages[1].targets == (WINDOWS,)


def test_a_lock_without_omniwheels_tables_reads_as_none() -> None:
    data = tomllib.loads(render_pylock(small_lock()))
    del data["tool"]
    for package in data["packages"]:
        del package["tool"]
    tables = read_tool_tables(Pylock.from_dict(data), path=PATH)
    assert tables.lock is None
    assert tables.packages == (None, None)


def test_keys_omniwheel_always_writes_may_be_missing() -> None:
    text = _edited({"prerelease": None, "uniform": None, "no-wheel": None})
    inputs = _read(text).lock.inputs
    assert (inputs.prerelease, inputs.uniform, inputs.no_wheel) == (False, False, "error")


def test_a_lock_from_before_multi_use_locks_is_recognised_by_its_extras_key() -> None:
    assert _read(_edited({})).lock.single_use_extras is None
    old = _read(_edited({"extras": ["more"]})).lock
    assert old.single_use_extras == ("more",)
    assert _read(_edited({"extras": []})).lock.single_use_extras == ()


def test_extras_and_groups_inputs_read_back_equal() -> None:
    inputs = _read(_edited({})).lock.inputs
    assert inputs.optional_dependencies == {"more": ("winonly>=1",)}
    assert inputs.dependency_groups == {}
    edited = _edited({"dependency-groups": {"dev": ["pytest>=8"]}, "default-groups": ["dev"]})
    inputs = _read(edited).lock.inputs
    assert inputs.dependency_groups == {"dev": ("pytest>=8",)}
    assert inputs.default_groups == ("dev",)


NOT_A_TARGET = "invalid target `nowhere-x86_64@3.12`: unknown OS `nowhere`"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ({"prerelease": "no"}, f'{TABLE}.prerelease: expected true or false, not "no"'),
        ({"uniform": 1}, f"{TABLE}.uniform: expected true or false, not integer 1"),
        (
            {"targets-from-cli": "yes"},
            f'{TABLE}.targets-from-cli: expected true or false, not "yes"',
        ),
        (
            {"targets": "windows-x86_64@3.12"},
            f'{TABLE}.targets: expected an array of target names, not "windows-x86_64@3.12"',
        ),
        (
            {"targets": [1, "windows-x86_64@3.12"]},
            f"{TABLE}.targets: expected an array of target names, not an array of integer "
            "and string",
        ),
        ({"targets": ["nowhere-x86_64@3.12"]}, f"{TABLE}.targets[0]: {NOT_A_TARGET}"),
        (
            {"exclude-newer": "2026-02-01"},
            f"{TABLE}.exclude-newer: expected a date-time with a UTC offset, as omniwheel "
            'writes it, not "2026-02-01"',
        ),
        (
            {"exclude-newer": datetime(2026, 2, 1)},  # a TOML local date-time
            f"{TABLE}.exclude-newer: expected a date-time with a UTC offset, as omniwheel "
            "writes it, not local date-time 2026-02-01 00:00:00",
        ),
        (
            {"exclude-newer": date(2026, 2, 1)},
            f"{TABLE}.exclude-newer: expected a date-time with a UTC offset, as omniwheel "
            "writes it, not date 2026-02-01",
        ),
        ({"extras": "more"}, f'{TABLE}.extras: expected an array of extra names, not "more"'),
        ({"index-url": 3}, f"{TABLE}.index-url: expected a string, not integer 3"),
        (
            {"dependency-groups": {"dev": ["pytest >"]}},
            f"{TABLE}.dependency-groups.dev[0]: not a valid requirement: Expected semicolon "
            "(after name with no version specifier) or end\n    pytest >\n           ^",
        ),
        (
            {"dependency-groups": {"Dev": ["pytest"]}},
            f"{TABLE}.dependency-groups.Dev: not a normalized group name",
        ),
        (
            {"no-wheel": "skip"},
            f'{TABLE}.no-wheel: expected "error" or "skip-target", not "skip"',
        ),
        (
            {"requires-python": ">=three"},
            f'{TABLE}.requires-python: expected a version specifier such as ">=3.10", '
            'not ">=three"',
        ),
        (
            {"options-from-cli": ["platforms"]},
            f"{TABLE}.options-from-cli[0]: `platforms` is none of exclude-newer, prerelease, "
            "uniform, pin-python, python-release",
        ),
        (
            {"skipped-targets": "macos"},
            f'{TABLE}.skipped-targets: expected an array of tables, not "macos"',
        ),
        (
            {"skipped-targets": [{"target": "nowhere-x86_64@3.12", "reason": "gone"}]},
            f"{TABLE}.skipped-targets[0].target: {NOT_A_TARGET}",
        ),
        ({"skipped-targets": [{"reason": "gone"}]}, f"{TABLE}.skipped-targets[0].target: missing"),
        (
            {"prerelase": True},
            f"{TABLE}.prerelase: not a key omniwheel writes here (it writes: targets, "
            "targets-from-cli, options-from-cli, index-url, indexes, sources, no-index, "
            "exclude-newer, prerelease, uniform, no-wheel, requires-python, requirements, "
            "optional-dependencies, dependency-groups, default-groups, skipped-targets, "
            "pin-python, python-release, python)",
        ),
        ({"": "omniwheel"}, f'{TABLE}: expected a table, not "omniwheel"'),
    ],
)
def test_a_hand_edited_lock_table_names_the_key(edit: dict[str, object], problem: str) -> None:
    assert _problems(_edited(edit)) == [problem]


def test_an_invalid_requirement_names_its_index() -> None:
    (problem,) = _problems(_edited({"requirements": ["native>=1", "winonly;;"]}))
    assert problem.startswith(f"{TABLE}.requirements[1]: not a valid requirement: ")


PACKAGE = "packages[1].tool.omniwheel"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            {"targets": "windows-x86_64@3.12"},
            f'{PACKAGE}.targets: expected an array of target names, not "windows-x86_64@3.12"',
        ),
        ({"targets": ["nowhere-x86_64@3.12"]}, f"{PACKAGE}.targets[0]: {NOT_A_TARGET}"),
        (
            {"targets": ["linux-aarch64@3.12"]},
            f"{PACKAGE}.targets[0]: `linux-aarch64-glibc2.28@3.12` is not one of the lock's "
            "targets (tool.omniwheel.targets)",
        ),
        (
            {"targets": None},
            f"{PACKAGE}.targets: missing: omniwheel records the targets that need each entry",
        ),
        (
            {"marker": "x"},
            f"{PACKAGE}.marker: not a key omniwheel writes here "
            "(it writes: targets, roots, root-targets)",
        ),
        ({"": ["windows-x86_64@3.12"]}, f"{PACKAGE}: expected a table, not an array of string"),
    ],
)
def test_a_hand_edited_package_table_names_the_key(edit: dict[str, object], problem: str) -> None:
    assert _problems(_edited(edit, package=1)) == [problem]


def test_every_problem_is_reported_at_once() -> None:
    document = tomlkit.parse(_edited({"prerelease": "no", "targets": [LINUX.name, "mars@3.12"]}))
    document["packages"][0]["tool"]["omniwheel"]["targets"] = [1]
    with pytest.raises(ToolTableError) as caught:
        _read(tomlkit.dumps(document))
    assert [problem.where for problem in caught.value.problems] == [
        f"{TABLE}.targets[1]",
        f"{TABLE}.prerelease",
        "packages[0].tool.omniwheel.targets",
    ]
    assert caught.value.message.startswith(f"{PATH} has 3 problems:\n  - {TABLE}.targets[1]: ")
