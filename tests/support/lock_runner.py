"""Run the real ``omniwheel lock`` command in-process, against a local index, and capture it.

Scenario and CLI tests go through :func:`omniwheel.cli.main.main` exactly as a user's shell
would, so argument parsing, index discovery and error rendering are part of what they test.
The machine's own configuration must stay out: pip's config files and ``PIP_*`` variables,
proxies, colour forcing and the user's cache are replaced for the duration of one run, and
restored afterwards.  Output is captured by swapping ``sys.stdout``/``sys.stderr``; the CLI's
``rich`` console looks its stream up on every write, so it lands in the capture too.
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
from typing import Any

import pytest
import tomlkit

from omniwheel.cli.main import main
from omniwheel.lock import LOCK_FILENAME

#: Variables removed for a run: they would point omniwheel (or httpx) at the machine's setup.
ISOLATED_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_CERT",
    "PIP_TRUSTED_HOST",
    "SSL_CERT_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "OMNIWHEEL_PYTHON_MIRROR",
    "OMNIWHEEL_KEYRING_PROVIDER",
    "OMNIWHEEL_HTTP_TIMEOUT",
    "OMNIWHEEL_INDEX_DEFAULT_USERNAME",
    "OMNIWHEEL_INDEX_DEFAULT_PASSWORD",
    "OMNIWHEEL_INDEX",
    "OMNIWHEEL_FIND_LINKS",
    "OMNIWHEEL_NO_INDEX",
)
"""Variables of the developer's shell that would change what a test sees; removed for a run."""

NO_NETRC = {"NETRC": os.devnull}
"""Set for every run unless a test gives its own ``NETRC``: the developer's ``~/.netrc`` (read
for index credentials) must not reach a test."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockRun:
    """What one ``omniwheel lock`` run did: its exit code, output, and the lock file after it."""

    exit_code: int
    stdout: str
    stderr: str
    lock_text: str | None

    @property
    def output(self) -> str:
        """stdout and stderr together, for messages in failed assertions."""
        return f"exit code {self.exit_code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def run_lock(
    project_dir: Path,
    args: Sequence[str],
    *,
    index_url: str,
    cache_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> LockRun:
    """Run ``omniwheel lock --project project_dir *args`` with an isolated environment.

    ``OMNIWHEEL_INDEX_URL`` is ``index_url`` and ``OMNIWHEEL_CACHE_DIR`` is ``cache_dir``;
    ``environ`` sets further variables.  Bad usage (argparse's exit) becomes exit code 2 like
    in a shell; any other exception is an omniwheel bug and propagates with its traceback.
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["lock", "--project", str(project_dir), *args]
    with _isolated(index_url, cache_dir, environ or {}), _captured(stdout, stderr):
        try:
            exit_code = main(argv)
        except SystemExit as exc:
            exit_code = exc.code if isinstance(exc.code, int) else 1
    lock_path = project_dir / LOCK_FILENAME
    return LockRun(
        exit_code=exit_code,
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue(),
        lock_text=lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None,
    )


@contextlib.contextmanager
def _isolated(index_url: str, cache_dir: Path, environ: Mapping[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ISOLATED_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("OMNIWHEEL_INDEX_URL", index_url)
        patch.setenv("OMNIWHEEL_CACHE_DIR", str(cache_dir))
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        patch.setenv("NO_COLOR", "1")
        for name, value in (NO_NETRC | dict(environ)).items():
            patch.setenv(name, value)
        yield


@contextlib.contextmanager
def _captured(stdout: io.StringIO, stderr: io.StringIO) -> Iterator[None]:
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        yield


def write_project(
    project_dir: Path,
    project: Mapping[str, Any],
    tool: Mapping[str, Any] | None = None,
    groups: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``[project]`` (and ``[dependency-groups]``, ``[tool.omniwheel]``) as
    ``project_dir/pyproject.toml``."""
    document = tomlkit.document()
    document["project"] = dict(project)
    if groups is not None:
        document["dependency-groups"] = dict(groups)
    if tool is not None:
        document["tool"] = {"omniwheel": dict(tool)}
    project_dir.mkdir(parents=True, exist_ok=True)
    path = project_dir / "pyproject.toml"
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


def redact_index(text: str, base_url: str) -> str:
    """``text`` with the server's base URL (its port varies) replaced by ``{index}``."""
    return text.replace(base_url, "{index}")


_LOADED = """\
import json, sys
from omniwheel.cli.main import main
code = main(sys.argv[2:])
heavy = tuple(sys.argv[1].split(","))
print(json.dumps([code, sorted(m for m in sys.modules if m.startswith(heavy))]))
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class FreshRun:
    """``omniwheel lock`` in a fresh interpreter: its exit code, stderr and the modules it
    loaded among those asked about."""

    exit_code: int
    stderr: str
    loaded: tuple[str, ...]


def lock_in_fresh_interpreter(
    project_dir: Path,
    args: Sequence[str],
    *,
    index_url: str,
    cache_dir: Path,
    watched: Sequence[str],
) -> FreshRun:
    """Run ``omniwheel lock --project project_dir *args`` in a new interpreter (so nothing a test
    imported counts), isolated as :func:`run_lock` is; which modules whose names start with one
    of ``watched`` it loaded."""
    environ = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES and k != "NETRC"}
    environ |= {
        "OMNIWHEEL_INDEX_URL": index_url,
        "OMNIWHEEL_CACHE_DIR": str(cache_dir),
        "PIP_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
        **NO_NETRC,
    }
    argv = [",".join(watched), "lock", "--project", str(project_dir), *args]
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *argv],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    return FreshRun(exit_code=code, stderr=done.stderr, loaded=tuple(loaded))
