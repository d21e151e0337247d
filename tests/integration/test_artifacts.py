"""Julia artifacts end to end: a lock made against the local index, then ``omniwheel artifacts``.

The project needs a pure wheel (with a ``.pth`` file, a console script and a ``#!python`` script),
a platform wheel built per Python and platform, an abi3 wheel shared by both Pythons, a
Windows-only dependency and a dependency only the older Python needs.  It is locked for Linux
x86_64/aarch64, Windows and macOS on the running Python's minor and the next one — eight targets,
this machine's among them — and every test goes through the real command line
(:func:`omniwheel.cli.main.main`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.pylock import PackageWheel

from omniwheel.julia.artifacts_toml import parse_artifacts
from omniwheel.julia.depot import read_usage
from omniwheel.julia.pack import tarball_tree_sha1
from omniwheel.julia.selection import PLATFORM_AUGMENTATION_JL, select_artifacts_jl
from omniwheel.julia.treehash import tree_sha1_of_dir
from omniwheel.platform.host import probe_interpreter
from omniwheel.platform.target import Target
from omniwheel.store.store import STORE_DIR
from tests.support.artifacts_proof import check_selection, expected_trees, lock_targets, ours
from tests.support.index_server import IndexServer
from tests.support.lock_runner import ISOLATED_VARIABLES, run_lock, write_project
from tests.support.sync_space import CliRun, run_cli
from tests.support.wheelbuilder import build_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
NEWER = f"{sys.version_info.major}.{sys.version_info.minor + 1}"
# This interpreter's minor, so that the matrix holds this machine, and the next one, which need
# not be installed: locking for it needs only tags and markers.
PYTHONS = (PYTHON, NEWER)
PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64")
PLATFORM_TAGS = {
    "linux-x86_64": "manylinux_2_17_x86_64",
    "linux-aarch64": "manylinux_2_17_aarch64",
    "windows-x86_64": "win_amd64",
    "macos-arm64": "macosx_11_0_arm64",
}
PUREPKG_INIT = b"""\
import sys
CODE = 3
def hello():
    import native
    print("hello from purepkg with native", native.BUILT)
"""
RAW_SCRIPT = b"#!python\nimport purepkg; print('raw', purepkg.CODE)\n"
BASE_URL = "https://example.org/releases/v1/"
FOREIGN = """\
# Artifacts of MyPackage.jl: a JLL-style entry omniwheel must leave alone.
[[LibFoo]]
arch = "x86_64"
git-tree-sha1 = "0123456789abcdef0123456789abcdef01234567"
os = "linux"  # glibc

    [[LibFoo.download]]
    sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
    url = "https://example.org/LibFoo.v1.x86_64-linux-gnu.tar.gz"
"""

HOST_PLATFORM = f"linux-{os.uname().machine}"

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or HOST_PLATFORM not in PLATFORMS,
    reason="the matrix covers this machine only on Linux x86_64 or aarch64",
)


@dataclass(slots=True)
class Space:
    server: IndexServer
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def wheels(self) -> Path:
        return self.root / "index-files"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def artifacts(self) -> Path:
        return self.project / "Artifacts.toml"

    @property
    def lock_text(self) -> str:
        return (self.project / "pylock.toml").read_text()

    def write_project(
        self,
        dependencies: Sequence[str],
        *,
        extras: Mapping[str, Sequence[str]] | None = None,
        groups: Mapping[str, Sequence[str]] | None = None,
        **tool: object,
    ) -> None:
        project: dict[str, object] = {
            "name": "demo",
            "version": "0.1",
            "requires-python": f">={PYTHON}",
            "dependencies": list(dependencies),
        }
        if extras is not None:
            project["optional-dependencies"] = {k: list(v) for k, v in extras.items()}
        write_project(self.project, project, dict(tool) or None, groups)

    def lock(self, *extra: str) -> None:
        args = [arg for p in PLATFORMS for arg in ("--platform", p)]
        args += [arg for p in PYTHONS for arg in ("--python-version", p)]
        run = run_lock(
            self.project, [*args, *extra], index_url=self.server.url, cache_dir=self.cache
        )
        assert run.exit_code == 0, run.output

    def cli(self, *args: str, environ: Mapping[str, str] | None = None) -> CliRun:
        return run_cli(
            args,
            server_url=self.server.url,
            cache=self.cache,
            environ={"OMNIWHEEL_PYTHON_VERSION": PYTHON, **(environ or {})},
            unset=("PYTHON", "JULIA_PYTHONCALL_EXE"),
        )

    def artifacts_cli(self, action: str, *args: str, **kwargs: Mapping[str, str]) -> CliRun:
        return self.cli("artifacts", action, "--project", str(self.project), *args, **kwargs)

    def wheel_path(self, wheel: PackageWheel) -> Path:
        return self.wheels / wheel.filename


def _cpython(python: str) -> str:
    """The interpreter tag of CPython ``python``: ``3.12`` → ``cp312``."""
    return f"cp{python.replace('.', '')}"


def _publish(server: IndexServer, directory: Path, *, native_version: str = "1.0") -> None:
    pure_files = {
        "purepkg/__init__.py": PUREPKG_INIT,
        "purepkg_paths.pth": b"purepkg_extra\n",
        "purepkg_extra/purepkg_extra/__init__.py": b"",
        "purepkg_extra/purepkg_extra/hidden.py": b"HIDDEN = 'found through a .pth file'\n",
        "purepkg-1.0.data/scripts/purepkg-raw": RAW_SCRIPT,
    }
    wheels = [
        build_wheel(
            directory,
            "purepkg",
            "1.0",
            files=pure_files,
            entry_points="[console_scripts]\npurepkg-hello = purepkg:hello\n",
        ),
        build_wheel(directory, "winonly", "1.0"),
        build_wheel(directory, "oldpy", "1.0"),
    ]
    for platform, tag in PLATFORM_TAGS.items():
        wheels.append(
            build_wheel(
                directory,
                "abi3pkg",
                "1.0",
                tags=[f"{_cpython(PYTHON)}-abi3-{tag}"],
                files={"abi3pkg/__init__.py": f"PLATFORM = {platform!r}\n".encode()},
            )
        )
        for python in PYTHONS:
            cp = _cpython(python)
            files = {"native/__init__.py": f"BUILT = '{cp}-{platform}'\n".encode()}
            wheels.append(
                build_wheel(
                    directory, "native", native_version, tags=[f"{cp}-{cp}-{tag}"], files=files
                )
            )
    for wheel in wheels:
        server.add_file(wheel)


DEPENDENCIES = (
    "purepkg",
    "native",
    "abi3pkg",
    "winonly; sys_platform == 'win32'",
    f"oldpy; python_version < '{NEWER}'",
)


@pytest.fixture
def space(index_server: IndexServer, tmp_path: Path) -> Iterator[Space]:
    workspace = Space(server=index_server, root=tmp_path)
    _publish(index_server, workspace.wheels)
    workspace.write_project(DEPENDENCIES)
    workspace.lock()
    yield workspace
    assert index_server.handler_errors == []


@pytest.fixture
def written(space: Space) -> Space:
    run = space.artifacts_cli("write")
    assert run.exit_code == 0, run.stderr
    return space


def _this_target(space: Space) -> Target:
    return next(
        t
        for t in lock_targets(space.lock_text)
        if t.name.startswith(HOST_PLATFORM) and (t.python_version == PYTHON)
    )


# --- write ---------------------------------------------------------------------------------------


def test_write_passes_the_selection_proof_for_every_target(written: Space) -> None:
    text = written.artifacts.read_text()
    assert check_selection(text, written.lock_text, written.wheel_path) == 8


def test_write_shapes_entries_as_julia_needs_them(written: Space) -> None:
    doc = ours(written.artifacts.read_text())
    assert sorted(doc.artifacts) == [
        "omniwheel_abi3pkg",
        "omniwheel_native",
        "omniwheel_oldpy",
        "omniwheel_purepkg",
        "omniwheel_winonly",
    ]
    assert doc.artifacts["omniwheel_purepkg"].platform_free
    assert len(doc.artifacts["omniwheel_native"].entries) == 8
    assert len(doc.artifacts["omniwheel_winonly"].entries) == 2
    assert len(doc.artifacts["omniwheel_oldpy"].entries) == 4  # needed on the older Python only
    abi3 = doc.artifacts["omniwheel_abi3pkg"].entries
    assert len({entry.git_tree_sha1 for entry in abi3}) == 4  # one tree per platform
    first = doc.artifacts["omniwheel_native"].entries[0]
    assert first.platform == {"arch": "x86_64", "libc": "glibc", "os": "linux", "python": PYTHON}


def test_write_downloads_every_targets_wheels_once_and_caches_the_hashes(space: Space) -> None:
    space.server.clear_requests()
    first = space.artifacts_cli("write")
    assert first.exit_code == 0, first.stderr
    fetched = [r.path for r in space.server.requests if r.path.endswith(".whl")]
    assert len(fetched) == len(set(fetched)) == 15  # 8 native + 4 abi3 + 3 pure
    assert "15 wheels downloaded to hash" in first.stderr
    space.server.clear_requests()
    again = space.artifacts_cli("write")
    assert again.exit_code == 0, again.stderr
    assert f"Unchanged: {space.artifacts}" in again.stderr
    assert space.server.requests == []


def test_plain_lock_downloads_no_wheel(space: Space) -> None:
    space.server.clear_requests()
    space.lock("--refresh")
    assert not [r for r in space.server.requests if r.path.endswith(".whl")]
    assert not (space.cache / STORE_DIR).exists()


def test_write_generates_the_julia_side(written: Space) -> None:
    pkg = written.project / ".pkg"
    assert (pkg / "platform_augmentation.jl").read_text() == PLATFORM_AUGMENTATION_JL
    assert (pkg / "select_artifacts.jl").read_text() == select_artifacts_jl("Artifacts.toml")


def test_rewriting_is_idempotent_and_keeps_foreign_entries_and_comments(space: Space) -> None:
    space.artifacts.write_text(FOREIGN)
    assert space.artifacts_cli("write").exit_code == 0
    first = space.artifacts.read_text()
    assert first.startswith(FOREIGN)
    assert (
        parse_artifacts(first)
        .artifacts["LibFoo"]
        .entries[0]
        .downloads[0]
        .url.endswith("x86_64-linux-gnu.tar.gz")
    )
    assert space.artifacts_cli("write").exit_code == 0
    assert space.artifacts.read_text() == first
    check_selection(first, space.lock_text, space.wheel_path)


def test_a_relock_replaces_our_stale_entries_only(written: Space) -> None:
    text = FOREIGN + written.artifacts.read_text()
    written.artifacts.write_text(text)
    written.write_project(["purepkg"])
    written.lock()
    assert written.artifacts_cli("write").exit_code == 0
    after = written.artifacts.read_text()
    assert sorted(parse_artifacts(after).artifacts) == ["LibFoo", "omniwheel_purepkg"]
    assert after.startswith(FOREIGN)


def test_artifacts_path_comes_from_tool_omniwheel(space: Space) -> None:
    space.write_project(DEPENDENCIES, artifacts="julia/JuliaArtifacts.toml")
    run = space.artifacts_cli("write")
    assert run.exit_code == 0, run.stderr
    path = space.project / "julia" / "JuliaArtifacts.toml"
    assert path.is_file()
    assert (
        'joinpath(dirname(@__DIR__), "JuliaArtifacts.toml")'
        in (space.project / "julia" / ".pkg" / "select_artifacts.jl").read_text()
    )
    assert not space.artifacts.exists()


def test_a_foreign_lock_is_refused(space: Space) -> None:
    (space.project / "pylock.toml").write_text(_without_tool(space.lock_text))
    run = space.artifacts_cli("write")
    assert run.exit_code == 1
    assert "was not written by omniwheel" in run.stderr
    assert "hint: Julia artifacts are built from omniwheel's own lock" in run.stderr
    assert not space.artifacts.exists()


def _without_tool(text: str) -> str:
    """The lock without any ``[tool.omniwheel]`` or ``[packages.tool.omniwheel]`` table."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = "tool" in line
        if not skipping:
            kept.append(line)
    return "".join(kept)


def test_a_malformed_artifacts_toml_is_not_touched(space: Space) -> None:
    broken = '[omniwheel_x]\ngit-tree-sha1 = "nope"\n\n[[Other]]\nos = "linux"\n'
    space.artifacts.write_text(broken)
    run = space.artifacts_cli("write")
    assert run.exit_code == 1
    assert "omniwheel_x.git-tree-sha1: must be 40 hex digits" in run.stderr
    assert "Other[0]: a platform entry needs `arch`" in run.stderr
    assert space.artifacts.read_text() == broken


def test_a_foreign_pkg_script_is_not_overwritten(space: Space) -> None:
    (space.project / ".pkg").mkdir()
    (space.project / ".pkg" / "select_artifacts.jl").write_text("# the package's own\n")
    run = space.artifacts_cli("write")
    assert run.exit_code == 1
    assert "was not generated by omniwheel" in run.stderr
    assert (space.project / ".pkg" / "select_artifacts.jl").read_text() == "# the package's own\n"


# --- pack ----------------------------------------------------------------------------------------


def test_pack_round_trips_tree_hashes_and_records_downloads(written: Space) -> None:
    out = written.root / "dist"
    run = written.artifacts_cli("pack", "--out", str(out), "--base-url", BASE_URL)
    assert run.exit_code == 0, run.stderr
    doc = ours(written.artifacts.read_text())
    tarballs = sorted(out.iterdir())
    assert len(tarballs) == len(doc.tree_hashes()) == 15  # 8 native, 4 abi3, 3 pure
    for artifact in doc.artifacts.values():
        for entry in artifact.entries:
            tarball = out / f"{entry.git_tree_sha1}.tar.gz"
            (download,) = entry.downloads
            assert download.url == f"{BASE_URL}{entry.git_tree_sha1}.tar.gz"
            assert download.sha256 == hashlib.sha256(tarball.read_bytes()).hexdigest()
            assert download.size == tarball.stat().st_size
            assert tarball_tree_sha1(tarball) == entry.git_tree_sha1
            assert _unpacked_tree_sha1(tarball, written.root / "unpacked") == entry.git_tree_sha1
    check_selection(written.artifacts.read_text(), written.lock_text, written.wheel_path)


def _unpacked_tree_sha1(tarball: Path, scratch: Path) -> str:
    destination = scratch / tarball.name
    with tarfile.open(tarball) as archive:
        archive.extractall(destination, filter="tar")
    return tree_sha1_of_dir(destination)


def test_packing_again_reuses_tarballs_and_writing_keeps_downloads(written: Space) -> None:
    out = written.root / "dist"
    assert written.artifacts_cli("pack", "--out", str(out), "--base-url", BASE_URL).exit_code == 0
    packed = written.artifacts.read_text()
    stamps = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    again = written.artifacts_cli("pack", "--out", str(out), "--base-url", BASE_URL)
    assert again.exit_code == 0, again.stderr
    assert "(15 already there, kept as they were)" in again.stderr
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == stamps
    assert written.artifacts.read_text() == packed
    assert written.artifacts_cli("write").exit_code == 0
    assert written.artifacts.read_text() == packed


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("not-a-url", "not an http(s) or file URL"),
        ("https://user:secret@example.org/x/", "carries credentials"),
        ("https:///no-host/", "has no host"),
    ],
)
def test_pack_refuses_a_bad_base_url_before_doing_anything(
    written: Space, base_url: str, problem: str
) -> None:
    before = written.artifacts.read_text()
    out = written.root / "dist"
    run = written.artifacts_cli("pack", "--out", str(out), "--base-url", base_url)
    assert run.exit_code == 1
    assert "is not a usable base URL" in run.stderr
    assert problem in run.stderr
    assert "hint:" in run.stderr
    assert not out.exists()
    assert written.artifacts.read_text() == before


# --- depot ---------------------------------------------------------------------------------------


def test_depot_places_this_machines_trees_and_records_usage(written: Space) -> None:
    depot = written.root / "depot"
    run = written.artifacts_cli("depot", str(depot), "--python", sys.executable)
    assert run.exit_code == 0, run.stderr
    wanted = expected_trees(written.lock_text, _this_target(written), written.wheel_path)
    placed = {path.name for path in (depot / "artifacts").iterdir()}
    assert placed == set(wanted.values())
    for tree in placed:
        assert tree_sha1_of_dir(depot / "artifacts" / tree) == tree
    usage = read_usage(depot / "logs" / "artifact_usage.toml")
    assert list(usage) == [str(written.artifacts)]
    text = (depot / "logs" / "artifact_usage.toml").read_text()
    assert text.startswith(f'[["{written.artifacts}"]]\ntime = ')
    assert f"Placed {len(wanted)} trees" in run.stderr


def test_depot_reuses_trees_and_downloads_nothing_the_second_time(written: Space) -> None:
    depot = written.root / "depot"
    assert written.artifacts_cli("depot", str(depot)).exit_code == 0
    (depot / "logs" / "artifact_usage.toml").write_text(
        '[["/elsewhere/Artifacts.toml"]]\ntime = 2020-01-01T00:00:00.000\n'
    )
    tree = next((depot / "artifacts").iterdir())
    marker = tree.stat().st_ino
    written.server.clear_requests()
    again = written.artifacts_cli("depot", str(depot))
    assert again.exit_code == 0, again.stderr
    assert "Placed 0 trees" in again.stderr
    assert written.server.requests == []
    assert tree.stat().st_ino == marker
    usage = read_usage(depot / "logs" / "artifact_usage.toml")
    assert sorted(usage) == sorted(["/elsewhere/Artifacts.toml", str(written.artifacts)])


def test_depot_all_targets_places_every_tree(written: Space) -> None:
    depot = written.root / "depot"
    run = written.artifacts_cli("depot", str(depot), "--all-targets")
    assert run.exit_code == 0, run.stderr
    placed = {path.name for path in (depot / "artifacts").iterdir()}
    assert placed == set(ours(written.artifacts.read_text()).tree_hashes())


def test_concurrent_depot_runs_share_the_depot(written: Space) -> None:
    depot = written.root / "depot"
    environ = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    environ |= {
        "OMNIWHEEL_INDEX_URL": written.server.url,
        "OMNIWHEEL_CACHE_DIR": str(written.cache),
        "OMNIWHEEL_PYTHON_VERSION": PYTHON,
        "PIP_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "omniwheel.cli.main", "artifacts", "depot", str(depot)]
    command += ["--project", str(written.project), "--all-targets"]
    processes = [
        subprocess.Popen(command, env=environ, stderr=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[1] for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    entries = sorted(path.name for path in (depot / "artifacts").iterdir())
    assert entries == sorted(ours(written.artifacts.read_text()).tree_hashes())  # no temp dirs
    assert sorted((depot / "logs").iterdir()) == [depot / "logs" / "artifact_usage.toml"]
    assert list(read_usage(depot / "logs" / "artifact_usage.toml")) == [str(written.artifacts)]


def test_depot_for_a_machine_the_lock_lacks_says_how_to_add_it(space: Space) -> None:
    run = run_lock(
        space.project,
        ["--platform", f"windows-x86_64@{NEWER}"],
        index_url=space.server.url,
        cache_dir=space.cache,
    )
    assert run.exit_code == 0, run.output
    assert space.artifacts_cli("write").exit_code == 0
    missing = space.artifacts_cli("depot", str(space.root / "depot"))
    assert missing.exit_code == 1
    assert "has no target for this machine" in missing.stderr
    assert f"its targets: windows-x86_64@{NEWER}" in missing.stderr
    wanted = f"`omniwheel lock --platform windows-x86_64@{NEWER} --platform {_this_machine()}`"
    assert f"hint: add it: {wanted}" in missing.stderr
    assert not (space.root / "depot").exists()


def test_depot_refuses_an_artifacts_toml_older_than_the_lock(
    written: Space, tmp_path: Path
) -> None:
    _publish(written.server, tmp_path / "newer", native_version="2.0")
    written.lock("--upgrade")
    run = written.artifacts_cli("depot", str(written.root / "depot"))
    assert run.exit_code == 1
    assert "names trees that the lock does not give here" in run.stderr
    assert "hint: write it again from the current lock" in run.stderr


def test_depot_without_an_artifacts_toml_says_to_write_it(space: Space) -> None:
    run = space.artifacts_cli("depot", str(space.root / "depot"))
    assert run.exit_code == 1
    assert "no Artifacts.toml" in run.stderr
    assert "omniwheel artifacts write" in run.stderr


# --- run -----------------------------------------------------------------------------------------


def test_run_puts_the_trees_on_sys_path_and_passes_the_exit_code(
    written: Space, capfd: pytest.CaptureFixture[str]
) -> None:
    code = "import native, purepkg, sys; print(native.BUILT); sys.exit(purepkg.CODE)"
    run = written.artifacts_cli("run", "--", "python", "-c", code)
    assert run.exit_code == 3, run.stderr
    assert capfd.readouterr().out == f"{_cpython(PYTHON)}-{HOST_PLATFORM}\n"


def test_run_honours_pth_files_in_trees(written: Space, capfd: pytest.CaptureFixture[str]) -> None:
    code = "from purepkg_extra import hidden; print(hidden.HIDDEN)"
    assert written.artifacts_cli("run", "--", "python", "-c", code).exit_code == 0
    assert capfd.readouterr().out == "found through a .pth file\n"


def test_run_keeps_user_and_base_site_packages_out(
    written: Space, capfd: pytest.CaptureFixture[str]
) -> None:
    user_base = written.root / "userbase"
    user_site = user_base / "lib" / f"python{PYTHON}" / "site-packages"
    user_site.mkdir(parents=True)
    (user_site / "user_marker.py").write_text("")
    environ = {"PYTHONUSERBASE": str(user_base), "PYTHONPATH": str(user_site)}
    code = "import json, sys; print(json.dumps(sys.path))"
    assert written.artifacts_cli("run", "--", "python", "-c", code, environ=environ).exit_code == 0
    path = json.loads(capfd.readouterr().out)
    site_dirs = [entry for entry in path if entry.endswith("site-packages")]
    assert len(site_dirs) == 1
    assert "omniwheel-artifacts-run-" in site_dirs[0]
    trees = [entry for entry in path if "/artifacts/" in entry]
    assert len(trees) >= 4
    assert str(user_site) not in path
    assert not any(entry.startswith(sys.prefix) for entry in path)
    missing = written.artifacts_cli(
        "run", "--", "python", "-c", "import user_marker", environ=environ
    )
    assert missing.exit_code == 1


def test_run_puts_the_trees_scripts_on_path(
    written: Space, capfd: pytest.CaptureFixture[str]
) -> None:
    assert written.artifacts_cli("run", "--", "purepkg-raw").exit_code == 0
    assert capfd.readouterr().out == "raw 3\n"
    assert written.artifacts_cli("run", "--", "purepkg-hello").exit_code == 0
    built = f"{_cpython(PYTHON)}-{HOST_PLATFORM}"
    assert capfd.readouterr().out == f"hello from purepkg with native {built}\n"


def test_run_uses_the_given_depot(written: Space) -> None:
    depot = written.root / "depot"
    run = written.artifacts_cli("run", "--julia-depot", str(depot), "--", "python", "-c", "")
    assert run.exit_code == 0, run.stderr
    assert len(list((depot / "artifacts").iterdir())) == 4  # purepkg, native, abi3pkg, oldpy


def test_run_without_a_command_says_how(written: Space) -> None:
    run = written.artifacts_cli("run")
    assert run.exit_code == 1
    assert "no command given" in run.stderr


def _this_machine() -> str:
    machine = probe_interpreter(Path(sys.executable)).machine
    return f"{machine.suggested_platform().name}@{PYTHON}"


# --- through lock, sync and run ------------------------------------------------------------------


def test_lock_with_artifacts_writes_them_after_locking(space: Space) -> None:
    path = space.root / "elsewhere" / "Artifacts.toml"
    space.lock("--artifacts", str(path))
    check_selection(path.read_text(), space.lock_text, space.wheel_path)
    assert (path.parent / ".pkg" / "select_artifacts.jl").is_file()
    assert not space.artifacts.exists()


def test_lock_writes_artifacts_when_the_project_asks(space: Space) -> None:
    space.write_project(DEPENDENCIES, artifacts="Artifacts.toml")
    space.lock()
    check_selection(space.artifacts.read_text(), space.lock_text, space.wheel_path)
    space.artifacts.unlink()
    space.lock("--check")  # checking writes nothing
    assert not space.artifacts.exists()


def test_sync_julia_depot_places_this_machines_trees(written: Space) -> None:
    depot = written.root / "depot"
    run = written.cli("sync", "--project", str(written.project), "--julia-depot", str(depot))
    assert run.exit_code == 0, run.stderr
    wanted = expected_trees(written.lock_text, _this_target(written), written.wheel_path)
    assert {path.name for path in (depot / "artifacts").iterdir()} == set(wanted.values())
    assert not (written.project / ".venv").exists()  # the depot instead of the environment
    every = written.cli(
        "sync", "--project", str(written.project), "--julia-depot", str(depot), "--all-targets"
    )
    assert every.exit_code == 0, every.stderr
    assert len(list((depot / "artifacts").iterdir())) == 15


def test_run_artifacts_runs_with_the_trees(
    written: Space, capfd: pytest.CaptureFixture[str]
) -> None:
    code = "import native; print(native.BUILT)"
    project = ["--project", str(written.project)]
    run = written.cli("run", *project, "--artifacts", "--", "python", "-c", code)
    assert run.exit_code == 0, run.stderr
    assert capfd.readouterr().out == f"{_cpython(PYTHON)}-{HOST_PLATFORM}\n"
    assert not (written.project / ".venv").exists()


# --- which extras and groups the artifacts hold ----------------------------------------------


@pytest.fixture
def rooted(space: Space) -> Space:
    """The project relocked with an extra (`fast`: native) and a group (`dev`: abi3pkg) beside
    its dependencies (purepkg)."""
    space.write_project(["purepkg"], extras={"fast": ["native"]}, groups={"dev": ["abi3pkg"]})
    space.lock()
    return space


def _pyproject(space: Space) -> dict[str, object]:
    data = tomllib.loads((space.project / "pyproject.toml").read_text())
    tool = data.get("tool", {}).get("omniwheel", {})
    assert isinstance(tool, dict)
    return tool


def test_write_holds_the_project_dependencies_alone_by_default(rooted: Space) -> None:
    rooted.server.clear_requests()
    run = rooted.artifacts_cli("write")
    assert run.exit_code == 0, run.stderr
    assert sorted(ours(rooted.artifacts.read_text()).artifacts) == ["omniwheel_purepkg"]
    assert check_selection(rooted.artifacts.read_text(), rooted.lock_text, rooted.wheel_path) == 8
    assert "1 artifact (1 entry) for the project's dependencies; 1 wheel downloaded" in run.stderr
    fetched = [r.path for r in rooted.server.requests if r.path.endswith(".whl")]
    assert len(fetched) == 1  # neither the extra's nor the group's wheels are hashed
    assert _pyproject(rooted) == {}  # nothing to record: no option was given
    assert "Recorded" not in run.stderr


def test_a_chosen_extra_is_written_recorded_and_kept_by_the_next_write(rooted: Space) -> None:
    run = rooted.artifacts_cli("write", "--extra", "Fast")
    assert run.exit_code == 0, run.stderr
    text = rooted.artifacts.read_text()
    assert sorted(ours(text).artifacts) == ["omniwheel_native", "omniwheel_purepkg"]
    check_selection(text, rooted.lock_text, rooted.wheel_path, extras=["fast"])
    assert "for the project's dependencies with extras fast" in run.stderr
    assert "Recorded the choice in" in run.stderr
    assert '~ [tool.omniwheel] artifacts-extras = ["fast"]' in run.stderr
    assert _pyproject(rooted) == {"artifacts-extras": ["fast"]}
    again = rooted.artifacts_cli("write")
    assert again.exit_code == 0, again.stderr
    assert f"Unchanged: {rooted.artifacts}" in again.stderr
    assert "with extras fast" in again.stderr
    assert "Recorded" not in again.stderr
    relock = rooted.cli(
        "lock", "--project", str(rooted.project), "--artifacts", str(rooted.artifacts)
    )
    assert relock.exit_code == 0, relock.stderr
    assert "with extras fast" in relock.stderr


def test_options_replace_the_recorded_choice(rooted: Space) -> None:
    assert rooted.artifacts_cli("write", "--extra", "fast").exit_code == 0
    run = rooted.artifacts_cli("write", "--group", "dev")
    assert run.exit_code == 0, run.stderr
    text = rooted.artifacts.read_text()
    assert sorted(ours(text).artifacts) == ["omniwheel_abi3pkg", "omniwheel_purepkg"]
    check_selection(text, rooted.lock_text, rooted.wheel_path, groups=["dev"])
    assert _pyproject(rooted) == {"artifacts-groups": ["dev"]}
    assert "- [tool.omniwheel] artifacts-extras" in run.stderr
    back = rooted.artifacts_cli("write", "--no-dev")  # an option: the production default again
    assert back.exit_code == 0, back.stderr
    assert sorted(ours(rooted.artifacts.read_text()).artifacts) == ["omniwheel_purepkg"]
    assert _pyproject(rooted) == {}


def test_pack_takes_the_same_choice(rooted: Space) -> None:
    out = rooted.root / "tarballs"
    run = rooted.artifacts_cli("pack", "--out", str(out), "--base-url", BASE_URL, "--all-extras")
    assert run.exit_code == 0, run.stderr
    assert len(list(out.iterdir())) == 1 + 8  # purepkg's tree, native's for each target
    check_selection(
        rooted.artifacts.read_text(), rooted.lock_text, rooted.wheel_path, extras=["fast"]
    )
    assert _pyproject(rooted) == {"artifacts-extras": ["fast"]}


def test_an_unknown_name_is_an_error_listing_the_locks_and_nothing_is_written(
    rooted: Space,
) -> None:
    run = rooted.artifacts_cli("write", "--extra", "nope")
    assert run.exit_code == 1, run.stderr
    assert "error: the lock has no extra nope (its extras: fast; its groups: dev)" in run.stderr
    assert not rooted.artifacts.exists()
    assert _pyproject(rooted) == {}


def test_only_group_is_not_offered_for_artifacts(rooted: Space) -> None:
    run = rooted.artifacts_cli("write", "--only-group", "dev")
    assert run.exit_code == 2
    assert "unrecognized arguments: --only-group" in run.stderr


def test_a_recorded_choice_the_lock_no_longer_has_is_an_error(rooted: Space) -> None:
    assert rooted.artifacts_cli("write", "--extra", "fast").exit_code == 0
    project = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(
        rooted.project, {**project, "dependencies": ["purepkg"]}, {"artifacts-extras": ["fast"]}
    )
    rooted.lock()
    run = rooted.artifacts_cli("write")
    assert run.exit_code == 1
    assert "error: the lock has no extra fast (its extras: none; its groups: none)" in run.stderr


def test_sync_julia_depot_refuses_a_choice_and_places_what_artifacts_toml_names(
    rooted: Space,
) -> None:
    assert rooted.artifacts_cli("write", "--extra", "fast").exit_code == 0
    depot = rooted.root / "depot"
    project = ["--project", str(rooted.project)]
    refused = rooted.cli("sync", *project, "--julia-depot", str(depot), "--group", "dev")
    assert refused.exit_code == 1
    assert "error: --julia-depot places the trees Artifacts.toml names" in refused.stderr
    assert not depot.exists()
    run = rooted.cli("sync", *project, "--julia-depot", str(depot))
    assert run.exit_code == 0, run.stderr
    wanted = expected_trees(
        rooted.lock_text, _this_target(rooted), rooted.wheel_path, extras=["fast"]
    )
    assert {path.name for path in (depot / "artifacts").iterdir()} == set(wanted.values())
