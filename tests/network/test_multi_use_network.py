"""A multi-use lock of a real small project, against the real public index (the one discovered as
users' would be), pinned in time with ``--exclude-newer 2026-11-01``; metadata only.

The project has one dependency, an extra that asks for another package's extra
(``urllib3[socks]``, which brings ``pysocks``), and a dependency group that shares the dependency
and needs ``colorama`` on Windows only.  ``packaging``'s ``Pylock.select`` (what pip and any PEP 751
installer run) must install exactly each choice's closure on every target of the default matrix.
"""

from __future__ import annotations

import contextlib
import io
import tomllib
from collections.abc import Collection
from typing import Any, cast

import pytest
from packaging.markers import Environment
from packaging.pylock import Pylock

from omniwheel.cli.main import main
from omniwheel.platform.target import target_from_name

pytestmark = pytest.mark.network

CUTOFF = "2026-11-01T00:00:00Z"

PROJECT = """\
[project]
name = "multi-use-demo"
version = "0"
requires-python = ">=3.10"
dependencies = ["idna"]

[project.optional-dependencies]
socks = ["urllib3[socks]"]

[dependency-groups]
dev = ["iniconfig", "idna", "colorama; sys_platform == 'win32'"]
"""


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The lock, parsed, and what ``omniwheel lock`` wrote to stderr (a fresh cache)."""
    project = tmp_path_factory.mktemp("multi-use-project")
    (project / "pyproject.toml").write_text(PROJECT)
    stderr = io.StringIO()
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("OMNIWHEEL_CACHE_DIR", str(tmp_path_factory.mktemp("omniwheel-cache")))
        args = ["--exclude-newer", CUTOFF]  # the default matrix
        with contextlib.redirect_stderr(stderr):
            code = main(["lock", "--project", str(project), *args])
    finally:
        mp.undo()
    assert code == 0, stderr.getvalue()
    return tomllib.loads((project / "pylock.toml").read_text()), stderr.getvalue()


@pytest.fixture(scope="module")
def lock_data(locked: tuple[dict[str, Any], str]) -> dict[str, Any]:
    return locked[0]


def test_only_metadata_was_read(locked: tuple[dict[str, Any], str]) -> None:
    """No wheel was downloaded: metadata files and range reads of the wheels sufficed."""
    assert ", 0 downloads\n" in locked[1], locked[1]


def _select(
    data: dict[str, Any],
    target_name: str,
    *,
    extras: Collection[str] = (),
    groups: Collection[str] | None = None,
) -> set[str]:
    """The package names ``Pylock.select`` installs on a target for a choice."""
    target = target_from_name(target_name)
    chosen = Pylock.from_dict(data).select(
        environment=cast(Environment, target.marker_environment()),
        tags=target.tags,
        extras=extras,
        dependency_groups=groups,
    )
    return {package.name for package, _ in chosen}


def test_the_lock_lists_the_extra_and_the_group(lock_data: dict[str, Any]) -> None:
    assert lock_data["extras"] == ["socks"]
    assert lock_data["dependency-groups"] == ["dev"]
    assert lock_data["default-groups"] == ["default"]
    names = {package["name"] for package in lock_data["packages"]}
    assert names == {"colorama", "idna", "iniconfig", "pysocks", "urllib3"}


def _targets(data: dict[str, Any]) -> list[str]:
    targets: list[str] = data["tool"]["omniwheel"]["targets"]
    return targets


def test_the_default_matrix_was_locked(lock_data: dict[str, Any]) -> None:
    targets = _targets(lock_data)
    assert len(targets) >= 15
    assert {target.split("-")[0] for target in targets} == {"linux", "macos", "windows"}


def test_the_default_install_is_the_project_dependencies(lock_data: dict[str, Any]) -> None:
    for target in _targets(lock_data):
        assert _select(lock_data, target) == {"idna"}, target


def test_the_extra_adds_its_closure(lock_data: dict[str, Any]) -> None:
    for target in _targets(lock_data):
        assert _select(lock_data, target, extras=["socks"]) == {"idna", "pysocks", "urllib3"}


def test_the_group_alone_installs_its_closure_on_each_target(lock_data: dict[str, Any]) -> None:
    for target in _targets(lock_data):
        windows = {"colorama"} if target.startswith("windows") else set()
        assert _select(lock_data, target, groups=["dev"]) == {"idna", "iniconfig"} | windows


def test_everything_installs_the_union(lock_data: dict[str, Any]) -> None:
    for target in _targets(lock_data):
        chosen = _select(lock_data, target, extras=["socks"], groups=["default", "dev"])
        windows = {"colorama"} if target.startswith("windows") else set()
        assert chosen == {"idna", "iniconfig", "pysocks", "urllib3"} | windows, target
