"""A project, a local index, a cache and a venv for end-to-end ``sync``/``run`` tests.

:class:`Workspace` writes a small project, locks it for this machine against the local index
(``omniwheel lock --platform <this host>``) and runs any ``omniwheel`` command in-process with
the machine's configuration kept out; it reads the result through the venv's own Python.
:func:`publish` serves three pure wheels: ``alpha`` (a console script, a ``.data/scripts`` file,
a ``.data/data`` file and a ``.pth`` file; needs ``beta``), ``beta`` and ``gamma``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from omniwheel.cli.main import main
from omniwheel.platform.host import probe_interpreter
from omniwheel.store.store import STORE_DIR
from tests.support.index_server import IndexServer
from tests.support.lock_runner import ISOLATED_VARIABLES, NO_NETRC, run_lock, write_project
from tests.support.wheelbuilder import build_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ALPHA_ENTRY_POINTS = "[console_scripts]\nalpha-hello = alpha:hello\n"
ALPHA_INIT = b"""\
import sys
CODE = 3
def hello():
    print("hello from alpha", sys.prefix)
"""


def this_platform() -> str:
    machine = probe_interpreter(Path(sys.executable)).machine
    return f"{machine.suggested_platform().name}@{PYTHON}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(slots=True)
class Workspace:
    server: IndexServer
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def venv(self) -> Path:
        return self.project / ".venv"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def store(self) -> Path:
        return self.cache / STORE_DIR

    def write(self, dependencies: Sequence[str]) -> None:
        project = {
            "name": "demo",
            "version": "0.1",
            "requires-python": f">={PYTHON}",
            "dependencies": list(dependencies),
        }
        write_project(self.project, project)

    def lock(self, *platforms: str) -> None:
        args = [arg for p in platforms or (this_platform(),) for arg in ("--platform", p)]
        run = run_lock(self.project, args, index_url=self.server.url, cache_dir=self.cache)
        assert run.exit_code == 0, run.output

    def cli(
        self,
        *args: str,
        environ: Mapping[str, str] | None = None,
        project: Path | None = None,
    ) -> CliRun:
        """``omniwheel COMMAND --project <project> ARGS`` in-process (``project=``: another
        directory); argparse's usage errors become exit code 2."""
        where = str(project or self.project)
        return self.omniwheel(*args[:1], "--project", where, *args[1:], environ=environ)

    def omniwheel(self, *argv: str, environ: Mapping[str, str] | None = None) -> CliRun:
        """``omniwheel ARGV`` in-process, exactly as given."""
        return run_cli(argv, server_url=self.server.url, cache=self.cache, environ=environ or {})

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def pip_install(self, wheel: Path, *options: str) -> None:
        """Install ``wheel`` into the venv with pip, behind omniwheel's back (no deps, no index,
        the machine's pip configuration ignored)."""
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(self.venv / "bin" / "python"),
                "install",
                "--no-deps",
                "--no-index",
                "--quiet",
                *options,
                str(wheel),
            ],
            check=True,
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
        )

    def versions(self) -> dict[str, str]:
        code = (
            "import importlib.metadata as m, json;"
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
        )
        return dict(json.loads(self.python(code)))

    def site_packages(self) -> Path:
        return self.venv / "lib" / f"python{PYTHON}" / "site-packages"

    def subprocess_environ(self) -> dict[str, str]:
        """The environment for running ``omniwheel`` as a separate process."""
        environ = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
        environ.pop("OMNIWHEEL_VENV", None)
        return environ | {
            "OMNIWHEEL_INDEX_URL": self.server.url,
            "OMNIWHEEL_CACHE_DIR": str(self.cache),
            "PIP_CONFIG_FILE": os.devnull,
            "NO_COLOR": "1",
            **NO_NETRC,
        }

    def command(self, *args: str) -> list[str]:
        """``omniwheel ARGS --project <project>`` as a command line for a separate process."""
        return [
            sys.executable,
            "-m",
            "omniwheel.cli.main",
            *args[:1],
            "--project",
            str(self.project),
            *args[1:],
        ]


def run_cli(
    argv: Sequence[str],
    *,
    server_url: str,
    cache: Path,
    environ: Mapping[str, str],
    unset: Sequence[str] = (),
) -> CliRun:
    """``omniwheel ARGV`` in-process against the local index, output captured; argparse's usage
    errors become exit code 2 as in a shell.  ``unset`` names further variables to clear."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        isolated(server_url, cache, environ, unset=unset),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return CliRun(exit_code=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


@contextlib.contextmanager
def isolated(
    server_url: str, cache: Path, environ: Mapping[str, str], *, unset: Sequence[str] = ()
) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in (*ISOLATED_VARIABLES, "OMNIWHEEL_VENV", *unset):
            patch.delenv(name, raising=False)
        patch.setenv("OMNIWHEEL_INDEX_URL", server_url)
        patch.setenv("OMNIWHEEL_CACHE_DIR", str(cache))
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        patch.setenv("NO_COLOR", "1")
        for name, value in (NO_NETRC | dict(environ)).items():
            patch.setenv(name, value)
        yield


def publish(server: IndexServer, directory: Path, *, alpha_marker: bytes = b"") -> None:
    files = {
        "alpha/__init__.py": ALPHA_INIT + alpha_marker,
        "alpha-1.0.data/scripts/alpha-raw": b"#!python\nimport alpha; print('raw', alpha.CODE)\n",
        "alpha-1.0.data/data/share/alpha/notes.txt": b"notes\n",
        "alpha_paths.pth": b"alpha_extra\n",
        "alpha_extra/alpha_hidden.py": b"HIDDEN = True\n",
    }
    wheels = [
        build_wheel(
            directory,
            "alpha",
            "1.0",
            requires_dist=["beta>=1"],
            files=files,
            entry_points=ALPHA_ENTRY_POINTS,
        ),
        build_wheel(directory, "beta", "1.0"),
        build_wheel(directory, "gamma", "1.0"),
    ]
    for wheel in wheels:
        server.add_file(wheel)
