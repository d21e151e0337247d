"""``[tool.omniwheel]`` as the lock writes it, directly as text: the same bytes ``tomlkit`` writes
for the same table (the writer before the text was written directly, kept here as the oracle)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import tomlkit
from packaging.version import Version
from tomlkit.items import Table

from omniwheel.lock.model import Lock
from omniwheel.lock.pylock_text import pylock_text
from omniwheel.lock.tool_table import (
    NAMED_REQUIREMENTS,
    LockedPython,
    LockToolTable,
    recorded_inputs,
)
from omniwheel.project.indexes import IndexEntry
from omniwheel.python.pbs import Flavor, PinnedPython, asset_filename, asset_url
from tests.support.small_lock import LINUX, WINDOWS, small_lock

# -- the oracle: the table built with tomlkit, as the lock was written before ------------------


def _array(items: list[str]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


def _inline(items: Mapping[str, Any]) -> Any:
    table = tomlkit.inline_table()
    table.update(items)
    return table


def _python(entry: LockedPython) -> Table:
    build = entry.build
    toml = tomlkit.table()
    toml["targets"] = _array([target.name for target in entry.targets])
    toml["implementation"] = build.implementation
    toml["version"] = str(build.version)
    toml["release"] = build.release
    toml["triple"] = build.triple
    toml["flavor"] = build.flavor.value
    toml["url"] = build.url
    toml["hashes"] = _inline({"sha256": build.sha256})
    toml["executable"] = build.executable
    toml["libpython"] = build.libpython
    return toml


def _tomlkit_text(table: LockToolTable) -> str:
    toml = tomlkit.table()
    recorded = recorded_inputs(table.inputs)
    for key, value in recorded.items():
        if key == "indexes":
            array = tomlkit.array()
            array.extend(_inline(item) for item in value)
            array.multiline(True)
            toml[key] = array
        elif key == "sources":
            toml[key] = _inline(value)
        elif key not in NAMED_REQUIREMENTS:
            toml[key] = _array(value) if key in ("targets", "requirements") else value
    if table.skipped:
        skipped = tomlkit.array()
        for entry in table.skipped:
            skipped.append(_inline({"target": entry.target.name, "reason": entry.reason}))
        toml["skipped-targets"] = skipped
    for key in sorted(NAMED_REQUIREMENTS & set(recorded), reverse=True):
        named = tomlkit.table()
        for name, requirements in recorded[key].items():
            named[name] = _array(requirements)
        toml[key] = named
    if table.pythons:
        builds = tomlkit.aot()
        for build in table.pythons:
            builds.append(_python(build))
        toml["python"] = builds
    document = tomlkit.document()
    document["tool"] = {"omniwheel": toml}
    return tomlkit.dumps(document)


# -- the locks compared ------------------------------------------------------------------------


def _build(triple: str) -> PinnedPython:
    filename = asset_filename(Version("3.12.7"), "20250311", triple, Flavor.INSTALL_ONLY)
    return PinnedPython(
        version=Version("3.12.7"),
        release="20250311",
        triple=triple,
        flavor=Flavor.INSTALL_ONLY,
        url=asset_url("20250311", filename),
        sha256="cd" * 32,
        executable="python/bin/python3",
        libpython="python/lib/libpython3.12.so.1.0",
    )


def _with(lock: Lock, **inputs: Any) -> Lock:
    return dataclasses.replace(lock, inputs=dataclasses.replace(lock.inputs, **inputs))


def _every_key() -> Lock:
    """Every key ``[tool.omniwheel]`` may hold, with values that need escaping."""
    lock = _with(
        small_lock(),
        indexes=(
            IndexEntry(name="internal", url="https://internal.example/simple/", explicit=True),
            IndexEntry(name="mirror", url="https://mirror.example/simple/"),
        ),
        sources={"native": "internal", "winonly": "mirror"},
        no_index=True,
        options_from_cli=("exclude-newer", "prerelease", "uniform", "pin-python"),
        exclude_newer=datetime(2025, 3, 1, 12, 30, 5, 250000, tzinfo=UTC),
        prerelease=True,
        requirements=(
            'native>=1; sys_platform == "linux" and platform_release != "a\\\\b"',
            "wïnonly",
        ),
        dependency_groups={"dev": ("native>=1",), "docs": ("tab\there", "bell\x07")},
        default_groups=("dev", "docs"),
        pin_python=True,
        python_release="20250311",
    )
    pythons = (
        LockedPython(targets=(LINUX,), build=_build("x86_64-unknown-linux-gnu")),
        LockedPython(targets=(LINUX, WINDOWS), build=_build("x86_64-pc-windows-msvc")),
    )
    return dataclasses.replace(lock, pythons=pythons)


LOCKS: dict[str, Callable[[], Lock]] = {
    "small": small_lock,
    "every key": _every_key,
    "fewest keys": lambda: dataclasses.replace(
        _with(
            small_lock(),
            exclude_newer=None,
            requires_python=None,
            options_from_cli=(),
            requirements=(),
            optional_dependencies={},
        ),
        skipped=(),
    ),
    "one index, one requirement": lambda: _with(
        small_lock(),
        indexes=(IndexEntry(name="only", url="https://only.example/simple/"),),
        requirements=("native",),
        optional_dependencies={"a": ("native",), "b": ("native", "winonly")},
    ),
}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_table_is_what_tomlkit_writes(name: str) -> None:
    lock = LOCKS[name]()
    text = pylock_text(lock)
    written = text[text.index("[tool.omniwheel]") :]
    assert written == _tomlkit_text(LockToolTable.of(lock))


def test_a_value_without_a_toml_form_is_refused() -> None:
    lock = _with(small_lock(), pin_python=True, python_release=3)
    with pytest.raises(TypeError, match="no TOML form for a recorded int"):
        pylock_text(lock)
