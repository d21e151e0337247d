"""A lock synced once with an interpreter is not parsed again for that interpreter: another venv
(or the same one, back on that lock) is synced from the remembered selection, without loading
``packaging``; a changed lock is selected afresh; ``cache prune`` forgets selections."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omniwheel.cachedir import SELECTIONS_DIR
from omniwheel.cli.locking import STAMP_DIR
from omniwheel.env import sync as sync_module
from tests.support.sync_space import Workspace


def _fresh_venv(path: Path) -> Path:
    """A venv made as users and benchmarks make them, before omniwheel syncs into it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _remembered(space: Workspace) -> list[Path]:
    directory = space.cache / SELECTIONS_DIR
    return sorted(directory.iterdir()) if directory.is_dir() else []


def test_another_venv_is_synced_without_parsing_the_lock(
    space: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert space.cli("sync").exit_code == 0
    assert len(_remembered(space)) == 1
    other = _fresh_venv(space.root / "other")

    def no_parsing(path: Path, data: bytes) -> object:
        raise AssertionError(f"{path} was parsed")

    monkeypatch.setattr(sync_module, "_parse_lock", no_parsing)
    run = space.cli("sync", "--venv", str(other))
    assert run.exit_code == 0, run.stderr
    assert "Installed 3 packages" in run.stderr
    listing = [sys.executable, "-c", "import alpha, beta, gamma; print(alpha.CODE)"]
    listing[0] = str(other / "bin" / "python")
    assert subprocess.run(listing, capture_output=True, text=True, check=True).stdout == "3\n"
    assert len(_remembered(space)) == 1


def test_a_remembered_sync_never_imports_packaging(space: Workspace) -> None:
    """(Its package ``__init__`` is read for its version, which is part of the key.)"""
    assert space.cli("sync").exit_code == 0
    other = _fresh_venv(space.root / "other")
    script = (
        "import json, sys\n"
        "from omniwheel.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('packaging.'))\n"
        "print(json.dumps([code, loaded]))\n"
    )
    command = [sys.executable, "-c", script, "sync", "--project", str(space.project)]
    command += ["--venv", str(other)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=space.subprocess_environ(), check=False
    )
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert code == 0, done.stderr
    assert loaded == []


def test_a_changed_lock_is_selected_afresh(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    space.write(["gamma"])
    assert space.cli("lock").exit_code == 0
    other = _fresh_venv(space.root / "other")
    run = space.cli("sync", "--venv", str(other))
    assert run.exit_code == 0, run.stderr
    assert "Installed 1 package" in run.stderr
    assert len(_remembered(space)) == 2
    assert not list((other / "lib").glob("python*/site-packages/alpha"))


def test_the_venv_back_on_an_earlier_lock_uses_its_selection(
    space: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert space.cli("sync").exit_code == 0
    first = (space.project / "pylock.toml").read_bytes()
    space.write(["gamma"])
    assert space.cli("sync").exit_code == 0  # relocks, then syncs the new lock
    assert space.versions() == {"gamma": "1.0"}
    (space.project / "pylock.toml").write_bytes(first)  # e.g. back on the earlier branch

    def no_parsing(path: Path, data: bytes) -> object:
        raise AssertionError(f"{path} was parsed")

    monkeypatch.setattr(sync_module, "_parse_lock", no_parsing)
    run = space.cli("sync", "--frozen")
    assert run.exit_code == 0, run.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_an_explicit_python_is_selected_for_again(
    space: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert space.cli("sync").exit_code == 0
    other = _fresh_venv(space.root / "other")
    parsed: list[Path] = []
    parse = sync_module._parse_lock

    def counting(path: Path, data: bytes) -> object:
        parsed.append(path)
        return parse(path, data)

    monkeypatch.setattr(sync_module, "_parse_lock", counting)
    run = space.cli("sync", "--venv", str(other), "--python", sys.executable)
    assert run.exit_code == 0, run.stderr
    assert parsed == [space.project / "pylock.toml"]


def test_prune_forgets_remembered_selections(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    assert len(_remembered(space)) == 1
    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "Forgot 1 remembered selections" in run.stderr
    assert _remembered(space) == []
    other = _fresh_venv(space.root / "other")
    assert space.cli("sync", "--venv", str(other)).exit_code == 0
    assert len(_remembered(space)) == 1


def test_prune_forgets_lock_checks_and_removes_earlier_cache_layouts(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    checks = sorted((space.cache / STAMP_DIR).iterdir())
    assert checks  # the sync remembered that the lock is current for pyproject.toml
    for old in ("index-v2", "lock-checks-v1"):
        (space.cache / old / "entry").mkdir(parents=True)
        (space.cache / old / "entry" / "page.json").write_bytes(b"x" * 2048)
    (space.cache / "unrelated-v1").mkdir()  # no family of this omniwheel: left alone
    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "remembered lock checks" in run.stderr
    removed = "Removed 2 directories of earlier cache layouts (index-v2, lock-checks-v1; 4.0 KiB)"
    assert removed in run.stderr
    assert not (space.cache / "index-v2").exists()
    assert not (space.cache / "lock-checks-v1").exists()
    assert (space.cache / "unrelated-v1").is_dir()
    assert list((space.cache / STAMP_DIR).iterdir()) == []
    assert space.cli("sync").exit_code == 0  # forgotten checks are only redone
    assert sorted((space.cache / STAMP_DIR).iterdir()) == checks
