"""The venv's interpreter is probed on a thread while a sync imports and parses: its answer (or
its error) is used only when the sync keeps that interpreter."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

import pytest

from omniwheel.env import sync as sync_module
from omniwheel.platform import probe as probe_module
from omniwheel.platform.probe import InterpreterProbeError

OLD, NEW = Path("/venv/bin/python"), Path("/other/bin/python")


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str]]:
    """Every probe made, with the thread it ran on; a path named ``broken`` fails on the probe
    thread (it is the old venv's, which the sync replaces)."""
    made: list[tuple[Path, str]] = []

    def fake_probe(executable: Path) -> Any:
        thread = threading.current_thread().name
        made.append((executable, thread))
        if "broken" in str(executable) and thread == "probe":
            raise InterpreterProbeError(f"{executable} is broken")
        return f"interpreter at {executable}"

    monkeypatch.setattr(probe_module, "run_probe", fake_probe)
    return made


def test_the_early_answer_serves_the_interpreter_kept(probes: list[tuple[Path, str]]) -> None:
    probe = sync_module._EarlyProbe(OLD)
    probe.wait()
    assert cast(Any, probe.facts(OLD, created=False)) == f"interpreter at {OLD}"
    assert probes == [(OLD, "probe")]


@pytest.mark.parametrize(("python", "created"), [(OLD, True), (NEW, False)])
def test_a_replaced_venv_or_another_interpreter_is_probed_again(
    probes: list[tuple[Path, str]], python: Path, created: bool
) -> None:
    probe = sync_module._EarlyProbe(OLD)
    probe.wait()
    assert cast(Any, probe.facts(python, created=created)) == f"interpreter at {python}"
    assert probes == [(OLD, "probe"), (python, threading.current_thread().name)]


def test_an_early_failure_counts_only_when_that_interpreter_is_used(
    probes: list[tuple[Path, str]],
) -> None:
    broken = Path("/broken/bin/python")
    probe = sync_module._EarlyProbe(broken)
    probe.wait()
    assert cast(Any, probe.facts(broken, created=True)) == f"interpreter at {broken}"
    probe = sync_module._EarlyProbe(broken)
    with pytest.raises(InterpreterProbeError, match="is broken"):
        probe.facts(broken, created=False)


def test_without_a_venv_nothing_is_probed_early(
    probes: list[tuple[Path, str]], tmp_path: Path
) -> None:
    probe = sync_module._EarlyProbe.of(tmp_path / "no-venv")
    probe.wait()
    assert probes == []
    assert cast(Any, probe.facts(NEW, created=True)) == f"interpreter at {NEW}"


def test_the_early_facts_are_none_without_a_venv_or_after_a_failure(
    probes: list[tuple[Path, str]], tmp_path: Path
) -> None:
    assert sync_module._EarlyProbe.of(tmp_path / "no-venv").early_facts() is None
    assert sync_module._EarlyProbe(Path("/broken/bin/python")).early_facts() is None
    assert cast(Any, sync_module._EarlyProbe(OLD).early_facts()) == f"interpreter at {OLD}"
