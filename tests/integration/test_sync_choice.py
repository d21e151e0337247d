"""``sync`` chooses extras and dependency groups from one multi-use lock, exactly (what a
choice no longer needs is removed), keyed on the choice (the no-op, the memo), and refuses
names the lock does not declare; an old single-use lock is named and never half-installed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from tests.support.lock_runner import run_lock, write_project
from tests.support.sync_space import PYTHON, Workspace, this_platform
from tests.support.wheelbuilder import build_wheel

BASE = {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def _write(space: Workspace, tool: dict[str, object] | None = None) -> None:
    for name in ("plotter", "tester", "linter"):
        space.server.add_file(build_wheel(space.root / "choice-wheels", name, "1.0"))
    project = {
        "name": "demo",
        "version": "0.1",
        "requires-python": f">={PYTHON}",
        "dependencies": ["alpha", "gamma"],
        "optional-dependencies": {"plot": ["plotter"], "all": ["demo[plot]"]},
    }
    groups = {"Test": ["tester"], "dev": [{"include-group": "test"}], "lint": ["linter"]}
    write_project(space.project, project, tool, groups)
    space.lock()


@pytest.fixture
def chosen(space: Workspace) -> Workspace:
    _write(space)
    return space


def _sync(space: Workspace, *options: str) -> str:
    run = space.cli("sync", *options)
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr


def test_the_default_sync_installs_the_project_and_dev(chosen: Workspace) -> None:
    _sync(chosen)
    assert chosen.versions() == {**BASE, "tester": "1.0"}


@pytest.mark.parametrize(
    ("options", "added", "without_base"),
    [
        (("--no-dev",), {}, False),
        (("--extra", "plot"), {"plotter": "1.0", "tester": "1.0"}, False),
        (("--extra", "ALL", "--no-default-groups"), {"plotter": "1.0"}, False),
        (("--all-extras", "--no-extra", "plot", "--no-extra", "all"), {"tester": "1.0"}, False),
        (("--group", "lint"), {"linter": "1.0", "tester": "1.0"}, False),
        (("--all-groups", "--no-group", "test"), {"linter": "1.0", "tester": "1.0"}, False),
        (("--only-group", "lint"), {"linter": "1.0"}, True),
        (("--only-dev",), {"tester": "1.0"}, True),
    ],
)
def test_each_choice_installs_exactly_its_closure(
    chosen: Workspace, options: tuple[str, ...], added: dict[str, str], without_base: bool
) -> None:
    _sync(chosen, "--all-extras", "--all-groups")  # start from everything: sync must remove
    _sync(chosen, *options)
    assert chosen.versions() == ({} if without_base else BASE) | added


def test_the_no_op_and_the_memo_key_on_the_choice(chosen: Workspace) -> None:
    _sync(chosen, "--extra", "plot")
    assert "Audited" in _sync(chosen, "--extra", "plot")  # nothing to do: the no-op
    assert "Audited" not in _sync(chosen)  # another choice is not a no-op
    assert "plotter" not in chosen.versions()
    (chosen.venv).rename(chosen.root / "old-venv")  # a new venv: the memo may answer
    _sync(chosen, "--extra", "plot")
    assert chosen.versions() == {**BASE, "plotter": "1.0", "tester": "1.0"}


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--extra", "nope"), "the lock has no extra nope (its extras: all, plot; its groups: "),
        (("--group", "docs"), "the lock has no group docs (its extras: all, plot; its groups: "),
        (("--only-group", "x", "--only-group", "y"), "the lock has no groups x, y"),
    ],
)
def test_unknown_names_are_errors_listing_the_locks_names(
    chosen: Workspace, options: tuple[str, ...], fragment: str
) -> None:
    run = chosen.cli("sync", *options)
    assert run.exit_code == 1, run.stderr
    assert run.stderr.startswith("error: "), run.stderr
    assert fragment in run.stderr
    assert "dev, lint, test)" in run.stderr
    assert "Traceback" not in run.stderr
    assert not chosen.venv.exists()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), {"dependencies": True, "extras": [], "groups": ["dev"]}),
        (
            ("--extra", "All", "--group", "lint", "--no-dev"),
            {"dependencies": True, "extras": ["all"], "groups": ["lint"]},
        ),
        (("--only-group", "Test"), {"dependencies": False, "extras": [], "groups": ["test"]}),
    ],
)
def test_sync_json_reports_the_choice_installed_and_again_on_the_no_op(
    chosen: Workspace, options: tuple[str, ...], expected: dict[str, object]
) -> None:
    for no_op in (False, True):
        run = chosen.cli("sync", "--json", *options)
        assert run.exit_code == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["no_op"] is no_op
        assert report["choice"] == expected


def test_only_group_with_group_is_refused(chosen: Workspace) -> None:
    run = chosen.cli("sync", "--only-group", "lint", "--group", "test")
    assert run.exit_code == 1, run.stderr
    assert "--only-group/--only-dev install those groups alone" in run.stderr


def test_default_groups_in_pyproject_change_what_sync_adds(space: Workspace) -> None:
    _write(space, {"default-groups": ["lint"]})
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    assert data["default-groups"] == ["default"]  # other installers: production only
    assert data["tool"]["omniwheel"]["default-groups"] == ["lint"]
    _sync(space)
    assert space.versions() == {**BASE, "linter": "1.0"}


def test_run_takes_the_same_choice(chosen: Workspace) -> None:
    run = chosen.cli("run", "--only-group", "lint", "--", "python", "-c", "print('ran')")
    assert run.exit_code == 0, run.stderr
    assert chosen.versions() == {"linter": "1.0"}


def _single_use(space: Workspace) -> None:
    """Turn the lock into what omniwheel wrote before multi-use locks: extras at lock time."""
    path = space.project / "pylock.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    tool: Any = document["tool"]["omniwheel"]
    tool["extras"] = ["plot"]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def test_an_old_single_use_lock_is_never_half_installed(chosen: Workspace) -> None:
    _single_use(chosen)
    run = chosen.cli("sync", "--frozen", "--group", "lint")
    assert run.exit_code == 1, run.stderr
    assert "single-use lock (extras chosen at lock time: plot)" in run.stderr
    assert "nothing was installed" in run.stderr
    assert "hint: relock once with `omniwheel lock`" in run.stderr
    assert not chosen.venv.exists()
    run = chosen.cli("sync", "--locked")
    assert run.exit_code == 1, run.stderr
    assert "single-use lock (extras chosen at lock time: plot); relock once" in run.stderr


def test_lock_check_names_an_old_single_use_lock(chosen: Workspace) -> None:
    _single_use(chosen)
    args = ["--platform", this_platform(), "--check"]
    run = run_lock(chosen.project, args, index_url=chosen.server.url, cache_dir=chosen.cache)
    assert run.exit_code == 1, run.output
    assert "  - single-use lock (extras chosen at lock time: plot); relock once" in run.stderr


def test_a_plain_sync_relocks_an_old_single_use_lock_once(chosen: Workspace) -> None:
    _single_use(chosen)
    run = chosen.cli("sync", "--extra", "plot")
    assert run.exit_code == 0, run.stderr
    assert "single-use lock (extras chosen at lock time: plot); relock once" in run.stderr
    lock = tomllib.loads(Path(chosen.project / "pylock.toml").read_text(encoding="utf-8"))
    assert "extras" not in lock["tool"]["omniwheel"]
    assert chosen.versions()["plotter"] == "1.0"
