"""Reusing one group's resolution for the next group (resolve/reuse.py), on an in-memory index.

When reuse holds, its answer must be the one resolvelib gives for the next group on its own;
when it cannot prove that, it must refuse (return None) so that the caller runs resolvelib.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.resolve.matrix import resolve_group
from omniwheel.resolve.provider import GroupProvider, as_req
from omniwheel.resolve.resolution import GroupResolution
from omniwheel.resolve.reuse import reuse_resolution
from tests.support.memory_index import LINUX, WINDOWS, MemoryIndex, Release, resolve_request

LINUX_312 = "linux-x86_64@3.12"
LINUX_311 = "linux-x86_64@3.11"
WINDOWS_312 = "windows-x86_64@3.12"


def fresh(index: MemoryIndex, requirements: list[str], target: str) -> GroupResolution:
    """The group resolved on its own, by resolvelib."""
    request = resolve_request(requirements, [target])
    return resolve_group(request.targets, request, index, preferred={}, caps={})


def reuse(
    index: MemoryIndex,
    requirements: list[str],
    first: str,
    then: str,
    *,
    locked: Mapping[str, str] | None = None,
) -> GroupResolution | None:
    """``first``'s resolution offered to ``then`` (with ``locked`` versions kept there)."""
    previous = fresh(index, requirements, first)
    request = resolve_request(requirements, [then])
    provider = GroupProvider(
        targets=request.targets,
        index=index,
        policy=request.policy,
        preferred={name: pin.version for name, pin in previous.pins.items()},
        caps={},
        locked={canonicalize_name(k): Version(v) for k, v in (locked or {}).items()},
    )
    roots = [as_req(r) for r in request.requirements if provider.applies(r.marker, [""])]
    return reuse_resolution(previous, provider, roots)


def versions(group: GroupResolution) -> dict[str, str]:
    return {name: str(pin.version) for name, pin in group.pins.items()}


SHARED = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib>=1", "tool"))],
        "lib": [Release("2.0"), Release("1.0")],
        "tool": [Release("3.0", requires_dist=("lib<3",)), Release("2.0")],
    }
)
MARKERS = MemoryIndex(
    {
        "app": [
            Release(
                "1.0",
                requires_dist=(
                    "colorama; sys_platform == 'win32'",
                    "uvloop; sys_platform != 'win32'",
                    "tomli; python_version < '3.12'",
                ),
            )
        ],
        "colorama": [Release("0.4")],
        "uvloop": [Release("0.19")],
        "tomli": [Release("2.0")],
    }
)
# lib 2.0 has no Windows wheel.
LINUX_ONLY_NEWEST = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [Release("2.0", wheels=(LINUX,)), Release("1.0", wheels=(LINUX, WINDOWS))],
    }
)


@pytest.mark.parametrize(
    ("index", "requirements", "first", "then", "expected"),
    [
        pytest.param(
            SHARED,
            ["app"],
            LINUX_312,
            WINDOWS_312,
            {"app": "1.0", "lib": "2.0", "tool": "3.0"},
            id="same-graph",
        ),
        pytest.param(
            MARKERS,
            ["app"],
            LINUX_312,
            WINDOWS_312,
            {"app": "1.0", "colorama": "0.4"},
            id="marker-adds-and-drops-packages",
        ),
        pytest.param(
            MARKERS,
            ["app"],
            LINUX_312,
            LINUX_311,
            {"app": "1.0", "tomli": "2.0", "uvloop": "0.19"},
            id="python-marker-adds-a-package",
        ),
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app"],
            LINUX_312,
            WINDOWS_312,
            {"app": "1.0", "lib": "1.0"},
            id="no-wheel-for-the-newest-moves-down",
        ),
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app"],
            WINDOWS_312,
            LINUX_312,
            {"app": "1.0", "lib": "2.0"},
            id="an-older-pin-moves-up-to-the-newest",
        ),
    ],
)
def test_reuse_holds_and_agrees_with_resolvelib(
    index: MemoryIndex,
    requirements: list[str],
    first: str,
    then: str,
    expected: Mapping[str, str],
) -> None:
    reused = reuse(index, requirements, first, then)
    assert reused is not None
    assert reused.resolved_by == "reuse"
    assert versions(reused) == expected
    assert reused == fresh(index, requirements, then)


def test_reuse_keeps_a_version_the_lock_keeps() -> None:
    reused = reuse(SHARED, ["app"], LINUX_312, WINDOWS_312, locked={"tool": "2.0"})
    assert reused is not None
    assert versions(reused) == {"app": "1.0", "lib": "2.0", "tool": "2.0"}


# -- refused ------------------------------------------------------------------------------------

# A requirement whose marker flips between the groups rules out the previous pin.
FLIPPING = MemoryIndex({"lib": [Release("2.0"), Release("1.0")]})
FLIPPING_REQUIREMENTS = ["lib>=2; sys_platform != 'win32'", "lib<2; sys_platform == 'win32'"]
# lib 2.0 needs Python 3.12, and says so on the page (and in its metadata).
REQUIRES_PYTHON_ON_PAGE = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [Release("2.0", requires_python=">=3.12"), Release("1.0")],
    }
)
# lib 2.0 needs Python 3.12, but only its metadata says so: the page does not.
REQUIRES_PYTHON_IN_METADATA = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [
            Release("2.0", requires_python=">=3.12", page_requires_python=False),
            Release("1.0"),
        ],
    }
)
# On Windows lib must fall back to 1.0, whose requirement rules out the previous dep 2.0.
CASCADE = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [
            Release("2.0", wheels=(LINUX,), requires_dist=("dep>=2",)),
            Release("1.0", requires_dist=("dep<2",)),
        ],
        "dep": [Release("2.0"), Release("1.0")],
    }
)
# A Windows-only dependency that the index does not list.
UNLISTED = MemoryIndex({"app": [Release("1.0", requires_dist=("gone; sys_platform == 'win32'",))]})


@pytest.mark.parametrize(
    ("index", "requirements", "first", "then", "expected"),
    [
        pytest.param(
            FLIPPING,
            FLIPPING_REQUIREMENTS,
            LINUX_312,
            WINDOWS_312,
            {"lib": "1.0"},
            id="marker-flips-a-requirement",
        ),
        # The walk meets the previous pin's metadata before it looks for the newest version,
        # so it refuses even where the page alone would have moved lib down (conservative).
        pytest.param(
            REQUIRES_PYTHON_ON_PAGE,
            ["app"],
            LINUX_312,
            LINUX_311,
            {"app": "1.0", "lib": "1.0"},
            id="requires-python-on-the-page",
        ),
        pytest.param(
            REQUIRES_PYTHON_IN_METADATA,
            ["app"],
            LINUX_312,
            LINUX_311,
            {"app": "1.0", "lib": "1.0"},
            id="requires-python-only-in-metadata",
        ),
        pytest.param(
            CASCADE,
            ["app"],
            LINUX_312,
            WINDOWS_312,
            {"app": "1.0", "dep": "1.0", "lib": "1.0"},
            id="an-older-version-needs-older-dependencies",
        ),
    ],
)
def test_reuse_refuses_what_it_cannot_prove(
    index: MemoryIndex,
    requirements: list[str],
    first: str,
    then: str,
    expected: Mapping[str, str],
) -> None:
    assert reuse(index, requirements, first, then) is None
    # What resolvelib finds instead: the previous pins would have been wrong.
    assert versions(fresh(index, requirements, then)) == expected


@pytest.mark.parametrize(
    "index",
    [
        pytest.param(
            MemoryIndex(
                {
                    "app": [Release("1.0", requires_dist=("lib",))],
                    "lib": [Release("1.0", wheels=(LINUX,))],
                }
            ),
            id="no-wheel-for-the-next-target",
        ),
        pytest.param(UNLISTED, id="new-dependency-not-on-the-index"),
    ],
)
def test_reuse_refuses_when_the_next_target_cannot_be_resolved(index: MemoryIndex) -> None:
    assert reuse(index, ["app"], LINUX_312, WINDOWS_312) is None
