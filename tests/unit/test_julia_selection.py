"""Julia's platform selection encoded in Python, and what it does with omniwheel's entries.

The vectors (``tests/vectors/julia_platforms.toml``) pin the encoding of Julia's ``Platform``,
``triplet``, ``platforms_match`` and ``select_platform``.  The lock tests then show, for every
target of a lock shaped like a real one, that a host augmented with the ``python`` tag selects
exactly the tree the lock gives that target for each package it needs, and nothing for the
others — reading the written Artifacts.toml back as Julia would — and what a plain host does.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from omniwheel.julia.artifacts_toml import (
    ARTIFACTS_FILENAMES,
    ArtifactsDoc,
    artifact_name,
    parse_artifacts,
    render_artifacts,
    select_entries,
    select_entry,
)
from omniwheel.julia.selection import (
    PLATFORM_AUGMENTATION_JL,
    PYTHON_TAG,
    UNKNOWN_PYTHON,
    JuliaPlatform,
    PlatformTagError,
    Strategy,
    augmented_host,
    entry_platform,
    julia_platform,
    julia_python_request,
    match_loss,
    plain_host,
    platforms_match,
    select_artifacts_jl,
    select_platform,
)
from omniwheel.lock.model import Lock
from omniwheel.platform.target import Target, target_from_name
from tests.unit.test_artifacts_toml import TARGETS, demo_doc, demo_lock, tree_of

VECTORS: dict[str, Any] = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "julia_platforms.toml").read_text(encoding="utf-8")
)


def _params(section: str) -> list[Any]:
    return [pytest.param(vector, id=vector["key"]) for vector in VECTORS[section]]


def _platform(tags: Mapping[str, str]) -> JuliaPlatform:
    rest = dict(tags)
    return JuliaPlatform.of(rest.pop("arch"), rest.pop("os"), rest)


# --- the encoding of Base.BinaryPlatforms -----------------------------------------------------


@pytest.mark.parametrize("vector", _params("normalise"))
def test_platform_construction(vector: Mapping[str, Any]) -> None:
    assert _platform(vector["given"]).as_dict() == vector["tags"]


@pytest.mark.parametrize("vector", _params("refuse"))
def test_tags_julia_refuses(vector: Mapping[str, Any]) -> None:
    with pytest.raises(PlatformTagError, match=re.escape(vector["problem"])):
        _platform(vector["given"])


def _raises(vector: Mapping[str, Any]) -> contextlib.AbstractContextManager[object]:
    """Where the vector says Julia throws, expect a PlatformTagError naming the problem."""
    if "error" in vector:
        return pytest.raises(PlatformTagError, match=re.escape(vector["error"]))
    return contextlib.nullcontext()


@pytest.mark.parametrize("vector", _params("triplet"))
def test_triplet(vector: Mapping[str, Any]) -> None:
    platform = _platform(vector["platform"])
    with _raises(vector):
        assert platform.triplet() == vector["triplet"]


@pytest.mark.parametrize("vector", _params("match"))
def test_platforms_match(vector: Mapping[str, Any]) -> None:
    entry, host = _platform(vector["entry"]), _platform(vector["host"])
    if vector.get("host_platform", False):
        host = host.host()
    for a, b in ((entry, host), (host, entry)):
        with _raises(vector):
            assert platforms_match(a, b) is vector["matches"]


@pytest.mark.parametrize("vector", _params("select"))
def test_select_platform(vector: Mapping[str, Any]) -> None:
    candidates = {_platform(tags): index for index, tags in enumerate(vector["entries"])}
    with _raises(vector):
        assert select_platform(candidates, _platform(vector["host"])) == vector.get("selected")


def test_match_loss_counts_keys_on_one_side_only() -> None:
    entry = _platform({"arch": "x86_64", "os": "linux", "python": "3.12"})
    host = _platform({"arch": "x86_64", "os": "linux", "julia_version": "1.10.4"})
    assert match_loss(entry, host) == 2


def test_two_different_strategies_for_one_key_cannot_be_compared() -> None:
    a = JuliaPlatform(tags=(("arch", "x86_64"), ("os", "linux"), ("v", "1.0.0")))
    b = JuliaPlatform(tags=a.tags, strategies=(("v", Strategy.VERSION_CAP),))
    c = JuliaPlatform(tags=a.tags, strategies=(("v", Strategy.JULIA_VERSION),))
    assert platforms_match(a, b)
    with pytest.raises(PlatformTagError, match="two different strategies for `v`"):
        platforms_match(b, c)


def test_arch_and_os_cannot_be_tags() -> None:
    with pytest.raises(PlatformTagError, match="given twice"):
        JuliaPlatform.of("x86_64", "linux", {"OS": "linux"})


def test_julia_version_gets_its_strategy() -> None:
    platform = _platform({"arch": "x86_64", "os": "linux", "julia_version": "1.10.0"})
    assert platform.strategy("julia_version") is Strategy.JULIA_VERSION
    assert platform.strategy("os") is Strategy.DEFAULT


# --- omniwheel's tags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "tags", "triplet"),
    [
        (
            "linux-x86_64@3.12",
            {"os": "linux", "arch": "x86_64", "libc": "glibc", "python": "3.12"},
            "x86_64-linux-gnu-python+3.12",
        ),
        (
            "linux-aarch64-musl@3.10",
            {"os": "linux", "arch": "aarch64", "libc": "musl", "python": "3.10"},
            "aarch64-linux-musl-python+3.10",
        ),
        (
            "macos-arm64@3.13",
            {"os": "macos", "arch": "aarch64", "python": "3.13"},
            "aarch64-apple-darwin-python+3.13",
        ),
        (
            "windows-x86@3.11.5",
            {"os": "windows", "arch": "i686", "python": "3.11"},
            "i686-w64-mingw32-python+3.11",
        ),
    ],
)
def test_julia_platform_of_a_target(target: str, tags: dict[str, str], triplet: str) -> None:
    parsed = target_from_name(target)
    assert julia_platform(parsed) == tags
    assert entry_platform(parsed).triplet() == triplet
    assert platforms_match(entry_platform(parsed), augmented_host(parsed))


def test_hosts() -> None:
    target = target_from_name("linux-x86_64@3.12")
    plain = plain_host(target)
    assert plain.get(PYTHON_TAG) is None
    assert plain.strategy("libstdcxx_version") is Strategy.VERSION_CAP
    assert plain.triplet().startswith("x86_64-linux-gnu-libgfortran5-cxx11-libstdcxx30-")
    assert augmented_host(target).get(PYTHON_TAG) == "3.12"
    assert plain_host(target_from_name("macos-arm64@3.12")).get("cxxstring_abi") is None


# --- a whole lock -----------------------------------------------------------------------------


def _wanted(lock: Lock, target: Target) -> dict[str, str]:
    """What the lock gives ``target``: artifact name → tree hash."""
    return {
        artifact_name(package.name): tree_of(wheel.file.filename)
        for package in lock.packages
        for wheel in package.wheels
        if target in wheel.targets
    }


def _as_julia_reads_it(doc: ArtifactsDoc) -> ArtifactsDoc:
    return parse_artifacts(render_artifacts(doc))


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_augmented_host_selects_exactly_what_the_target_needs(target: Target) -> None:
    lock = demo_lock()
    doc = _as_julia_reads_it(demo_doc())
    selected = select_entries(doc, augmented_host(target))
    assert {name: entry.git_tree_sha1 for name, entry in selected.items()} == _wanted(lock, target)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_each_needed_package_has_exactly_one_matching_entry(target: Target) -> None:
    host = augmented_host(target)
    for name, artifact in _as_julia_reads_it(demo_doc()).artifacts.items():
        if artifact.platform_free:
            continue
        platforms = [entry.julia_platform() for entry in artifact.entries]
        matching = [p for p in platforms if p is not None and platforms_match(p, host)]
        needed = name in _wanted(demo_lock(), target)
        assert len(matching) == (1 if needed else 0), name


def test_selection_holds_for_other_julia_versions() -> None:
    doc = demo_doc()
    for target in TARGETS:
        host = augmented_host(target, julia_version="1.6.7")
        selected = {name: entry.git_tree_sha1 for name, entry in select_entries(doc, host).items()}
        assert selected == _wanted(demo_lock(), target)


def test_plain_host_takes_the_python_that_sorts_last() -> None:
    """Without the `python` tag it is a wildcard: the greatest triplet wins, here 3.12."""
    lock, doc = demo_lock(), demo_doc()
    on_310 = target_from_name("linux-x86_64@3.10")
    on_312 = target_from_name("linux-x86_64@3.12")
    selected = select_entries(doc, plain_host(on_310))
    assert selected["omniwheel_numpy"].git_tree_sha1 == _wanted(lock, on_312)["omniwheel_numpy"]
    assert selected["omniwheel_numpy"].git_tree_sha1 != _wanted(lock, on_310)["omniwheel_numpy"]


def test_plain_host_gets_packages_other_pythons_need() -> None:
    on_312 = target_from_name("macos-arm64@3.12")
    assert "omniwheel_tomli" not in _wanted(demo_lock(), on_312)
    assert "omniwheel_tomli" in select_entries(demo_doc(), plain_host(on_312))
    assert "omniwheel_tomli" not in select_entries(demo_doc(), augmented_host(on_312))


def test_plain_host_is_right_with_one_python_per_platform() -> None:
    lock = demo_lock()
    only_312 = [t for t in TARGETS if t.python_version == "3.12"]
    for target in only_312:
        selected = select_entries(demo_doc(), plain_host(target))
        numpy = selected["omniwheel_numpy"].git_tree_sha1
        assert numpy == _wanted(lock, target)["omniwheel_numpy"]


def test_unknown_python_selects_only_platform_free_entries() -> None:
    host = plain_host(target_from_name("linux-x86_64@3.12")).with_tag(PYTHON_TAG, UNKNOWN_PYTHON)
    assert sorted(select_entries(demo_doc(), host)) == ["omniwheel_six"]


def test_host_outside_the_lock_gets_only_platform_free_entries() -> None:
    host = augmented_host(target_from_name("linux-x86_64@3.11"))
    assert sorted(select_entries(demo_doc(), host)) == ["omniwheel_six"]
    assert select_entry(demo_doc().artifacts["omniwheel_numpy"], host) is None


def test_identical_platforms_in_a_file_let_the_later_one_win() -> None:
    """What Julia does with a file omniwheel's reader would refuse: the Dict keeps the last."""
    artifact = demo_doc().artifacts["omniwheel_numpy"]
    first = artifact.entries[0]
    twice = replace(artifact, entries=(first, replace(first, git_tree_sha1="b" * 40)))
    chosen = select_entry(twice, augmented_host(TARGETS[0]))
    assert chosen is not None
    assert chosen.git_tree_sha1 == "b" * 40


# --- the Julia files (facts they rely on, checked on the Python side) ---------------------------


def test_augmentation_sets_the_tag_omniwheel_writes() -> None:
    assert f'haskey(platform, "{PYTHON_TAG}")' in PLATFORM_AUGMENTATION_JL
    assert f'platform["{PYTHON_TAG}"] = omniwheel_python_version()' in PLATFORM_AUGMENTATION_JL
    assert f'return "{UNKNOWN_PYTHON}"' in PLATFORM_AUGMENTATION_JL
    for variable in ("OMNIWHEEL_PYTHON_VERSION", "JULIA_PYTHONCALL_EXE", "PYTHON"):
        assert f'get(ENV, "{variable}", "")' in PLATFORM_AUGMENTATION_JL


def test_every_python_tag_written_has_the_form_the_augmentation_produces() -> None:
    """The augmentation accepts `^\\d+\\.\\d+$` from the interpreter; entries must match it."""
    pattern = re.search(r'occursin\(r"(.+?)", out\)', PLATFORM_AUGMENTATION_JL)
    assert pattern is not None
    produced = re.compile(pattern.group(1))
    tags = {
        entry.platform[PYTHON_TAG]
        for artifact in demo_doc().artifacts.values()
        for entry in artifact.entries
        if entry.platform is not None
    }
    assert tags == {"3.10", "3.12"}
    assert all(produced.fullmatch(tag) for tag in tags)


def test_augmentation_asks_the_interpreter_for_major_minor() -> None:
    command = re.search(r'`\$exe -c "(.+?)"`', PLATFORM_AUGMENTATION_JL)
    assert command is not None
    code = command.group(1)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(code, {})  # the exact Python the Julia side runs
    assert out.getvalue().strip() == f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.parametrize("filename", ARTIFACTS_FILENAMES)
def test_select_artifacts_reads_the_file_beside_the_pkg_dir(filename: str) -> None:
    script = select_artifacts_jl(filename)
    assert f'joinpath(dirname(@__DIR__), "{filename}")' in script
    assert 'include("./platform_augmentation.jl")' in script
    assert "augment_platform!(HostPlatform(parse(Platform, target_triplet)))" in script
    assert "include_lazy" not in script


def test_select_artifacts_escapes_the_file_name() -> None:
    assert r'"we\"ird\$.toml"' in select_artifacts_jl('we"ird$.toml')


_PATH_PYTHONS = {"python3": "/usr/bin/python3", "python": "/usr/bin/python"}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"OMNIWHEEL_PYTHON_VERSION": "3.12", "PYTHON": "/opt/py"}, "3.12"),
        ({"JULIA_PYTHONCALL_EXE": "/env/bin/python", "PYTHON": "/opt/py"}, "/env/bin/python"),
        ({"JULIA_PYTHONCALL_EXE": "@PyCall", "PYTHON": "/opt/py"}, "/opt/py"),
        ({"JULIA_PYTHONCALL_EXE": "", "PYTHON": ""}, "/usr/bin/python3"),
    ],
)
def test_the_python_for_trees_is_the_one_the_augmentation_asks(
    environ: dict[str, str], expected: str
) -> None:
    assert julia_python_request(environ, _PATH_PYTHONS.get) == expected


def test_no_python_anywhere_leaves_the_choice_to_the_caller() -> None:
    assert julia_python_request({}, lambda name: None) is None


def test_the_augmentation_looks_in_the_order_the_request_follows() -> None:
    names = ("OMNIWHEEL_PYTHON_VERSION", "JULIA_PYTHONCALL_EXE", "PYTHON", "python3", "python")
    order = [f'"{name}"' for name in names]
    body = PLATFORM_AUGMENTATION_JL.split("function omniwheel_python_version", 1)[1]
    positions = [body.index(name) for name in order]
    assert positions == sorted(positions)
