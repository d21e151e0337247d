"""The virtual environment itself: where it is, creating it, and omniwheel's state file in it.

The environment is a standard venv made by the chosen interpreter's own ``venv`` module
(``--without-pip``: omniwheel installs, pip is not needed), so IDEs, Jupyter, PythonCall and
PyCall recognise it.  Its default place is ``.venv`` next to the project; ``--venv PATH`` or
``OMNIWHEEL_VENV`` choose another.

``.omniwheel-state.json`` records what the last *completed* sync installed: the lock's sha256,
the interpreter, and for each distribution the wheel's sha256.  It is removed before a sync
changes anything and written last, so an interrupted sync leaves no state and the next one
repairs the environment; a sync whose lock hash matches the state is a no-op.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.utils import canonicalize_name

from omniwheel._atomic import write_atomic
from omniwheel.env.plan import InstalledDist, Origin
from omniwheel.errors import OmniwheelError
from omniwheel.store.store import remove_tree

VENV_DIRNAME = ".venv"
STATE_FILENAME = ".omniwheel-state.json"
STATE_VERSION = 1
"""Bump when the state file's meaning changes; a state of another version is ignored."""
VENV_TIMEOUT_SECONDS = 120


class VenvError(OmniwheelError):
    """The environment could not be created, read or changed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenvState:
    """What the last completed sync left: see this module's docstring."""

    lock_sha256: str
    python: str
    """The interpreter's full version, ``3.12.4``."""
    python_request: str | None
    """``--python`` as given to that sync, if any."""
    dists: Mapping[str, Origin]

    def to_json(self) -> bytes:
        data = {
            "version": STATE_VERSION,
            "lock-sha256": self.lock_sha256,
            "python": self.python,
            "python-request": self.python_request,
            "dists": {
                name: {"sha256": origin.sha256, "requested": origin.requested}
                for name, origin in sorted(self.dists.items())
            },
        }
        return (json.dumps(data, indent=2) + "\n").encode()


def venv_location(project: Path, *, cli: Path | None, environ: Mapping[str, str]) -> Path:
    """``--venv``, else ``OMNIWHEEL_VENV``, else ``<project>/.venv``; absolute."""
    if cli is not None:
        return cli.absolute()
    configured = environ.get("OMNIWHEEL_VENV")
    if configured:
        return Path(configured).expanduser().absolute()
    return project / VENV_DIRNAME


def bin_dir(venv: Path) -> Path:
    """Where the venv's executables and scripts live: ``bin`` (``Scripts`` on Windows)."""
    return venv / ("Scripts" if sys.platform == "win32" else "bin")


def venv_python(venv: Path) -> Path:
    return bin_dir(venv) / ("python.exe" if sys.platform == "win32" else "python")


def is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def create_venv(venv: Path, python: Path) -> None:
    """Make a fresh venv at ``venv`` with ``python`` (replacing an old venv there)."""
    if venv.exists() and not is_venv(venv) and any(venv.iterdir()):
        raise VenvError(
            f"{venv} exists and is not a virtual environment; omniwheel will not touch it",
            hint="remove it, or choose another place with --venv or OMNIWHEEL_VENV",
        )
    remove_venv(venv)
    command = [str(python), "-m", "venv", "--without-pip", str(venv)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=VENV_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VenvError(f"cannot run {python} to create {venv}: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise VenvError(
            f"{python} could not create a venv at {venv}: {detail}",
            hint="on Debian and Ubuntu the venv module is a separate package "
            "(`apt-get install python3-venv`); or choose another interpreter with --python",
        )
    # Keep the environment out of version control, as its contents are machine-specific.
    (venv / ".gitignore").write_text("*\n", encoding="utf-8")


def remove_venv(venv: Path) -> None:
    """Remove ``venv`` if it is a virtual environment (never any other directory)."""
    if is_venv(venv):
        remove_tree(venv)


def read_state(venv: Path) -> VenvState | None:
    """The state of the last completed sync, or None (none, unreadable, other version)."""
    try:
        data = json.loads((venv / STATE_FILENAME).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return None
    try:
        return _state_from(data)
    except (KeyError, TypeError, AttributeError):
        return None


def _state_from(data: Mapping[str, Any]) -> VenvState:
    dists = {
        str(name): Origin(sha256=str(entry["sha256"]), requested=bool(entry["requested"]))
        for name, entry in data["dists"].items()
    }
    request = data.get("python-request")
    return VenvState(
        lock_sha256=str(data["lock-sha256"]),
        python=str(data["python"]),
        python_request=None if request is None else str(request),
        dists=MappingProxyType(dists),
    )


def write_state(venv: Path, state: VenvState) -> None:
    write_atomic(venv / STATE_FILENAME, state.to_json())


def clear_state(venv: Path) -> None:
    (venv / STATE_FILENAME).unlink(missing_ok=True)


def pyvenv_version(venv: Path) -> str | None:
    """The Python version ``pyvenv.cfg`` records (``3.12.4``), without running anything."""
    parser = configparser.RawConfigParser()
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
        parser.read_string(f"[venv]\n{text}")
    except (OSError, configparser.Error):
        return None
    return parser.get("venv", "version", fallback=None) or parser.get(
        "venv", "version_info", fallback=None
    )


def installed_dists(site_packages: Path, state: VenvState | None) -> list[InstalledDist]:
    """Every ``*.dist-info`` in ``site_packages``, with what the state says about it."""
    origins = state.dists if state is not None else {}
    found = []
    try:
        entries = sorted(site_packages.glob("*.dist-info"))
    except OSError:
        return []
    for entry in entries:
        stem, _, version = entry.name.removesuffix(".dist-info").rpartition("-")
        if not stem or not entry.is_dir():
            continue
        name = canonicalize_name(stem)
        found.append(
            InstalledDist(
                name=name,
                version=version,
                dist_info=entry.name,
                installer=_installer(entry),
                origin=origins.get(name),
            )
        )
    return found


def _installer(dist_info: Path) -> str | None:
    try:
        return (dist_info / "INSTALLER").read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def site_packages_of(paths: Mapping[str, str]) -> Path:
    return Path(paths["purelib"])
