"""The installed ``omniwheel`` command: it runs the command line, then freezes what is left.

See :mod:`omniwheel.cli.console`: the interpreter's last collection at exit would walk every
object a lock left alive.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path


def test_the_installed_command_is_the_console_entry_point() -> None:
    (script,) = entry_points(group="console_scripts", name="omniwheel")
    assert script.value == "omniwheel.cli.console:main"


def test_a_command_runs_and_leaves_its_objects_frozen(tmp_path: Path) -> None:
    code = (
        "import gc, sys\n"
        "sys.argv = ['omniwheel', 'cache', 'dir']\n"
        "from omniwheel.cli.console import main\n"
        "exit_code = main()\n"
        "print(gc.get_freeze_count() > 0)\n"
        "sys.exit(exit_code)\n"
    )
    environ = {**os.environ, "OMNIWHEEL_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(tmp_path / "cache"), "True"]
    assert done.stderr == ""
