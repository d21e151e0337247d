"""The Windows and macOS pieces of an environment, checked here because they cannot run here.

A venv's executables live in ``Scripts`` with ``python.exe`` on Windows; console scripts there are
``.exe`` launchers (from ``installer``) carrying the script as a zip; macOS uses the POSIX layout.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from omniwheel.env.install import ScriptMaker
from omniwheel.env.layout import bin_dir, venv_python

ENTRY_POINTS = "[console_scripts]\nhello = pkg.cli:main\n[gui_scripts]\nhello-gui = pkg.gui:run\n"


@pytest.mark.parametrize(
    ("platform", "scripts", "python"),
    [
        ("win32", "Scripts", "python.exe"),
        ("darwin", "bin", "python"),
        ("linux", "bin", "python"),
    ],
)
def test_venv_layout_per_platform(platform: str, scripts: str, python: str) -> None:
    venv = Path("/envs/demo")
    assert bin_dir(venv, platform=platform) == venv / scripts
    assert venv_python(venv, platform=platform) == venv / scripts / python


@pytest.mark.parametrize("kind", ["win-amd64", "win-arm64", "win-ia32"])
def test_windows_console_and_gui_launchers(kind: str) -> None:
    python = PurePosixPath("C:/envs/demo/Scripts/python.exe")
    maker = ScriptMaker(python=Path(str(python)), kind=kind)  # type: ignore[arg-type]
    made = dict(maker.console_scripts(ENTRY_POINTS))
    assert set(made) == {"hello.exe", "hello-gui.exe"}
    for name, content in made.items():
        assert content[:2] == b"MZ", name  # a Windows executable (the launcher)
        # The launcher runs the venv's python.exe, or pythonw.exe (no console) for GUI scripts.
        interpreter = python if name == "hello.exe" else python.with_name("pythonw.exe")
        assert f"#!{interpreter}\n".encode() in content
        archive = zipfile.ZipFile(io.BytesIO(content))
        main = archive.read("__main__.py").decode()
        module, function = ("pkg.cli", "main") if name == "hello.exe" else ("pkg.gui", "run")
        assert f"from {module} import {function}" in main


def test_macos_launchers_are_posix_scripts() -> None:
    maker = ScriptMaker(python=Path("/Users/me/demo/.venv/bin/python"), kind="posix")
    made = dict(maker.console_scripts(ENTRY_POINTS))
    assert set(made) == {"hello", "hello-gui"}
    assert made["hello"].startswith(b"#!/Users/me/demo/.venv/bin/python\n")
