"""Unpacking on worker processes gives the tree unpacking here gives, the same refusals, and
falls back to this process when the pool breaks."""

from __future__ import annotations

import importlib.machinery
import sys
import types
import zipfile
from pathlib import Path

import pytest

from omniwheel.cli import main as cli_main
from omniwheel.store import unpack_pool
from omniwheel.store.unpack import UnsafeWheelError
from omniwheel.store.unpack_pool import (
    process_unpacker,
    spawning_is_safe,
    unpack_here,
    worth_processes,
)
from tests.support import crashing_unpack
from tests.support.wheelbuilder import build_wheel

MIB = 1024 * 1024


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _wheels(wheel_dir: Path) -> list[Path]:
    for parent in ("here", "pool"):  # where the tests unpack (unpacking makes only the tree)
        (wheel_dir.parent / parent).mkdir()
    return [
        build_wheel(
            wheel_dir,
            f"pkg{i}",
            "1.0",
            files={f"pkg{i}/sub/mod{k}.py": f"# {i} {k}\n".encode() for k in range(5)}
            | {f"pkg{i}-1.0.data/scripts/tool{i}": b"#!python\nprint('tool')\n"},
        )
        for i in range(4)
    ]


def test_workers_unpack_what_this_process_unpacks(wheel_dir: Path, tmp_path: Path) -> None:
    wheels = _wheels(wheel_dir)
    for wheel in wheels:
        unpack_here(wheel, tmp_path / "here" / wheel.name, filename=wheel.name, limits=None)
    with process_unpacker(2) as unpack:
        for wheel in wheels:
            unpack(wheel, tmp_path / "pool" / wheel.name, filename=wheel.name, limits=None)
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "here")
    assert len(_tree(tmp_path / "pool")) == 4 * 10  # __init__, 5 modules, a script, 3 dist-info


def test_a_refusal_in_a_worker_is_the_same_refusal(wheel_dir: Path, tmp_path: Path) -> None:
    (wheel,) = _wheels(wheel_dir)[:1]
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("pkg0/unlisted.py", b"")
    with pytest.raises(UnsafeWheelError) as here:
        unpack_here(wheel, tmp_path / "here", filename=wheel.name, limits=None)
    with process_unpacker(2) as unpack, pytest.raises(UnsafeWheelError) as pooled:
        unpack(wheel, tmp_path / "pool", filename=wheel.name, limits=None)
    assert (pooled.value.wheel, pooled.value.entry, pooled.value.problem) == (
        here.value.wheel,
        here.value.entry,
        here.value.problem,
    )
    assert pooled.value.message == here.value.message
    assert pooled.value.hint == here.value.hint


def test_a_broken_pool_falls_back_to_this_process(wheel_dir: Path, tmp_path: Path) -> None:
    wheels = _wheels(wheel_dir)
    for wheel in wheels:
        unpack_here(wheel, tmp_path / "here" / wheel.name, filename=wheel.name, limits=None)
    with process_unpacker(2, job=crashing_unpack.die) as unpack:
        for wheel in wheels:
            unpack(wheel, tmp_path / "pool" / wheel.name, filename=wheel.name, limits=None)
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "here")


def test_a_pool_that_cannot_start_its_workers_unpacks_here(
    wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", refuse)
    wheels = _wheels(wheel_dir)
    for wheel in wheels:
        unpack_here(wheel, tmp_path / "here" / wheel.name, filename=wheel.name, limits=None)
    with process_unpacker(2) as unpack:
        for wheel in wheels:
            unpack(wheel, tmp_path / "pool" / wheel.name, filename=wheel.name, limits=None)
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "here")


@pytest.mark.parametrize(
    ("sizes", "worth"),
    [
        ([], False),
        ([64 * MIB], False),  # one wheel: nothing to share between processes
        ([MIB] * 15, False),
        ([MIB] * 16, True),
        ([None] * 15, False),
        ([None] * 16, True),  # a lock without sizes: counted in wheels
        ([None, 20 * MIB], True),
    ],
)
def test_processes_start_only_for_enough_work(sizes: list[int | None], worth: bool) -> None:
    assert worth_processes(sizes) is worth
    assert unpack_pool.PROCESS_MIN_BYTES == 16 * MIB


def _main_module(monkeypatch: pytest.MonkeyPatch, **attributes: object) -> None:
    module = types.ModuleType("__main__")
    module.__spec__ = None
    for name, value in attributes.items():
        setattr(module, name, value)
    monkeypatch.setitem(sys.modules, "__main__", module)


def test_workers_start_under_omniwheels_console_script(monkeypatch: pytest.MonkeyPatch) -> None:
    _main_module(monkeypatch, __file__="/venv/bin/omniwheel", main=cli_main.main)
    assert spawning_is_safe()


def test_workers_start_under_python_dash_m(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.machinery.ModuleSpec("omniwheel.cli.main", None)
    _main_module(monkeypatch, __file__=cli_main.__file__, __spec__=spec)
    assert spawning_is_safe()


def test_workers_start_in_an_embedded_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    _main_module(monkeypatch)  # no file, no spec: Julia's PythonCall, an interactive session
    assert spawning_is_safe()


@pytest.mark.parametrize(
    "attributes",
    [
        {"__file__": "/home/me/install.py"},
        {"__file__": "/home/me/install.py", "main": lambda: 0},  # another main()
        {"__spec__": importlib.machinery.ModuleSpec("mytool.__main__", None)},
    ],
    ids=["a-script", "a-script-with-its-own-main", "another-module-run-with-dash-m"],
)
def test_workers_do_not_start_under_a_users_script(
    monkeypatch: pytest.MonkeyPatch, attributes: dict[str, object]
) -> None:
    _main_module(monkeypatch, **attributes)
    assert not spawning_is_safe()
