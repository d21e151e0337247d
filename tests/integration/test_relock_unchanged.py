"""``omniwheel lock`` run again with the very inputs of a run that found the lock current
answers from a digest of those inputs, before reading the project (:mod:`omniwheel.cli.
unchanged_lock`); any change to one of them goes the usual way."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.cli import unchanged_lock
from omniwheel.lock import inputs
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, lock_in_fresh_interpreter, run_lock, write_project
from tests.support.wheelbuilder import build_wheel

TARGETS = ("--platform", "linux-x86_64@3.12")
KEPT = "pylock.toml is up to date: 2 packages for 1 target"


class Usual:
    """Counts the runs that went the usual way (read the project and asked ``current_lock``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = inputs.current_lock

        def counting(*args: object, **kwargs: object) -> object:
            self.count += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(inputs, "current_lock", counting)


@pytest.fixture
def project(index_server: IndexServer, tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    index_server.add_file(build_wheel(wheels, "app", "1.0", requires_dist=["lib>=1"]))
    index_server.add_file(build_wheel(wheels, "lib", "1.0"))
    root = tmp_path / "project"
    write_project(root, {"name": "p", "version": "0", "dependencies": ["app"]})
    return root


@pytest.fixture
def usual(monkeypatch: pytest.MonkeyPatch) -> Usual:
    return Usual(monkeypatch)


def _lock(
    project: Path, server: IndexServer, *args: str, environ: dict[str, str] | None = None
) -> LockRun:
    run = run_lock(
        project,
        (*TARGETS, *args),
        index_url=server.url,
        cache_dir=project.parent / "cache",
        environ=environ,
    )
    assert run.exit_code == 0, run.output
    return run


def test_the_same_inputs_again_are_answered_before_reading_the_project(
    project: Path, index_server: IndexServer, usual: Usual
) -> None:
    assert "Resolved 2 packages" in _lock(project, index_server).stderr
    usual.count = 0
    before = (project / "pylock.toml").read_bytes()
    run = _lock(project, index_server)
    assert KEPT in run.stderr
    assert "Targets: linux-x86_64" in run.stderr
    assert usual.count == 0
    assert (project / "pylock.toml").read_bytes() == before


@pytest.mark.parametrize("change", ["pyproject", "lock", "option", "environment", "pip-config"])
def test_a_changed_input_goes_the_usual_way(
    project: Path, index_server: IndexServer, usual: Usual, tmp_path: Path, change: str
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\n", encoding="utf-8")
    environ = {"PIP_CONFIG_FILE": str(config)}
    _lock(project, index_server, environ=environ)
    usual.count = 0
    args: tuple[str, ...] = ()
    if change == "pyproject":
        path = project / "pyproject.toml"
        path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    elif change == "lock":
        path = project / "pylock.toml"
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    elif change == "option":
        args = ("--exclude-newer", "2099-01-01")
    elif change == "environment":
        environ["OMNIWHEEL_NO_INDEX"] = "0"  # no new input, but a variable that could be one
    else:
        config.write_text("[global]\ntimeout = 60\n", encoding="utf-8")
    _lock(project, index_server, *args, environ=environ)
    assert usual.count == 1


def test_credentials_change_no_input_and_reach_no_stamp(
    project: Path, index_server: IndexServer, usual: Usual
) -> None:
    """A password is no lock input: giving another one keeps the early answer, and no stamp
    holds it (nor any file of the cache)."""
    index_server.require_auth("ci", "s3cret-one")
    url = index_server.url.replace("http://", "http://ci:s3cret-one@")
    first = run_lock(project, TARGETS, index_url=url, cache_dir=project.parent / "cache")
    assert first.exit_code == 0, first.output
    usual.count = 0
    index_server.require_auth("ci", "s3cret-two")
    url = index_server.url.replace("http://", "http://ci:s3cret-two@")
    again = run_lock(project, TARGETS, index_url=url, cache_dir=project.parent / "cache")
    assert KEPT in again.stderr
    assert usual.count == 0
    for path in (project.parent / "cache").rglob("*"):
        if path.is_file():
            assert b"s3cret" not in path.read_bytes(), path


def test_the_notes_of_the_usual_run_are_repeated(
    project: Path, index_server: IndexServer, usual: Usual, tmp_path: Path
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nextra-index-url = http://127.0.0.9/simple/\n", encoding="utf-8")
    environ = {"PIP_CONFIG_FILE": str(config)}
    note = "note: ignoring pip's extra-index-url (http://127.0.0.9/simple/, from pip config"
    assert note in _lock(project, index_server, environ=environ).stderr
    usual.count = 0
    run = _lock(project, index_server, environ=environ)
    assert usual.count == 0
    assert note in run.stderr
    assert KEPT in run.stderr


def test_a_damaged_or_foreign_stamp_only_costs_the_usual_way(
    project: Path, index_server: IndexServer, usual: Usual, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lock(project, index_server)
    usual.count = 0
    [stamp] = (project.parent / "cache" / unchanged_lock.UNCHANGED_DIR).iterdir()
    stamp.write_text('{"digest": "0", "notes": [], "lines": []}', encoding="utf-8")
    assert KEPT in _lock(project, index_server).stderr
    assert usual.count == 1
    stamp.write_text("garbage", encoding="utf-8")
    assert KEPT in _lock(project, index_server).stderr
    assert usual.count == 2
    monkeypatch.setattr(unchanged_lock, "__version__", "0.0.0+another")
    assert KEPT in _lock(project, index_server).stderr
    assert usual.count == 3
    assert KEPT in _lock(project, index_server).stderr
    assert usual.count == 3


@pytest.mark.parametrize("option", ["--check", "--json", "--refresh", "--upgrade"])
def test_options_that_resolve_never_take_the_early_answer(
    project: Path, index_server: IndexServer, option: str
) -> None:
    _lock(project, index_server)
    run = _lock(project, index_server, option)
    assert KEPT not in run.stderr


def test_the_early_answer_imports_neither_packaging_nor_rich(
    project: Path, index_server: IndexServer
) -> None:
    _lock(project, index_server)
    run = lock_in_fresh_interpreter(
        project,
        TARGETS,
        index_url=index_server.url,
        cache_dir=project.parent / "cache",
        watched=("packaging", "rich", "omniwheel.project", "omniwheel.lock.inputs"),
    )
    assert run.exit_code == 0, run.stderr
    assert KEPT in run.stderr
    assert run.loaded == ()
