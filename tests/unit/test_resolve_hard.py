"""Impossible problems end in an explanation at once; the round limit is a last resort.

Every release here declares Requires-Python (as real packages do): that once made resolvelib
re-pin the ``<python>`` pseudo-project forever on any conflict, so these failures ran into the
round limit instead of naming the conflict.
"""

from __future__ import annotations

from functools import partial

import pytest

from omniwheel.errors import ResolutionError
from omniwheel.resolve import matrix
from omniwheel.resolve.explain import ConflictError
from omniwheel.resolve.matrix import resolve_matrix
from tests.support.memory_index import MemoryIndex, Release, resolve_request

R = partial(Release, requires_python=">=3.8")
TARGETS = ["linux-x86_64@3.12", "linux-x86_64-musl@3.12"]


def _many(requires: str, count: int = 6) -> list[Release]:
    return [R(f"{i}.0", requires_dist=(requires,)) for i in range(1, count + 1)]


@pytest.mark.parametrize(
    ("projects", "requirements", "lines"),
    [
        pytest.param(
            {"a": [R("1.0"), R("2.0")], "b": _many("a==2.0"), "c": _many("b")},
            ["a==1.0", "c"],
            [
                "no version of `a` satisfies ==1.0 and ==2.0",
                "  - your project requires a==1.0",
                "  - b 6.0, 5.0, 4.0, 3.0 and 2 more (required by c 6.0 ← your project) "
                "requires a==2.0",
            ],
            id="root-pin-vs-transitive-pin",
        ),
        pytest.param(
            {"a": [R("1.0"), R("1.5"), R("2.0"), R("3.0")], "b": _many("a>=3")},
            ["a<2", "b"],
            ["no version of `a` satisfies <2 and >=3", "  - your project requires a<2"],
            id="dependency-excludes-range",
        ),
        pytest.param(
            {"a": [R("1.0"), R("2.0"), R("3.0"), R("4.0")], "b": _many("a>=2,<4")},
            ["a!=2.0,!=3.0", "b"],
            ["no version of `a` satisfies !=2.0,!=3.0 and <4,>=2"],
            id="dependency-excludes-ranges",
        ),
        pytest.param(
            {
                "a": [R("1.0"), R("2.0")],
                "x": _many("a==1.0", 3),
                "y": _many("a==2.0", 3),
                "z": [R(f"{i}.0", requires_dist=("x", "y")) for i in range(1, 4)],
            },
            ["z"],
            ["no version of `a` satisfies ==1.0 and ==2.0"],
            id="transitive-vs-transitive",
        ),
        pytest.param(
            {
                "a": [R("1.0"), R("2.0")],
                "p": [
                    R(f"{i}.0", requires_dist=('a>=2; extra == "x"',), provides_extra=("x",))
                    for i in range(1, 5)
                ],
            },
            ["p[x]", "a<2"],
            ['  - p[x] 4.0, 3.0, 2.0, 1.0 (required by your project) requires a>=2; extra == "x"'],
            id="extra-vs-root",
        ),
        pytest.param(
            {"a": [R("1.0.0+local"), R("0.9")], "b": _many("a>1.0.0")},
            ["a==1.0.0", "b"],
            ["no version of `a` satisfies ==1.0.0 and >1.0.0", "`a` has 2 versions (1.0.0+local"],
            id="local-version",
        ),
        pytest.param(
            {
                "a": [
                    Release(v, requires_python="<3.12", page_requires_python=False)
                    for v in ("1.0", "2.0")
                ],
                "b": _many("a"),
            },
            ["b"],
            [
                "Requires-Python (in the wheels' metadata) excludes Python 3.12",
                "  - a 2.0, 1.0 (required by b 6.0 ← your project) has Requires-Python <3.12",
            ],
            id="requires-python-in-metadata-only",
        ),
    ],
)
def test_impossible_problems_are_explained(
    projects: dict[str, list[Release]], requirements: list[str], lines: list[str]
) -> None:
    with pytest.raises(ConflictError) as caught:
        resolve_matrix(resolve_request(requirements, TARGETS), MemoryIndex(projects))
    for line in lines:
        assert line in caught.value.message


def test_the_round_limit_says_it_is_no_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search cut short says so, and where it spent its time; it claims no conflict."""
    projects = {
        "a": [R("1.0"), R("2.0")],
        "x": _many("a==1.0", 4),
        "y": _many("a==2.0", 4),
        "z": [R(f"{i}.0", requires_dist=("x", "y")) for i in range(1, 5)],
    }
    monkeypatch.setattr(matrix, "MAX_ROUNDS", 8)
    with pytest.raises(ResolutionError) as caught:
        resolve_matrix(resolve_request(["z"], TARGETS), MemoryIndex(projects))
    message = caught.value.message
    assert not isinstance(caught.value, ConflictError)
    assert message.startswith(
        "gave up resolving for linux-x86_64-glibc2.28@3.12, linux-x86_64-musl1.2@3.12 after 8 "
        "rounds of backtracking; this is not a proof that no solution exists (versions rejected "
        "most often: `"
    )
    assert "times" in message
