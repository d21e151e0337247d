"""The host probe: the running interpreter as packaging sees it, and foreign ones from data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.tags import Tag, sys_tags

from omniwheel.errors import TargetError
from omniwheel.platform.host import (
    InterpreterProbeError,
    Machine,
    computed_tags,
    probe_interpreter,
)
from omniwheel.platform.target import Arch, Libc, Os


def _fake_python(tmp_path: Path, **overrides: object) -> Path:
    """An executable that answers the probe like a CPython 3.12 on macOS arm64 would."""
    answer: dict[str, object] = {
        "executable": "/opt/python/bin/python3.12",
        "version": [3, 12, 4],
        "implementation": "cpython",
        "free_threaded": False,
        "pointer_bits": 64,
        "glibc": None,
        "mac_version": "14.5",
        "paths": {"purelib": "/opt/venv/lib/python3.12/site-packages"},
        "markers": {
            "implementation_name": "cpython",
            "implementation_version": "3.12.4",
            "os_name": "posix",
            "platform_machine": "arm64",
            "platform_release": "23.5.0",
            "platform_system": "Darwin",
            "platform_version": "Darwin Kernel Version 23.5.0",
            "python_full_version": "3.12.4",
            "platform_python_implementation": "CPython",
            "python_version": "3.12",
            "sys_platform": "darwin",
        },
    }
    answer.update(overrides)
    script = tmp_path / "python3.12"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(answer)}\nEOF\n")
    script.chmod(0o755)
    return script


def test_the_running_interpreter_is_described_as_packaging_describes_it() -> None:
    interpreter = probe_interpreter(Path(sys.executable))
    assert interpreter.version == tuple(sys.version_info[:3])
    assert dict(interpreter.marker_environment) == dict(default_environment())
    assert interpreter.tags == tuple(sys_tags())
    assert interpreter.paths["purelib"]


@pytest.mark.skipif(sys.platform != "linux", reason="compares against this Linux host")
def test_tags_computed_from_probed_values_match_sys_tags_here() -> None:
    interpreter = probe_interpreter(Path(sys.executable))
    computed = computed_tags(
        python=(sys.version_info.major, sys.version_info.minor),
        free_threaded=interpreter.free_threaded,
        machine=interpreter.machine,
    )
    assert computed == tuple(sys_tags())


def test_a_foreign_interpreter_is_described_from_its_answers(tmp_path: Path) -> None:
    interpreter = probe_interpreter(_fake_python(tmp_path))
    assert interpreter.machine == Machine(os=Os.MACOS, arch=Arch.AARCH64, macos_version=(14, 5))
    assert interpreter.machine.name == "macos-arm64-14.0"
    assert interpreter.python_version == "3.12"
    assert interpreter.marker_environment["sys_platform"] == "darwin"
    assert interpreter.tags[0] == Tag("cp312", "cp312", "macosx_14_0_arm64")
    assert Tag("cp312", "abi3", "macosx_11_0_arm64") in interpreter.tags
    assert Tag("py3", "none", "any") in interpreter.tags
    assert not any("x86_64" in tag.platform for tag in interpreter.tags)


def test_a_free_threaded_interpreter_gets_no_abi3_tags(tmp_path: Path) -> None:
    interpreter = probe_interpreter(_fake_python(tmp_path, free_threaded=True))
    assert interpreter.tags[0] == Tag("cp312", "cp312t", "macosx_14_0_arm64")
    assert not any(tag.abi == "abi3" for tag in interpreter.tags)


def test_a_32_bit_interpreter_on_a_64_bit_windows_is_i686(tmp_path: Path) -> None:
    markers = {"sys_platform": "win32", "platform_machine": "AMD64", "python_version": "3.12"}
    interpreter = probe_interpreter(
        _fake_python(tmp_path, pointer_bits=32, mac_version="", markers=markers)
    )
    assert interpreter.machine == Machine(os=Os.WINDOWS, arch=Arch.I686)
    assert interpreter.tags[0] == Tag("cp312", "cp312", "win32")


def test_an_unsupported_machine_is_a_target_error(tmp_path: Path) -> None:
    markers = {"sys_platform": "linux", "platform_machine": "riscv64"}
    with pytest.raises(TargetError, match="riscv64"):
        probe_interpreter(_fake_python(tmp_path, markers=markers, glibc="2.39"))


@pytest.mark.parametrize(
    ("machine", "name", "suggested"),
    [
        (
            Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 36)),
            "linux-x86_64-glibc2.36",
            "linux-x86_64-glibc2.28",
        ),
        (
            Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 17)),
            "linux-x86_64-glibc2.17",
            "linux-x86_64-glibc2.17",
        ),
        (
            Machine(os=Os.LINUX, arch=Arch.AARCH64, libc=Libc.MUSL, libc_version=(1, 2)),
            "linux-aarch64-musl1.2",
            "linux-aarch64-musl1.2",
        ),
        (
            Machine(os=Os.MACOS, arch=Arch.X86_64, macos_version=(12, 7)),
            "macos-x86_64-12.0",
            "macos-x86_64-12.0",
        ),
        (Machine(os=Os.WINDOWS, arch=Arch.X86_64), "windows-x86_64", "windows-x86_64"),
    ],
)
def test_machine_names_and_the_platform_to_lock_for(
    machine: Machine, name: str, suggested: str
) -> None:
    assert machine.name == name
    assert machine.suggested_platform().name == suggested


@pytest.mark.parametrize("answer", ["", "not json", "exit 3"])
def test_an_interpreter_that_does_not_answer_is_a_probe_error(tmp_path: Path, answer: str) -> None:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{answer if answer.startswith('exit') else 'echo ' + answer}\n")
    script.chmod(0o755)
    with pytest.raises(InterpreterProbeError, match=str(script)) as error:
        probe_interpreter(script)
    assert "--python PATH" in (error.value.hint or "")


def test_a_missing_interpreter_is_a_probe_error(tmp_path: Path) -> None:
    with pytest.raises(InterpreterProbeError, match="cannot run"):
        probe_interpreter(tmp_path / "no-such-python")
