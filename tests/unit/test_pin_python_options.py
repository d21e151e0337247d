"""``omniwheel lock``'s interpreter-pinning options: read without the interpreter builds' module
when none is given, and checked by it as soon as one is."""

from __future__ import annotations

import argparse

import pytest

from omniwheel.cli import locking
from omniwheel.python import pbs
from omniwheel.python.pbs import InterpreterError, MirrorError


def _args(**given: str | bool | None) -> argparse.Namespace:
    fields: dict[str, str | bool | None] = {
        "pin_python": None,
        "python_release": None,
        "python_mirror": None,
    }
    return argparse.Namespace(**(fields | given))


def test_the_early_mirror_variable_is_the_builds_modules() -> None:
    assert locking._MIRROR_VARIABLE == pbs.MIRROR_VARIABLE


def test_nothing_given_is_nothing_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pbs.MIRROR_VARIABLE, raising=False)
    assert locking.pin_python_options(_args(pin_python=True)) == {
        "pin_python": True,
        "python_release": None,
        "python_mirror": None,
    }


def test_a_mirror_from_the_environment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pbs.MIRROR_VARIABLE, "ftp://mirror.example/pbs")
    with pytest.raises(MirrorError, match=pbs.MIRROR_VARIABLE):
        locking.pin_python_options(_args())
    monkeypatch.setenv(pbs.MIRROR_VARIABLE, "https://mirror.example/pbs/")
    assert locking.pin_python_options(_args())["python_mirror"] == "https://mirror.example/pbs"


def test_a_release_and_a_mirror_on_the_command_line_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(pbs.MIRROR_VARIABLE, raising=False)
    with pytest.raises(InterpreterError):
        locking.pin_python_options(_args(python_release="latest"))
    with pytest.raises(MirrorError, match="--python-mirror"):
        locking.pin_python_options(_args(python_mirror="ftp://mirror.example/pbs"))
    chosen = locking.pin_python_options(_args(python_release="20260814"))
    assert chosen["python_release"] == "20260814"
