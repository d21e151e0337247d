"""Which wheel a target takes and which versions are usable: the rules an installer applies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.index import models
from omniwheel.index.models import DistFile, ProjectPage, Wheel
from omniwheel.platform.target import target_from_name
from omniwheel.resolve.candidates import (
    FilePolicy,
    admits,
    allows_prerelease,
    best_wheel,
    is_pinned,
    iter_usable_versions,
    metadata_wheel,
    newest_usable,
    usable_at,
)

NAME = NormalizedName("demo")
OPEN = FilePolicy(exclude_newer=None, allow_prereleases=False)


def _file(filename: str, *, yanked: bool = False, uploaded: datetime | None = None) -> DistFile:
    return DistFile(
        filename=filename,
        url=f"https://example.invalid/{filename}",
        sha256="0" * 64,
        yanked=yanked,
        upload_time=uploaded or datetime(2025, 1, 1, tzinfo=UTC),
    )


def _page(*files: DistFile) -> ProjectPage:
    return ProjectPage.from_files(NAME, files)


def test_best_wheel_prefers_the_most_specific_tag() -> None:
    page = _page(
        _file("demo-1.0-py3-none-any.whl"),
        _file("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        _file("demo-1.0-cp312-abi3-manylinux_2_28_x86_64.whl"),
    )
    wheels = page.wheels_by_version[Version("1.0")]
    linux = best_wheel(wheels, target_from_name("linux-x86_64@3.12"))
    assert linux is not None
    assert (
        linux.file.filename == "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    old_glibc = best_wheel(wheels, target_from_name("linux-x86_64-glibc2.17@3.12"))
    assert old_glibc is not None
    assert "manylinux2014" in old_glibc.file.filename
    windows = best_wheel(wheels, target_from_name("windows-x86_64@3.12"))
    assert windows is not None
    assert windows.file.filename == "demo-1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("filenames", "expected"),
    [
        # The best tag first, whatever the build.
        (("demo-1.0-9-py3-none-any.whl", "demo-1.0-cp312-abi3-win_amd64.whl"), "cp312-abi3"),
        # Then the highest build number, then its text.
        (("demo-1.0-1-py3-none-any.whl", "demo-1.0-2-py3-none-any.whl"), "-2-py3"),
        (("demo-1.0-py3-none-any.whl", "demo-1.0-1-py3-none-any.whl"), "-1-py3"),
        (("demo-1.0-2a-py3-none-any.whl", "demo-1.0-2b-py3-none-any.whl"), "-2a-py3"),
        # Then the first filename.
        (("demo-1.0-py3-none-any.whl", "demo-1.0-py2.py3-none-any.whl"), "py2.py3"),
        # A wheel whose Requires-Python excludes the target does not count.
        (("demo-1.0-cp312-abi3-win_amd64.whl!>=3.13", "demo-1.0-py3-none-any.whl"), "py3-none"),
        (("demo-1.0-cp312-abi3-manylinux_2_28_x86_64.whl",), None),
    ],
)
def test_best_wheel_ranks_tag_then_build_then_filename(
    filenames: tuple[str, ...], expected: str | None
) -> None:
    def dist(entry: str) -> DistFile:
        filename, _, requires_python = entry.partition("!")
        return DistFile(
            filename=filename,
            url=f"https://example.invalid/{filename}",
            sha256=None,
            requires_python=requires_python or None,
        )

    windows = target_from_name("windows-x86_64@3.12")
    for order in (filenames, filenames[::-1]):
        wheels = _page(*(dist(entry) for entry in order)).wheels_by_version[Version("1.0")]
        chosen = best_wheel(wheels, windows)
        if expected is None:
            assert chosen is None
        else:
            assert chosen is not None
            assert expected in chosen.file.filename


def test_usable_versions_need_a_wheel_for_every_target_of_the_group() -> None:
    page = _page(
        _file("demo-2.0-cp312-cp312-manylinux_2_28_x86_64.whl"),
        _file("demo-1.0-py3-none-any.whl"),
    )
    glibc = target_from_name("linux-x86_64@3.12")
    musl = target_from_name("linux-x86_64-musl@3.12")
    assert [v for v, _ in iter_usable_versions(page, [SpecifierSet()], [glibc], OPEN)] == [
        Version("2.0"),
        Version("1.0"),
    ]
    joint = list(iter_usable_versions(page, [SpecifierSet()], [glibc, musl], OPEN))
    assert [v for v, _ in joint] == [Version("1.0")]


def test_yanked_only_when_pinned_and_cutoff_hides_newer_files() -> None:
    page = _page(
        _file("demo-3.0-py3-none-any.whl", uploaded=datetime(2026, 6, 1, tzinfo=UTC)),
        _file("demo-2.0-py3-none-any.whl", yanked=True),
        _file("demo-1.0-py3-none-any.whl"),
    )
    target = [target_from_name("linux-x86_64@3.12")]
    cutoff = FilePolicy(exclude_newer=datetime(2026, 1, 1, tzinfo=UTC), allow_prereleases=False)
    unpinned = [v for v, _ in iter_usable_versions(page, [SpecifierSet()], target, cutoff)]
    assert unpinned == [Version("1.0")]
    pinned = [v for v, _ in iter_usable_versions(page, [SpecifierSet("==2.0")], target, cutoff)]
    assert pinned == [Version("2.0")]


def test_versions_the_cutoff_hides_are_passed_over_unparsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A version none of whose files is dated before the cutoff is not offered, and its wheel
    filenames are never parsed; one file before the cutoff (even an sdist's) is enough for
    the version's wheels to be looked at, and then only wheels before the cutoff count."""
    late, early = datetime(2026, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    page = _page(
        _file("demo-4.0-py3-none-any.whl", uploaded=late),
        _file("demo-4.0-cp312-cp312-win_amd64.whl", uploaded=late),
        _file("demo-3.0-py3-none-any.whl", uploaded=early),
        _file("demo-3.0-cp312-cp312-win_amd64.whl", uploaded=late),
        _file("demo-2.0-py3-none-any.whl", uploaded=early),
    )
    parsed: list[Version] = []
    wheels_of = models._wheels_of

    def counting(*args: Any) -> tuple[Wheel, ...]:
        parsed.append(args[1])
        return wheels_of(*args)

    monkeypatch.setattr(models, "_wheels_of", counting)
    cutoff = FilePolicy(exclude_newer=datetime(2026, 1, 1, tzinfo=UTC), allow_prereleases=False)
    linux, windows = target_from_name("linux-x86_64@3.12"), target_from_name("windows-x86_64@3.12")
    found = list(iter_usable_versions(page, [SpecifierSet()], [linux, windows], cutoff))
    assert [(v, {t: w.file.filename for t, w in wheels.items()}) for v, wheels in found] == [
        (
            Version("3.0"),
            {linux: "demo-3.0-py3-none-any.whl", windows: "demo-3.0-py3-none-any.whl"},
        ),
        (
            Version("2.0"),
            {linux: "demo-2.0-py3-none-any.whl", windows: "demo-2.0-py3-none-any.whl"},
        ),
    ]
    assert newest_usable(page, [SpecifierSet()], [linux, windows], cutoff) == {
        linux: Version("3.0"),
        windows: Version("3.0"),
    }
    assert Version("4.0") not in parsed


def test_metadata_wheel_follows_the_page_version_and_policy() -> None:
    """The first filename among the files before the cutoff (all files when none is)."""
    late, early = datetime(2026, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    page = _page(
        _file("demo-1.0-cp312-cp312-win_amd64.whl", uploaded=late),
        _file("demo-1.0-py3-none-any.whl", uploaded=early),
        _file("demo-2.0-cp312-cp312-win_amd64.whl", uploaded=late),
    )
    cutoff = FilePolicy(exclude_newer=datetime(2026, 1, 1, tzinfo=UTC), allow_prereleases=False)
    for _ in range(2):  # asked again, the same answers
        assert metadata_wheel(page, Version("1.0"), OPEN).file.filename.startswith("demo-1.0-cp")
        assert metadata_wheel(page, Version("1.0"), cutoff).file.filename.startswith("demo-1.0-py")
        assert metadata_wheel(page, Version("2.0"), cutoff).file.filename.startswith("demo-2.0")
    # Pages made and dropped in turn often get the same id: each is still read itself.
    files = [_file(f"demo-1.0-{build}-py3-none-any.whl") for build in range(1, 40)]
    version = Version("1.0")
    for dist in files:
        other = ProjectPage.from_files(NAME, (dist,))
        assert metadata_wheel(other, version, OPEN).file.filename == dist.filename
        del other


def test_admits_answers_as_packaging_for_each_specifier_and_spelling() -> None:
    """Answers are kept per specifier object and version: specifiers made and dropped in turn
    (often the same id) keep their own, and ``===`` compares each spelling of a version."""
    versions = [Version(text) for text in ("0.9", "1.0", "1.0.0", "1.1rc1", "2.0")]
    texts = [">=1.0", "<1.1", "==1.0.*", "!=1.0", "===1.0", "===1.0.0", ">=1,<2", ""]
    for _ in range(3):
        for text in texts:
            specifier = SpecifierSet(text)
            for version in versions:
                expected = SpecifierSet(text).contains(version, prereleases=True)
                assert admits(specifier, version) is expected, (text, version)
            del specifier


def test_undated_files_are_hidden_by_any_cutoff() -> None:
    page = _page(
        DistFile(
            filename="demo-2.0-py3-none-any.whl", url="https://example.invalid/a", sha256=None
        ),
        _file("demo-1.0-py3-none-any.whl"),
    )
    cutoff = FilePolicy(exclude_newer=datetime(2030, 1, 1, tzinfo=UTC), allow_prereleases=False)
    target = [target_from_name("linux-x86_64@3.12")]
    assert [v for v, _ in iter_usable_versions(page, [SpecifierSet()], target, cutoff)] == [
        Version("1.0")
    ]
    assert [v for v, _ in iter_usable_versions(page, [SpecifierSet()], target, OPEN)] == [
        Version("2.0"),
        Version("1.0"),
    ]


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        ("", False),
        (">=1", False),
        (">=2.0b1", True),
        ("==2.0rc1", True),
        ("<=2.0rc1", True),
        ("~=2.0a1", True),
        ("===2.0b1", True),
        ("==2.*", False),
        # Bounding or excluding a pre-release is not asking for pre-releases (packaging 26
        # counts `<` and `>`; pip's packaging and uv do not).
        ("<3.0a1", False),
        (">1.0a1", False),
        (">=1,<2.0b5", False),
        ("!=2.0b1", False),
        (">=1,!=2.0b1", False),
        # Arbitrary equality may name something that is no PEP 440 version at all.
        ("===1.0-custom", False),
    ],
)
def test_prereleases_only_when_named(specifier: str, expected: bool) -> None:
    assert allows_prerelease([SpecifierSet(specifier)], OPEN) is expected
    assert allows_prerelease(
        [SpecifierSet(specifier)], FilePolicy(exclude_newer=None, allow_prereleases=True)
    )


@pytest.mark.parametrize(
    ("files", "specifier", "expected"),
    [
        # A final release satisfies: pre-releases stay out.
        (("2.0b1", "1.0"), "", ["1.0"]),
        # Nothing but pre-releases published: they are admitted, newest first.
        (("2.0rc1", "2.0b1"), "", ["2.0rc1", "2.0b1"]),
        # Finals exist, none satisfies the requirement: the pre-releases that do are admitted.
        (("2.0b1", "1.0"), ">1.0", ["2.0b1"]),
        # A bound naming a pre-release asks for nothing: the final release is offered alone.
        (("2.0b1", "1.0"), "<2.0b5", ["1.0"]),
        # An inclusive bound naming one asks: every satisfying version, in version order.
        (("2.0b1", "1.5", "1.0"), ">=1.0a1", ["2.0b1", "1.5", "1.0"]),
        # A yanked final is not usable, so the pre-release is needed.
        (("2.0b1", "1.0!yanked"), "", ["2.0b1"]),
    ],
)
def test_prereleases_if_necessary(
    files: tuple[str, ...], specifier: str, expected: list[str]
) -> None:
    page = _page(
        *(
            _file(
                f"demo-{v.removesuffix('!yanked')}-py3-none-any.whl", yanked=v.endswith("!yanked")
            )
            for v in files
        )
    )
    target = [target_from_name("linux-x86_64@3.12")]
    found = [str(v) for v, _ in iter_usable_versions(page, [SpecifierSet(specifier)], target, OPEN)]
    assert found == expected
    versions = [Version(f.removesuffix("!yanked")) for f in files]
    usable = [
        str(v) for v in versions if usable_at(page, v, [SpecifierSet(specifier)], target, OPEN)
    ]
    assert sorted(usable, key=Version) == sorted(expected, key=Version)


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        ("==1.0", "1.0", True),
        ("==1.0.0", "1.0", True),
        ("==1.*", "1.0", False),
        (">=1.0", "1.0", False),
        ("===1.0", "1.0", True),
    ],
)
def test_is_pinned(specifier: str, version: str, expected: bool) -> None:
    assert is_pinned([SpecifierSet(specifier)], Version(version)) is expected


@pytest.mark.parametrize(
    ("files", "specifier"),
    [
        (("2.0b1", "1.0"), ""),
        (("2.0rc1", "2.0b1"), ""),
        (("2.0b1", "1.0"), ">1.0"),
        (("2.0b1", "1.5", "1.0"), ">=1.0a1"),
        (("2.0b1", "1.0!yanked"), ""),
        (("2.0!yanked", "1.0"), "==2.0"),
        (("3.0!win", "2.0!linux", "1.0b1!win", "0.5!linux"), ""),
        (("3.0!win", "2.0b1!linux", "1.0!win"), ""),
        (("3.0!win", "2.0!linux"), "<2"),
    ],
)
def test_newest_usable_is_each_targets_first_usable_version(
    files: tuple[str, ...], specifier: str
) -> None:
    """For every target at once, what iter_usable_versions offers that target first."""
    tags = {"win": "cp312-cp312-win_amd64", "linux": "py3-none-manylinux_2_28_x86_64"}

    def dist(entry: str) -> DistFile:
        version, _, flag = entry.partition("!")
        tag = tags.get(flag, "py3-none-any")
        return _file(f"demo-{version}-{tag}.whl", yanked=flag == "yanked")

    page = _page(*(dist(entry) for entry in files))
    targets = [target_from_name("linux-x86_64@3.12"), target_from_name("windows-x86_64@3.12")]
    specifiers = [SpecifierSet(specifier)]
    expected = {}
    for target in targets:
        first = next(iter_usable_versions(page, specifiers, [target], OPEN), None)
        if first is not None:
            expected[target] = first[0]
    assert newest_usable(page, specifiers, targets, OPEN) == expected
