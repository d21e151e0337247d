"""Artifacts.toml from a lock: which entries, their keys, the text, reading it back, merging.

:func:`demo_lock` is a lock shaped like a real one (numpy + pandas + six + tomli + …, for
Linux glibc and musl, macOS and Windows, each with Python 3.10 and 3.12); the selection tests use it
too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.index.models import DistFile
from omniwheel.julia import ArtifactError
from omniwheel.julia.artifacts_toml import (
    ArtifactConflictError,
    ArtifactEntry,
    ArtifactsDoc,
    ArtifactsTomlError,
    Download,
    artifact_name,
    build_artifacts,
    is_omniwheel_name,
    merge_artifacts,
    parse_artifacts,
    render_artifacts,
    with_downloads,
)
from omniwheel.lock.model import Lock, LockedPackage, LockedWheel
from omniwheel.lock.tool_table import LockInputs
from omniwheel.platform.target import Target, target_from_name

PLATFORMS = ("linux-x86_64", "linux-aarch64", "linux-x86_64-musl", "macos-arm64", "windows-x86_64")
PYTHONS = ("3.10", "3.12")


def targets_of(platforms: Iterable[str], pythons: Iterable[str]) -> tuple[Target, ...]:
    found = {target_from_name(f"{p}@{py}") for p in platforms for py in pythons}
    return tuple(sorted(found, key=Target.sort_key))


TARGETS = targets_of(PLATFORMS, PYTHONS)


def sha256_of(filename: str) -> str:
    """The made-up sha256 of a wheel in these tests."""
    return hashlib.sha256(filename.encode()).hexdigest()


def dist(filename: str) -> DistFile:
    url = f"https://files.example.org/{filename}"
    return DistFile(filename=filename, url=url, sha256=sha256_of(filename))


def tree_of(filename: str) -> str:
    """The made-up tree hash of a wheel in these tests."""
    return hashlib.sha1(sha256_of(filename).encode(), usedforsecurity=False).hexdigest()


def native(name: str, version: str, target: Target, *, abi3: bool = False) -> str:
    """A platform wheel's filename for ``target`` (``cp39-abi3`` for an abi3 wheel)."""
    minor = target.python[1]
    tag = "cp39-abi3" if abi3 else f"cp3{minor}-cp3{minor}"
    platform = next(iter(target.platform.platform_tags()))
    return f"{name}-{version}-{tag}-{platform}.whl"


def pure(name: str, version: str) -> str:
    return f"{name}-{version}-py3-none-any.whl"


def package(name: str, version: str, wheels: Mapping[Target, str]) -> LockedPackage:
    users: dict[str, list[Target]] = {}
    for target, filename in wheels.items():
        users.setdefault(filename, []).append(target)
    return LockedPackage(
        name=canonicalize_name(name),
        version=Version(version),
        targets=tuple(sorted(wheels, key=Target.sort_key)),
        marker=None,
        requires_python=None,
        wheels=tuple(
            LockedWheel(file=dist(filename), targets=tuple(sorted(ts, key=Target.sort_key)))
            for filename, ts in sorted(users.items())
        ),
        dependencies=(),
    )


def lock_of(targets: Sequence[Target], packages: Iterable[LockedPackage]) -> Lock:
    inputs = LockInputs(
        targets=tuple(targets),
        targets_from_cli=False,
        index_url="https://index.example.org/simple/",
        exclude_newer=None,
        prerelease=False,
        uniform=False,
        no_wheel="error",
        requirements=(),
        requires_python=">=3.10",
    )
    ordered = sorted(packages, key=lambda p: (p.name, p.version))
    return Lock(
        inputs=inputs, targets=tuple(targets), skipped=(), environments=(), packages=tuple(ordered)
    )


def demo_lock() -> Lock:
    """numpy and pandas (a wheel per target), cryptography (abi3: a wheel per platform), six
    (pure, everywhere), tomli (pure, 3.10 only), colorama (pure, Windows only),
    typing-extensions (pure, everywhere, but two versions)."""
    py310 = [t for t in TARGETS if t.python_version == "3.10"]
    py312 = [t for t in TARGETS if t.python_version == "3.12"]
    windows = [t for t in TARGETS if t.os == "windows"]
    return lock_of(
        TARGETS,
        [
            package("numpy", "2.2.0", {t: native("numpy", "2.2.0", t) for t in TARGETS}),
            package("pandas", "2.2.3", {t: native("pandas", "2.2.3", t) for t in TARGETS}),
            package(
                "cryptography",
                "44.0.0",
                {t: native("cryptography", "44.0.0", t, abi3=True) for t in TARGETS},
            ),
            package("six", "1.17.0", dict.fromkeys(TARGETS, "six-1.17.0-py2.py3-none-any.whl")),
            package("tomli", "2.2.1", dict.fromkeys(py310, pure("tomli", "2.2.1"))),
            package("colorama", "0.4.6", dict.fromkeys(windows, pure("colorama", "0.4.6"))),
            package(
                "typing-extensions",
                "4.12.2",
                dict.fromkeys(py310, pure("typing_extensions", "4.12.2")),
            ),
            package(
                "typing-extensions",
                "4.13.0",
                dict.fromkeys(py312, pure("typing_extensions", "4.13.0")),
            ),
        ],
    )


def tree_hashes(lock: Lock) -> dict[str, str]:
    return {
        wheel.file.sha256: tree_of(wheel.file.filename)
        for package in lock.packages
        for wheel in package.wheels
        if wheel.file.sha256 is not None
    }


def demo_doc() -> ArtifactsDoc:
    lock = demo_lock()
    return build_artifacts(lock, tree_hashes(lock))


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("project", "name"),
    [
        ("numpy", "omniwheel_numpy"),
        ("Typing-Extensions", "omniwheel_typing_extensions"),
        ("zope.interface", "omniwheel_zope_interface"),
        ("ruamel.yaml.clib", "omniwheel_ruamel_yaml_clib"),
    ],
)
def test_artifact_names(project: str, name: str) -> None:
    assert artifact_name(project) == name
    assert is_omniwheel_name(name)


# --- building ---------------------------------------------------------------------------------


def test_one_artifact_per_package() -> None:
    assert sorted(demo_doc().artifacts) == [
        "omniwheel_colorama",
        "omniwheel_cryptography",
        "omniwheel_numpy",
        "omniwheel_pandas",
        "omniwheel_six",
        "omniwheel_tomli",
        "omniwheel_typing_extensions",
    ]


def test_pure_wheel_needed_everywhere_is_platform_free() -> None:
    six = demo_doc().artifacts["omniwheel_six"]
    assert six.platform_free
    assert six.entries == (ArtifactEntry(git_tree_sha1=tree_of("six-1.17.0-py2.py3-none-any.whl")),)


def test_platform_wheels_get_one_entry_per_target() -> None:
    numpy = demo_doc().artifacts["omniwheel_numpy"]
    assert not numpy.platform_free
    assert [entry.platform for entry in numpy.entries] == [
        {"os": "linux", "arch": "x86_64", "libc": "glibc", "python": "3.10"},
        {"os": "linux", "arch": "x86_64", "libc": "glibc", "python": "3.12"},
        {"os": "linux", "arch": "x86_64", "libc": "musl", "python": "3.10"},
        {"os": "linux", "arch": "x86_64", "libc": "musl", "python": "3.12"},
        {"os": "linux", "arch": "aarch64", "libc": "glibc", "python": "3.10"},
        {"os": "linux", "arch": "aarch64", "libc": "glibc", "python": "3.12"},
        {"os": "macos", "arch": "aarch64", "python": "3.10"},
        {"os": "macos", "arch": "aarch64", "python": "3.12"},
        {"os": "windows", "arch": "x86_64", "python": "3.10"},
        {"os": "windows", "arch": "x86_64", "python": "3.12"},
    ]
    assert [entry.git_tree_sha1 for entry in numpy.entries] == [
        tree_of(native("numpy", "2.2.0", target)) for target in TARGETS
    ]


def test_pure_wheel_needed_on_some_targets_gets_entries_for_those() -> None:
    doc = demo_doc()
    tomli = doc.artifacts["omniwheel_tomli"]
    assert {entry.platform["python"] for entry in tomli.entries if entry.platform} == {"3.10"}
    assert len(tomli.entries) == len(PLATFORMS)
    colorama = doc.artifacts["omniwheel_colorama"]
    assert [entry.platform for entry in colorama.entries] == [
        {"os": "windows", "arch": "x86_64", "python": "3.10"},
        {"os": "windows", "arch": "x86_64", "python": "3.12"},
    ]


def test_pure_package_at_two_versions_is_per_target() -> None:
    typing_extensions = demo_doc().artifacts["omniwheel_typing_extensions"]
    assert not typing_extensions.platform_free
    assert len(typing_extensions.entries) == len(TARGETS)


def test_platform_wheel_needed_everywhere_is_still_per_target() -> None:
    """A lock for one target: its only numpy wheel must not become a platform-free table."""
    target = target_from_name("linux-x86_64@3.12")
    lock = lock_of(
        [target], [package("numpy", "2.2.0", {target: native("numpy", "2.2.0", target)})]
    )
    numpy = build_artifacts(lock, tree_hashes(lock)).artifacts["omniwheel_numpy"]
    assert not numpy.platform_free


def test_lazy_marks_every_entry() -> None:
    lock = demo_lock()
    doc = build_artifacts(lock, tree_hashes(lock), lazy=True)
    assert all(entry.lazy for artifact in doc.artifacts.values() for entry in artifact.entries)


def test_targets_julia_cannot_tell_apart_share_one_entry() -> None:
    old, new = (
        target_from_name("linux-x86_64-glibc2.17@3.12"),
        target_from_name("linux-x86_64@3.12"),
    )
    wheel = native("numpy", "2.2.0", old)
    lock = lock_of([old, new], [package("numpy", "2.2.0", {old: wheel, new: wheel})])
    numpy = build_artifacts(lock, tree_hashes(lock)).artifacts["omniwheel_numpy"]
    assert [entry.git_tree_sha1 for entry in numpy.entries] == [tree_of(wheel)]


def test_targets_julia_cannot_tell_apart_needing_different_trees_conflict() -> None:
    old, new = (
        target_from_name("linux-x86_64-glibc2.17@3.12"),
        target_from_name("linux-x86_64@3.12"),
    )
    wheels = {old: native("numpy", "2.2.0", old), new: native("numpy", "2.2.0", new)}
    lock = lock_of([old, new], [package("numpy", "2.2.0", wheels)])
    with pytest.raises(ArtifactConflictError) as caught:
        build_artifacts(lock, tree_hashes(lock))
    message = caught.value.message
    assert "omniwheel_numpy" in message
    assert old.name in message
    assert new.name in message
    assert "x86_64-linux-gnu-python+3.12" in message


def test_missing_tree_hash_names_the_wheel() -> None:
    lock = demo_lock()
    with pytest.raises(ArtifactError, match=r"no tree hash for colorama 0\.4\.6") as caught:
        build_artifacts(lock, {})
    assert caught.value.hint is not None


def test_downloads_are_added_by_tree() -> None:
    doc = demo_doc()
    six_tree = doc.artifacts["omniwheel_six"].entries[0].git_tree_sha1
    download = Download(url=f"https://example.org/r/{six_tree}.tar.gz", sha256="a" * 64, size=10)
    updated = with_downloads(doc, {six_tree: [download]})
    assert updated.artifacts["omniwheel_six"].entries[0].downloads == (download,)
    assert updated.artifacts["omniwheel_numpy"] == doc.artifacts["omniwheel_numpy"]


def test_tree_hashes_lists_every_tree() -> None:
    doc = demo_doc()
    assert tree_of(pure("tomli", "2.2.1")) in doc.tree_hashes()
    assert len(doc.tree_hashes()) == len(set(tree_hashes(demo_lock()).values()))


# --- writing ----------------------------------------------------------------------------------

SIX = "1" * 40
NUMPY_LINUX = "2" * 40
NUMPY_WINDOWS = "3" * 40
SMALL_TEXT = f"""\
# omniwheel_* entries are written by omniwheel from pylock.toml (`omniwheel artifacts write`).
# Other entries are kept as they are.

[[omniwheel_numpy]]
arch = "x86_64"
git-tree-sha1 = "{NUMPY_LINUX}"
libc = "glibc"
os = "linux"
python = "3.12"

[[omniwheel_numpy.download]]
sha256 = "{"b" * 64}"
size = 1234
url = "https://example.org/r/{NUMPY_LINUX}.tar.gz"

[[omniwheel_numpy]]
arch = "x86_64"
git-tree-sha1 = "{NUMPY_WINDOWS}"
lazy = true
os = "windows"
python = "3.12"

[omniwheel_six]
git-tree-sha1 = "{SIX}"
"""


def _small_doc() -> ArtifactsDoc:
    return parse_artifacts(SMALL_TEXT)


def test_render_is_sorted_like_pkg_writes_it() -> None:
    assert render_artifacts(_small_doc()) == SMALL_TEXT


def test_render_is_deterministic_and_reads_back() -> None:
    doc = demo_doc()
    text = render_artifacts(doc)
    assert render_artifacts(demo_doc()) == text
    assert parse_artifacts(text) == doc


JLL_PART = """\
# Binary dependencies of this package.
[[LibFoo]]
arch = "x86_64"
git-tree-sha1 = "4444444444444444444444444444444444444444"  # keep this comment
libgfortran_version = "5.0.0"
os = "linux"

    [[LibFoo.download]]
    sha256 = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    url = "https://example.org/LibFoo.v1.x86_64-linux-gnu.tar.gz"

[socrates]
git-tree-sha1 = "43563e7631a7eafae1f9f8d9d332e3de44ad7239"
lazy = true
"""
STALE = """
[omniwheel_gone]
git-tree-sha1 = "5555555555555555555555555555555555555555"
"""


def test_merge_keeps_foreign_entries_verbatim_and_replaces_ours() -> None:
    existing = JLL_PART + STALE
    merged = merge_artifacts(existing, _small_doc())
    assert merged.startswith(JLL_PART)
    assert "omniwheel_gone" not in merged
    read = parse_artifacts(merged)
    assert sorted(read.artifacts) == ["LibFoo", "omniwheel_numpy", "omniwheel_six", "socrates"]
    assert read.artifacts["omniwheel_numpy"] == _small_doc().artifacts["omniwheel_numpy"]


def test_merge_is_idempotent() -> None:
    once = merge_artifacts(JLL_PART + STALE, _small_doc())
    assert merge_artifacts(once, _small_doc()) == once


def test_merge_into_nothing_renders_a_new_file() -> None:
    assert merge_artifacts(None, _small_doc()) == SMALL_TEXT
    assert merge_artifacts("  \n", _small_doc()) == SMALL_TEXT


def test_merge_of_an_empty_doc_removes_our_entries_only() -> None:
    merged = merge_artifacts(JLL_PART + STALE, ArtifactsDoc(artifacts={}))
    assert sorted(parse_artifacts(merged).artifacts) == ["LibFoo", "socrates"]


def test_merge_refuses_foreign_names() -> None:
    doc = ArtifactsDoc(artifacts={"LibFoo": _small_doc().artifacts["omniwheel_six"]})
    with pytest.raises(ArtifactError, match="non-omniwheel artifacts: LibFoo"):
        merge_artifacts(JLL_PART, doc)


def test_merge_refuses_a_malformed_file() -> None:
    with pytest.raises(ArtifactsTomlError, match=r"Artifacts\.toml has 1 problem"):
        merge_artifacts('LibFoo = "x"\n', _small_doc())


# --- reading ----------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"
ENTRY = f'git-tree-sha1 = "{SHA}"\n'
LINUX = 'os = "linux"\narch = "x86_64"\n'


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('n = "x"\n', "n", "must be a table or an array of tables, not a string"),
        ("n = 3\n", "n", "not a number"),
        ("n = [1, 2]\n", "n[0]", "must be a table, not a number"),
        ('[[n]]\narch = "x86_64"\n' + ENTRY, "n[0]", "needs `os` (strings)"),
        ("[[n]]\n" + ENTRY, "n[0]", "needs `os` and `arch`"),
        ('[[n]]\nos = 1\narch = "x86_64"\n' + ENTRY, "n[0]", "needs `os`"),
        ("[n]\nlazy = true\n", "n", "has no `git-tree-sha1`"),
        ('[n]\ngit-tree-sha1 = "abc"\n', "n.git-tree-sha1", "must be 40 hex digits"),
        ("[n]\ngit-tree-sha1 = 12\n", "n.git-tree-sha1", "must be 40 hex digits"),
        ('[n]\ngit-tree-sha1 = "' + "g" * 40 + '"\n', "n.git-tree-sha1", "40 hex"),
        ('[n]\nlazy = "yes"\n' + ENTRY, "n.lazy", "must be true or false"),
        ("[n]\ndownload = 3\n" + ENTRY, "n.download", "must be an array of tables"),
        (
            f'[n]\n{ENTRY}[[n.download]]\nsha256 = "{"a" * 64}"\n',
            "n.download[0].url",
            "non-empty string",
        ),
        (
            f'[n]\n{ENTRY}[[n.download]]\nurl = "https://x/y"\nsha256 = "{"A" * 64}"\n',
            "n.download[0].sha256",
            "64 lowercase hex digits",
        ),
        (
            f'[n]\n{ENTRY}[[n.download]]\nurl = "u"\nsha256 = "{"a" * 64}"\nsize = -1\n',
            "n.download[0].size",
            "whole number of bytes",
        ),
        (
            f'[n]\n{ENTRY}[[n.download]]\nurl = "u"\nsha256 = "{"a" * 64}"\nsize = true\n',
            "n.download[0].size",
            "whole number of bytes",
        ),
        (f'[[n]]\n{LINUX}{ENTRY}python = "cp312-abi3"\n', "n[0]", "contains `-`"),
        (f'[[n]]\n{LINUX}{ENTRY}"a:b" = "x"\n', "n[0]", "tag name `a:b` contains `:`"),
        (f"[[n]]\n{LINUX}{ENTRY}\n[[n]]\n{LINUX}{ENTRY}", "n[1]", "same platform as n[0]"),
        (
            f'[[n]]\n{LINUX}{ENTRY}\n[[n]]\nos = "Linux"\narch = "amd64"\nlibc = "glibc"\n{ENTRY}',
            "n[1]",
            "(x86_64-linux-gnu)",
        ),
        ('"a.b" = 1\n', '"a.b"', "must be a table"),
    ],
)
def test_malformed_files_name_the_key_path(text: str, where: str, message: str) -> None:
    with pytest.raises(ArtifactsTomlError) as caught:
        parse_artifacts(text, source="pkg/Artifacts.toml")
    problems = [(p.where, p.message) for p in caught.value.problems]
    assert any(w == where and message in m for w, m in problems), problems
    assert "pkg/Artifacts.toml" in caught.value.message


def test_table_and_array_under_one_name_is_not_toml() -> None:
    with pytest.raises(ArtifactsTomlError, match="not valid TOML"):
        parse_artifacts(f"[n]\n{ENTRY}\n[[n]]\n{LINUX}{ENTRY}")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ArtifactsTomlError) as caught:
        parse_artifacts('a = 1\nb = "x"\n[c]\nlazy = 1\n')
    assert len(caught.value.problems) == 4
    assert "has 4 problems" in caught.value.message


def test_reading_keeps_platform_tags_as_written() -> None:
    doc = parse_artifacts(
        f'[[n]]\nos = "Linux"\narch = "amd64"\n{ENTRY}cuda = "12.0"\nlazy = true\nextra = 3\n'
    )
    entry = doc.artifacts["n"].entries[0]
    assert entry.platform == {"os": "Linux", "arch": "amd64", "cuda": "12.0"}
    assert entry.lazy
    platform = entry.julia_platform()
    assert platform is not None
    assert platform.triplet() == "x86_64-linux-gnu-cuda+12.0"


def test_uppercase_tree_hash_is_read_lowercase() -> None:
    doc = parse_artifacts(f'[n]\ngit-tree-sha1 = "{SHA.upper()}"\n')
    assert doc.artifacts["n"].entries[0].git_tree_sha1 == SHA


def test_empty_array_is_an_artifact_with_no_entries() -> None:
    doc = parse_artifacts("n = []\n")
    assert doc.artifacts["n"].entries == ()
    assert not doc.artifacts["n"].platform_free
