"""Atomic writes keep a replaced file's permissions; exclusive creation never replaces."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from omniwheel import _atomic
from omniwheel._atomic import create_exclusive, write_atomic


def test_write_atomic_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_new_file_gets_the_umask_mode_not_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    mask = os.umask(0o022)
    os.umask(mask)
    write_atomic(path, b"data")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["new.toml"]


def test_create_exclusive_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    assert create_exclusive(path, b"first")
    assert not create_exclusive(path, b"second")
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]


def test_a_temporary_name_already_taken_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temporary file left by a killed process with the same id is neither reused nor
    removed; the write goes through the next name."""
    monkeypatch.setattr(_atomic, "_SERIAL", itertools.count(7))
    left = tmp_path / f".page.json.{os.getpid()}.7.tmp"
    left.write_bytes(b"left over")
    write_atomic(tmp_path / "page.json", b"new")
    assert (tmp_path / "page.json").read_bytes() == b"new"
    assert left.read_bytes() == b"left over"
    assert sorted(p.name for p in tmp_path.iterdir()) == [left.name, "page.json"]


def test_missing_directories_are_made(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "page.json"
    write_atomic(path, b"data")
    assert create_exclusive(tmp_path / "c" / "d" / "stamp", b"x")
    assert path.read_bytes() == b"data"
    assert (tmp_path / "c" / "d" / "stamp").read_bytes() == b"x"
