"""Dependency markers are evaluated for every target of a group and every patch release."""

from __future__ import annotations

from typing import cast

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib.structs import RequirementInformation

from omniwheel.index.models import CoreMetadata
from omniwheel.index.session import IndexSession
from omniwheel.platform.target import target_from_name
from omniwheel.resolve.candidates import FilePolicy
from omniwheel.resolve.provider import PYTHON, Candidate, GroupProvider, Req, as_req


def _provider(*names: str) -> GroupProvider:
    # The index is never consulted by marker evaluation; a provider without one is enough here.
    return GroupProvider(
        targets=[target_from_name(name) for name in names],
        index=cast(IndexSession, None),
        policy=FilePolicy(exclude_newer=None, allow_prereleases=False),
        preferred={},
        caps={},
    )


@pytest.mark.parametrize(
    ("marker", "targets", "expected"),
    [
        ('python_full_version >= "3.12.4"', ["linux-x86_64@3.12"], True),
        ('python_full_version >= "3.12.4"', ["linux-x86_64@3.11"], False),
        ('python_full_version < "3.12.2"', ["linux-x86_64@3.12.5"], False),
        ('sys_platform == "win32"', ["linux-x86_64@3.12", "windows-x86_64@3.12"], True),
        ('sys_platform == "win32"', ["linux-x86_64@3.12", "linux-x86_64-musl@3.12"], False),
        ('extra == "cli"', ["linux-x86_64@3.12"], False),
    ],
)
def test_marker_applies(marker: str, targets: list[str], expected: bool) -> None:
    assert _provider(*targets).applies(Marker(marker), [""]) is expected


def test_extra_markers_follow_the_requested_extra() -> None:
    provider = _provider("linux-x86_64@3.12")
    assert provider.applies(Marker('extra == "cli"'), ["cli"])
    assert not provider.applies(Marker('extra == "cli"'), ["web"])


def test_dependencies_follow_the_extras_and_each_list_is_the_callers() -> None:
    """Answers are kept per metadata and extras: a caller extending the list it got must not
    change what the next caller gets, and another extra gets its own answer."""
    metadata = CoreMetadata(
        name=NormalizedName("demo"),
        version=Version("1.0"),
        requires_dist=(Requirement("a"), Requirement('b; extra == "cli"')),
        requires_python=None,
        provides_extra=frozenset({NormalizedName("cli")}),
    )
    provider = _provider("linux-x86_64@3.12")
    plain = provider.dependencies_of(metadata, [""])
    assert [dep.name for dep in plain] == ["a"]
    plain.append(plain[0])
    assert [dep.name for dep in provider.dependencies_of(metadata, [""])] == ["a"]
    assert [dep.name for dep in provider.dependencies_of(metadata, ["cli"])] == ["a", "b"]


def test_metadata_made_and_dropped_in_turn_gets_its_own_dependencies() -> None:
    """Requirements are viewed once per metadata object for every group; metadata made and
    dropped one after another often gets the same id, and each must still be read itself."""
    version = Version("1.0")
    requirements = [(Requirement(f"dep{round_}"),) for round_ in range(50)]
    for requires_dist in requirements:
        provider = _provider("linux-x86_64@3.12")
        metadata = CoreMetadata(
            name=NormalizedName("demo"),
            version=version,
            requires_dist=requires_dist,
            requires_python=None,
            provides_extra=frozenset(),
        )
        found = [dep.name for dep in provider.dependencies_of(metadata, [""])]
        assert found == [requires_dist[0].name]
        del provider, metadata


@pytest.mark.parametrize(
    ("marker", "extras", "targets", "expected"),
    [
        ('python_full_version >= "3.12.4"', [""], ["linux-x86_64@3.12"], True),
        ('python_full_version >= "3.12.4"', [""], ["linux-x86_64@3.12.5"], False),
        ('python_full_version >= "3.12.4"', [""], ["linux-x86_64@3.11"], False),
        ('python_version >= "3.12"', [""], ["linux-x86_64@3.12"], False),
        ('extra == "x" and python_full_version >= "3.12.4"', [""], ["linux-x86_64@3.12"], False),
        ('extra == "x" and python_full_version >= "3.12.4"', ["x"], ["linux-x86_64@3.12"], True),
    ],
)
def test_patch_dependent(
    marker: str, extras: list[str], targets: list[str], expected: bool
) -> None:
    provider = _provider(*targets)
    for _ in range(2):  # asked again (another object of the text), the same answer
        assert provider.patch_dependent(Marker(marker), extras) is expected


def test_patch_dependent_answers_follow_the_extras() -> None:
    provider = _provider("linux-x86_64@3.12")
    marker = 'extra == "x" and python_full_version >= "3.12.4"'
    assert not provider.patch_dependent(Marker(marker), [""])
    assert provider.patch_dependent(Marker(marker), ["x"])
    assert not provider.patch_dependent(Marker(marker), ["y"])


def _info(text: str) -> RequirementInformation[Req, Candidate]:
    return RequirementInformation(requirement=as_req(Requirement(text)), parent=None)


def test_preference_puts_python_then_conflicts_then_pins_then_names_first() -> None:
    provider = _provider("linux-x86_64@3.12")
    information: dict[str, list[RequirementInformation[Req, Candidate]]] = {
        "<python>": [RequirementInformation(requirement=_python_req(), parent=None)],
        "alpha": [_info("alpha>=1")],
        "beta": [_info("beta>=1"), _info("beta==2.0")],
        "gamma": [_info("gamma===1.0")],
        "delta": [_info("delta")],
    }
    causes = [_info("delta<1")]

    def ranked(backtrack_causes: list[RequirementInformation[Req, Candidate]]) -> list[str]:
        def key(name: str) -> tuple[bool, bool, bool, str]:
            return provider.get_preference(
                name,
                {},
                {},
                {k: iter(v) for k, v in information.items()},
                backtrack_causes,
            )

        return sorted(information, key=key)

    assert ranked([]) == ["<python>", "beta", "gamma", "alpha", "delta"]
    assert ranked(causes) == ["<python>", "delta", "beta", "gamma", "alpha"]


def test_preference_follows_each_requirement_object() -> None:
    """Requirements made and dropped in turn often get the same id: each is judged itself."""
    provider = _provider("linux-x86_64@3.12")
    texts = [f"demo{'==1.0' if round_ % 2 else '>=1.0'}" for round_ in range(40)]
    for text in texts:
        information = {"demo": iter([_info(text)])}
        pinned = "==" in text
        assert provider.get_preference("demo", {}, {}, information, [])[2] is not pinned


def _python_req() -> Req:
    return Req(name=NormalizedName(PYTHON), specifier=SpecifierSet(">=3"), text=">=3")
