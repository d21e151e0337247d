"""python-build-standalone releases: SHA256SUMS, asset names, triples, the chosen build, URLs."""

from __future__ import annotations

import hashlib

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from omniwheel.platform.target import Target, target_from_name
from omniwheel.python.pbs import (
    RELEASE_DOWNLOAD,
    ChecksumsError,
    Flavor,
    InterpreterError,
    MirrorError,
    NoBuildError,
    PbsRelease,
    PinnedPython,
    check_mirror,
    checksums_url,
    choose_build,
    download_url,
    executable_path,
    libpython_path,
    parse_asset_name,
    parse_checksums,
    parse_release,
    pin_targets,
    triple_for,
)

TAG = "20250311"
URL = f"{RELEASE_DOWNLOAD}/{TAG}/SHA256SUMS"


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _sums(*names: str) -> str:
    return "".join(f"{_sha(name)}  {name}\n" for name in names)


def _asset(version: str, triple: str, build: str = "install_only_stripped", tag: str = TAG) -> str:
    archive = "tar.zst" if build.endswith("full") else "tar.gz"
    return f"cpython-{version}+{tag}-{triple}-{build}.{archive}"


GNU = "x86_64-unknown-linux-gnu"
RELEASE_NAMES = (
    _asset("3.12.9", GNU),
    _asset("3.12.9", GNU, "install_only"),
    _asset("3.12.8", GNU),
    _asset("3.12.10", GNU, "install_only"),  # newest patch, only the unstripped flavour
    _asset("3.12.10", GNU, "pgo+lto-full"),
    _asset("3.12.11", GNU, "freethreaded-install_only"),
    _asset("3.12.11", "x86_64_v3-unknown-linux-gnu", "install_only_stripped"),
    _asset("3.11.11", GNU, "install_only"),
    _asset("3.11.11", GNU),
    _asset("3.14.0rc1", GNU),
    _asset("3.13.2", "aarch64-apple-darwin"),
    _asset("3.13.2", "x86_64-pc-windows-msvc"),
    _asset("3.13.2", "i686-pc-windows-msvc", "install_only"),
    _asset("3.13.2", "x86_64-unknown-linux-musl"),
    _asset("3.13.2", "x86_64-unknown-linux-musl", "lto+static-full"),
    "pypy3.10-v7.3.17-linux64.tar.bz2",
)


def _release(names: tuple[str, ...] = RELEASE_NAMES, tag: str = TAG) -> PbsRelease:
    return parse_release(_sums(*names), tag=tag, url=URL)


def _target(name: str) -> Target:
    return target_from_name(name)


# --- SHA256SUMS -------------------------------------------------------------------------------


def test_checksums_are_read_in_both_sha256sum_modes_and_deduplicated() -> None:
    text = f"{'A' * 64}  one.tar.gz\n\n{'b' * 64} *two.tar.gz\n{'a' * 64}  one.tar.gz\n"
    entries = parse_checksums(text, url=URL)
    assert [(e.filename, e.sha256, e.line) for e in entries] == [
        ("one.tar.gz", "a" * 64, 1),
        ("two.tar.gz", "b" * 64, 3),
    ]


def test_garbage_checksums_report_every_bad_line_and_the_url() -> None:
    text = "\n".join(
        [
            f"{'a' * 64}  good.tar.gz",
            f"{'z' * 64}  bad-hex.tar.gz",  # line 2
            f"{'a' * 63}  short.tar.gz",  # line 3
            "just-one-field",  # line 4
            f"{'c' * 64}  good.tar.gz",  # line 5: another hash for line 1's file
            f"{'d' * 64}  sub/dir.tar.gz",  # line 6
            "<html><body>Not Found</body></html>",  # line 7
        ]
    )
    with pytest.raises(ChecksumsError) as caught:
        parse_checksums(text, url="https://user:secret@mirror.example/pbs/SHA256SUMS")
    error = caught.value
    assert [problem.line for problem in error.problems] == [2, 3, 4, 5, 6, 7]
    assert "https://mirror.example/pbs/SHA256SUMS" in error.message
    assert "secret" not in error.message
    assert "line 5: `good.tar.gz` is listed again with another sha256 (line 1" in error.message
    assert error.hint is not None


def test_an_empty_checksums_file_is_an_error() -> None:
    with pytest.raises(ChecksumsError) as caught:
        parse_checksums("\n\n", url=URL)
    assert caught.value.message.endswith("(1 problem):\n  - the file lists no assets")


def test_an_asset_of_another_release_is_a_problem() -> None:
    text = _sums(_asset("3.12.9", GNU), _asset("3.12.9", GNU, tag="20250212"))
    with pytest.raises(ChecksumsError, match=r"line 2: .* belongs to release 20250212"):
        parse_release(text, tag=TAG, url=URL)


@pytest.mark.parametrize("tag", ["latest", "2025031", "2025-03-11", ""])
def test_release_tags_are_dates(tag: str) -> None:
    with pytest.raises(InterpreterError, match="not a python-build-standalone release tag"):
        parse_release(_sums(_asset("3.12.9", GNU)), tag=tag, url=URL)


# --- asset names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "triple", "flavor"),
    [
        (_asset("3.12.9", GNU), "3.12.9", GNU, Flavor.INSTALL_ONLY_STRIPPED),
        (_asset("3.10.16", GNU, "install_only"), "3.10.16", GNU, Flavor.INSTALL_ONLY),
        (
            _asset("3.14.0rc1", "aarch64-apple-darwin"),
            "3.14.0rc1",
            "aarch64-apple-darwin",
            Flavor.INSTALL_ONLY_STRIPPED,
        ),
        (
            "cpython-3.10.8+20221106-x86_64-pc-windows-msvc-shared-install_only.tar.gz",
            "3.10.8",
            "x86_64-pc-windows-msvc",
            Flavor.INSTALL_ONLY,
        ),
        (
            _asset("3.13.2", "aarch64-unknown-linux-musl"),
            "3.13.2",
            "aarch64-unknown-linux-musl",
            Flavor.INSTALL_ONLY_STRIPPED,
        ),
    ],
)
def test_installable_asset_names(name: str, version: str, triple: str, flavor: Flavor) -> None:
    asset = parse_asset_name(name)
    assert asset is not None
    tag = name.split("+")[1][:8]
    assert (asset.version, asset.tag, asset.triple) == (Version(version), tag, triple)
    assert asset.flavor is flavor
    assert asset.skip_reason is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (_asset("3.12.9", GNU, "pgo+lto-full"), ".tar.zst archive"),
        (_asset("3.12.9", GNU, "debug-full"), ".tar.zst archive"),
        (_asset("3.13.2", GNU, "freethreaded-install_only"), "free-threaded"),
        (_asset("3.13.2", GNU, "debug-install_only"), "debug build"),
        (_asset("3.12.9", "x86_64_v2-unknown-linux-gnu"), "x86_64_v2..v4"),
        (_asset("3.12.9", "x86_64_v4-unknown-linux-musl"), "x86_64_v2..v4"),
        (_asset("3.12.9", "x86_64-unknown-linux-musl", "lto+static-install_only"), "statically"),
        (_asset("3.12.8", "x86_64-unknown-linux-musl", tag="20250212"), "statically"),
        (
            "cpython-3.10.8+20221106-x86_64-pc-windows-msvc-static-install_only.tar.gz",
            "statically",
        ),
        (_asset("3.12.9", GNU, "install_only_fancy"), "variant"),
    ],
)
def test_recognised_but_skipped_asset_names(name: str, reason: str) -> None:
    asset = parse_asset_name(name)
    assert asset is not None
    assert asset.flavor is None
    assert asset.skip_reason is not None
    assert reason in asset.skip_reason


@pytest.mark.parametrize(
    "name",
    [
        "SHA256SUMS",
        "pypy3.10-v7.3.17-linux64.tar.bz2",
        "cpython-3.12+20250311-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.12.9-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.12.9+20250311-x86_64-unknown-linux-gnu.tar.gz",
        "cpython-3.12.9+20250311-aarch64-apple-darwin.tar.gz",
        "cpython-3.12.9+20250311-x86_64-unknown-linux-gnu-install_only.zip",
    ],
)
def test_names_that_are_not_cpython_assets(name: str) -> None:
    assert parse_asset_name(name) is None


def test_a_release_keeps_installable_assets_and_lists_the_skipped() -> None:
    release = _release()
    assert len(release.assets) == 11
    assert {name.filename for name in release.skipped} == {
        _asset("3.12.10", GNU, "pgo+lto-full"),
        _asset("3.12.11", GNU, "freethreaded-install_only"),
        _asset("3.12.11", "x86_64_v3-unknown-linux-gnu", "install_only_stripped"),
        _asset("3.13.2", "x86_64-unknown-linux-musl", "lto+static-full"),
    }
    assert [(str(a.version), a.flavor.value) for a in release.builds_for(GNU)][:4] == [
        ("3.14.0rc1", "install_only_stripped"),
        ("3.12.10", "install_only"),
        ("3.12.9", "install_only_stripped"),
        ("3.12.9", "install_only"),
    ]


# --- targets and layout ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "triple"),
    [
        ("linux-x86_64@3.12", "x86_64-unknown-linux-gnu"),
        ("linux-x86_64-glibc2.17@3.12", "x86_64-unknown-linux-gnu"),
        ("linux-aarch64@3.12", "aarch64-unknown-linux-gnu"),
        ("linux-x86_64-musl@3.12", "x86_64-unknown-linux-musl"),
        ("linux-aarch64-musl@3.12", "aarch64-unknown-linux-musl"),
        ("macos-arm64@3.12", "aarch64-apple-darwin"),
        ("macos-x86_64@3.12", "x86_64-apple-darwin"),
        ("windows-x86_64@3.12", "x86_64-pc-windows-msvc"),
        ("windows-arm64@3.12", "aarch64-pc-windows-msvc"),
        ("windows-x86@3.12", "i686-pc-windows-msvc"),
    ],
)
def test_target_triples(target: str, triple: str) -> None:
    assert triple_for(_target(target).platform) == triple


@pytest.mark.parametrize(
    ("triple", "executable", "libpython"),
    [
        (GNU, "python/bin/python3", "python/lib/libpython3.12.so.1.0"),
        ("aarch64-apple-darwin", "python/bin/python3", "python/lib/libpython3.12.dylib"),
        ("x86_64-pc-windows-msvc", "python/python.exe", "python/python312.dll"),
    ],
)
def test_paths_inside_the_archive(triple: str, executable: str, libpython: str) -> None:
    assert executable_path(triple) == executable
    assert libpython_path(triple, Version("3.12.9")) == libpython


# --- choosing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "requires_python", "version", "flavor"),
    [
        ("linux-x86_64@3.12", None, "3.12.10", Flavor.INSTALL_ONLY),  # newest beats stripped
        ("linux-x86_64@3.12", "<3.12.10", "3.12.9", Flavor.INSTALL_ONLY_STRIPPED),
        ("linux-x86_64@3.12", ">=3.8,!=3.12.10,!=3.12.9", "3.12.8", Flavor.INSTALL_ONLY_STRIPPED),
        ("linux-x86_64@3.11", ">=3.10", "3.11.11", Flavor.INSTALL_ONLY_STRIPPED),
        ("linux-x86_64@3.14", None, "3.14.0rc1", Flavor.INSTALL_ONLY_STRIPPED),  # only a pre
        ("linux-x86_64@3.12.9", "<3.12.10", "3.12.9", Flavor.INSTALL_ONLY_STRIPPED),
        ("linux-x86_64-glibc2.17@3.12", None, "3.12.10", Flavor.INSTALL_ONLY),
        ("macos-arm64@3.13", None, "3.13.2", Flavor.INSTALL_ONLY_STRIPPED),
        ("windows-x86@3.13", None, "3.13.2", Flavor.INSTALL_ONLY),
        ("linux-x86_64-musl@3.13", None, "3.13.2", Flavor.INSTALL_ONLY_STRIPPED),
    ],
)
def test_the_newest_admitted_build_is_chosen(
    target: str, requires_python: str | None, version: str, flavor: Flavor
) -> None:
    spec = None if requires_python is None else SpecifierSet(requires_python)
    pinned = choose_build(_release(), _target(target), requires_python=spec)
    assert (pinned.version, pinned.flavor) == (Version(version), flavor)
    assert pinned.release == TAG
    assert pinned.triple == triple_for(_target(target).platform)
    assert pinned.sha256 == _sha(pinned.filename)
    assert pinned.filename in {*RELEASE_NAMES}


def test_the_pinned_record() -> None:
    pinned = choose_build(_release(), _target("linux-x86_64@3.11"))
    assert pinned == PinnedPython(
        version=Version("3.11.11"),
        release=TAG,
        triple=GNU,
        flavor=Flavor.INSTALL_ONLY_STRIPPED,
        url=(
            "https://github.com/astral-sh/python-build-standalone/releases/download/20250311/"
            "cpython-3.11.11%2B20250311-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
        ),
        sha256=_sha(_asset("3.11.11", GNU)),
        executable="python/bin/python3",
        libpython="python/lib/libpython3.11.so.1.0",
    )
    assert pinned.describe() == "CPython 3.11.11 (x86_64-unknown-linux-gnu, release 20250311)"


def test_targets_sharing_a_build_share_one_value() -> None:
    pinned = pin_targets(
        _release(),
        [_target("linux-x86_64@3.12"), _target("linux-x86_64-glibc2.17@3.12")],
    )
    assert len(set(pinned.values())) == 1


def test_a_patch_floor_above_every_build_is_missing() -> None:
    with pytest.raises(NoBuildError) as caught:
        choose_build(_release(), _target("linux-x86_64@3.12.11"))
    (missing,) = caught.value.missing
    assert "admitted by `>=3.12.11`" in missing.reason
    assert "3.12.8, 3.12.9, 3.12.10" in missing.reason


def test_every_target_without_a_build_is_named_at_once() -> None:
    targets = [
        _target("linux-x86_64@3.12"),
        _target("linux-aarch64@3.12"),  # no aarch64 gnu builds at all
        _target("linux-x86_64@3.10"),  # no 3.10 in this release
        _target("macos-x86_64@3.13"),
        _target("linux-x86_64@3.11"),  # excluded by requires-python
    ]
    with pytest.raises(NoBuildError) as caught:
        pin_targets(_release(), targets, requires_python=SpecifierSet(">=3.12"))
    error = caught.value
    assert [str(m.target) for m in error.missing] == [
        "linux-aarch64-glibc2.28@3.12",
        "linux-x86_64-glibc2.28@3.10",
        "macos-x86_64-13.0@3.13",
        "linux-x86_64-glibc2.28@3.11",
    ]
    assert error.release == TAG
    assert "release 20250311: 4 targets have no interpreter build" in error.message
    assert "no build of Python 3.10; builds for x86_64-unknown-linux-gnu: 3.14.0rc1" in (
        error.message
    )
    assert "builds for x86_64-apple-darwin: none" in error.message
    assert "admitted by `>=3.12` (the release has 3.11.11)" in error.message
    assert error.hint is not None
    assert "another release" in error.hint
    assert "drop the target" in error.hint


def test_musl_before_dynamic_builds_is_missing_with_the_reason() -> None:
    old = "20250212"
    names = (_asset("3.12.8", "x86_64-unknown-linux-musl", tag=old),)
    with pytest.raises(NoBuildError, match="musl builds before release 20250311 are statically"):
        choose_build(_release(names, tag=old), _target("linux-x86_64-musl@3.12"))


def test_skipped_variants_are_named_when_nothing_else_exists() -> None:
    names = (_asset("3.13.2", "aarch64-apple-darwin", "freethreaded-install_only"),)
    with pytest.raises(NoBuildError, match=r"install_only\.tar\.gz is a free-threaded"):
        choose_build(_release(names), _target("macos-arm64@3.13"))


# --- URLs ----------------------------------------------------------------------------------


def test_checksums_url() -> None:
    assert checksums_url(TAG) == URL
    assert checksums_url(TAG, mirror="file:///srv/pbs") == f"file:///srv/pbs/{TAG}/SHA256SUMS"


def test_download_url_follows_uvs_mirror_layout() -> None:
    pinned = choose_build(_release(), _target("linux-x86_64@3.11"))
    assert download_url(pinned) == pinned.url
    mirror = check_mirror("https://mirror.example/pbs/", source="OMNIWHEEL_PYTHON_MIRROR")
    suffix = "cpython-3.11.11%2B20250311-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    assert download_url(pinned, mirror=mirror) == f"https://mirror.example/pbs/{TAG}/{suffix}"
    # uv's rule: the mirror replaces the canonical prefix, the rest of the URL is unchanged
    assert download_url(pinned, mirror=mirror) == pinned.url.replace(RELEASE_DOWNLOAD, mirror)
    assert download_url(pinned, mirror="file:///srv/pbs") == f"file:///srv/pbs/{TAG}/{suffix}"


@pytest.mark.parametrize(
    "text", ["https://h.example/pbs", "http://127.0.0.1:8080", "file:///srv/pbs", "file:/srv/pbs"]
)
def test_usable_mirrors(text: str) -> None:
    assert check_mirror(text + "/", source="OMNIWHEEL_PYTHON_MIRROR") == text


@pytest.mark.parametrize(
    "text", ["", "/srv/pbs", "ftp://h.example/pbs", "https://", "file://host/srv", "file:rel"]
)
def test_unusable_mirrors(text: str) -> None:
    with pytest.raises(MirrorError, match="OMNIWHEEL_PYTHON_MIRROR"):
        check_mirror(text, source="OMNIWHEEL_PYTHON_MIRROR")


def test_a_mirror_error_hides_credentials() -> None:
    with pytest.raises(MirrorError) as caught:
        check_mirror("ftp://user:secret@h.example/pbs", source="python-mirror")
    assert "secret" not in caught.value.message
    assert "ftp://h.example/pbs" in caught.value.message
