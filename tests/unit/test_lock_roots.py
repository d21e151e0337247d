"""Multi-use locks: the project's roots (dependencies, extras, groups), their markers, and the
proof that ``Pylock.select`` installs exactly each selection's closure."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from packaging.markers import Environment
from packaging.pylock import Pylock
from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.errors import Problem
from omniwheel.index.models import CoreMetadata, Wheel
from omniwheel.lock.closure import root_needs
from omniwheel.lock.model import Lock, build_lock
from omniwheel.lock.pylock import LockConsistencyError, render_pylock, verify_selection
from omniwheel.lock.tool_table import LockInputs
from omniwheel.platform.target import Target
from omniwheel.project.pyproject import Project, parse_project
from omniwheel.project.roots import (
    MAIN,
    Root,
    SelfReferenceError,
    project_roots,
    requirement_origins,
)
from omniwheel.resolve.resolution import GroupResolution, MatrixResolution, Pin
from tests.support.small_lock import LINUX, WINDOWS, dist


def _project(document: dict[str, Any]) -> Project:
    problems: list[Problem] = []
    project = parse_project(document, Path("/p/pyproject.toml"), problems)
    assert problems == []
    return project


def _texts(requirements: tuple[Requirement, ...]) -> list[str]:
    return [str(requirement) for requirement in requirements]


def test_self_references_are_expanded_with_their_markers() -> None:
    project = _project(
        {
            "project": {
                "name": "Demo",
                "dependencies": ["core"],
                "optional-dependencies": {
                    "plot": ["plotlib"],
                    "all": ["demo[plot]; sys_platform == 'linux'", "demo[all]"],
                },
            },
            "dependency-groups": {"dev": ["demo[plot]", "pytest"]},
        }
    )
    roots = project_roots(project)
    assert list(roots) == [
        MAIN,
        Root(kind="extra", name=canonicalize_name("all")),
        Root(kind="extra", name=canonicalize_name("plot")),
        Root(kind="group", name=canonicalize_name("dev")),
    ]
    assert _texts(roots[Root.parse("extra:all")]) == [
        'core; sys_platform == "linux"',
        'plotlib; sys_platform == "linux"',
        "core",  # demo[all] brings the dependencies; `all` itself is being expanded
    ]
    assert _texts(roots[Root.parse("group:dev")]) == ["core", "plotlib", "pytest"]


def test_each_requirement_names_every_root_asking_for_it_in_root_order() -> None:
    project = _project(
        {
            "project": {
                "name": "demo",
                "dependencies": ["core<2"],
                "optional-dependencies": {"gpu": ["torch==2.0"], "all": ["demo[gpu]"]},
            },
            "dependency-groups": {"dev": ["core<2", "pytest"]},
        }
    )
    extra_all = Root(kind="extra", name=canonicalize_name("all"))
    gpu = Root(kind="extra", name=canonicalize_name("gpu"))
    dev = Root(kind="group", name=canonicalize_name("dev"))
    assert requirement_origins(project_roots(project)) == {
        "core<2": (MAIN, extra_all, dev),
        "torch==2.0": (extra_all, gpu),
        "pytest": (dev,),
    }


def test_a_self_reference_to_an_undeclared_extra_is_an_error() -> None:
    project = _project(
        {"project": {"name": "demo", "dependencies": [], "optional-dependencies": {"a": []}}}
        | {"dependency-groups": {"dev": ["demo[nope]"]}}
    )
    with pytest.raises(SelfReferenceError) as caught:
        project_roots(project)
    assert caught.value.unknown == ("nope",)
    assert "group `dev` requires `demo[nope]`" in caught.value.message


@pytest.mark.parametrize("text", ["extra", "extra:", "group:Dev", "other:x", "main:x"])
def test_a_root_that_is_not_written_as_the_lock_writes_it_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"none of|not normalized"):
        Root.parse(text)


# -- markers and the proof, from a hand-made resolution ----------------------------------------


def _wheel(name: str, version: str) -> Wheel:
    return Wheel(
        file=dist(f"{name}-{version}-py3-none-any.whl"),
        name=canonicalize_name(name),
        version=Version(version),
        build=(),
        tags=frozenset(parse_tag("py3-none-any")),
        requires_python=None,
    )


def _group(target: Target, names: dict[str, list[str]]) -> GroupResolution:
    pins = {
        canonicalize_name(name): Pin(
            name=canonicalize_name(name),
            version=Version("1.0"),
            wheels={target: _wheel(name, "1.0")},
            dependencies=tuple(canonicalize_name(d) for d in deps),
        )
        for name, deps in names.items()
    }
    return GroupResolution(targets=(target,), pins=pins, roots=())


REQUIRES = {
    "core": [],
    "client": ["socksy; extra == 'socks'"],
    "socksy": [],
    "testlib": ["colors; sys_platform == 'win32'", "core"],
    "colors": [],
    "late": [],
    "tester": ["late; python_full_version >= '3.12.4'"],
}


def _metadata(name: NormalizedName, version: Version) -> CoreMetadata:
    return CoreMetadata(
        name=name,
        version=version,
        requires_dist=tuple(Requirement(text) for text in REQUIRES[name]),
        requires_python=None,
        provides_extra=frozenset(),
    )


def _lock() -> Lock:
    project = _project(
        {
            "project": {
                "name": "demo",
                "dependencies": ["client"],
                "optional-dependencies": {"socks": ["client[socks]"]},
            },
            "dependency-groups": {"dev": ["testlib"]},
        }
    )
    resolution = MatrixResolution(
        groups=(
            _group(LINUX, {"client": ["socksy"], "socksy": [], "testlib": ["core"], "core": []}),
            _group(
                WINDOWS,
                {
                    "client": ["socksy"],
                    "socksy": [],
                    "testlib": ["core", "colors"],
                    "core": [],
                    "colors": [],
                },
            ),
        )
    )
    roots = project_roots(project)
    inputs = LockInputs(
        targets=(LINUX, WINDOWS),
        targets_from_cli=True,
        index_url="https://index.example.org/simple/",
        exclude_newer=None,
        prerelease=False,
        uniform=False,
        no_wheel="error",
        requirements=("client",),
        requires_python=None,
        optional_dependencies={"socks": ("client[socks]",)},
        dependency_groups={"dev": ("testlib",)},
        default_groups=("dev",),
    )
    return build_lock(resolution, inputs, root_needs(resolution, roots, _metadata))


def test_markers_join_each_roots_clause_to_the_targets_where_it_needs_the_package() -> None:
    markers = {package.name: package.marker for package in _lock().packages}
    assert markers == {
        "client": '"default" in dependency_groups or "socks" in extras',
        "colors": '"dev" in dependency_groups and sys_platform == "win32"',
        "core": '"dev" in dependency_groups',
        "socksy": '"socks" in extras',
        "testlib": '"dev" in dependency_groups',
    }


def _select(text: str, target: Target, **choice: Any) -> list[str]:
    pylock = Pylock.from_dict(tomllib.loads(text))
    environment = cast(Environment, target.marker_environment())
    return sorted(
        p.name for p, _ in pylock.select(environment=environment, tags=target.tags, **choice)
    )


def test_the_written_lock_selects_each_choice_exactly() -> None:
    text = render_pylock(_lock())
    data = tomllib.loads(text)
    assert (data["extras"], data["dependency-groups"], data["default-groups"]) == (
        ["socks"],
        ["dev"],
        ["default"],
    )
    assert _select(text, LINUX) == ["client"]  # what `pip install -r pylock.toml` installs
    assert _select(text, LINUX, extras=["socks"]) == ["client", "socksy"]
    assert _select(text, WINDOWS, dependency_groups=["dev"]) == ["colors", "core", "testlib"]
    assert _select(text, LINUX, dependency_groups=["default", "dev"]) == [
        "client",
        "core",
        "testlib",
    ]


def test_a_group_marker_that_selects_too_much_is_refused_naming_the_selection() -> None:
    lock = _lock()
    data = tomllib.loads(render_pylock(lock))
    colors = next(p for p in data["packages"] if p["name"] == "colors")
    colors["marker"] = 'sys_platform == "win32"'  # the group clause dropped
    with pytest.raises(LockConsistencyError) as caught:
        verify_selection(lock, data)
    assert caught.value.target == WINDOWS
    assert caught.value.selection == "the default selection"
    assert [m.package for m in caught.value.mismatches] == ["colors"]
    assert caught.value.mismatches[0].resolver is None


def test_an_extra_marker_that_selects_too_little_is_refused_naming_the_extra() -> None:
    lock = _lock()
    data = tomllib.loads(render_pylock(lock))
    socksy = next(p for p in data["packages"] if p["name"] == "socksy")
    socksy["marker"] = '"socks" in extras and sys_platform == "win32"'
    with pytest.raises(LockConsistencyError) as caught:
        verify_selection(lock, data)
    assert (caught.value.target, caught.value.selection) == (LINUX, "extra `socks`")


# -- patch-release conditions per root ---------------------------------------------------------

LATE = 'python_full_version >= "3.12.4"'
DEV = Root(kind="group", name=canonicalize_name("dev"))


def _patch_lock() -> Lock:
    """``late`` is one of the project's dependencies; group ``dev`` needs it (through
    ``tester``) only from Python 3.12.4 on, as the resolver found."""
    project = _project(
        {
            "project": {"name": "demo", "dependencies": ["late"]},
            "dependency-groups": {"dev": ["tester"]},
        }
    )
    group = _group(LINUX, {"late": [], "tester": ["late"]})
    resolution = MatrixResolution(
        groups=(replace(group, conditions={DEV: {canonicalize_name("late"): LATE}}),)
    )
    inputs = LockInputs(
        targets=(LINUX,),
        targets_from_cli=True,
        index_url="https://index.example.org/simple/",
        exclude_newer=None,
        prerelease=False,
        uniform=False,
        no_wheel="error",
        requirements=("late",),
        requires_python=None,
        dependency_groups={"dev": ("tester",)},
        default_groups=("dev",),
    )
    return build_lock(resolution, inputs, root_needs(resolution, project_roots(project), _metadata))


def test_a_root_needing_a_package_on_some_patch_releases_keeps_its_own_condition() -> None:
    lock = _patch_lock()
    late = next(package for package in lock.packages if package.name == "late")
    assert late.marker == (
        f'"default" in dependency_groups or ("dev" in dependency_groups and {LATE})'
    )
    assert late.root_conditions == {DEV: {LINUX: LATE}}
    assert late.conditions == {}  # with every root selected it is always needed
    text = render_pylock(lock)
    assert _select(text, LINUX, dependency_groups=["dev"]) == ["tester"]
    at_3_12_5 = LINUX.at_release(Version("3.12.5"))
    assert _select(text, at_3_12_5, dependency_groups=["dev"]) == ["late", "tester"]
    assert _select(text, LINUX) == ["late"]


def test_a_condition_wrong_only_on_the_highest_patch_release_is_refused() -> None:
    """The group's clause dropped: right on 3.12.0, where ``dev`` does not need ``late``, wrong
    from 3.12.4 on; the proof checks the highest release because a root's need is conditional
    there, although the package is needed on every release with every root selected."""
    lock = _patch_lock()
    data = tomllib.loads(render_pylock(lock))
    late = next(p for p in data["packages"] if p["name"] == "late")
    late["marker"] = '"default" in dependency_groups'
    with pytest.raises(LockConsistencyError) as caught:
        verify_selection(lock, data)
    assert (caught.value.target, caught.value.python) == (LINUX, "3.12.99")
    assert caught.value.selection == "group `dev` alone"
    assert [(m.package, m.installer) for m in caught.value.mismatches] == [("late", None)]
