"""The no-op ``sync`` and ``run`` answered before the parser (:mod:`omniwheel.cli.unchanged_venv`)
do the real check: each change that the usual way notices makes them leave the command to it.

Each test syncs, then asks the early answer directly (``Invocation.answer``): it must answer
for the environment just synced, and step aside once the environment, the lock, the project or
the index settings changed — the usual way then repairs or relocks, as
``tests/integration/test_sync_drift.py`` and ``test_relock.py`` show end to end.  The last test
runs a no-op ``sync`` and ``run`` in a fresh interpreter and lists what they imported.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import redirect_stderr

import pytest

from omniwheel.cli.output import Output
from omniwheel.cli.unchanged_venv import quick_invocation
from omniwheel.env.audit import RACY_NS
from tests.support.sync_space import Workspace, isolated

Change = Callable[[Workspace], None]


@pytest.fixture
def synced(space: Workspace) -> Workspace:
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert "Audited 3 packages" in space.cli("sync").stderr  # the directory times settled
    return space


def _answer(
    space: Workspace, *options: str, environ: Mapping[str, str] | None = None
) -> tuple[int | None, str]:
    """The early answer to ``sync --project <project> OPTIONS``, and what it wrote on stderr."""
    invocation = quick_invocation(["sync", "--project", str(space.project), *options])
    assert invocation is not None
    stderr = io.StringIO()
    with isolated(space.server.url, space.cache, environ or {}), redirect_stderr(stderr):
        code = invocation.answer(Output())
    return code, stderr.getvalue()


def test_a_synced_environment_is_answered_early(synced: Workspace) -> None:
    code, stderr = _answer(synced)
    assert code == 0
    assert stderr.startswith("Audited 3 packages in ")
    assert _answer(synced, "--frozen", "--offline", "--link-mode", "copy")[0] == 0


def _stray(space: Workspace) -> None:
    stray = space.site_packages() / "stray-1.0.dist-info"
    stray.mkdir()
    (stray / "RECORD").write_text("stray-1.0.dist-info/RECORD,,\n")


def _removed_dist_info(space: Workspace) -> None:
    shutil.rmtree(space.site_packages() / "gamma-1.0.dist-info")


def _removed_file(space: Workspace) -> None:
    (space.site_packages() / "alpha" / "__init__.py").unlink()


def _reinstalled(space: Workspace) -> None:
    (space.site_packages() / "beta-1.0.dist-info" / "INSTALLER").write_text("pip\n")
    # INSTALLER is rewritten in place: the directory's time moves only with a new entry.
    (space.site_packages() / "beta-1.0.dist-info" / "direct_url.json").write_text("{}")


def _changed_lock(space: Workspace) -> None:
    with (space.project / "pylock.toml").open("a") as lock:
        lock.write("\n# edited\n")


def _changed_pyproject(space: Workspace) -> None:
    with (space.project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# edited\n")


def _no_interpreter(space: Workspace) -> None:
    (space.venv / "bin" / "python").unlink()


def _no_state(space: Workspace) -> None:
    (space.venv / ".omniwheel-state.json").unlink()


@pytest.mark.parametrize(
    "change",
    [
        _stray,
        _removed_dist_info,
        _removed_file,
        _reinstalled,
        _changed_lock,
        _changed_pyproject,
        _no_interpreter,
        _no_state,
    ],
)
def test_a_change_is_left_to_the_usual_way(synced: Workspace, change: Change) -> None:
    change(synced)
    assert _answer(synced) == (None, "")


@pytest.mark.parametrize(
    ("options", "environ"),
    [
        (["--index-url", "http://elsewhere.invalid/simple"], {}),
        (["--index", "extra=http://elsewhere.invalid/simple"], {}),
        (["--find-links", "wheels"], {}),
        ([], {"OMNIWHEEL_INDEX_URL": "http://elsewhere.invalid/simple"}),
        ([], {"PIP_INDEX_URL": "http://elsewhere.invalid/simple"}),
        (["--python", "3.0"], {}),
        ([], {"OMNIWHEEL_LINK_MODE": "move"}),
    ],
)
def test_other_index_settings_or_requests_are_left_to_the_usual_way(
    synced: Workspace, options: list[str], environ: dict[str, str]
) -> None:
    assert _answer(synced, *options, environ=environ) == (None, "")


def test_changed_pip_configuration_is_left_to_the_usual_way(synced: Workspace) -> None:
    config = synced.root / "pip.conf"
    config.write_text("[global]\nindex-url = http://elsewhere.invalid/simple\n")
    # The stamp was taken with PIP_CONFIG_FILE=os.devnull: another file is another setting.
    assert _answer(synced, environ={"PIP_CONFIG_FILE": str(config)}) == (None, "")


def test_a_no_op_run_runs_the_command(synced: Workspace) -> None:
    invocation = quick_invocation(
        ["run", "--project", str(synced.project), "--", "python", "-c", "import alpha"]
    )
    assert invocation is not None
    with isolated(synced.server.url, synced.cache, {}):
        assert invocation.answer(Output()) == 0
    missing = quick_invocation(["run", "--project", str(synced.project), "no-such-command-here"])
    assert missing is not None
    from omniwheel.env.run_error import CommandNotFoundError

    with isolated(synced.server.url, synced.cache, {}), pytest.raises(CommandNotFoundError):
        missing.answer(Output())


HEAVY = (
    "argparse",
    "dataclasses",
    "typing",
    "inspect",
    "tomllib",
    "packaging",
    "rich",
    "installer",
    "omniwheel.errors",
    "omniwheel.cli.sync_commands",
    "omniwheel.cli.locking",
    "omniwheel.env.sync",
    "omniwheel.env.choice",
)


@pytest.mark.parametrize(
    ("argv", "stderr"),
    [
        (["sync"], "Audited 3 packages in "),
        (["run", "--", "python", "-c", "import alpha"], ""),
    ],
    ids=["sync", "run"],
)
def test_a_no_op_in_a_fresh_interpreter_imports_nothing_heavy(
    synced: Workspace, argv: list[str], stderr: str
) -> None:
    script = (
        "import json, sys\n"
        "from omniwheel.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    command, *options = argv
    done = subprocess.run(
        [sys.executable, "-c", script, command, "--project", str(synced.project), *options],
        capture_output=True,
        text=True,
        env=synced.subprocess_environ() | {"OMNIWHEEL_LINK_MODE": "hardlink"},
        cwd=synced.root,
        check=True,
    )
    code, modules = json.loads(done.stdout)
    assert code == 0
    assert done.stderr.startswith(stderr)
    assert bool(done.stderr) == bool(stderr)
    submodules = tuple(f"{name}." for name in HEAVY)
    assert [name for name in modules if name in HEAVY or name.startswith(submodules)] == []


LIGHT = ("pathlib", "re", "json", "hashlib", "enum", "functools", "collections")
"""Imported by the usual way, never by the installed command's no-op ``sync``."""


def test_the_installed_commands_no_op_imports_no_pathlib_re_json_or_hashlib(
    synced: Workspace,
) -> None:
    script = (
        "import sys\n"
        "from omniwheel.cli.console import main\n"
        "code = main()\n"
        "print(code, *sorted(sys.modules))\n"
    )

    def no_op() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, "sync", "--project", str(synced.project)],
            capture_output=True,
            text=True,
            env=synced.subprocess_environ() | {"OMNIWHEEL_LINK_MODE": "hardlink"},
            cwd=synced.root,
            check=True,
        )

    # Directory times this close to the sync are racy (checked, and kept fresher, which writes
    # the state file with the usual way's modules): once older, one no-op keeps them for good,
    # and the next only reads.
    time.sleep(2 * RACY_NS / 1e9)
    no_op()
    done = no_op()
    code, *modules = done.stdout.split()
    assert code == "0"
    assert done.stderr.startswith("Audited 3 packages in ")
    assert [name for name in modules if name in LIGHT] == []


@pytest.mark.parametrize("change", [_removed_file, _changed_lock, _no_state])
def test_the_installed_command_leaves_a_change_to_the_usual_way_once(
    synced: Workspace, change: Change
) -> None:
    change(synced)
    script = "import sys\nfrom omniwheel.cli.console import main\nsys.exit(main())\n"
    done = subprocess.run(
        [sys.executable, "-c", script, "sync", "--project", str(synced.project)],
        capture_output=True,
        text=True,
        env=synced.subprocess_environ(),
        cwd=synced.root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(line.startswith(("Installed ", "Audited ")) for line in lines)  # Audited: same
    assert len([line for line in lines if line.startswith("note: changed since")]) <= 1
    assert _answer(synced)[0] == 0  # the usual way repaired it: the next one is answered early


def test_a_declined_command_line_is_not_checked_again_early(synced: Workspace) -> None:
    from omniwheel.cli.unchanged_venv import _DECLINED, answer_quickly

    arguments = ["sync", "--project", str(synced.project), "--offline"]
    _changed_lock(synced)
    try:
        with isolated(synced.server.url, synced.cache, {}):
            assert answer_quickly(arguments, Output()) is None
            assert quick_invocation(arguments) is None  # main's own early check: left out
            assert quick_invocation([*arguments, "--compile-bytecode"]) is not None
    finally:
        _DECLINED.discard(tuple(arguments))
