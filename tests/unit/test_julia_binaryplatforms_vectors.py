"""Julia's own test cases for platform selection, run against omniwheel's encoding of it.

``tests/vectors/julia_binaryplatforms_cases.toml`` holds, as data, the cases of Julia's
``test/binaryplatforms.jl``, ``stdlib/Artifacts/test/runtests.jl`` and Pkg's
``test/artifacts.jl`` that :mod:`omniwheel.julia.selection` (``Base.BinaryPlatforms``) and
:mod:`omniwheel.julia.artifacts_toml` (``artifact_meta``, ``unpack_platform``) can express; each
case names its file and line.  Those that cannot be expressed are listed, with why, at the top of
that file.

What this verifies, and only against the transcribed cases (Julia does not run here): that
omniwheel builds, prints (``triplet``), compares (``platforms_match``) and selects
(``select_platform``, ``artifact_meta``) platforms as those assertions say Julia does.  It does
not check the transcription against Julia itself, nor behaviour those files do not assert: the
``VersionNumber`` rules for version tags are pinned by ``julia_platforms.toml`` instead, read from
``base/version.jl`` and ``base/binaryplatforms.jl``.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from omniwheel.julia.artifacts_toml import (
    Artifact,
    ArtifactEntry,
    ArtifactsTomlError,
    parse_artifacts,
    select_entry,
)
from omniwheel.julia.selection import (
    JuliaPlatform,
    PlatformTagError,
    platforms_match,
    select_platform,
)

VECTORS: dict[str, Any] = tomllib.loads(
    (Path(__file__).parents[1] / "vectors" / "julia_binaryplatforms_cases.toml").read_text(
        encoding="utf-8"
    )
)


def _params(section: str) -> list[Any]:
    return [pytest.param(case, id=case["key"]) for case in VECTORS[section]]


def _platform(tags: Mapping[str, str]) -> JuliaPlatform:
    rest = dict(tags)
    return JuliaPlatform.of(rest.pop("arch"), rest.pop("os"), rest)


def _present(tags: Mapping[str, str]) -> dict[str, str]:
    """A sweep's tags, leaving out those set to "" (Julia's ``nothing``)."""
    return {key: value for key, value in tags.items() if value != ""}


def _combinations(axes: Mapping[str, Sequence[str]]) -> Iterator[dict[str, str]]:
    names = list(axes)
    for values in itertools.product(*(axes[name] for name in names)):
        yield dict(zip(names, values, strict=True))


def test_every_case_names_a_known_source_and_line() -> None:
    sources = VECTORS["sources"]
    for source in sources.values():
        assert source["repo"]
        assert source["path"]
        assert source["commit"] or source["note"]
    for section, cases in VECTORS.items():
        if section in ("sources", "entries", "artifacts"):
            continue
        for case in cases:
            assert case["source"] in sources, case["key"]
            assert isinstance(case["line"], int), case["key"]
            assert case["line"] > 0, case["key"]


# --- construction -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("construct"))
def test_construct(case: Mapping[str, Any]) -> None:
    tags = _platform(case["given"]).as_dict()
    if "tags" in case:
        assert tags == case["tags"]
    assert {key: tags.get(key) for key in case.get("expect", {})} == case.get("expect", {})
    assert not set(case.get("absent", ())) & tags.keys()


@pytest.mark.parametrize("case", _params("refuse"))
def test_refuse(case: Mapping[str, Any]) -> None:
    with pytest.raises(PlatformTagError, match="given twice"):
        JuliaPlatform.of(case["arch"], case["os"], case["tags"])


@pytest.mark.parametrize("case", _params("set_tag"))
def test_set_tag(case: Mapping[str, Any]) -> None:
    platform = _platform(case["platform"])
    *first, (last_key, last_value) = case["set"]
    for key, value in first:
        platform = platform.with_tag(key, value)
    if "error" in case:
        with pytest.raises(PlatformTagError, match=re.escape(case["error"])):
            platform.with_tag(last_key, last_value)
        return
    platform = platform.with_tag(last_key, last_value)
    tags = platform.as_dict()
    assert {key: tags.get(key) for key in case.get("expect", {})} == case.get("expect", {})
    if "equals" in case:
        assert platform == _platform(case["equals"])
    if "triplet" in case:
        assert platform.triplet() == case["triplet"]


@pytest.mark.parametrize("case", _params("triplet"))
def test_triplet(case: Mapping[str, Any]) -> None:
    assert _platform(case["platform"]).triplet() == case["triplet"]


@pytest.mark.parametrize("case", _params("order_independent"))
def test_same_platform_whatever_the_tag_order(case: Mapping[str, Any]) -> None:
    base = [tuple(pair) for pair in case["base"]]
    reference = JuliaPlatform.of(case["arch"], case["os"], dict(base + case["extra"]))
    for extra in itertools.permutations(tuple(pair) for pair in case["extra"]):
        platform = JuliaPlatform.of(case["arch"], case["os"], dict(base + list(extra)))
        assert platform == reference
        assert platform.triplet() == reference.triplet()


# --- matching and selecting -------------------------------------------------------------------


def _side(tags: Mapping[str, str], *, host: bool) -> JuliaPlatform:
    platform = _platform(tags)
    return platform.host() if host else platform


@pytest.mark.parametrize("case", _params("match"))
def test_platforms_match(case: Mapping[str, Any]) -> None:
    a = _side(case["a"], host=case.get("a_host", False))
    b = _side(case["b"], host=case.get("b_host", False))
    assert platforms_match(a, b) is case["matches"]
    if case.get("both_ways", False):
        assert platforms_match(b, a) is case["matches"]


@pytest.mark.parametrize("case", _params("match_sweep"))
def test_platforms_match_sweep(case: Mapping[str, Any]) -> None:
    checked = 0
    for shared in _combinations(case.get("shared_axes", {})):
        for own in _combinations(case.get("axes", {})):
            for variant in case.get("b_variants", [{}]):
                a = _platform({**case["a"], **shared})
                b = _platform(_present({**case["b"], **shared, **own, **variant}))
                assert platforms_match(a, b) is case["matches"], (shared, own, variant)
                if case.get("both_ways", False):
                    assert platforms_match(b, a) is case["matches"], (shared, own, variant)
                checked += 1
    assert checked > 1


@pytest.mark.parametrize("case", _params("select"))
def test_select_platform(case: Mapping[str, Any]) -> None:
    entries = {
        label: tags
        for label, tags in VECTORS["entries"][case["entries"]].items()
        if isinstance(tags, dict)
    }
    candidates = {_platform(tags): label for label, tags in entries.items()}
    assert len(candidates) == len(entries)
    assert select_platform(candidates, _platform(case["host"])) == case.get("selected")


# --- Artifacts: pack_platform!/unpack_platform and artifact_meta -------------------------------


@pytest.mark.parametrize("case", _params("roundtrip"))
def test_pack_then_unpack_gives_the_same_platform(case: Mapping[str, Any]) -> None:
    count = 0
    for base in case["platforms"]:
        for combination in _combinations(case["axes"]):
            platform = _platform(_present({**base, **combination}))
            assert _platform(platform.as_dict()) == platform
            count += 1
    assert count == len(case["platforms"]) * 4 * 3 * 3


@pytest.mark.parametrize("case", _params("unpack_missing"))
def test_an_entry_without_os_or_arch_is_refused(case: Mapping[str, Any]) -> None:
    table = {"arch": "x86_64", "os": "linux", "git-tree-sha1": "0" * 40}
    del table[case["missing"]]
    text = "[[foo]]\n" + "".join(f'{key} = "{value}"\n' for key, value in table.items())
    with pytest.raises(ArtifactsTomlError, match=f"needs `{case['missing']}`"):
        parse_artifacts(text)


def _artifact(name: str, value: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Artifact:
    """An artifact of a transcribed file: a table is platform-free, an array per platform."""
    if isinstance(value, Mapping):
        entry = ArtifactEntry(git_tree_sha1=value["git-tree-sha1"], lazy=value.get("lazy", False))
        return Artifact(name=name, entries=(entry,))
    entries = []
    for table in value:
        tags = {key: text for key, text in table.items() if key != "git-tree-sha1"}
        entries.append(ArtifactEntry(git_tree_sha1=table["git-tree-sha1"], platform=tags))
    return Artifact(name=name, entries=tuple(entries))


@pytest.mark.parametrize("case", _params("artifact_hash"))
def test_artifact_hash(case: Mapping[str, Any]) -> None:
    file = VECTORS["artifacts"][case["file"]]["content"]
    host = _side(case["host"], host=case.get("host_platform", False))
    names = case.get("names", list(file))
    found = {}
    for name in names:
        entry = select_entry(_artifact(name, file[name]), host)
        if entry is None or (entry.lazy and not case.get("include_lazy", True)):
            continue
        found[name] = entry.git_tree_sha1
    assert found == case["hashes"]
