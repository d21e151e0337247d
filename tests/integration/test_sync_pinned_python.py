"""``sync`` and ``run`` with a lock that pins the interpreter: the venv runs on the store's build.

The lock is made by ``omniwheel lock --pin-python`` from a mirror holding archives built from this
machine's pyenv CPythons (``tests/support/pbs_archives``); the sync downloads from a loopback
mirror (``OMNIWHEEL_PYTHON_MIRROR``) whose request log shows what was fetched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omniwheel.platform.target import target_from_name
from omniwheel.python.pbs import choose_build
from omniwheel.python.provision import PROBE_RECORD_SUFFIX, provide_python
from omniwheel.python.release_fetch import fetch_release
from omniwheel.store.python_archive import PYTHONS_DIR
from omniwheel.store.usage import USAGE_DIR
from tests.support.pbs_archives import (
    ArchiveShelf,
    BuiltArchive,
    archive_name,
    find_shared_pyenv,
    shelf,
)
from tests.support.static_server import StaticServer
from tests.support.sync_space import CliRun, Workspace, this_platform

_ME = """
import json, sys
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libpython" in l and "/" in l})
print(json.dumps({"version": sys.version.split()[0], "base": sys.base_prefix, "libpython": maps}))
"""


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> ArchiveShelf:
    return shelf(tmp_path_factory)


@pytest.fixture(scope="session")
def built(archives: ArchiveShelf) -> BuiltArchive:
    """The archive of the running interpreter's minor (the host target's Python)."""
    return archives.archive(sys.version_info.minor)


def _pin(space: Workspace, mirror: str, tag: str, *platforms: str) -> None:
    targets = [a for p in platforms or (this_platform(),) for a in ("--platform", p)]
    run = space.cli(
        "lock", *targets, "--pin-python", "--python-release", tag, "--python-mirror", mirror
    )
    assert run.exit_code == 0, run.stderr


def _sync(space: Workspace, *args: str, mirror: str | None = None, **environ: str) -> CliRun:
    if mirror is not None:
        environ["OMNIWHEEL_PYTHON_MIRROR"] = mirror
    return space.cli("sync", *args, environ=environ)


def _python_list(space: Workspace, *args: str) -> CliRun:
    return space.omniwheel("python", "list", "--project", str(space.project), *args)


def _home(venv: Path) -> str:
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    raise AssertionError("pyvenv.cfg has no home")


def _tree(cache: Path, sha256: str) -> Path:
    return cache / "store-v1" / PYTHONS_DIR / sha256


def _me(venv: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-B", "-c", _ME],
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def _listing(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*")}


@pytest.fixture
def pinned(space: Workspace, archives: ArchiveShelf, built: BuiltArchive) -> Workspace:
    """The workspace, its lock pinning this machine's build (read from a file:// mirror)."""
    _pin(space, archives.root.as_uri(), archives.tag)
    return space


def test_the_venv_is_built_on_the_pinned_interpreter_from_the_store(
    pinned: Workspace,
    archives: ArchiveShelf,
    built: BuiltArchive,
    capfd: pytest.CaptureFixture[str],
) -> None:
    space = pinned
    with StaticServer(archives.root) as server:
        first = _sync(space, mirror=server.url)
        assert first.exit_code == 0, first.stderr
        tree = _tree(space.cache, built.sha256)
        assert _home(space.venv) == str(tree / "python" / "bin")
        assert f"Downloaded and verified CPython {built.version}" in first.stderr
        assert f"with the pinned CPython {built.version}" in first.stderr
        me = _me(space.venv)
        assert me["version"] == built.version
        assert me["base"] == str(tree / "python")
        assert me["libpython"] == [
            os.path.realpath(
                tree / "python" / "lib" / Path(f"libpython3.{sys.version_info.minor}.so.1.0")
            )
        ]
        assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
        # nothing was written into the store's tree (the archive has no bytecode at all)
        assert not [p for p in _listing(tree) if "__pycache__" in p]
        capfd.readouterr()
        run = space.cli("run", "--", "python", "-B", "-c", "import sys; print(sys.version)")
        assert run.exit_code == 0
        assert capfd.readouterr().out.split()[0] == built.version
        downloads = [r.path for r in server.requests]
        assert downloads == [f"/{archives.tag}/{built.filename}"]

        again = _sync(space, mirror=server.url)
        assert again.exit_code == 0
        assert "Audited 3 packages" in again.stderr
        shutil.rmtree(space.venv)  # a new venv: the store has the interpreter already
        fresh = _sync(space, mirror=server.url)
        assert fresh.exit_code == 0, fresh.stderr
        assert "Downloaded" not in fresh.stderr
        assert [r.path for r in server.requests] == downloads
    (usage,) = (space.cache / USAGE_DIR).iterdir()  # the one environment's record
    assert f'pythons = ["{built.sha256}"]' in usage.read_text()


def test_offline_works_from_a_warm_store_and_fails_clearly_from_a_cold_one(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive, tmp_path: Path
) -> None:
    space = pinned
    cold = _sync(space, "--offline", OMNIWHEEL_CACHE_DIR=str(tmp_path / "cold"))
    assert cold.exit_code == 1
    assert "Traceback" not in cold.stderr
    assert f"lacks the pinned interpreter CPython {built.version}" in cold.stderr
    assert "python-build-standalone/releases/download/" in cold.stderr
    assert "hint:" in cold.stderr
    assert "OMNIWHEEL_PYTHON_MIRROR" in cold.stderr
    assert not space.venv.exists()

    assert _sync(space, mirror=archives.root.as_uri()).exit_code == 0
    shutil.rmtree(space.venv)
    warm = _sync(space, "--offline")
    assert warm.exit_code == 0, warm.stderr
    assert _me(space.venv)["version"] == built.version


@pytest.mark.usefixtures("instant_retries")
@pytest.mark.parametrize("fault", ["status-500", "truncate", "other-bytes"])
def test_a_failed_download_is_an_error_naming_the_build_and_leaves_nothing_trusted(
    pinned: Workspace,
    archives: ArchiveShelf,
    built: BuiltArchive,
    tmp_path: Path,
    fault: str,
) -> None:
    space = pinned
    root = archives.root
    if fault == "other-bytes":  # the mirror holds another file under the build's name
        root = tmp_path / "bad-mirror"
        (root / archives.tag).mkdir(parents=True)
        (root / archives.tag / built.filename).write_bytes(b"not the archive" * 1000)
    with StaticServer(root) as server:
        if fault == "status-500":
            server.fail("*.tar.gz", status=500)
        elif fault == "truncate":
            server.fail("*.tar.gz", truncate=True)
        run = _sync(space, mirror=server.url)
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert f"CPython {built.version} (x86_64-unknown-linux-gnu, release {archives.tag})" in (
        run.stderr
    )
    assert f"{server.url}/{archives.tag}/" in run.stderr
    pythons = space.store / PYTHONS_DIR
    assert not pythons.exists() or not [p for p in pythons.iterdir() if not p.name.startswith(".")]
    assert not space.venv.exists()


def test_an_archive_whose_interpreter_is_another_version_is_refused(
    space: Workspace, archives: ArchiveShelf, tmp_path: Path
) -> None:
    """A mirror listing the 3.12 archive's bytes as a 3.11 build: locking takes the name at its
    word, the sync's probe does not."""
    if find_shared_pyenv(11) is None or sys.version_info[:2] != (3, 11):
        pytest.skip("needs shared pyenv 3.11 and 3.12 builds, and omniwheel on 3.11")
    real = archives.archive(12)
    mirror = tmp_path / "lying-mirror"
    (mirror / archives.tag).mkdir(parents=True)
    label = archive_name("3.11.7", archives.tag)
    os.link(real.path, mirror / archives.tag / label)
    lines = [f"{real.sha256}  {label}"]
    (mirror / archives.tag / "SHA256SUMS").write_text("".join(f"{line}\n" for line in lines))
    _pin(space, mirror.as_uri(), archives.tag)
    run = _sync(space, mirror=mirror.as_uri())
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert f"reports Python {real.version}, not the pinned 3.11.7" in run.stderr
    assert f"{archives.tag}/cpython-3.11.7" in run.stderr
    assert not _tree(space.cache, real.sha256).exists()
    assert not (space.store / PYTHONS_DIR / f"{real.sha256}.tar.gz").exists()
    assert not (space.store / PYTHONS_DIR / f"{real.sha256}{PROBE_RECORD_SUFFIX}").exists()
    assert not space.venv.exists()


def test_a_changed_pin_rebuilds_the_venv(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    other_minor = 12 if sys.version_info.minor != 12 else 13
    other = archives.archive(other_minor)
    mirror = archives.root.as_uri()
    assert _sync(space, mirror=mirror).exit_code == 0
    platform = this_platform().rpartition("@")[0]
    _pin(space, mirror, archives.tag, f"{platform}@3.{other_minor}")
    run = _sync(space, mirror=mirror)
    assert run.exit_code == 0, run.stderr
    assert _home(space.venv) == str(_tree(space.cache, other.sha256) / "python" / "bin")
    assert _me(space.venv)["version"] == other.version
    state = json.loads((space.venv / ".omniwheel-state.json").read_text())
    assert state["python-build"] == state["python-pin"] == other.sha256


def test_python_path_overrides_the_pin_with_a_note_and_a_plain_sync_goes_back(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    host = built.source / "bin" / f"python3.{sys.version_info.minor}"
    run = _sync(space, "--python", str(host), mirror=archives.root.as_uri())
    assert run.exit_code == 0, run.stderr
    assert "differs from the interpreter the lock pins for this machine" in run.stderr
    assert _home(space.venv) == str(host.parent)
    assert not (space.store / PYTHONS_DIR).exists()  # nothing downloaded for the override
    again = _sync(space, "--python", str(host))
    assert "Audited" in again.stderr
    back = _sync(space, mirror=archives.root.as_uri())
    assert back.exit_code == 0, back.stderr
    assert _home(space.venv) == str(_tree(space.cache, built.sha256) / "python" / "bin")


def test_a_venv_remade_by_hand_on_another_interpreter_is_noticed(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    assert _sync(space, mirror=archives.root.as_uri()).exit_code == 0
    host = built.source / "bin" / f"python3.{sys.version_info.minor}"
    # `python -m venv` over an existing venv keeps site-packages and omniwheel's state file
    subprocess.run([str(host), "-m", "venv", "--without-pip", str(space.venv)], check=True)
    assert _home(space.venv) == str(host.parent)
    run = _sync(space)
    assert run.exit_code == 0, run.stderr
    assert "Audited 3 packages" not in run.stderr
    assert _home(space.venv) == str(_tree(space.cache, built.sha256) / "python" / "bin")


def test_a_dry_run_downloads_nothing_and_names_the_interpreter(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    with StaticServer(archives.root) as server:
        run = _sync(space, "--dry-run", mirror=server.url)
    assert run.exit_code == 0, run.stderr
    assert server.requests == []
    assert f"Would download CPython {built.version}" in run.stderr
    assert f"Would create {space.venv} with the pinned CPython {built.version}" in run.stderr
    assert "Would install 3 packages" in run.stderr
    assert not space.venv.exists()
    assert not (space.store / PYTHONS_DIR).exists()


def test_a_relocated_store_serves_a_fresh_venv(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive, tmp_path: Path
) -> None:
    space = pinned
    assert _sync(space, mirror=archives.root.as_uri()).exit_code == 0
    moved = tmp_path / "moved-cache"
    shutil.copytree(space.cache, moved, symlinks=True)
    venv = tmp_path / "other-venv"
    run = space.cli(
        "sync", "--offline", "--venv", str(venv), environ={"OMNIWHEEL_CACHE_DIR": str(moved)}
    )
    assert run.exit_code == 0, run.stderr
    tree = _tree(moved, built.sha256)
    assert _home(venv) == str(tree / "python" / "bin")
    me = _me(venv)
    assert me["version"] == built.version
    assert me["base"] == str(tree / "python")
    assert all(str(path).startswith(str(tree)) for path in me["libpython"])  # type: ignore[attr-defined]


def test_prune_keeps_the_interpreter_in_use_and_removes_others(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    assert _sync(space, mirror=archives.root.as_uri()).exit_code == 0
    other_minor = 12 if sys.version_info.minor != 12 else 13
    other = archives.archive(other_minor)
    # an interpreter no recorded environment runs on (another project's, since relocked)
    release = fetch_release(archives.tag, mirror=archives.root.as_uri())
    platform = this_platform().rpartition("@")[0]
    build = choose_build(release, target_from_name(f"{platform}@3.{other_minor}"))
    provide_python(build, store_root=space.store, mirror=archives.root.as_uri())
    junk = space.store / PYTHONS_DIR / ".0123456789abcdef-interrupted"
    (junk / "python").mkdir(parents=True)
    (junk / "python" / "file").write_text("x")
    (junk / "python").chmod(0o555)

    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "Removed 1 interpreter builds, kept 1 in use" in run.stderr
    assert _tree(space.cache, built.sha256).is_dir()
    assert not _tree(space.cache, other.sha256).exists()
    assert not (space.store / PYTHONS_DIR / f"{other.sha256}.tar.gz").exists()
    assert not junk.exists()
    assert _me(space.venv)["version"] == built.version

    clean = space.omniwheel("cache", "clean")
    assert clean.exit_code == 0, clean.stderr
    assert not space.store.exists()


def test_python_list_says_what_the_lock_pins_and_what_the_store_holds(
    space: Workspace, built: BuiltArchive, tmp_path: Path
) -> None:
    unpinned = _python_list(space)
    assert unpinned.exit_code == 0
    assert unpinned.stdout == ""
    assert "pins no interpreters" in unpinned.stderr
    # a mirror with this machine's build and, by name only, one for another machine
    mirror = tmp_path / "mirror"
    (mirror / built.tag).mkdir(parents=True)
    os.link(built.path, mirror / built.tag / built.filename)
    foreign = "linux-aarch64@3.11"
    (mirror / built.tag / "SHA256SUMS").write_text(
        f"{built.sha256}  {built.filename}\n"
        f"{'cd' * 32}  cpython-3.11.14+{built.tag}-aarch64-unknown-linux-gnu-install_only.tar.gz\n"
    )
    _pin(space, mirror.as_uri(), built.tag, this_platform(), foreign)
    listed = _python_list(space)
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert (
        f"CPython {built.version}  release {built.tag}  x86_64-unknown-linux-gnu  "
        f"sha256 {built.sha256[:12]}  (not in store, this machine)"
    ) in lines
    assert f"sha256 {'cd' * 6}  (not in store)" in listed.stdout
    assert f"  targets: {target_from_name(foreign).name}" in lines

    assert _sync(space, mirror=mirror.as_uri()).exit_code == 0
    data = json.loads(_python_list(space, "--json").stdout)
    mine = next(entry for entry in data["pythons"] if entry["this-machine"])
    assert mine["sha256"] == built.sha256
    assert mine["stored"] is True
    assert mine["tree"] == str(_tree(space.cache, built.sha256))
    other = next(entry for entry in data["pythons"] if not entry["this-machine"])
    assert other["targets"] == [target_from_name(foreign).name]
    assert (other["stored"], other["tree"]) == (False, None)


def test_compiling_bytecode_writes_nothing_into_the_store_tree(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    """``--compile-bytecode`` runs the pinned interpreter's compileall: it compiles the
    environment's files, and must not write bytecode for the stdlib it imports into the store
    (root ignores the tree's read-only modes)."""
    space = pinned
    with StaticServer(archives.root) as server:
        run = _sync(space, "--compile-bytecode", mirror=server.url, PYTHONDONTWRITEBYTECODE="")
    assert run.exit_code == 0, run.stderr
    assert list((space.site_packages() / "alpha" / "__pycache__").glob("*.pyc"))
    tree = _tree(space.cache, built.sha256)
    assert not [p for p in _listing(tree) if "__pycache__" in p]


def test_sync_json_names_the_pinned_build_and_whether_it_was_fetched(
    pinned: Workspace, archives: ArchiveShelf, built: BuiltArchive
) -> None:
    space = pinned
    with StaticServer(archives.root) as server:
        first = _sync(space, "--json", mirror=server.url)
        assert first.exit_code == 0, first.stderr
        shutil.rmtree(space.venv)
        second = _sync(space, "--json", mirror=server.url)
        assert second.exit_code == 0, second.stderr
        no_op = _sync(space, "--json", mirror=server.url)
    expected = {
        "version": built.version,
        "release": archives.tag,
        "triple": "x86_64-unknown-linux-gnu",
        "sha256": built.sha256,
    }
    assert json.loads(first.stdout)["pinned_python"] == {**expected, "fetched": True}
    assert json.loads(second.stdout)["pinned_python"] == {**expected, "fetched": False}
    assert json.loads(no_op.stdout)["pinned_python"] is None  # a no-op probes nothing
