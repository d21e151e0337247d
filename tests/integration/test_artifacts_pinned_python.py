"""Julia artifacts of a lock that pins interpreters: ``[[omniwheel_python]]``, depot, ``run``.

The project (a pure wheel and a platform wheel per platform) is locked with ``--pin-python`` for
Linux x86_64 (this machine), Linux aarch64, macOS arm64 and Windows on the running Python's minor,
from a release served by a loopback mirror: for this machine an archive built from pyenv's
CPython (``tests/support/pbs_archives.py``), for the others small archives of the same layout
(``python/bin/python3``, ``python/python.exe``), which are downloaded and unpacked to hash them,
never run.  Every command goes through the real command line, with no ``python`` on ``PATH``
and none of the variables Julia's augmentation would ask.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from omniwheel.julia.artifacts_toml import ArtifactsDoc, parse_artifacts, select_entries
from omniwheel.julia.pack import tarball_tree_sha1
from omniwheel.julia.python_artifact import PYTHON_ARTIFACT
from omniwheel.julia.selection import augmented_host
from omniwheel.julia.treecache import PYTHON_TREES_DIR
from omniwheel.julia.treehash import tree_sha1_of_dir
from omniwheel.platform.target import Target, target_from_name
from omniwheel.python.pbs import RELEASE_DOWNLOAD
from omniwheel.store.python_archive import PYTHONS_DIR, python_tree, remove_python_tree
from omniwheel.store.store import STORE_DIR
from tests.support.git_tree import git_write_tree
from tests.support.index_server import IndexServer
from tests.support.julia_syntax import syntax_errors
from tests.support.lock_runner import run_lock, write_project
from tests.support.pbs_archives import ArchiveShelf, BuiltArchive, shelf, stand_in_archive
from tests.support.static_server import StaticServer
from tests.support.sync_space import CliRun, run_cli
from tests.support.wheelbuilder import build_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"
PLATFORMS = {
    "linux-x86_64": ("manylinux_2_17_x86_64", "x86_64-unknown-linux-gnu"),
    "linux-aarch64": ("manylinux_2_17_aarch64", "aarch64-unknown-linux-gnu"),
    "macos-arm64": ("macosx_11_0_arm64", "aarch64-apple-darwin"),
    "windows-x86_64": ("win_amd64", "x86_64-pc-windows-msvc"),
}
ASKED = ("OMNIWHEEL_PYTHON_VERSION", "JULIA_PYTHONCALL_EXE", "PYTHON", "OMNIWHEEL_PYTHON_MIRROR")
# Unset too, so that a run writing bytecode into the interpreter's tree would show.
UNSET = (*ASKED, "PYTHONDONTWRITEBYTECODE")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64",
    reason="the pinned archive for this machine is built for Linux x86_64",
)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    archives: ArchiveShelf = shelf(tmp_path_factory)
    return archives.archive(sys.version_info.minor)


def _release(root: Path, built: BuiltArchive) -> dict[str, str]:
    """``root/{tag}/``: this machine's archive, the foreign ones and ``SHA256SUMS``; the file
    name of each triple's archive."""
    directory = root / built.tag
    directory.mkdir(parents=True)
    (directory / built.filename).write_bytes(built.path.read_bytes())
    names = {"x86_64-unknown-linux-gnu": built.filename}
    for _, triple in PLATFORMS.values():
        if triple not in names:
            names[triple] = stand_in_archive(directory, built.version, built.tag, triple)
    lines = [
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n"
        for name in names.values()
    ]
    (directory / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    return names


@dataclass(slots=True)
class Space:
    index: IndexServer
    mirror: StaticServer
    root: Path
    built: BuiltArchive
    names: Mapping[str, str]

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def artifacts(self) -> Path:
        return self.project / "Artifacts.toml"

    def lock(self) -> None:
        args = [a for p in PLATFORMS for a in ("--platform", p)] + ["--python-version", PYTHON]
        args += ["--pin-python", "--python-release", self.built.tag]
        args += ["--python-mirror", self.mirror.url]
        run = run_lock(self.project, args, index_url=self.index.url, cache_dir=self.cache)
        assert run.exit_code == 0, run.output

    def cli(self, *args: str, environ: Mapping[str, str] | None = None) -> CliRun:
        empty = self.root / "empty-bin"
        empty.mkdir(exist_ok=True)
        return run_cli(
            args,
            server_url=self.index.url,
            cache=self.cache,
            environ={
                "OMNIWHEEL_PYTHON_MIRROR": self.mirror.url,
                "PATH": str(empty),  # no python to find there
                **(environ or {}),
            },
            unset=UNSET,
        )

    def artifacts_cli(self, action: str, *args: str, **kwargs: Mapping[str, str]) -> CliRun:
        return self.cli("artifacts", action, "--project", str(self.project), *args, **kwargs)

    def doc(self) -> ArtifactsDoc:
        return parse_artifacts(self.artifacts.read_text(encoding="utf-8"))

    def pins(self) -> list[dict[str, object]]:
        lock = tomllib.loads((self.project / "pylock.toml").read_text(encoding="utf-8"))
        pins: list[dict[str, object]] = lock["tool"]["omniwheel"]["python"]
        return pins

    def archive_requests(self) -> list[str]:
        return [r.path for r in self.mirror.requests if r.path.endswith(".tar.gz")]


def _publish(server: IndexServer, directory: Path) -> None:
    server.add_file(build_wheel(directory, "purepkg", "1.0", files={"purepkg.py": b"CODE = 3\n"}))
    for platform, (tag, _) in PLATFORMS.items():
        files = {"native/__init__.py": f"BUILT = '{CP}-{platform}'\n".encode()}
        wheel = build_wheel(directory, "native", "1.0", tags=[f"{CP}-{CP}-{tag}"], files=files)
        server.add_file(wheel)


@pytest.fixture
def space(index_server: IndexServer, tmp_path: Path, built: BuiltArchive) -> Iterator[Space]:
    names = _release(tmp_path / "mirror", built)
    with StaticServer(tmp_path / "mirror") as mirror:
        workspace = Space(
            index=index_server, mirror=mirror, root=tmp_path, built=built, names=names
        )
        _publish(index_server, tmp_path / "index-files")
        project = {
            "name": "demo",
            "version": "0.1",
            "requires-python": f">={PYTHON}",
            "dependencies": ["purepkg", "native"],
        }
        write_project(workspace.project, project)
        workspace.lock()
        yield workspace
    assert index_server.handler_errors == []


@pytest.fixture
def written(space: Space) -> Space:
    run = space.artifacts_cli("write")
    assert run.exit_code == 0, run.stderr
    return space


def _targets(space: Space) -> list[Target]:
    return [target_from_name(f"{p}@{PYTHON}") for p in PLATFORMS]


def _host_tree(space: Space) -> str:
    host = augmented_host(target_from_name(f"linux-x86_64@{PYTHON}"))
    return select_entries(space.doc(), host)[PYTHON_ARTIFACT].git_tree_sha1


# --- write ---------------------------------------------------------------------------------------


def test_write_adds_an_interpreter_entry_per_platform_beside_the_packages(written: Space) -> None:
    doc = written.doc()
    python = doc.artifacts[PYTHON_ARTIFACT]
    native = doc.artifacts["omniwheel_native"]
    assert len(python.entries) == len(native.entries) == len(PLATFORMS)
    assert {tuple(sorted((e.platform or {}).items())) for e in python.entries} == {
        tuple(sorted((e.platform or {}).items())) for e in native.entries
    }
    pins = {str(pin["triple"]): pin for pin in written.pins()}
    for entry in python.entries:
        (download,) = entry.downloads
        pin = next(p for p in pins.values() if p["hashes"] == {"sha256": download.sha256})
        assert download.url == pin["url"]
        assert download.url.startswith(f"{RELEASE_DOWNLOAD}/{written.built.tag}/")
    assert written.mirror.url not in written.artifacts.read_text(encoding="utf-8")


def test_every_target_selects_its_own_interpreter_and_packages(written: Space) -> None:
    doc = written.doc()
    pins = written.pins()
    for target in _targets(written):
        chosen = select_entries(doc, augmented_host(target))
        assert {"omniwheel_native", "omniwheel_purepkg", PYTHON_ARTIFACT} <= set(chosen)
        pin = next(p for p in pins if target.name in {str(t) for t in p["targets"]})  # type: ignore[attr-defined]
        (download,) = chosen[PYTHON_ARTIFACT].downloads
        assert download.sha256 == pin["hashes"]["sha256"]  # type: ignore[index]


def test_the_tree_hashes_are_the_unpacked_archives_and_gits(written: Space) -> None:
    store = written.cache / STORE_DIR
    for pin in written.pins():
        sha256 = str(pin["hashes"]["sha256"])  # type: ignore[index]
        tree = python_tree(store, sha256)  # every archive, foreign ones too, unpacked
        archive = written.mirror.root / written.built.tag / written.names[str(pin["triple"])]
        entry = next(
            e
            for e in written.doc().artifacts[PYTHON_ARTIFACT].entries
            if e.downloads[0].sha256 == sha256
        )
        assert entry.git_tree_sha1 == tarball_tree_sha1(archive) == tree_sha1_of_dir(tree)
        git_dir = written.root / f"git-{sha256[:8]}"
        assert git_write_tree(tree, git_dir, force=True) == entry.git_tree_sha1


def test_write_downloads_each_archive_once_and_is_deterministic(space: Space) -> None:
    first = space.artifacts_cli("write")
    assert first.exit_code == 0, first.stderr
    assert sorted(space.archive_requests()) == sorted(
        f"/{space.built.tag}/{name}" for name in space.names.values()
    )
    text = space.artifacts.read_text(encoding="utf-8")
    space.mirror.requests.clear()
    space.artifacts.unlink()
    again = space.artifacts_cli("write")
    assert again.exit_code == 0, again.stderr
    assert space.artifacts.read_text(encoding="utf-8") == text
    assert space.archive_requests() == []


def test_write_offline_without_the_archives_fails_clearly(written: Space) -> None:
    remove_python_tree(written.cache / STORE_DIR / PYTHONS_DIR)  # wheels stay in the store
    shutil.rmtree(written.cache / PYTHON_TREES_DIR)
    text = written.artifacts.read_text(encoding="utf-8")
    written.mirror.requests.clear()
    run = written.artifacts_cli("write", "--offline")
    assert run.exit_code == 1
    assert "error:" in run.stderr
    assert "--offline" in run.stderr
    assert "CPython" in run.stderr
    assert "Traceback" not in run.stderr
    assert written.archive_requests() == []
    assert written.artifacts.read_text(encoding="utf-8") == text


def test_a_mirror_serving_other_bytes_is_refused(space: Space) -> None:
    name = space.names["aarch64-apple-darwin"]
    (space.mirror.root / space.built.tag / name).write_bytes(b"not the pinned archive")
    run = space.artifacts_cli("write")
    assert run.exit_code == 1
    assert "sha256" in run.stderr
    assert "Traceback" not in run.stderr
    assert not space.artifacts.exists()


# --- the Julia side ------------------------------------------------------------------------------


def test_the_augmentation_defaults_to_the_pinned_version_and_parses(written: Space) -> None:
    pkg = written.project / ".pkg"
    augmentation = (pkg / "platform_augmentation.jl").read_text(encoding="utf-8")
    for row in (
        f'("linux", "x86_64", "glibc") => "{PYTHON}",',
        f'("linux", "aarch64", "glibc") => "{PYTHON}",',
        f'("macos", "aarch64", "") => "{PYTHON}",',
        f'("windows", "x86_64", "") => "{PYTHON}",',
    ):
        assert row in augmentation
    helper = (pkg / "omniwheel_python.jl").read_text(encoding="utf-8")
    assert f'"{_host_tree(written)}" => ("python/bin/python3", "python/lib/libpython{PYTHON}' in (
        helper
    )
    for name in ("platform_augmentation.jl", "select_artifacts.jl", "omniwheel_python.jl"):
        assert syntax_errors((pkg / name).read_text(encoding="utf-8")) == [], name


# --- depot and run -------------------------------------------------------------------------------


def test_sync_julia_depot_places_the_interpreter_with_the_packages(written: Space) -> None:
    depot = written.root / "depot"
    run = written.cli("sync", "--project", str(written.project), "--julia-depot", str(depot))
    assert run.exit_code == 0, run.stderr
    host = augmented_host(target_from_name(f"linux-x86_64@{PYTHON}"))
    wanted = {e.git_tree_sha1 for e in select_entries(written.doc(), host).values()}
    placed = {path.name for path in (depot / "artifacts").iterdir()}
    assert placed == wanted
    tree = depot / "artifacts" / _host_tree(written)
    assert tree_sha1_of_dir(tree) == tree.name
    assert (tree / "python" / "bin" / "python3").is_file()
    every = written.cli(
        "sync", "--project", str(written.project), "--julia-depot", str(depot), "--all-targets"
    )
    assert every.exit_code == 0, every.stderr
    trees = {e.git_tree_sha1 for a in written.doc().artifacts.values() for e in a.entries}
    assert {path.name for path in (depot / "artifacts").iterdir()} == trees


def test_run_artifacts_runs_the_pinned_interpreter(
    written: Space, capfd: pytest.CaptureFixture[str]
) -> None:
    code = (
        "import json, os, sys, native, purepkg; "
        "print(json.dumps([sys.version.split()[0], os.path.realpath(sys._base_executable), "
        "native.BUILT]))"
    )
    run = written.cli(
        "run", "--project", str(written.project), "--artifacts", "--", "python", "-c", code
    )
    assert run.exit_code == 0, run.stderr
    version, executable, built = json.loads(capfd.readouterr().out)
    assert version == written.built.version
    tree = written.cache / "julia-depot-v1" / "artifacts" / _host_tree(written)
    assert executable.startswith(str(tree.resolve()))
    assert built == f"{CP}-linux-x86_64"
    assert tree_sha1_of_dir(tree) == tree.name  # nothing written into the interpreter's tree


def test_pack_leaves_interpreter_downloads_as_the_archives_own(written: Space) -> None:
    out = written.root / "dist"
    base = "https://example.org/releases/v1/"
    run = written.artifacts_cli("pack", "--out", str(out), "--base-url", base)
    assert run.exit_code == 0, run.stderr
    doc = written.doc()
    for entry in doc.artifacts[PYTHON_ARTIFACT].entries:
        (download,) = entry.downloads
        assert download.url.startswith(RELEASE_DOWNLOAD)
        assert not (out / f"{entry.git_tree_sha1}.tar.gz").exists()
    for entry in doc.artifacts["omniwheel_native"].entries:
        assert entry.downloads[0].url == f"{base}{entry.git_tree_sha1}.tar.gz"
