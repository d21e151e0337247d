"""Interop of multi-use locks: pip and uv install each choice from omniwheel's ``pylock.toml``,
and omniwheel's ``sync`` installs each choice from the multi-use lock pdm writes and from the
single-use locks uv writes (issue 11).

pip, uv and pdm come from the real index (the one pip is configured with on this machine, as a
user's would be) into a scratch venv, hence the ``network`` mark: pip by exact version (the pip
a new venv brings cannot pin by date), then uv and pdm with ``--uploaded-prior-to`` the cutoff,
which gave uv 0.13.6 and pdm 2.29.4.  The project's own packages are built here and served by
the local index server; nothing of the project comes from the real index.

The project: dependencies ``core`` and ``client``; an extra ``socks`` (``client[socks]``, which
brings ``socksy``); a group ``dev``: ``testlib`` (needs ``core<2``, and ``colors`` on Windows)
and ``linter`` (not on Windows).  ``core 2.0`` is on the index, so every choice installing
``core 1.0`` shows the one joint resolution of all roots.  It is locked for this machine and
Windows, so markers combine roots and targets.  Every choice is checked against a literal set of
``name version`` (this machine is not Windows), and ``Pylock.select`` must agree.

What the tools needed, and did:

- pip 26.3: ``pip install -r pylock.toml`` (the project's dependencies), ``-r
  'pylock.toml[socks]'`` (with the extra), ``--group pylock.toml:dev`` (the group alone),
  ``-r pylock.toml --group pylock.toml:dev`` (dependencies and group).
- uv: ``uv pip sync pylock.toml`` with ``--extra socks`` or ``--group dev`` (the group alone).
  uv cannot install the dependencies and a group in one run: ``--group default --group dev``
  installs the group alone, as the lock keeps its synthetic ``default`` out of
  ``dependency-groups`` (the spec says it SHOULD NOT be there) and uv selects only groups
  listed there.  Two ``uv pip install`` runs, one per choice, install the union.
- pdm writes a multi-use lock (``pdm config --local lock.format pylock``, ``pdm lock -G
  :all``), with ``default`` listed in ``dependency-groups`` too; ``sync`` reads it for every
  choice.
- uv cannot write a multi-use lock: ``uv export --format pylock.toml`` flattens the extras and
  groups it is given into one single-use lock (no ``extras``, ``dependency-groups`` or
  ``default-groups`` key, no marker naming a root).  So each choice is exported on its own
  (``--no-dev``, ``--extra socks``, ``--only-group dev``, the default) and synced as it is; a
  ``--extra`` asked of such a lock is refused, naming what it declares (nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.pylock import Pylock
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

from tests.support.index_server import IndexServer
from tests.support.lock_runner import ISOLATED_VARIABLES, run_lock, write_project
from tests.support.sync_space import PYTHON, CliRun, run_cli, this_platform
from tests.support.wheelbuilder import build_wheel

pytestmark = pytest.mark.network

CUTOFF = "2026-11-01T00:00:00Z"
PIP = "pip==26.3"

#: (name, version, Requires-Dist, Provides-Extra) of the wheels the local index serves.
PACKAGES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("core", "1.0", (), ()),
    ("core", "2.0", (), ()),
    ("client", "2.0", ("socksy; extra == 'socks'",), ("socks",)),
    ("socksy", "1.1", (), ()),
    ("testlib", "8.0", ("colors; sys_platform == 'win32'", "core<2"), ()),
    ("colors", "0.4", (), ()),
    ("linter", "0.9", (), ()),
)
PROJECT = {
    "name": "interop-demo",
    "version": "0.1",
    "requires-python": f">={PYTHON}",
    "dependencies": ["core", "client"],
    "optional-dependencies": {"socks": ["client[socks]"]},
}
GROUPS = {"dev": ["testlib", "linter; sys_platform != 'win32'"]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """One selection, as each tool spells it, and what it must install here."""

    id: str
    extras: tuple[str, ...]
    groups: tuple[str, ...] | None
    """``dependency_groups`` for ``Pylock.select`` (None: the lock's ``default-groups``)."""
    pip: tuple[str, ...]
    """``pip install`` arguments; ``{lock}`` stands for the lock's path."""
    uv: tuple[str, ...] | None
    """``uv pip sync LOCK`` arguments; None: uv cannot install this choice in one run."""
    sync: tuple[str, ...]
    """``omniwheel sync`` arguments (valid for omniwheel's and pdm's lock alike)."""
    uv_export: tuple[str, ...]
    """``uv export`` arguments writing this choice as a single-use lock."""
    expected: frozenset[str]


DEPENDENCIES = Choice(
    id="dependencies",
    extras=(),
    groups=None,
    pip=("-r", "{lock}"),
    uv=(),
    sync=("--no-dev",),
    uv_export=("--no-dev",),
    expected=frozenset({"client 2.0", "core 1.0"}),
)
EXTRA = Choice(
    id="extra-socks",
    extras=("socks",),
    groups=None,
    pip=("-r", "{lock}[socks]"),
    uv=("--extra", "socks"),
    sync=("--no-dev", "--extra", "socks"),
    uv_export=("--no-dev", "--extra", "socks"),
    expected=frozenset({"client 2.0", "core 1.0", "socksy 1.1"}),
)
GROUP_ALONE = Choice(
    id="group-dev-alone",
    extras=(),
    groups=("dev",),
    pip=("--group", "{lock}:dev"),
    uv=("--group", "dev"),
    sync=("--only-group", "dev"),
    uv_export=("--only-group", "dev"),
    expected=frozenset({"core 1.0", "linter 0.9", "testlib 8.0"}),
)
WITH_GROUP = Choice(
    id="dependencies-and-group-dev",
    extras=(),
    groups=("default", "dev"),
    pip=("-r", "{lock}", "--group", "{lock}:dev"),
    uv=None,
    sync=("--group", "dev"),
    uv_export=(),
    expected=frozenset({"client 2.0", "core 1.0", "linter 0.9", "testlib 8.0"}),
)
CHOICES = [pytest.param(c, id=c.id) for c in (DEPENDENCIES, EXTRA, GROUP_ALONE, WITH_GROUP)]
UV_CHOICES = [pytest.param(c, id=c.id) for c in (DEPENDENCIES, EXTRA, GROUP_ALONE)]


# -- running things -------------------------------------------------------------------------
def _run(command: Sequence[object], *, env: Mapping[str, str], cwd: Path | None = None) -> str:
    """Run ``command`` (parts as text): its stdout, or a failed assertion showing both streams."""
    done = subprocess.run(
        [str(part) for part in command],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    return done.stdout


def _isolated_environ(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the machine's pip, uv and pdm settings (the tools
    must read the lock and the local index only), plus ``extra``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PIP_", "UV_", "PDM_", "VIRTUAL_ENV"))
        and name not in ISOLATED_VARIABLES
    }
    return kept | {"PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1", "NO_COLOR": "1", **extra}


def _new_venv(path: Path) -> Path:
    """An empty venv of this interpreter (no pip in it); its python."""
    _run([sys.executable, "-m", "venv", "--without-pip", path], env=os.environ)
    return path / "bin" / "python"


def _installed(venv: Path) -> frozenset[str]:
    """``name version`` of every distribution in ``venv``, read by its own interpreter."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))"
    )
    listed = json.loads(_run([venv / "bin" / "python", "-c", code], env=os.environ))
    return frozenset(f"{canonicalize_name(name)} {version}" for name, version in listed)


def _sync(
    server: IndexServer, cache: Path, project: Path, venv: Path, args: Sequence[str]
) -> CliRun:
    argv = ["sync", "--project", str(project), "--venv", str(venv), *args]
    return run_cli(argv, server_url=server.url, cache=cache, environ={})


def _select(lock: Path, choice: Choice) -> frozenset[str]:
    """What ``packaging``'s ``Pylock.select`` installs on this interpreter for ``choice``."""
    pylock = Pylock.from_dict(tomllib.loads(lock.read_text(encoding="utf-8")))
    chosen = pylock.select(
        environment=default_environment(),
        tags=list(sys_tags()),
        extras=choice.extras,
        dependency_groups=choice.groups,
    )
    return frozenset(f"{package.name} {package.version}" for package, _ in chosen)


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """The local index serving :data:`PACKAGES`."""
    wheels = tmp_path_factory.mktemp("interop-wheels")
    with IndexServer() as server:
        for name, version, requires, extras in PACKAGES:
            wheel = build_wheel(
                wheels, name, version, requires_dist=requires, provides_extra=extras
            )
            server.add_file(wheel)
        yield server
        assert server.handler_errors == []


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop-cache")


def _write_project(directory: Path) -> Path:
    write_project(directory, PROJECT, groups=GROUPS)
    return directory


@pytest.fixture(scope="module")
def our_lock(tmp_path_factory: pytest.TempPathFactory, server: IndexServer, cache: Path) -> Path:
    """omniwheel's multi-use lock of the project, for this machine and Windows."""
    project = _write_project(tmp_path_factory.mktemp("interop-omniwheel"))
    platforms = ["--platform", this_platform(), "--platform", f"windows-x86_64@{PYTHON}"]
    run = run_lock(project, platforms, index_url=server.url, cache_dir=cache)
    assert run.exit_code == 0, run.output
    return project / "pylock.toml"


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch venv's ``bin`` holding :data:`PIP`, installed from the index pip is configured
    with here, as a user would."""
    venv = tmp_path_factory.mktemp("interop-tools")
    python = venv / "bin" / "python"
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run([sys.executable, "-m", "venv", venv], env=environ)
    _run([python, "-m", "pip", "install", "--quiet", PIP], env=environ)
    assert _run([python, "-m", "pip", "--version"], env=environ).startswith("pip 26.3 ")
    return venv / "bin"


def _install_tool(tools: Path, name: str) -> Path:
    """``name`` as of :data:`CUTOFF`, installed into the tools venv by its pinned pip."""
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [tools / "python", "-m", "pip", "install", "--quiet", "--uploaded-prior-to", CUTOFF]
    _run([*pip, name], env=environ)
    return tools / name


@pytest.fixture(scope="module")
def uv(tools: Path) -> Path:
    return _install_tool(tools, "uv")


@pytest.fixture(scope="module")
def pdm(tools: Path) -> Path:
    return _install_tool(tools, "pdm")


def _uv_environ(tmp: Path) -> dict[str, str]:
    return _isolated_environ(
        {"UV_CACHE_DIR": str(tmp / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never"}
    )


# -- omniwheel's lock, read by packaging, omniwheel, pip and uv -----------------------------
def test_our_lock_is_multi_use_with_one_version_of_each_package(our_lock: Path) -> None:
    data: dict[str, Any] = tomllib.loads(our_lock.read_text(encoding="utf-8"))
    assert data["extras"] == ["socks"]
    assert data["dependency-groups"] == ["dev"]
    assert data["default-groups"] == ["default"]
    locked = {f"{p['name']} {p['version']}" for p in data["packages"]}
    assert locked == {
        "client 2.0",
        "colors 0.4",
        "core 1.0",
        "linter 0.9",
        "socksy 1.1",
        "testlib 8.0",
    }


@pytest.mark.parametrize("choice", CHOICES)
def test_select_and_our_sync_install_each_choice_from_our_lock(
    our_lock: Path, server: IndexServer, cache: Path, tmp_path: Path, choice: Choice
) -> None:
    assert _select(our_lock, choice) == choice.expected
    run = _sync(server, cache, our_lock.parent, tmp_path / "venv", choice.sync)
    assert run.exit_code == 0, run.stderr
    assert _installed(tmp_path / "venv") == choice.expected


@pytest.mark.parametrize("choice", CHOICES)
def test_pip_installs_each_choice_from_our_lock(
    our_lock: Path, tools: Path, tmp_path: Path, choice: Choice
) -> None:
    """pip (``--no-index``: only the lock's URLs) installs what ``Pylock.select`` picks."""
    python = _new_venv(tmp_path / "venv")
    args = [arg.format(lock=our_lock) for arg in choice.pip]
    pip = [tools / "python", "-m", "pip", "--python", python, "install", "--no-index"]
    _run([*pip, "--quiet", *args], env=_isolated_environ({}))
    assert _installed(tmp_path / "venv") == choice.expected


@pytest.mark.parametrize("choice", UV_CHOICES)
def test_uv_installs_each_choice_from_our_lock(
    our_lock: Path, uv: Path, tmp_path: Path, choice: Choice
) -> None:
    python = _new_venv(tmp_path / "venv")
    assert choice.uv is not None
    command = [uv, "pip", "sync", "--no-index", "--python", python, our_lock, *choice.uv]
    _run(command, env=_uv_environ(tmp_path))
    assert _installed(tmp_path / "venv") == choice.expected


def test_uv_installs_the_dependencies_and_a_group_only_in_two_runs(
    our_lock: Path, uv: Path, tmp_path: Path
) -> None:
    """uv treats a pip-interface ``--group`` as "only this group" and selects only groups the
    lock lists in ``dependency-groups``, which rightly leaves out the synthetic ``default``: in
    one run, ``--group default --group dev`` installs the group alone.  One ``uv pip install``
    per choice, into one venv, installs the union."""
    python = _new_venv(tmp_path / "venv")
    environ = _uv_environ(tmp_path)
    install = [uv, "pip", "install", "--no-index", "--python", python, "-r", our_lock]
    _run([*install, "--group", "default", "--group", "dev"], env=environ)
    assert _installed(tmp_path / "venv") == GROUP_ALONE.expected
    _run(install, env=environ)
    assert _installed(tmp_path / "venv") == WITH_GROUP.expected


# -- pdm's multi-use lock, read by omniwheel ------------------------------------------------
@pytest.fixture(scope="module")
def pdm_lock(tmp_path_factory: pytest.TempPathFactory, server: IndexServer, pdm: Path) -> Path:
    """pdm's multi-use ``pylock.toml`` of the project, every group locked, from the local
    index (no venv made, this interpreter named)."""
    project = _write_project(tmp_path_factory.mktemp("interop-pdm"))
    state = tmp_path_factory.mktemp("pdm-state")
    environ = _isolated_environ(
        {
            "PDM_PYPI_URL": server.url,
            "PDM_CONFIG_FILE": str(state / "config.toml"),
            "PDM_CACHE_DIR": str(state / "cache"),
            "PDM_LOG_DIR": str(state / "log"),
            "PDM_CHECK_UPDATE": "false",
            "PDM_NON_INTERACTIVE": "1",
            "PDM_USE_VENV": "false",
            "PDM_PYTHON": sys.executable,
        }
    )
    _run([pdm, "config", "--local", "lock.format", "pylock"], env=environ, cwd=project)
    _run([pdm, "lock", "-G", ":all"], env=environ, cwd=project)
    return project / "pylock.toml"


def test_pdm_writes_a_multi_use_lock(pdm_lock: Path) -> None:
    data: dict[str, Any] = tomllib.loads(pdm_lock.read_text(encoding="utf-8"))
    assert data["created-by"] == "pdm"
    assert data["extras"] == ["socks"]
    assert data["dependency-groups"] == ["default", "dev"]  # `default` too, unlike omniwheel
    assert data["default-groups"] == ["default"]
    markers = {p["name"]: p.get("marker", "") for p in data["packages"]}
    assert "in extras" in markers["socksy"]
    assert "in dependency_groups" in markers["testlib"]


@pytest.mark.parametrize("choice", CHOICES)
def test_our_sync_installs_each_choice_from_pdms_lock(
    pdm_lock: Path, server: IndexServer, cache: Path, tmp_path: Path, choice: Choice
) -> None:
    assert _select(pdm_lock, choice) == choice.expected
    run = _sync(server, cache, pdm_lock.parent, tmp_path / "venv", choice.sync)
    assert run.exit_code == 0, run.stderr
    assert _installed(tmp_path / "venv") == choice.expected


def test_our_sync_installs_pdms_default_groups_by_default(
    pdm_lock: Path, server: IndexServer, cache: Path, tmp_path: Path
) -> None:
    """Another tool's lock records no groups for omniwheel's sync to add, so a plain sync is
    the lock's own default install: its ``default-groups`` (the project's dependencies)."""
    run = _sync(server, cache, pdm_lock.parent, tmp_path / "venv", ())
    assert run.exit_code == 0, run.stderr
    assert _installed(tmp_path / "venv") == DEPENDENCIES.expected


# -- uv's single-use locks, read by omniwheel -----------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class UvProject:
    """The project with its ``uv.lock``, and the uv that wrote it."""

    uv: Path
    root: Path

    def export(self, destination: Path, args: Sequence[str]) -> Path:
        """``uv export --format pylock.toml ARGS``, written to ``destination/pylock.toml``."""
        destination.mkdir()
        lock = destination / "pylock.toml"
        command = [self.uv, "export", "--frozen", "--format", "pylock.toml", *args, "-o", lock]
        _run(command, env=_uv_environ(destination), cwd=self.root)
        return lock


@pytest.fixture(scope="module")
def uv_project(
    tmp_path_factory: pytest.TempPathFactory, server: IndexServer, uv: Path
) -> UvProject:
    """The project locked by uv from the local index, for this interpreter."""
    project = _write_project(tmp_path_factory.mktemp("interop-uv"))
    environ = _uv_environ(tmp_path_factory.mktemp("uv-state")) | {"UV_DEFAULT_INDEX": server.url}
    _run([uv, "lock", "--python", sys.executable], env=environ, cwd=project)
    return UvProject(uv=uv, root=project)


def test_uv_export_is_single_use_even_with_every_extra_and_group(
    uv_project: UvProject, tmp_path: Path
) -> None:
    lock = uv_project.export(tmp_path / "all", ["--all-extras", "--all-groups"])
    data: dict[str, Any] = tomllib.loads(lock.read_text(encoding="utf-8"))
    assert data["created-by"] == "uv"
    assert not {"extras", "dependency-groups", "default-groups"} & data.keys()
    markers = {p["name"]: p.get("marker") for p in data["packages"]}
    assert markers == {
        "client": None,
        "colors": "sys_platform == 'win32'",
        "core": None,
        "linter": "sys_platform != 'win32'",
        "socksy": None,
        "testlib": None,
    }


@pytest.mark.parametrize("choice", CHOICES)
def test_our_sync_installs_uvs_export_of_each_choice(
    uv_project: UvProject, server: IndexServer, cache: Path, tmp_path: Path, choice: Choice
) -> None:
    lock = uv_project.export(tmp_path / "export", choice.uv_export)
    run = _sync(server, cache, lock.parent, tmp_path / "venv", ())
    assert run.exit_code == 0, run.stderr
    assert _installed(tmp_path / "venv") == choice.expected


def test_our_sync_refuses_an_extra_that_uvs_lock_does_not_declare(
    uv_project: UvProject, server: IndexServer, cache: Path, tmp_path: Path
) -> None:
    lock = uv_project.export(tmp_path / "export", ["--all-extras", "--all-groups"])
    run = _sync(server, cache, lock.parent, tmp_path / "venv", ("--extra", "socks"))
    assert run.exit_code == 1
    assert "the lock has no extra socks (its extras: none; its groups: none)" in run.stderr
    assert not (tmp_path / "venv").exists()
