"""Unpacking on worker processes gives the tree unpacking here gives, the same refusals, and
falls back to this process when the pool breaks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from omniwheel.store import unpack_pool
from omniwheel.store.unpack import UnsafeWheelError
from omniwheel.store.unpack_pool import process_unpacker, unpack_here, worth_processes
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
