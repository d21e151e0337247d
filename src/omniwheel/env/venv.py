"""Creating and reading the virtual environment itself.

The environment is a standard venv made by the chosen interpreter's own ``venv`` module
(``--without-pip``: omniwheel installs, pip is not needed), so IDEs, Jupyter, PythonCall and
PyCall recognise it.  Where it is and the state file in it live in :mod:`omniwheel.env.layout`
(re-exported here), which the no-op sync reads without importing this module.
"""

from __future__ import annotations

import configparser
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path

from omniwheel.env.layout import (
    STATE_FILENAME,
    STATE_VERSION,
    VENV_DIRNAME,
    Origin,
    VenvState,
    bin_dir,
    clear_state,
    is_venv,
    pyvenv_home,
    read_state,
    venv_location,
    venv_python,
    write_state,
)
from omniwheel.env.plan import INSTALLER_NAME, InstalledDist
from omniwheel.errors import OmniwheelError
from omniwheel.store.store import remove_tree

__all__ = [
    "STATE_FILENAME",
    "STATE_VERSION",
    "VENV_DIRNAME",
    "Origin",
    "VenvError",
    "VenvState",
    "bin_dir",
    "clear_state",
    "create_venv",
    "installed_dists",
    "is_venv",
    "pyvenv_home",
    "pyvenv_version",
    "read_state",
    "remove_venv",
    "site_packages_of",
    "venv_location",
    "venv_python",
    "write_state",
]

VENV_TIMEOUT_SECONDS = 120


class VenvError(OmniwheelError):
    """The environment could not be created, read or changed."""


def create_venv(venv: Path, python: Path) -> None:
    """Make a fresh venv at ``venv`` with ``python`` (replacing an old venv there)."""
    if venv.exists() and not is_venv(venv) and any(venv.iterdir()):
        raise VenvError(
            f"{venv} exists and is not a virtual environment; omniwheel will not touch it",
            hint="remove it, or choose another place with --venv or OMNIWHEEL_VENV",
        )
    remove_venv(venv)
    # -B: the venv module's imports leave no bytecode beside the base interpreter's stdlib (a
    # pinned interpreter's tree in the store stays what its archive holds, even for root).
    command = [str(python), "-B", "-m", "venv", "--without-pip", str(venv)]
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


def installed_dists(
    site_packages: Path, state: VenvState | None, *, damaged: Collection[str] = ()
) -> list[InstalledDist]:
    """Every ``*.dist-info`` in ``site_packages``, with what the state says about it.

    The state's word counts only for a distribution that omniwheel installed (its
    ``INSTALLER``) and that the audit did not find ``damaged``: any other is installed anew."""
    origins = state.dists if state is not None else {}
    found = []
    try:
        entries = sorted(site_packages.glob("*.dist-info"))
    except OSError:
        return []
    if not entries:
        return []  # a new venv: nothing to name, and packaging need not be loaded
    from packaging.utils import canonicalize_name

    for entry in entries:
        stem, _, version = entry.name.removesuffix(".dist-info").rpartition("-")
        if not stem or not entry.is_dir():
            continue
        name = canonicalize_name(stem)
        installer = _installer(entry)
        trusted = installer == INSTALLER_NAME and name not in damaged
        found.append(
            InstalledDist(
                name=name,
                version=version,
                dist_info=entry.name,
                installer=installer,
                origin=origins.get(name) if trusted else None,
                has_record=(entry / "RECORD").is_file(),
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
