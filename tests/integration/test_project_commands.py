"""``omniwheel init``, ``add`` and ``remove`` end to end: edit, relock, sync — or restore."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel

COMMENT = "# keep this comment\n"


def _locked_names(space: Workspace) -> set[str]:
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    return {package["name"] for package in data["packages"]}


def _pyproject(space: Workspace) -> dict[str, object]:
    return tomllib.loads((space.project / "pyproject.toml").read_text(encoding="utf-8"))


def _commented(space: Workspace) -> None:
    path = space.project / "pyproject.toml"
    path.write_text(COMMENT + path.read_text(encoding="utf-8"), encoding="utf-8")
    space.lock()  # the comment is no input: the lock stays current


def test_init_writes_a_project_and_never_overwrites_it(space: Workspace, tmp_path: Path) -> None:
    directory = tmp_path / "Fresh Tool"
    directory.mkdir()
    created = space.cli("init", project=directory)
    assert created.exit_code == 0, created.stderr
    path = directory / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    project = tomllib.loads(text)["project"]
    assert project["name"] == "Fresh-Tool"
    assert project["requires-python"] == f">={sys.version_info[0]}.{sys.version_info[1]}"
    assert project["dependencies"] == []
    assert "[tool.omniwheel]\n# " in text
    assert path.stat().st_mode & 0o777 != 0o600  # not a temporary file's private mode
    again = space.cli("init", "--name", "other", project=directory)
    assert again.exit_code == 1
    assert "already exists; omniwheel init never overwrites it" in again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_add_edits_relocks_and_syncs(space: Workspace) -> None:
    _commented(space)
    space.server.add_file(build_wheel(space.root / "more", "delta", "1.5"))
    run = space.cli("add", "delta>=1")
    assert run.exit_code == 0, run.stderr
    assert " + delta>=1" in run.stderr
    assert "updated pylock.toml" in run.stderr
    text = (space.project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(COMMENT)
    assert _pyproject(space)["project"] == {
        "name": "demo",
        "version": "0.1",
        "requires-python": f">={sys.version_info[0]}.{sys.version_info[1]}",
        "dependencies": ["alpha", "gamma", "delta>=1"],
    }
    assert "delta" in _locked_names(space)
    assert space.versions()["delta"] == "1.5"


def test_a_failed_add_restores_both_files_byte_for_byte(space: Workspace) -> None:
    _commented(space)
    pyproject = (space.project / "pyproject.toml").read_bytes()
    lock = (space.project / "pylock.toml").read_bytes()
    run = space.cli("add", "no-such-package")
    assert run.exit_code == 1
    assert "no-such-package" in run.stderr
    assert "note: restored pyproject.toml as it was" in run.stderr
    assert (space.project / "pyproject.toml").read_bytes() == pyproject
    assert (space.project / "pylock.toml").read_bytes() == lock
    assert not space.venv.exists()


@pytest.mark.usefixtures("instant_retries")
def test_a_failed_sync_after_add_restores_the_lock_too(space: Workspace) -> None:
    lock = (space.project / "pylock.toml").read_bytes()
    space.server.add_file(build_wheel(space.root / "more", "delta", "1.0"))
    space.server.fail("/files/delta-1.0-py3-none-any.whl")
    run = space.cli("add", "delta")
    assert run.exit_code == 1
    assert "delta 1.0" in run.stderr
    assert "restored pyproject.toml and pylock.toml as they were" in run.stderr
    assert (space.project / "pylock.toml").read_bytes() == lock
    assert "delta" not in str(_pyproject(space))


def test_add_to_an_optional_group_locks_and_installs_it(space: Workspace) -> None:
    run = space.cli("add", "--optional", "extra-tools", "beta")
    assert run.exit_code == 0, run.stderr
    project = _pyproject(space)["project"]
    assert isinstance(project, dict)
    assert project["optional-dependencies"] == {"extra-tools": ["beta"]}
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    assert data["extras"] == ["extra-tools"]
    assert data["tool"]["omniwheel"]["optional-dependencies"] == {"extra-tools": ["beta"]}


def test_remove_drops_the_package_from_lock_and_environment(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    run = space.cli("remove", "GAMMA")
    assert run.exit_code == 0, run.stderr
    assert " - gamma" in run.stderr
    assert "gamma" not in _locked_names(space)
    assert space.versions() == {"alpha": "1.0", "beta": "1.0"}


def test_remove_of_a_name_not_listed_changes_nothing(space: Workspace) -> None:
    before = (space.project / "pyproject.toml").read_bytes()
    run = space.cli("remove", "beta")
    assert run.exit_code == 1
    assert "error: beta is not in [project].dependencies" in run.stderr
    assert (space.project / "pyproject.toml").read_bytes() == before


def test_add_frozen_only_edits_the_file(space: Workspace) -> None:
    lock = (space.project / "pylock.toml").read_bytes()
    run = space.cli("add", "--frozen", "beta")
    assert run.exit_code == 0, run.stderr
    assert (space.project / "pylock.toml").read_bytes() == lock
    assert not space.venv.exists()
    assert "beta" in str(_pyproject(space))


def test_add_dev_writes_a_dependency_group_locks_and_installs_it(space: Workspace) -> None:
    space.server.add_file(build_wheel(space.root / "more", "tester", "1.0"))
    run = space.cli("add", "--dev", "tester")
    assert run.exit_code == 0, run.stderr
    assert _pyproject(space)["dependency-groups"] == {"dev": ["tester"]}
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    assert (data["dependency-groups"], data["default-groups"]) == (["dev"], ["default"])
    assert space.versions()["tester"] == "1.0"
    run = space.cli("remove", "--dev", "tester")
    assert run.exit_code == 0, run.stderr
    assert "tester" not in space.versions()


def test_add_to_a_group_installs_it_once_and_a_plain_sync_leaves_it_out(space: Workspace) -> None:
    space.server.add_file(build_wheel(space.root / "more", "linter", "1.0"))
    run = space.cli("add", "--group", "lint", "linter")
    assert run.exit_code == 0, run.stderr
    assert space.versions()["linter"] == "1.0"  # what was named is installed
    assert space.cli("sync").exit_code == 0
    assert "linter" not in space.versions()  # lint is not a default group
    assert space.cli("sync", "--group", "lint").exit_code == 0
    assert space.versions()["linter"] == "1.0"
