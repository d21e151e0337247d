"""Running a command inside an environment, the way ``source .venv/bin/activate`` would.

The command runs with the environment's ``bin`` (``Scripts`` on Windows) first on ``PATH``,
``VIRTUAL_ENV`` set and ``PYTHONHOME`` removed, so ``python`` and every console script resolve
to the environment's.  omniwheel waits for it, ignoring Ctrl-C itself (the command gets it and
decides), and hands back its exit code; a command killed by signal N gives ``128 + N`` as a
shell would.  A command that cannot be found raises
:class:`~omniwheel.env.run_error.CommandNotFoundError`, imported only then: a ``run`` whose
environment is in sync imports no :mod:`dataclasses`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from omniwheel.env.layout import bin_dir


def activated_environ(venv: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` as an activated environment sees it."""
    result = dict(environ)
    rest = [part for part in environ.get("PATH", "").split(os.pathsep) if part]
    result["PATH"] = os.pathsep.join([str(bin_dir(venv)), *rest])
    result["VIRTUAL_ENV"] = str(venv)
    result.pop("PYTHONHOME", None)
    return result


def run_in_venv(venv: Path, command: Sequence[str], *, environ: Mapping[str, str]) -> int:
    """Run ``command`` inside ``venv`` and return its exit code."""
    if not command:
        from omniwheel.env.run_error import CommandNotFoundError

        raise CommandNotFoundError(
            "no command given to run", hint="write it after `--`: omniwheel run -- python -V"
        )
    env = activated_environ(venv, environ)
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        from omniwheel.env.run_error import CommandNotFoundError

        raise CommandNotFoundError(
            f"`{command[0]}` is neither in {bin_dir(venv)} nor on PATH",
            hint="add the package that provides it to the project's dependencies, "
            "then run `omniwheel lock`",
        )
    with subprocess.Popen([executable, *command[1:]], env=env) as process:
        while True:
            try:
                code = process.wait()
                break
            except KeyboardInterrupt:
                continue  # the command got the same Ctrl-C; let it decide when to stop
    return 128 - code if code < 0 else code
