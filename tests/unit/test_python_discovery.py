"""Choosing an interpreter: --python, the running one, PATH, pyenv; errors that list candidates."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from omniwheel.platform.host import InterpreterProbeError
from omniwheel.python.discovery import (
    FoundInterpreter,
    InterpreterNotFoundError,
    PythonVersion,
    find_interpreter,
)

RUNNING = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
NEWER = (3, RUNNING[1] + 1, 0)
NEWEST = (3, RUNNING[1] + 2, 5)


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


class _FakeProbe:
    def __init__(self, versions: Mapping[Path, PythonVersion | None]) -> None:
        self.versions = versions
        self.asked: list[Path] = []

    def __call__(self, path: Path) -> PythonVersion:
        self.asked.append(path)
        version = self.versions.get(path)
        if version is None:
            raise InterpreterProbeError(f"cannot run {path}: broken shim")
        return version


@pytest.fixture
def world(tmp_path: Path) -> tuple[dict[str, str], _FakeProbe, dict[str, Path]]:
    """A PATH with a broken shim for the newer Python, a working newer one, and pyenv's."""
    shims, usr = tmp_path / "shims", tmp_path / "usr" / "bin"
    paths = {
        "shim": _executable(shims / f"python3.{NEWER[1]}"),
        "newer": _executable(usr / f"python3.{NEWER[1]}"),
        "pyenv": _executable(tmp_path / "pyenv" / "versions" / "3.99.1" / "bin" / "python3"),
    }
    probe = _FakeProbe({paths["newer"]: NEWER, paths["pyenv"]: NEWEST})
    environ = {"PATH": f"{shims}:{usr}", "PYENV_ROOT": str(tmp_path / "pyenv")}
    return environ, probe, paths


def _find(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
    request: str | None,
    requires: str = "",
) -> FoundInterpreter:
    environ, probe, _ = world
    return find_interpreter(
        request=request,
        requires_python=SpecifierSet(requires),
        environ=environ,
        home=Path("/nonexistent"),
        probe=probe,
    )


def test_the_running_interpreter_wins_when_it_fits(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    found = _find(world, None, f">={RUNNING[0]}.{RUNNING[1]}")
    assert found.executable == Path(sys.executable)
    assert found.version == RUNNING
    assert world[1].asked == []  # no subprocess needed


def test_path_is_searched_when_the_running_interpreter_is_too_old(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    found = _find(world, None, f">={NEWER[0]}.{NEWER[1]}")
    assert found.executable == world[2]["newer"]
    assert found.source == "PATH"
    assert world[2]["shim"] in world[1].asked  # tried, failed, skipped


def test_a_version_request_picks_a_matching_interpreter(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    found = _find(world, f"3.{NEWEST[1]}")
    assert found.executable == world[2]["pyenv"]
    assert found.source == "pyenv"
    assert _find(world, f"{RUNNING[0]}.{RUNNING[1]}").executable == Path(sys.executable)


def test_a_path_request_is_used_when_it_fits_the_lock(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    found = _find(world, str(world[2]["newer"]), ">=3.8")
    assert (found.executable, found.source) == (world[2]["newer"], "--python")
    with pytest.raises(InterpreterNotFoundError, match=r"requires-python <3\.8"):
        _find(world, str(world[2]["newer"]), "<3.8")


def test_a_directory_request_means_its_bin_python(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    prefix = world[2]["pyenv"].parent.parent
    assert _find(world, str(prefix)).executable == world[2]["pyenv"]


def test_the_error_lists_what_was_found_and_what_is_needed(
    world: tuple[dict[str, str], _FakeProbe, dict[str, Path]],
) -> None:
    with pytest.raises(InterpreterNotFoundError) as caught:
        _find(world, None, ">=4")
    message = caught.value.message
    assert "requires-python >=4" in message
    assert f"{world[2]['newer']} (3.{NEWER[1]}.0)" in message
    assert f"{world[2]['shim']} (does not run" in message
    assert sys.executable in message
    assert "--python" in (caught.value.hint or "")
