"""Failures put into words (resolve/explain.py): who required what, back to the project."""

from __future__ import annotations

import pytest

from omniwheel.errors import ResolutionError
from omniwheel.resolve.explain import ConflictError, NoCompatibleWheelError
from omniwheel.resolve.matrix import resolve_matrix
from tests.support.memory_index import LINUX, MemoryIndex, Release, resolve_request

LINUX_312 = "linux-x86_64@3.12"


@pytest.mark.parametrize(
    ("index", "requirements", "error", "message"),
    [
        pytest.param(
            MemoryIndex(
                {
                    "app": [Release("1.0", requires_dist=("mid",))],
                    "mid": [Release("1.0", requires_dist=("leaf>=2",))],
                    "leaf": [Release("2.0"), Release("1.0")],
                }
            ),
            ["app", "leaf<2"],
            ConflictError,
            "no version of `leaf` satisfies <2 and >=2 (linux-x86_64-glibc2.28@3.12); "
            "`leaf` has 2 versions (2.0, 1.0):\n"
            "  - your project requires leaf<2\n"
            "  - mid 1.0 (required by app 1.0 ← your project) requires leaf>=2",
            id="chain-back-to-the-project",
        ),
        pytest.param(
            MemoryIndex(
                {
                    "app": [
                        Release("1.0", requires_dist=('mid; extra == "x"',), provides_extra=("x",))
                    ],
                    "mid": [Release("1.0", requires_dist=("leaf>=2",))],
                    "leaf": [Release("2.0"), Release("1.0")],
                }
            ),
            ["app[x]", "leaf<2"],
            ConflictError,
            "no version of `leaf` satisfies <2 and >=2 (linux-x86_64-glibc2.28@3.12); "
            "`leaf` has 2 versions (2.0, 1.0):\n"
            "  - your project requires leaf<2\n"
            "  - mid 1.0 (required by app[x] 1.0 ← your project) requires leaf>=2",
            id="asker-with-extras",
        ),
        pytest.param(
            MemoryIndex(
                {
                    "a": [Release("1.0", requires_dist=("b",))],
                    "b": [Release("1.0", requires_dist=("a<1",))],
                }
            ),
            ["a"],
            ConflictError,
            "no version of `a` satisfies any version and <1 (linux-x86_64-glibc2.28@3.12); "
            "`a` has 1 version (1.0):\n"
            "  - your project requires a\n"
            "  - b 1.0 (required by a 1.0 ← b 1.0) requires a<1",
            id="cycle-stops-at-a-repeated-asker",
        ),
        pytest.param(
            MemoryIndex(
                {
                    "app": [Release("1.0", requires_dist=("native",))],
                    "native": [Release("1.0", wheels=(LINUX,))],
                }
            ),
            ["app"],
            NoCompatibleWheelError,
            "no version of `native` has a wheel for windows-x86_64@3.12:\n"
            "  - app 1.0 (required by your project) requires native\n"
            "  versions tried: 1.0\n"
            "  wheel tags of native 1.0: py3-none-manylinux_2_17_x86_64",
            id="missing-wheel",
        ),
    ],
)
def test_failure_messages(
    index: MemoryIndex, requirements: list[str], error: type[ResolutionError], message: str
) -> None:
    targets = ["windows-x86_64@3.12"] if error is NoCompatibleWheelError else [LINUX_312]
    with pytest.raises(ResolutionError) as caught:
        resolve_matrix(resolve_request(requirements, targets), index)
    assert type(caught.value) is error
    assert caught.value.message == message
