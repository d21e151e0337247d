"""Resolving a whole target matrix (resolve/matrix.py) on an in-memory index.

Each case is run with cross-target reuse on and off: the answer must not depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.errors import ResolutionError
from omniwheel.platform.target import target_from_name
from omniwheel.resolve.explain import NoCompatibleWheelError
from omniwheel.resolve.matrix import group_targets, resolve_matrix
from omniwheel.resolve.resolution import MatrixResolution, MissingWheel, SkippedTarget
from tests.support.memory_index import LINUX, MUSL, WINDOWS, MemoryIndex, Release, resolve_request

LINUX_312 = "linux-x86_64@3.12"
LINUX_313 = "linux-x86_64@3.13"
LINUX_311 = "linux-x86_64@3.11"
MUSL_312 = "linux-x86_64-musl@3.12"
WINDOWS_312 = "windows-x86_64@3.12"
MACOS_312 = "macos-arm64@3.12"

REUSE = pytest.mark.parametrize("reuse", [True, False], ids=["reuse", "no-reuse"])


def by_target(result: MatrixResolution, name: str) -> dict[str, str]:
    """``{target name as written in the test: version}`` for one package."""
    versions = result.versions(canonicalize_name(name))
    return {_short(target.name): str(version) for target, version in versions.items()}


def _short(full: str) -> str:
    known = (LINUX_312, LINUX_313, LINUX_311, MUSL_312, WINDOWS_312, MACOS_312)
    return next(name for name in known if target_from_name(name).name == full)


# -- grouping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("targets", "groups"),
    [
        pytest.param([LINUX_312], [[LINUX_312]], id="one"),
        pytest.param([LINUX_312, MUSL_312], [[LINUX_312, MUSL_312]], id="glibc-musl-share"),
        pytest.param([MUSL_312, LINUX_312], [[LINUX_312, MUSL_312]], id="member-order-fixed"),
        pytest.param([LINUX_313, LINUX_312], [[LINUX_312], [LINUX_313]], id="python-minors-apart"),
        pytest.param(
            [WINDOWS_312, LINUX_312, MACOS_312],
            [[LINUX_312], [MACOS_312], [WINDOWS_312]],
            id="platforms-apart",
        ),
        pytest.param(
            [LINUX_312, "linux-x86_64@3.12.5"],
            [[LINUX_312, "linux-x86_64@3.12.5"]],
            id="patch-floor-shares",
        ),
    ],
)
def test_group_targets(targets: list[str], groups: list[list[str]]) -> None:
    found = group_targets(target_from_name(name) for name in targets)
    assert found == [tuple(target_from_name(name) for name in group) for group in groups]


# -- what each target gets ----------------------------------------------------------------------

SHARED = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib>=1", "tool"))],
        "lib": [Release("2.0"), Release("1.0")],
        "tool": [Release("3.0", requires_dist=("lib<3",)), Release("2.0")],
    }
)
# lib 2.0 was released for Linux only; Windows and musl must stay on 1.0.
LINUX_ONLY_NEWEST = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [Release("2.0", wheels=(LINUX,)), Release("1.0", wheels=(LINUX, MUSL, WINDOWS))],
    }
)
MARKERS = MemoryIndex(
    {
        "app": [
            Release(
                "1.0",
                requires_dist=(
                    "colorama; sys_platform == 'win32'",
                    "tomli; python_version < '3.12'",
                ),
            )
        ],
        "colorama": [Release("0.4")],
        "tomli": [Release("2.0")],
    }
)
# lib 2.0 says on its page that it needs Python 3.12.
REQUIRES_PYTHON = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [Release("2.0", requires_python=">=3.12"), Release("1.0")],
    }
)


@REUSE
@pytest.mark.parametrize(
    ("index", "requirements", "targets", "expected"),
    [
        pytest.param(
            SHARED,
            ["app"],
            [LINUX_312, WINDOWS_312, MACOS_312],
            {
                "lib": {LINUX_312: "2.0", WINDOWS_312: "2.0", MACOS_312: "2.0"},
                "tool": {LINUX_312: "3.0", WINDOWS_312: "3.0", MACOS_312: "3.0"},
            },
            id="targets-share-versions",
        ),
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app"],
            [LINUX_312, WINDOWS_312],
            {"lib": {LINUX_312: "2.0", WINDOWS_312: "1.0"}},
            id="newest-without-wheel-diverges",
        ),
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app"],
            [LINUX_312, MUSL_312],
            {"lib": {LINUX_312: "1.0", MUSL_312: "1.0"}},
            id="one-group-needs-a-wheel-for-every-member",
        ),
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app", "lib<2"],
            [LINUX_312, WINDOWS_312],
            {"lib": {LINUX_312: "1.0", WINDOWS_312: "1.0"}},
            id="requirement-caps-everyone",
        ),
        pytest.param(
            MARKERS,
            ["app"],
            [LINUX_311, LINUX_312, WINDOWS_312],
            {"colorama": {WINDOWS_312: "0.4"}, "tomli": {LINUX_311: "2.0"}},
            id="markers-decide-who-needs-what",
        ),
        pytest.param(
            REQUIRES_PYTHON,
            ["app"],
            [LINUX_311, LINUX_312, LINUX_313],
            {"lib": {LINUX_311: "1.0", LINUX_312: "2.0", LINUX_313: "2.0"}},
            id="requires-python-holds-an-old-python-back",
        ),
    ],
)
def test_versions_per_target(
    index: MemoryIndex,
    requirements: list[str],
    targets: list[str],
    expected: Mapping[str, Mapping[str, str]],
    reuse: bool,
) -> None:
    result = resolve_matrix(resolve_request(requirements, targets), index, reuse=reuse)
    for name, versions in expected.items():
        assert by_target(result, name) == versions, name
    assert result.skipped == ()


def test_later_groups_reuse_an_earlier_answer() -> None:
    request = resolve_request(["app"], [LINUX_312, WINDOWS_312, MACOS_312])
    reused = resolve_matrix(request, SHARED)
    fresh = resolve_matrix(request, SHARED, reuse=False)
    assert [group.resolved_by for group in reused.groups] == ["resolvelib", "reuse", "reuse"]
    assert [group.resolved_by for group in fresh.groups] == ["resolvelib"] * 3
    assert reused.groups == fresh.groups


def test_a_version_kept_from_the_lock_wins_over_a_newer_one() -> None:
    request = resolve_request(
        ["app"], [LINUX_312, WINDOWS_312, MACOS_312], locked={WINDOWS_312: {"tool": "2.0"}}
    )
    result = resolve_matrix(request, SHARED)
    assert by_target(result, "tool") == {LINUX_312: "3.0", WINDOWS_312: "2.0", MACOS_312: "3.0"}


# -- a target without wheels --------------------------------------------------------------------

NO_WINDOWS = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("linuxonly",))],
        "linuxonly": [Release("1.1", wheels=(LINUX,)), Release("1.0", wheels=(LINUX,))],
    }
)


@REUSE
def test_a_target_without_wheels_is_skipped_when_asked(reuse: bool) -> None:
    request = resolve_request(
        ["app"], [LINUX_312, WINDOWS_312, MACOS_312], skip_targets_without_wheels=True
    )
    result = resolve_matrix(request, NO_WINDOWS, reuse=reuse)
    assert by_target(result, "linuxonly") == {LINUX_312: "1.1"}
    windows, macos = target_from_name(WINDOWS_312), target_from_name(MACOS_312)
    package, versions = canonicalize_name("linuxonly"), (Version("1.1"), Version("1.0"))
    assert result.skipped == (
        SkippedTarget(
            target=macos,
            missing=MissingWheel(package=package, targets=(macos,), versions_tried=versions),
        ),
        SkippedTarget(
            target=windows,
            missing=MissingWheel(package=package, targets=(windows,), versions_tried=versions),
        ),
    )
    reason = "no version of `linuxonly` has a wheel for windows-x86_64@3.12"
    assert result.skipped[1].reason == reason


@pytest.mark.parametrize(
    ("targets", "blocked"),
    [
        pytest.param([LINUX_312, WINDOWS_312], [WINDOWS_312], id="own-group"),
        pytest.param([LINUX_312, MUSL_312], [MUSL_312], id="names-only-the-member-lacking"),
    ],
)
def test_a_target_without_wheels_fails_the_lock_by_default(
    targets: list[str], blocked: list[str]
) -> None:
    with pytest.raises(NoCompatibleWheelError) as caught:
        resolve_matrix(resolve_request(["app"], targets), NO_WINDOWS)
    missing = caught.value.missing
    assert missing.targets == tuple(target_from_name(name) for name in blocked)
    assert missing.package == "linuxonly"
    assert caught.value.message.splitlines()[0] == missing.describe() + ":"


def test_a_lock_with_no_target_left_is_an_error() -> None:
    request = resolve_request(["app"], [WINDOWS_312, MACOS_312], skip_targets_without_wheels=True)
    with pytest.raises(ResolutionError, match="no target of the lock can be resolved"):
        resolve_matrix(request, NO_WINDOWS)


# -- --uniform ----------------------------------------------------------------------------------


@REUSE
def test_uniform_moves_every_target_to_the_oldest_version(reuse: bool) -> None:
    request = resolve_request(["app"], [LINUX_312, WINDOWS_312], uniform=True)
    result = resolve_matrix(request, LINUX_ONLY_NEWEST, reuse=reuse)
    assert by_target(result, "lib") == {LINUX_312: "1.0", WINDOWS_312: "1.0"}


# lib's releases each lack a platform: Linux can only take 2.0, Windows only 1.0.
CROSSED = MemoryIndex(
    {
        "app": [Release("1.0", requires_dist=("lib",))],
        "lib": [Release("2.0", wheels=(LINUX,)), Release("1.0", wheels=(WINDOWS,))],
    }
)


@pytest.mark.parametrize(
    ("index", "requirements", "cause"),
    [
        pytest.param(
            LINUX_ONLY_NEWEST,
            ["app", "lib>=2; sys_platform == 'linux'"],
            "no version of `lib` satisfies >=2 and <=1.0 (linux-x86_64-glibc2.28@3.12); "
            "`lib` has 2 versions (2.0, 1.0):\n"
            '  - your project requires lib>=2; sys_platform == "linux"',
            id="cap-against-a-requirement",
        ),
        pytest.param(
            CROSSED,
            ["app"],
            "no version of `lib` has a wheel for linux-x86_64-glibc2.28@3.12:\n"
            "  - app 1.0 (required by your project) requires lib\n"
            "  versions tried: 1.0\n"
            "  wheel tags of lib 1.0: py3-none-win_amd64",
            id="no-wheel-under-the-cap",
        ),
    ],
)
def test_uniform_names_the_target_that_cannot_go_that_low(
    index: MemoryIndex, requirements: list[str], cause: str
) -> None:
    request = resolve_request(requirements, [LINUX_312, WINDOWS_312], uniform=True)
    with pytest.raises(ResolutionError) as caught:
        resolve_matrix(request, index)
    assert caught.value.message == (
        "--uniform: linux-x86_64-glibc2.28@3.12 cannot use the versions the other targets need "
        f"(lib<=1.0):\n{cause}"
    )
    assert caught.value.hint == "drop --uniform, or drop target linux-x86_64-glibc2.28@3.12"
