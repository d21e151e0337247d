"""Packages needed only on some patch releases, and the marker saying when (resolve/conditions.py).

Target ``3.12`` stands for every ``3.12.y``; a dependency behind ``python_full_version >=
"3.12.4"`` is locked with that marker so that the installer decides on the real interpreter.  Each
root of the project (its dependencies, an extra, a group) has its own conditions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.platform.target import target_from_name
from omniwheel.project.roots import MAIN, Root
from omniwheel.resolve import conditions
from omniwheel.resolve.conditions import MAX_CONDITION, patch_conditions
from omniwheel.resolve.matrix import resolve_group, resolve_matrix
from omniwheel.resolve.provider import GroupProvider
from omniwheel.resolve.resolution import GroupResolution
from tests.support.memory_index import MemoryIndex, Release, resolve_request

LATE = 'python_full_version >= "3.12.4"'
EARLY = 'python_full_version < "3.12.2"'
BEFORE_8 = 'python_full_version < "3.12.8"'


def main_conditions(group: GroupResolution) -> dict[NormalizedName, str]:
    """The conditions of the project's dependencies (a request without origins has no other
    root)."""
    assert set(group.conditions) <= {MAIN}
    return dict(group.conditions.get(MAIN, {}))


def index_of(app: tuple[str, ...], **dependencies: tuple[str, ...]) -> MemoryIndex:
    """``app`` with these Requires-Dist; every other project named has one release, 1.0."""
    projects = {"app": [Release("1.0", requires_dist=app)]}
    for name, requires in dependencies.items():
        projects[name] = [Release("1.0", requires_dist=requires)]
    for name in ("late", "early", "leaf", "other"):
        projects.setdefault(name, [Release("1.0")])
    return MemoryIndex(projects)


@pytest.mark.parametrize(
    ("index", "target", "expected"),
    [
        pytest.param(
            index_of((f"late; {LATE}",)),
            "linux-x86_64@3.12",
            {"late": LATE},
            id="patch-dependent-edge",
        ),
        pytest.param(
            index_of((f"late; {LATE}",)),
            "linux-x86_64@3.12.5",
            {},
            id="patch-floor-makes-it-always-hold",
        ),
        pytest.param(
            index_of(("leaf",)),
            "linux-x86_64@3.12",
            {},
            id="plain-edge",
        ),
        pytest.param(
            index_of(("mid",), mid=(f"late; {LATE}",)),
            "linux-x86_64@3.12",
            {"late": LATE},
            id="deeper-edge",
        ),
        pytest.param(
            index_of((f"mid; {LATE}",), mid=("leaf",)),
            "linux-x86_64@3.12",
            {"mid": LATE, "leaf": LATE},
            id="inherited-along-the-path",
        ),
        pytest.param(
            index_of((f"mid; {LATE}",), mid=(f"leaf; {BEFORE_8}",)),
            "linux-x86_64@3.12",
            {"mid": LATE, "leaf": f"({LATE}) and ({BEFORE_8})"},
            id="joined-along-a-path",
        ),
        pytest.param(
            index_of((f"late; {LATE}", f"early; {EARLY}"), late=("leaf",), early=("leaf",)),
            "linux-x86_64@3.12",
            {"late": LATE, "early": EARLY, "leaf": f"({EARLY}) or ({LATE})"},
            id="joined-across-paths",
        ),
        pytest.param(
            index_of((f"late; {LATE}", "leaf"), late=("leaf",)),
            "linux-x86_64@3.12",
            {"late": LATE},
            id="one-plain-path-makes-it-always-needed",
        ),
        pytest.param(
            index_of((f"mid; {LATE}",), mid=(f"leaf; {LATE}",)),
            "linux-x86_64@3.12",
            {"mid": LATE, "leaf": LATE},
            id="same-condition-not-repeated",
        ),
        pytest.param(
            index_of((f"late; {LATE} and sys_platform == 'linux'",)),
            "linux-x86_64@3.12",
            {"late": 'python_full_version >= "3.12.4" and sys_platform == "linux"'},
            id="whole-marker-kept",
        ),
    ],
)
def test_conditions(index: MemoryIndex, target: str, expected: Mapping[str, str]) -> None:
    result = resolve_matrix(resolve_request(["app"], [target]), index)
    (group,) = result.groups
    assert main_conditions(group) == expected
    assert set(expected) <= set(group.pins)


def test_a_minor_that_never_reaches_the_patch_needs_nothing() -> None:
    result = resolve_matrix(
        resolve_request(["app"], ["linux-x86_64@3.11"]), index_of((f"late; {LATE}",))
    )
    assert "late" not in result.groups[0].pins
    assert main_conditions(result.groups[0]) == {}


def test_a_root_requirement_can_be_conditional() -> None:
    result = resolve_matrix(
        resolve_request(["app", f"late; {LATE}"], ["linux-x86_64@3.12"]), index_of(())
    )
    assert main_conditions(result.groups[0]) == {"late": LATE}


def test_markers_about_extras_are_not_carried() -> None:
    """The lock's marker language has no ``extra``: such a package stays unconditional."""
    index = MemoryIndex(
        {
            "app": [
                Release(
                    "1.0",
                    requires_dist=(f'late; {LATE} and extra == "x"',),
                    provides_extra=("x",),
                )
            ],
            "late": [Release("1.0")],
        }
    )
    result = resolve_matrix(resolve_request(["app[x]"], ["linux-x86_64@3.12"]), index)
    assert "late" in result.groups[0].pins
    assert main_conditions(result.groups[0]) == {}


# Twelve paths to `leaf`, each behind its own patch bound: joined with `or`, too long to carry.
BOUNDS = [f'python_full_version >= "3.12.{patch}"' for patch in range(1, 13)]
MANY_PATHS = index_of(
    tuple(f"mid{n}; {bound}" for n, bound in enumerate(BOUNDS)),
    **{f"mid{n}": ("leaf",) for n in range(len(BOUNDS))},
)


def test_a_condition_too_long_to_carry_makes_the_package_always_needed() -> None:
    request = resolve_request(["app"], ["linux-x86_64@3.12"])
    group = resolve_group(request.targets, request, MANY_PATHS, preferred={}, caps={})
    assert "leaf" in group.pins
    assert main_conditions(group) == {f"mid{n}": bound for n, bound in enumerate(BOUNDS)}


def test_the_length_limit_is_what_drops_a_long_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conditions, "MAX_CONDITION", 10 * MAX_CONDITION)
    request = resolve_request(["app"], ["linux-x86_64@3.12"])
    group = resolve_group(request.targets, request, MANY_PATHS, preferred={}, caps={})
    leaf = main_conditions(group)[canonicalize_name("leaf")]
    assert all(f"({bound})" in leaf for bound in BOUNDS)


def test_patch_conditions_walks_only_the_pins_it_is_given() -> None:
    index = index_of((f"late; {LATE}", "leaf"))
    request = resolve_request(["app"], ["linux-x86_64@3.12"])
    group = resolve_group(request.targets, request, index, preferred={}, caps={})
    provider = GroupProvider(
        targets=[target_from_name("linux-x86_64@3.12")],
        index=index,
        policy=request.policy,
        preferred={},
        caps={},
    )
    without_late = {k: v for k, v in group.pins.items() if k != canonicalize_name("late")}
    assert patch_conditions(without_late, provider, [Requirement("app")]) == {}
    assert patch_conditions(group.pins, provider, [Requirement("app")]) == {"late": LATE}


DEV = Root(kind="group", name=canonicalize_name("dev"))
FAST = Root(kind="extra", name=canonicalize_name("fast"))


def test_each_root_keeps_its_own_conditions() -> None:
    """``late``: the dependencies need it from 3.12.4 on, group ``dev`` before 3.12.2, extra
    ``fast`` always; ``leaf`` only ``dev`` reaches.  No root's condition leaks into another's."""
    index = index_of((f"late; {LATE}",), early=(f"late; {EARLY}", f"leaf; {EARLY}"), fast=("late",))
    request = dataclasses.replace(
        resolve_request(["app", "early", "fast"], ["linux-x86_64@3.12"]),
        origins={"app": (MAIN,), "early": (DEV,), "fast": (FAST,)},
    )
    (group,) = resolve_matrix(request, index).groups
    assert group.conditions == {
        MAIN: {"late": LATE},
        DEV: {"late": EARLY, "leaf": EARLY},
    }


def test_a_requirement_of_several_roots_is_walked_for_each() -> None:
    index = index_of((f"late; {LATE}",))
    request = dataclasses.replace(
        resolve_request(["app", "late"], ["linux-x86_64@3.12"]),
        origins={"app": (MAIN, DEV), "late": (FAST,)},
    )
    (group,) = resolve_matrix(request, index).groups
    assert group.conditions == {MAIN: {"late": LATE}, DEV: {"late": LATE}}
