"""Markers written into the lock select exactly the targets that need a package.

Checked by evaluating the generated marker with packaging on every target of a matrix, for many
subsets, rather than by comparing strings: the strings may change, the selection may not.
"""

from __future__ import annotations

import itertools

import pytest
from packaging.markers import Marker

from omniwheel.lock.markers import environment_marker, selecting_marker
from omniwheel.platform.matrix import expand_targets
from omniwheel.platform.target import Target

MATRIX = expand_targets(
    ["linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64"],
    ["3.10", "3.12", "3.13"],
    None,
)


def _holds(marker: str | None, target: Target) -> bool:
    return marker is None or Marker(marker).evaluate(target.marker_environment())


def _subsets() -> list[tuple[Target, ...]]:
    platforms = sorted({t.platform_name for t in MATRIX})
    pythons = sorted({t.python_version for t in MATRIX})
    subsets: list[tuple[Target, ...]] = []
    for size in (1, 2, 3):
        for chosen in itertools.combinations(platforms, size):
            for py in itertools.combinations(pythons, 1 + size % 2):
                subsets.append(
                    tuple(t for t in MATRIX if t.platform_name in chosen and t.python_version in py)
                )
    subsets.append(tuple(t for t in MATRIX if t.os.value == "windows"))
    subsets.append(tuple(t for t in MATRIX if t.python_version == "3.10"))
    subsets.append((MATRIX[0], MATRIX[-1]))
    return subsets


@pytest.mark.parametrize("needed", _subsets(), ids=lambda ts: ",".join(t.name for t in ts))
def test_marker_selects_exactly_the_needed_targets(needed: tuple[Target, ...]) -> None:
    marker = selecting_marker({t.marker_key for t in needed}, {t.marker_key for t in MATRIX})
    for target in MATRIX:
        assert _holds(marker, target) == (target in needed), (marker, target.name)


def test_everything_needs_no_marker() -> None:
    keys = {t.marker_key for t in MATRIX}
    assert selecting_marker(keys, keys) is None


def test_windows_only_is_short() -> None:
    needed = {t.marker_key for t in MATRIX if t.os.value == "windows"}
    assert selecting_marker(needed, {t.marker_key for t in MATRIX}) == 'sys_platform == "win32"'


def test_environment_marker_matches_only_its_target() -> None:
    for target in MATRIX:
        marker = Marker(environment_marker(target))
        assert [t for t in MATRIX if marker.evaluate(t.marker_environment())] == [target]
