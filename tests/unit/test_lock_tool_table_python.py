"""``[[tool.omniwheel.python]]``: the interpreter builds a lock pins, written and read back, and
what a hand edit got wrong refused with its key path."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from packaging.pylock import Pylock
from packaging.version import Version

from omniwheel.lock.locker import PinnedPythonMismatchError, locked_pythons
from omniwheel.lock.model import Lock
from omniwheel.lock.pylock import render_pylock
from omniwheel.lock.tool_table import (
    LockedPython,
    LockToolTable,
    ToolTableError,
    read_tool_tables,
)
from omniwheel.python.pbs import (
    Flavor,
    PbsRelease,
    PinnedPython,
    asset_filename,
    asset_url,
    parse_release,
    pin_targets,
)
from tests.support.small_lock import LINUX, WINDOWS, small_lock

PATH = Path("project/pylock.toml")
WHERE = "tool.omniwheel.python[0]"


def _build(triple: str, *, version: str = "3.12.7") -> PinnedPython:
    filename = asset_filename(Version(version), "20250311", triple, Flavor.INSTALL_ONLY_STRIPPED)
    windows = "windows" in triple
    return PinnedPython(
        version=Version(version),
        release="20250311",
        triple=triple,
        flavor=Flavor.INSTALL_ONLY_STRIPPED,
        url=asset_url("20250311", filename),
        sha256="ab" * 32,
        executable="python/python.exe" if windows else "python/bin/python3",
        libpython="python/python312.dll" if windows else "python/lib/libpython3.12.so.1.0",
    )


def _pinned_lock() -> Lock:
    lock = small_lock()
    inputs = dataclasses.replace(lock.inputs, pin_python=True, python_release="20250311")
    pythons = (
        LockedPython(targets=(LINUX,), build=_build("x86_64-unknown-linux-gnu")),
        LockedPython(targets=(WINDOWS,), build=_build("x86_64-pc-windows-msvc")),
    )
    return dataclasses.replace(lock, inputs=inputs, pythons=pythons)


def _read(text: str) -> Any:
    return read_tool_tables(Pylock.from_dict(tomllib.loads(text)), path=PATH)


def test_pinned_builds_read_back_as_written() -> None:
    lock = _pinned_lock()
    text = render_pylock(lock)
    assert "[[tool.omniwheel.python]]" in text
    assert 'hashes = {sha256 = "' in text
    tables = _read(text)
    assert tables.lock == LockToolTable.of(lock)
    assert tables.lock.inputs.pin_python is True
    assert tables.lock.inputs.python_release == "20250311"
    assert tables.lock.python_for(LINUX).build.triple == "x86_64-unknown-linux-gnu"
    assert tables.lock.python_for(WINDOWS).build.executable == "python/python.exe"
    assert render_pylock(lock) == text  # same inputs, same bytes


def test_a_lock_without_pins_writes_none_of_the_new_keys() -> None:
    text = render_pylock(small_lock())
    assert "pin-python" not in text
    assert "python-release" not in text
    assert "[[tool.omniwheel.python]]" not in text
    assert _read(text).lock.python_for(LINUX) is None


def _edited(key: str, value: object) -> str:
    document = tomlkit.parse(render_pylock(_pinned_lock()))
    entry: Any = document["tool"]["omniwheel"]["python"][0]
    if value is None:
        del entry[key]
    else:
        entry[key] = value
    return tomlkit.dumps(document)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("version", "3.12", f"{WHERE}.version: expected a version such as 3.12.1, not "),
        ("release", "2025-03-11", f"{WHERE}.release: expected a python-build-standalone "),
        ("hashes", {"sha256": "xyz"}, f"{WHERE}.hashes: expected a table"),
        ("hashes", {"md5": "ab" * 16}, f"{WHERE}.hashes: expected a table"),
        ("flavor", "full", f"{WHERE}.flavor: expected install_only(_stripped)"),
        ("implementation", "pypy", f'{WHERE}.implementation: expected "cpython"'),
        ("targets", ["nowhere-arch"], f"{WHERE}.targets[0]: "),
        ("executable", None, f"{WHERE}.executable: missing"),
        ("colour", "blue", f"{WHERE}.colour: not a key omniwheel writes here"),
        ("version", "3.12.8", f"{WHERE}.url: does not end in this entry's asset name"),
        ("triple", "aarch64-apple-darwin", f"{WHERE}.url: does not end in this entry's asset"),
    ],
)
def test_a_hand_edited_pin_is_refused_with_its_key_path(
    key: str, value: object, problem: str
) -> None:
    with pytest.raises(ToolTableError) as caught:
        _read(_edited(key, value))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem), problems


def test_release_input_must_be_a_tag() -> None:
    document = tomlkit.parse(render_pylock(_pinned_lock()))
    document["tool"]["omniwheel"]["python-release"] = "latest"
    with pytest.raises(ToolTableError) as caught:
        _read(tomlkit.dumps(document))
    assert [p.where for p in caught.value.problems] == ["tool.omniwheel.python-release"]


def _release(*versions: str) -> PbsRelease:
    lines = [
        f"{'ab' * 32}  cpython-{v}+20250311-{triple}-install_only_stripped.tar.gz"
        for v in versions
        for triple in ("x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc")
    ]
    return parse_release("\n".join(lines), tag="20250311", url="file:///m/20250311/SHA256SUMS")


def _pythons(lock: Lock, release: PbsRelease) -> tuple[LockedPython, ...]:
    return locked_pythons(lock, pin_targets(release, lock.targets))


def test_pin_interpreters_groups_targets_by_build() -> None:
    lock = small_lock()
    pythons = _pythons(lock, _release("3.12.7", "3.12.9"))
    assert [(p.build.triple, p.targets) for p in pythons] == [
        ("x86_64-pc-windows-msvc", (WINDOWS,)),
        ("x86_64-unknown-linux-gnu", (LINUX,)),
    ]
    assert {str(p.build.version) for p in pythons} == {"3.12.9"}


def test_a_pin_that_a_locked_files_requires_python_excludes_is_an_error() -> None:
    lock = small_lock()
    native = dataclasses.replace(lock.packages[0], requires_python=">=3.12,<3.12.8")
    lock = dataclasses.replace(lock, packages=(native, *lock.packages[1:]))
    with pytest.raises(PinnedPythonMismatchError) as caught:
        _pythons(lock, _release("3.12.9"))
    assert [m.target for m in caught.value.mismatches] == [LINUX, WINDOWS]  # all at once
    mismatch = caught.value.mismatches[0]
    assert mismatch.package == "native 1.0"
    assert mismatch.target == LINUX
    assert mismatch.requires_python == ">=3.12,<3.12.8"
    assert str(mismatch.pin.version) == "3.12.9"
    assert mismatch.filename in caught.value.message
    assert _pythons(lock, _release("3.12.7"))  # an admitted pin passes


def test_a_file_needed_only_below_the_pin_is_not_checked_against_it() -> None:
    lock = small_lock()
    condition = 'python_full_version < "3.12.8"'
    native = dataclasses.replace(
        lock.packages[0],
        requires_python=">=3.12,<3.12.8",
        conditions={LINUX: condition, WINDOWS: condition},
    )
    lock = dataclasses.replace(lock, packages=(native, *lock.packages[1:]))
    assert _pythons(lock, _release("3.12.9"))  # not installed with 3.12.9
    wheel = dataclasses.replace(native.wheels[0].file, requires_python=">=3.12.5")
    first = dataclasses.replace(native.wheels[0], file=wheel)
    native = dataclasses.replace(native, wheels=(first, *native.wheels[1:]))
    lock = dataclasses.replace(lock, packages=(native, *lock.packages[1:]))
    with pytest.raises(PinnedPythonMismatchError) as caught:
        _pythons(lock, _release("3.12.2"))  # installed, and the index's says no
    assert [(m.filename, m.requires_python) for m in caught.value.mismatches] == [
        (first.file.filename, ">=3.12.5")
    ]
