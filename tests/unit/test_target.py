"""Targets: grammar, canonical names, wheel tags, marker environments, fits, Julia triplets.

The tables live in ``tests/vectors/targets.toml``; this module only says how to check them.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from omniwheel.errors import TargetError
from omniwheel.platform.target import (
    Arch,
    Libc,
    Os,
    PlatformSpec,
    Target,
    parse_platform,
    parse_python_version,
    parse_target,
    target_from_name,
)

VECTORS: dict[str, Any] = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "targets.toml").read_text(encoding="utf-8")
)
PEP_508_VARIABLES = {
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
}


def cases(section: str, key: str) -> list[Any]:
    """The vectors of one section, each as a pytest param named by its ``key`` field."""
    return [pytest.param(case, id=str(case[key]) or "empty") for case in VECTORS[section]]


def one_tag(text: str) -> Tag:
    (tag,) = parse_tag(text)
    return tag


# --- grammar --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("grammar", "text"))
def test_grammar_gives_the_canonical_name(case: dict[str, str]) -> None:
    spec, python = parse_target(case["text"])
    name = spec.name if python is None else spec.at(python).name
    assert name == case["name"]


@pytest.mark.parametrize("case", cases("grammar", "name"))
def test_canonical_names_read_back_unchanged(case: dict[str, str]) -> None:
    spec, python = parse_target(case["name"])
    assert (spec.name if python is None else spec.at(python).name) == case["name"]


@pytest.mark.parametrize("case", cases("bad", "text"))
def test_bad_targets_say_what_is_wrong(case: dict[str, Any]) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(case["text"])
    assert f"`{case['text']}`" in caught.value.message
    for fragment in case["says"]:
        assert fragment in caught.value.message
    assert caught.value.hint
    for fragment in case.get("hint", []):
        assert fragment in caught.value.hint


@pytest.mark.parametrize("case", cases("python", "text"))
def test_python_versions(case: dict[str, Any]) -> None:
    assert parse_python_version(case["text"]) == tuple(case["version"])


@pytest.mark.parametrize("case", cases("bad_python", "text"))
def test_bad_python_versions(case: dict[str, str]) -> None:
    with pytest.raises(TargetError, match=case["says"]) as caught:
        parse_python_version(case["text"])
    assert caught.value.hint


def test_parse_platform_refuses_a_python_version() -> None:
    assert parse_platform("linux-x86_64").name == "linux-x86_64-glibc2.28"
    with pytest.raises(TargetError, match=r"`@3\.12`") as caught:
        parse_platform("linux-x86_64@3.12")
    assert "--python-version" in (caught.value.hint or "")


def test_target_from_name_needs_a_python_version() -> None:
    assert target_from_name("macos-arm64@3.12").name == "macos-arm64-13.0@3.12"
    with pytest.raises(TargetError, match="no Python version") as caught:
        target_from_name("macos-arm64")
    assert "macos-arm64-13.0@3.12" in (caught.value.hint or "")


# --- the model ------------------------------------------------------------------------------


def test_defaults_are_filled_so_equal_platforms_are_equal() -> None:
    bare = Target(os=Os.LINUX, arch=Arch.X86_64, python=(3, 12))
    explicit = Target(
        os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_floor=(2, 28), python=(3, 12, 0)
    )
    assert bare == explicit
    assert hash(bare) == hash(explicit)
    assert bare.python == (3, 12)
    assert Target(os=Os.MACOS, arch=Arch.AARCH64, python=(3, 12)).macos_floor == (13, 0)
    assert PlatformSpec(os=Os.LINUX, arch=Arch.AARCH64, libc=Libc.MUSL).libc_floor == (1, 2)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"os": Os.MACOS, "libc": Libc.MUSL}, "macOS targets have no libc", id="musl"),
        pytest.param({"os": Os.WINDOWS, "macos_floor": (13, 0)}, "no macOS floor", id="win"),
        pytest.param({"os": Os.LINUX, "libc_floor": (2, 4)}, "glibc floor 2.4", id="glibc"),
        pytest.param({"os": Os.MACOS, "arch": Arch.I686}, "no i686 targets", id="mac-i686"),
        pytest.param({"os": Os.LINUX, "python": (2, 7)}, "Python 2.7", id="py27"),
        pytest.param({"os": Os.LINUX, "python": (3,)}, "not a Python version", id="py3"),
        pytest.param({"os": "beos"}, "unknown OS `beos`", id="os-string"),
    ],
)
def test_construction_validates(fields: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"arch": Arch.X86_64, "python": (3, 12), **fields}
    with pytest.raises(TargetError, match=message):
        Target(**arguments)


def test_python_versions_and_with_python() -> None:
    target = target_from_name("linux-x86_64@3.12")
    assert (target.python_version, target.python_full_version) == ("3.12", "3.12.0")
    pinned = target.with_python("3.11.5")
    assert (pinned.python_version, pinned.python_full_version) == ("3.11", "3.11.5")
    assert pinned.name == "linux-x86_64-glibc2.28@3.11.5"
    assert pinned.platform == target.platform
    assert target.with_python((3, 13)).platform_name == "linux-x86_64-glibc2.28"
    assert str(target) == target.name


def test_marker_key_cannot_tell_libcs_and_floors_apart() -> None:
    keys = {
        target_from_name(name).marker_key
        for name in ("linux-x86_64@3.12", "linux-x86_64-musl@3.12", "linux-x86_64-glibc2.17@3.12")
    }
    assert keys == {("linux", "x86_64", "3.12")}
    assert target_from_name("linux-x86_64@3.13").marker_key != ("linux", "x86_64", "3.12")


def test_sort_key_orders_os_arch_libc_floor_python() -> None:
    names = [
        "windows-x86_64@3.12",
        "macos-arm64@3.12",
        "linux-x86_64-musl@3.12",
        "linux-x86_64@3.13",
        "linux-x86_64@3.12.4",
        "linux-x86_64@3.12",
        "linux-x86_64-glibc2.17@3.12",
        "macos-x86_64-12.0@3.11",
        "linux-aarch64@3.11",
    ]
    ordered = sorted((target_from_name(name) for name in names), key=Target.sort_key)
    assert [target.name for target in ordered] == [
        "linux-x86_64-glibc2.17@3.12",
        "linux-x86_64-glibc2.28@3.12",
        "linux-x86_64-glibc2.28@3.12.4",
        "linux-x86_64-glibc2.28@3.13",
        "linux-x86_64-musl1.2@3.12",
        "linux-aarch64-glibc2.28@3.11",
        "macos-x86_64-12.0@3.11",
        "macos-arm64-13.0@3.12",
        "windows-x86_64@3.12",
    ]


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("tags", "target"))
def test_tags(case: dict[str, Any]) -> None:
    tags = target_from_name(case["target"]).tags
    assert tags[0] == one_tag(case["first"])
    assert len(set(tags)) == len(tags)
    for text in case.get("present", []):
        assert one_tag(text) in tags, text
    for text in case.get("absent", []):
        assert one_tag(text) not in tags, text
    for better, worse in case.get("order", []):
        assert tags.index(one_tag(better)) < tags.index(one_tag(worse)), (better, worse)


def test_tag_ranks_follow_the_tag_order() -> None:
    target = target_from_name("windows-x86_64@3.12")
    ranks = target.tag_ranks
    assert [ranks[tag] for tag in target.tags] == list(range(len(target.tags)))
    assert target.tags is target_from_name("windows-x86_64@3.12").tags  # computed once


@pytest.mark.parametrize("case", cases("wheel_fits", "wheel"))
def test_wheel_compatibility_pep600(case: dict[str, Any]) -> None:
    _, _, _, wheel_tags = parse_wheel_filename(case["wheel"])
    target = target_from_name(case["target"])
    assert bool(wheel_tags & set(target.tags)) is case["fits"]


# --- marker environment ---------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("markers", "target"))
def test_marker_environment(case: dict[str, Any]) -> None:
    environment = target_from_name(case["target"]).marker_environment()
    assert set(environment) == PEP_508_VARIABLES
    for expression in case.get("true", []):
        assert Marker(expression).evaluate(environment), expression
    for expression in case.get("false", []):
        assert not Marker(expression).evaluate(environment), expression


def test_foreign_release_and_version_are_unknown() -> None:
    environment = target_from_name("windows-arm64@3.12").marker_environment()
    assert environment["platform_release"] == ""
    assert environment["platform_version"] == ""


# --- requires-python ------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("requires_python", "spec"))
def test_fits_requires_python(case: dict[str, Any]) -> None:
    target = target_from_name(f"linux-x86_64@{case['python']}")
    assert target.fits_requires_python(SpecifierSet(case["spec"])) is case["fits"]


def test_requires_python_answers_follow_each_specifier_object() -> None:
    """Texts are kept per specifier object: specifiers made and dropped one after another
    often get the same id, and each must still be judged by its own text."""
    target = target_from_name("linux-x86_64@3.11")
    for round_ in range(50):
        fits = round_ % 2 == 0
        assert target.fits_requires_python(SpecifierSet(">=3.10" if fits else ">=3.12")) is fits


@pytest.mark.parametrize(
    ("pinned", "spec", "fits"),
    [
        ("3.12.7", ">=3.12.4", True),  # target 3.12 alone does not fit: 3.12.0 is excluded
        ("3.12.7", "<3.12.8", True),
        ("3.12.7", "!=3.12.7", False),
        ("3.12.2", ">=3.12.4", False),
        ("3.14.0rc2", ">=3.14", False),  # what the pre-release interpreter itself would say
        ("3.14.0rc2", ">=3.14.0rc1", True),
    ],
)
def test_a_target_at_a_pinned_release_fits_that_release_alone(
    pinned: str, spec: str, fits: bool
) -> None:
    python = ".".join(pinned.split(".")[:2])
    target = target_from_name(f"linux-x86_64@{python}")
    at = target.at_release(Version(pinned))
    assert at.fits_requires_python(SpecifierSet(spec)) is fits
    assert at.python_full_version == pinned
    assert at.marker_environment()["python_full_version"] == pinned
    assert at.releases == (Version(pinned),)
    assert at.name == target.name  # messages name the user's target
    assert at != target
    assert at.unpinned == target


def test_a_pinned_release_must_be_one_the_target_stands_for() -> None:
    expected = re.escape("cannot be pinned for linux-x86_64-glibc2.28@3.12.5")
    with pytest.raises(TargetError, match=expected):
        target_from_name("linux-x86_64@3.12.5").at_release(Version("3.12.3"))
    with pytest.raises(TargetError, match="cannot be pinned"):
        target_from_name("linux-x86_64@3.12").at_release(Version("3.13.1"))
    assert target_from_name("linux-x86_64@3.12.5").at_release(Version("3.12.5"))


# --- Julia triplets -------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases("julia", "triplet"))
def test_julia_triplets_both_ways(case: dict[str, str]) -> None:
    platform = parse_platform(case["platform"])
    assert platform.julia_triplet == case["triplet"]
    assert platform.at("3.12").julia_triplet == case["triplet"]
    assert parse_platform(case["triplet"]) == platform


# --- purity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["target.py", "matrix.py"])
def test_never_reads_the_host(module: str) -> None:
    """Only explicit-argument tag functions; no sys/platform/os/sysconfig imports."""
    source = Path(__file__).parents[2] / "src" / "omniwheel" / "platform" / module
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not imported & {"sys", "os", "platform", "sysconfig", "packaging.tags.sys_tags"}
    tag_functions = {name for name in imported if name.startswith("packaging.tags.")}
    assert tag_functions <= {
        "packaging.tags.Tag",
        "packaging.tags.compatible_tags",
        "packaging.tags.cpython_tags",
        "packaging.tags.mac_platforms",
    }
