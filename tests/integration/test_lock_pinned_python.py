"""``omniwheel lock --pin-python``: the lock pins, per target, a python-build-standalone build.

The release is read from a mirror (``file://`` or loopback HTTP) laid out as uv's
``UV_PYTHON_INSTALL_MIRROR`` expects, ``{mirror}/{tag}/SHA256SUMS``: for this machine's target an
archive built from a pyenv CPython (``tests/support/pbs_archives.py``), for foreign targets a
``SHA256SUMS`` that only names their assets (locking reads metadata only: no archive is fetched).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from omniwheel.platform.target import target_from_name
from omniwheel.python import pbs, release_fetch
from omniwheel.python.pbs import DEFAULT_PYTHON_RELEASE, RELEASE_DOWNLOAD, triple_for
from tests.support.index_server import IndexServer
from tests.support.pbs_archives import ArchiveShelf, BuiltArchive, shelf
from tests.support.static_server import StaticServer
from tests.support.sync_space import PYTHON, Workspace, this_platform
from tests.support.wheelbuilder import build_wheel

FOREIGN_TAG = "20250920"
FOREIGN_SHA = "cd" * 32


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> ArchiveShelf:
    return shelf(tmp_path_factory)


@pytest.fixture(scope="session")
def built(archives: ArchiveShelf) -> BuiltArchive:
    """The archive of the running interpreter's minor (the host target's Python)."""
    return archives.archive(sys.version_info.minor)


def _lock(space: Workspace, *args: str, platforms: tuple[str, ...] = ()) -> tuple[int, str]:
    targets = [a for p in platforms or (this_platform(),) for a in ("--platform", p)]
    run = space.cli("lock", *targets, *args)
    return run.exit_code, run.stdout + run.stderr


def _pins(space: Workspace) -> list[dict[str, object]]:
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    pins: list[dict[str, object]] = data["tool"]["omniwheel"].get("python", [])
    return pins


def test_the_host_target_pins_the_release_build(
    space: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    mirror = archives.root.as_uri()
    code, output = _lock(
        space, "--pin-python", "--python-release", archives.tag, "--python-mirror", mirror
    )
    assert code == 0, output
    (entry,) = _pins(space)
    assert entry["version"] == built.version
    assert entry["release"] == archives.tag
    assert entry["triple"] == triple_for(target_from_name(this_platform()).platform)
    assert entry["hashes"] == {"sha256": built.sha256}
    assert entry["targets"] == [target_from_name(this_platform()).name]
    assert entry["url"] == f"{RELEASE_DOWNLOAD}/{archives.tag}/{built.filename.replace('+', '%2B')}"
    assert mirror not in (space.project / "pylock.toml").read_text(encoding="utf-8")
    assert entry["executable"] == "python/bin/python3"
    assert entry["libpython"] == f"python/lib/libpython{PYTHON}.so.1.0"
    assert f"Pinned 1 interpreter (release {archives.tag}): CPython {built.version}" in output
    tool = tomllib.loads((space.project / "pylock.toml").read_text())["tool"]["omniwheel"]
    assert (tool["pin-python"], tool["python-release"]) == (True, archives.tag)


def test_same_inputs_same_bytes_and_check_passes(space: Workspace, archives: ArchiveShelf) -> None:
    archives.archive(sys.version_info.minor)
    args = ("--pin-python", "--python-release", archives.tag)
    environ = {"OMNIWHEEL_PYTHON_MIRROR": archives.root.as_uri()}
    first = space.cli("lock", "--platform", this_platform(), *args, environ=environ)
    assert first.exit_code == 0, first.stderr
    text = (space.project / "pylock.toml").read_text(encoding="utf-8")
    again = space.cli("lock", environ=environ)  # the pin and release were recorded as given
    assert again.exit_code == 0, again.stderr
    assert (space.project / "pylock.toml").read_text(encoding="utf-8") == text
    check = space.cli("lock", "--check", environ=environ)
    assert check.exit_code == 0, check.stderr


def _foreign_release(root: Path, tag: str, version: str = "3.11.14") -> str:
    """A ``SHA256SUMS`` naming builds for every triple the default matrix needs."""
    triples = (
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "x86_64-unknown-linux-musl",
    )
    lines = [
        f"{FOREIGN_SHA}  cpython-{version}+{tag}-{triple}-install_only_stripped.tar.gz"
        for triple in triples
    ]
    # Kept out by rule: a full archive, a microarchitecture build, a freethreaded one.
    lines += [
        f"{'ef' * 32}  cpython-{version}+{tag}-x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst",
        f"{'ef' * 32}  cpython-{version}+{tag}-x86_64_v3-unknown-linux-gnu-install_only.tar.gz",
    ]
    (root / tag).mkdir(parents=True, exist_ok=True)
    (root / tag / "SHA256SUMS").write_text("".join(f"{line}\n" for line in lines))
    return root.as_uri()


def test_foreign_targets_pin_from_metadata_alone(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    platforms = (
        "linux-x86_64@3.11",
        "linux-aarch64@3.11",
        "macos-x86_64@3.11",
        "macos-arm64@3.11",
        "windows-x86_64@3.11",
        "linux-x86_64-musl@3.11",
    )
    args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", mirror)
    code, output = _lock(space, *args, platforms=platforms)
    assert code == 0, output
    pins = _pins(space)
    assert [str(p["triple"]) for p in pins] == sorted(str(p["triple"]) for p in pins)
    by_triple = {p["triple"]: p for p in pins}
    assert set(by_triple) == {
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "x86_64-unknown-linux-musl",
    }
    assert all(p["version"] == "3.11.14" and p["flavor"] == "install_only_stripped" for p in pins)
    assert by_triple["x86_64-pc-windows-msvc"]["executable"] == "python/python.exe"
    assert by_triple["aarch64-apple-darwin"]["targets"] == ["macos-arm64-13.0@3.11"]
    assert "Pinned 6 interpreters" in output


def test_a_target_without_a_build_is_an_error_naming_it(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG, version="3.12.11")
    code, output = _lock(
        space,
        "--pin-python",
        "--python-release",
        FOREIGN_TAG,
        "--python-mirror",
        mirror,
        platforms=("linux-x86_64@3.11",),
    )
    assert code == 1
    assert output.startswith("error: ")
    assert FOREIGN_TAG in output
    assert "linux-x86_64-glibc2.28@3.11" in output
    assert "hint:" in output
    assert "Traceback" not in output
    assert not (space.project / "pylock.toml").read_text().count("[[tool.omniwheel.python]]")


def _configure(space: Workspace, settings: str) -> None:
    pyproject = space.project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").split("\n[tool.omniwheel]\n")[0]
    pyproject.write_text(f"{text}\n[tool.omniwheel]\n{settings}", encoding="utf-8")


def test_a_changed_release_is_reported_by_check(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    _foreign_release(tmp_path / "mirror", "20251010", version="3.11.15")
    environ = {"OMNIWHEEL_PYTHON_MIRROR": mirror}
    _configure(space, f'pin-python = true\npython-release = "{FOREIGN_TAG}"\n')
    first = space.cli("lock", "--platform", "linux-x86_64@3.11", environ=environ)
    assert first.exit_code == 0, first.stderr
    assert space.cli("lock", "--check", environ=environ).exit_code == 0
    _configure(space, 'pin-python = true\npython-release = "20251010"\n')
    check = space.cli("lock", "--check", environ=environ)
    assert check.exit_code == 1
    assert f"python-release: {FOREIGN_TAG} → 20251010" in check.stderr
    assert (
        "pinned interpreter for linux-x86_64-glibc2.28@3.11: CPython 3.11.14 "
        f"(x86_64-unknown-linux-gnu, release {FOREIGN_TAG}) → CPython 3.11.15 "
        "(x86_64-unknown-linux-gnu, release 20251010)"
    ) in check.stderr
    relock = space.cli("lock", environ=environ)
    assert relock.exit_code == 0, relock.stderr
    assert _pins(space)[0]["version"] == "3.11.15"


def test_a_release_given_on_the_command_line_is_kept(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    _foreign_release(tmp_path / "mirror", "20251010", version="3.11.15")
    args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", mirror)
    code, output = _lock(space, *args, platforms=("linux-x86_64@3.11",))
    assert code == 0, output
    _configure(space, 'python-release = "20251010"\n')
    # Like --uniform: what a command line gave stays until a command line changes it.
    check = space.cli("lock", "--check", "--python-mirror", mirror)
    assert check.exit_code == 0, check.stderr
    moved = space.cli("lock", "--check", "--python-release", "20251010", "--python-mirror", mirror)
    assert moved.exit_code == 1
    assert f"python-release: {FOREIGN_TAG} → 20251010" in moved.stderr
    dropped = space.cli("lock", "--no-pin-python", "--python-mirror", mirror)
    assert dropped.exit_code == 0, dropped.stderr
    assert _pins(space) == []
    assert "pinned interpreter for linux-x86_64-glibc2.28@3.11: CPython 3.11.14" in dropped.stderr
    assert "→ none" in dropped.stderr


def test_lock_json_lists_the_pins(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    run = space.cli(
        "lock",
        "--platform",
        "linux-x86_64@3.11",
        "--platform",
        "windows-x86_64@3.11",
        "--pin-python",
        "--python-release",
        FOREIGN_TAG,
        "--python-mirror",
        mirror,
        "--json",
    )
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert [(p["triple"], p["targets"]) for p in report["pythons"]] == [
        ("x86_64-pc-windows-msvc", ["windows-x86_64@3.11"]),
        ("x86_64-unknown-linux-gnu", ["linux-x86_64-glibc2.28@3.11"]),
    ]
    assert all(p["sha256"] == FOREIGN_SHA for p in report["pythons"])
    assert all(p["url"].startswith(RELEASE_DOWNLOAD) for p in report["pythons"])


def test_a_loopback_mirror_and_its_failure(space: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "served"
    _foreign_release(root, FOREIGN_TAG)
    with StaticServer(root) as server:
        args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", server.url)
        code, output = _lock(space, *args, platforms=("linux-x86_64@3.11",))
        assert code == 0, output
        assert _pins(space)[0]["hashes"] == {"sha256": FOREIGN_SHA}
        (root / FOREIGN_TAG / "SHA256SUMS").write_text("not a checksum line\n")
        # The first lock kept the good copy; --refresh reads the mirror again.
        code, output = _lock(space, *args, "--refresh", platforms=("linux-x86_64@3.11",))
        url = f"{server.url.rstrip('/')}/{FOREIGN_TAG}/SHA256SUMS"
    assert code == 1
    assert output.startswith("error: ")
    assert output.startswith(f"error: {url} is not a usable SHA256SUMS file")
    assert "hint:" in output
    assert "Traceback" not in output


def test_pyproject_settings_pin_without_flags(space: Workspace, tmp_path: Path) -> None:
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    (space.project / "pyproject.toml").write_text(
        (space.project / "pyproject.toml").read_text()
        + f'\n[tool.omniwheel]\npin-python = true\npython-release = "{FOREIGN_TAG}"\n'
        f'python-mirror = "{mirror}"\n'
    )
    code, output = _lock(space, platforms=("linux-x86_64@3.11",))
    assert code == 0, output
    assert _pins(space)[0]["release"] == FOREIGN_TAG


def test_the_default_release_is_kept_until_upgrade(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = _foreign_release(tmp_path / "mirror", DEFAULT_PYTHON_RELEASE)
    _foreign_release(tmp_path / "mirror", "20261015", version="3.11.15")
    environ = {"OMNIWHEEL_PYTHON_MIRROR": mirror}
    _configure(space, "pin-python = true\n")
    first = space.cli("lock", "--platform", "linux-x86_64@3.11", environ=environ)
    assert first.exit_code == 0, first.stderr
    assert _pins(space)[0]["release"] == DEFAULT_PYTHON_RELEASE
    # A newer omniwheel names a newer default: the lock keeps its release, as it keeps versions.
    monkeypatch.setattr(pbs, "DEFAULT_PYTHON_RELEASE", "20261015")
    assert space.cli("lock", "--check", environ=environ).exit_code == 0
    upgraded = space.cli("lock", "--upgrade", environ=environ)
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"python-release: {DEFAULT_PYTHON_RELEASE} → 20261015" in upgraded.stderr
    assert _pins(space)[0]["version"] == "3.11.15"


def test_a_release_without_pinning_is_refused(space: Workspace) -> None:
    code, output = _lock(space, "--python-release", FOREIGN_TAG)
    assert code == 1
    assert output.startswith("error: `--python-release 20250920` names a release")
    assert "hint: add `--pin-python`" in output


def test_an_unreachable_mirror_is_named_without_its_credentials(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_fetch, "BACKOFF_SECONDS", 0.0)
    with StaticServer(tmp_path) as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]
    mirror = f"http://someone:s3cret@127.0.0.1:{port}/pbs"  # nothing listens there any more
    code, output = _lock(
        space, "--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", mirror
    )
    assert code == 1
    assert output.startswith(
        f"error: fetching http://127.0.0.1:{port}/pbs/{FOREIGN_TAG}/SHA256SUMS"
    )
    assert "s3cret" not in output
    assert "someone" not in output
    assert "hint:" in output
    assert "Traceback" not in output


def _versions(space: Workspace) -> dict[str, tuple[str, str | None]]:
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    return {p["name"]: (p["version"], p.get("marker")) for p in data["packages"]}


@pytest.fixture
def patch_sensitive(space: Workspace, index_server: IndexServer, tmp_path: Path) -> Workspace:
    """A project on target 3.12 whose answer depends on the patch release: ``delta`` 1.0 needs
    3.12.4 or later, ``epsilon`` 2.0 needs 3.12.4 or earlier, and ``late`` is needed only from
    3.12.4 on.  Target 3.12 unpinned stands for every 3.12.y, so it takes delta 0.9, epsilon
    1.0 and ``late`` under a marker."""
    wheels = tmp_path / "patch-sensitive"
    for name, version, requires_python in [
        ("delta", "0.9", None),
        ("delta", "1.0", ">=3.12.4"),
        ("epsilon", "1.0", None),
        ("epsilon", "2.0", "<=3.12.4"),
        ("late", "1.0", None),
    ]:
        index_server.add_file(build_wheel(wheels, name, version, requires_python=requires_python))
    space.write(["delta", "epsilon", 'late; python_full_version >= "3.12.4"'])
    pyproject = space.project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace(f'">={PYTHON}"', '">=3.10"'), encoding="utf-8")
    return space


def test_an_unpinned_target_resolves_for_every_patch_release(patch_sensitive: Workspace) -> None:
    code, output = _lock(patch_sensitive, platforms=("linux-x86_64@3.12",))
    assert code == 0, output
    versions = _versions(patch_sensitive)
    assert versions["delta"][0] == "0.9"
    assert versions["epsilon"][0] == "1.0"
    assert versions["late"] == ("1.0", 'python_full_version >= "3.12.4"')


@pytest.mark.parametrize(
    ("pinned", "expected"),
    [
        ("3.12.7", ("1.0", "1.0", True)),  # delta 1.0 admits 3.12.7; epsilon 2.0 does not
        ("3.12.4", ("1.0", "2.0", True)),
        ("3.12.2", ("0.9", "2.0", False)),  # `late` is not needed on 3.12.2 at all
    ],
)
def test_resolution_runs_at_the_pinned_release(
    patch_sensitive: Workspace, tmp_path: Path, pinned: str, expected: tuple[str, str, bool]
) -> None:
    """The pinned patch is the target's ``python_full_version``: every chosen file's
    ``Requires-Python`` admits it and markers are evaluated at it (no patch condition left).
    ``expected``: the versions of delta and epsilon, and whether ``late`` is locked."""
    delta, epsilon, late = expected
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG, pinned)
    args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", mirror)
    code, output = _lock(patch_sensitive, *args, platforms=("linux-x86_64@3.12",))
    assert code == 0, output
    versions = _versions(patch_sensitive)
    assert versions["delta"][0] == delta
    assert versions["epsilon"][0] == epsilon
    assert ("late" in versions) is late
    if late:
        assert versions["late"] == ("1.0", None)  # needed on the pinned release, unconditionally
    assert [str(p["version"]) for p in _pins(patch_sensitive)] == [pinned]


def test_a_pin_no_version_admits_is_an_error(
    space: Workspace, index_server: IndexServer, tmp_path: Path
) -> None:
    """A release with only a candidate of 3.11 pins it; a file requiring ``>=3.11`` (every
    final 3.11) excludes that pre-release, and there is no other version: the lock fails and
    names the package and the target."""
    index_server.add_file(build_wheel(tmp_path / "more", "delta", "1.0", requires_python=">=3.11"))
    space.write(["alpha", "gamma", "delta"])
    pyproject = space.project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace(f'">={PYTHON}"', '">=3.10"'), encoding="utf-8")
    mirror = _foreign_release(tmp_path / "mirror", FOREIGN_TAG, "3.11.0rc2")
    args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", mirror)
    lock_file = space.project / "pylock.toml"
    before = lock_file.read_bytes() if lock_file.exists() else None
    code, output = _lock(space, *args, platforms=("linux-x86_64@3.11",))
    assert code == 1
    assert output.startswith("error: no version of `delta`")
    assert "linux-x86_64-glibc2.28@3.11" in output
    assert "Traceback" not in output
    assert (lock_file.read_bytes() if lock_file.exists() else None) == before


def test_the_default_matrix_pins_every_target(space: Workspace, tmp_path: Path) -> None:
    triples = (
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    )
    lines = [
        f"{FOREIGN_SHA}  cpython-3.{minor}.{patch}+{FOREIGN_TAG}-{triple}-{flavor}.tar.gz"
        for triple in triples
        for minor in range(9, 16)
        for patch in (1, 4)
        for flavor in ("install_only", "install_only_stripped")
    ]
    (tmp_path / "mirror" / FOREIGN_TAG).mkdir(parents=True)
    (tmp_path / "mirror" / FOREIGN_TAG / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    (space.project / "pylock.toml").unlink()  # its targets came from a command line
    environ = {"OMNIWHEEL_PYTHON_MIRROR": (tmp_path / "mirror").as_uri()}
    run = space.cli(
        "lock", "--pin-python", "--python-release", FOREIGN_TAG, "--json", environ=environ
    )
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    locked = [target["name"] for target in report["targets"]]
    served = [name for entry in report["pythons"] for name in entry["targets"]]
    assert sorted(served) == sorted(locked)  # every target pinned, each once
    assert len(locked) > len(triples)
    assert all(entry["version"].endswith(".4") for entry in report["pythons"])  # newest patch
    assert all(entry["url"].endswith("install_only_stripped.tar.gz") for entry in report["pythons"])
    keys = [(entry["triple"], entry["version"]) for entry in report["pythons"]]
    assert keys == sorted(keys, key=lambda key: (key[0], Version(key[1])))
    assert len(set(keys)) == len(keys)  # targets sharing a build share one entry


def test_a_warm_pinned_lock_reads_the_release_from_the_cache(
    space: Workspace, tmp_path: Path
) -> None:
    """The release's SHA256SUMS is read once: a relock with the mirror gone still pins (and
    writes the same bytes); ``--refresh`` reads it again, so then the mirror must answer."""
    space.write(["alpha"])
    _foreign_release(tmp_path / "mirror", FOREIGN_TAG)
    platforms = ("linux-x86_64@3.11",)
    with StaticServer(tmp_path / "mirror") as server:
        args = ("--pin-python", "--python-release", FOREIGN_TAG, "--python-mirror", server.url)
        code, output = _lock(space, *args, platforms=platforms)
        assert code == 0, output
        assert len(server.requests_to("*/SHA256SUMS")) == 1
    written = (space.project / "pylock.toml").read_bytes()
    code, output = _lock(space, *args, "--check", platforms=platforms)
    assert code == 0, output
    assert (space.project / "pylock.toml").read_bytes() == written
    code, output = _lock(space, *args, "--refresh", platforms=platforms)
    assert code == 1
    assert output.startswith(f"error: fetching {server.url}/{FOREIGN_TAG}/SHA256SUMS")
