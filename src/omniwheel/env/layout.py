"""Where things are in an environment, and omniwheel's state file in it.

This is the part of an environment that the no-op ``sync`` (and so every ``run`` of an
environment already in sync) reads, so it imports nothing heavy: a ``run`` must not pay for
the resolver, the index client or ``packaging.pylock`` just to learn that nothing changed.

The environment's default place is ``.venv`` next to the project; ``--venv PATH`` or
``OMNIWHEEL_VENV`` choose another.

``.omniwheel-state.json`` records what the last *completed* sync installed: the lock's sha256,
the interpreter, and for each distribution the wheel's sha256.  It is removed before a sync
changes anything and written last, so an interrupted sync leaves no state and the next one
repairs the environment; a sync whose lock hash matches the state is a no-op.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

VENV_DIRNAME = ".venv"
STATE_FILENAME = ".omniwheel-state.json"
STATE_VERSION = 1
"""Bump when the state file's meaning changes; a state of another version is ignored."""

LinkMode = Literal["hardlink", "copy", "symlink"]
"""How files come from the store into the environment (see :mod:`omniwheel.env.install`)."""
LINK_MODES: tuple[LinkMode, ...] = get_args(LinkMode)


def venv_location(project: Path, *, cli: Path | None, environ: Mapping[str, str]) -> Path:
    """``--venv``, else ``OMNIWHEEL_VENV``, else ``<project>/.venv``; absolute."""
    if cli is not None:
        return cli.absolute()
    configured = environ.get("OMNIWHEEL_VENV")
    if configured:
        return Path(configured).expanduser().absolute()
    return project / VENV_DIRNAME


def bin_dir(venv: Path, *, platform: str = sys.platform) -> Path:
    """Where the venv's executables and scripts live: ``bin`` (``Scripts`` on Windows).

    ``platform`` is ``sys.platform`` of the machine the venv is for (a parameter so the Windows
    layout can be tested on other machines)."""
    return venv / ("Scripts" if platform == "win32" else "bin")


def venv_python(venv: Path, *, platform: str = sys.platform) -> Path:
    """The venv's interpreter: ``bin/python``, or ``Scripts\\python.exe`` on Windows."""
    executable = "python.exe" if platform == "win32" else "python"
    return bin_dir(venv, platform=platform) / executable


def is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """What omniwheel recorded about a distribution it installed."""

    sha256: str
    requested: bool


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
    from omniwheel._atomic import write_atomic  # tempfile and its imports: not for the no-op

    write_atomic(venv / STATE_FILENAME, state.to_json())


def clear_state(venv: Path) -> None:
    (venv / STATE_FILENAME).unlink(missing_ok=True)
