"""The target matrix: explicit targets, platforms times versions, defaults, requires-python."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from omniwheel.errors import TargetError
from omniwheel.platform.matrix import (
    DEFAULT_PLATFORMS,
    SUPPORTED_PYTHONS,
    admitted_python,
    expand_targets,
)
from omniwheel.platform.target import PythonVersion, Target


def names(targets: tuple[Target, ...]) -> list[str]:
    return [target.name for target in targets]


@pytest.mark.parametrize(
    ("requires_python", "minor", "expected"),
    [
        pytest.param(None, (3, 12), (3, 12), id="no-requires-python"),
        pytest.param(">=3.11", (3, 12), (3, 12), id="all-admitted"),
        pytest.param(">=3.11.5", (3, 11), (3, 11, 5), id="patch-floor"),
        pytest.param(">=3.11.5", (3, 12), (3, 12), id="next-minor-whole"),
        pytest.param("<3.11", (3, 11), None, id="none-admitted"),
        pytest.param(">=3.12", (3, 11), None, id="below"),
        pytest.param("!=3.12.3", (3, 12), (3, 12, 4), id="hole-floors-above-it"),
        pytest.param("<3.11.8", (3, 11), None, id="capped-patch-not-expressible"),
        pytest.param("==3.13.*", (3, 13), (3, 13), id="wildcard"),
        pytest.param("", (3, 15), (3, 15), id="empty-spec"),
    ],
)
def test_admitted_python(
    requires_python: str | None, minor: tuple[int, int], expected: PythonVersion | None
) -> None:
    spec = None if requires_python is None else SpecifierSet(requires_python)
    assert admitted_python(spec, minor) == expected


@pytest.mark.parametrize(
    ("platforms", "pythons", "requires_python", "expected"),
    [
        pytest.param(
            ["macos-x86_64@3.11", "linux-aarch64-musl@3.12"],
            [],
            None,
            ["linux-aarch64-musl1.2@3.12", "macos-x86_64-13.0@3.11"],
            id="explicit-targets-only",
        ),
        pytest.param(
            ["linux-x86_64", "windows-x86_64"],
            ["3.12"],
            ">=3.11",
            ["linux-x86_64-glibc2.28@3.12", "windows-x86_64@3.12"],
            id="platforms-times-version",
        ),
        pytest.param(
            ["linux-x86_64"],
            ["3.13", "3.11"],
            None,
            ["linux-x86_64-glibc2.28@3.11", "linux-x86_64-glibc2.28@3.13"],
            id="sorted-by-python",
        ),
        pytest.param(
            ["windows-x86_64", "win-amd64", "x86_64-w64-mingw32@3.12"],
            ["3.12"],
            None,
            ["windows-x86_64@3.12"],
            id="deduplicated",
        ),
        pytest.param(
            ["linux-x86_64", "macos-arm64@3.11"],
            [],
            ">=3.11,<3.13",
            [
                "linux-x86_64-glibc2.28@3.11",
                "linux-x86_64-glibc2.28@3.12",
                "macos-arm64-13.0@3.11",
            ],
            id="pinned-and-default-versions",
        ),
        pytest.param(
            ["linux-x86_64"],
            [],
            ">=3.13.2",
            [
                "linux-x86_64-glibc2.28@3.13.2",
                "linux-x86_64-glibc2.28@3.14",
                "linux-x86_64-glibc2.28@3.15",
            ],
            id="default-versions-with-patch-floor",
        ),
        pytest.param(
            ["linux-x86_64"],
            ["3.10"],
            "<3.11",
            ["linux-x86_64-glibc2.28@3.10"],
            id="old-python-given-explicitly",
        ),
        pytest.param(
            ["linux-x86_64@3.11.5"], [], ">=3.11.5", ["linux-x86_64-glibc2.28@3.11.5"], id="pin"
        ),
    ],
)
def test_expand_targets(
    platforms: list[str], pythons: list[str], requires_python: str | None, expected: list[str]
) -> None:
    spec = None if requires_python is None else SpecifierSet(requires_python)
    assert names(expand_targets(platforms, pythons, spec)) == expected


def test_default_matrix() -> None:
    targets = expand_targets([], [], SpecifierSet(">=3.12"))
    assert len(targets) == 20
    assert {target.platform for target in targets} == set(DEFAULT_PLATFORMS)
    assert {target.python for target in targets} == {(3, 12), (3, 13), (3, 14), (3, 15)}
    assert names(targets)[:2] == ["linux-x86_64-glibc2.28@3.12", "linux-x86_64-glibc2.28@3.13"]
    assert list(targets) == sorted(targets, key=Target.sort_key)


def test_default_matrix_without_requires_python() -> None:
    targets = expand_targets([], [], None)
    assert len(targets) == len(DEFAULT_PLATFORMS) * len(SUPPORTED_PYTHONS)
    assert [platform.name for platform in DEFAULT_PLATFORMS] == [
        "linux-x86_64-glibc2.28",
        "linux-aarch64-glibc2.28",
        "macos-x86_64-13.0",
        "macos-arm64-13.0",
        "windows-x86_64",
    ]


def test_python_versions_apply_to_default_platforms() -> None:
    targets = expand_targets([], ["3.12"], None)
    assert [target.platform for target in targets] == list(DEFAULT_PLATFORMS)


@pytest.mark.parametrize(
    ("platforms", "pythons", "requires_python", "message", "hint"),
    [
        pytest.param(
            [], [], "<3.11", "admits none of the default Python versions 3.11–3.15",
            "--python-version", id="nothing-admitted",
        ),
        pytest.param(
            ["linux-x86_64@3.11"], [], ">=3.12", "`linux-x86_64-glibc2.28@3.11` is outside",
            "drop this target", id="pinned-outside",
        ),
        pytest.param(
            ["linux-x86_64"], ["3.11"], ">=3.11.5", "excludes some of them",
            "`linux-x86_64-glibc2.28@3.11.5`", id="needs-patch-floor",
        ),
        pytest.param(
            ["linux-x86_64@3.11.2"], [], ">=3.11.5", "3.11.2 stands for it",
            "@3.11.5", id="patch-floor-too-low",
        ),
        pytest.param(
            ["solaris-x86_64"], [], None, "unknown OS `solaris`", "linux", id="bad-platform",
        ),
        pytest.param(
            ["linux-x86_64"], ["three"], None, "`three` is not a Python version", "3.X",
            id="bad-python-version",
        ),
    ],
)  # fmt: skip
def test_expand_targets_errors(
    platforms: list[str], pythons: list[str], requires_python: str | None, message: str, hint: str
) -> None:
    spec = None if requires_python is None else SpecifierSet(requires_python)
    with pytest.raises(TargetError) as caught:
        expand_targets(platforms, pythons, spec)
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")
