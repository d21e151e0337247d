"""Running an interpreter once to read its facts: the half of the host probe that needs nothing
but the standard library.

:mod:`omniwheel.platform.host` turns these facts into an
:class:`~omniwheel.platform.host.Interpreter` (machine, wheel tags — which needs ``packaging``).
A sync that already knows what the lock selects for these exact facts (see
:mod:`omniwheel.env.selection_memo`) uses them as they are: the environment's paths and version
are all it needs, and ``packaging`` is never imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniwheel.errors import OmniwheelError

PROBE_TIMEOUT_SECONDS = 30.0

# Runs inside the probed interpreter: stdlib only, valid on Python 3.8+.  The marker values
# are those of PEP 508 (what packaging.markers.default_environment computes), taken from
# `platform` and `sys` because the probed interpreter may not have packaging installed.
PROBE = r"""
import json, os, platform, struct, sys, sysconfig

def version(info):
    text = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text

def libc():
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, OSError, ValueError):
        text = ""
    parts = text.split()
    return parts[1] if len(parts) == 2 and parts[0] == "glibc" else None

print(json.dumps({
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "implementation": sys.implementation.name,
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "pointer_bits": struct.calcsize("P") * 8,
    "glibc": libc(),
    "mac_version": platform.mac_ver()[0],
    "paths": sysconfig.get_paths(),
    "markers": {
        "implementation_name": sys.implementation.name,
        "implementation_version": version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
}))
"""


class InterpreterProbeError(OmniwheelError):
    """An interpreter could not be run, or answered something unusable."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or _PROBE_HINT)


_PROBE_HINT = (
    "check that it is a working CPython (run it with `--version`), or choose another with "
    "`--python PATH`"
)


class PythonIdentity:
    """How messages and install layouts name an interpreter, for classes holding its
    ``executable``, ``version`` and ``implementation`` (the probe's facts, the full
    :class:`~omniwheel.platform.host.Interpreter`)."""

    __slots__ = ()
    executable: Path
    version: tuple[int, int, int]
    implementation: str

    @property
    def python_version(self) -> str:
        """``"3.12"``."""
        return python_text(self.version[:2])

    @property
    def full_version(self) -> str:
        """``"3.12.4"`` (pre-release suffixes dropped)."""
        return python_text(self.version)

    def describe(self) -> str:
        """``CPython 3.12.4 at /usr/bin/python3.12``: for messages."""
        name = "CPython" if self.implementation == "cpython" else self.implementation
        return f"{name} {self.full_version} at {self.executable}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeFacts(PythonIdentity):
    """What one interpreter said about itself (:data:`PROBE`'s JSON), probed at ``executable``."""

    executable: Path
    """The path it was probed as (a venv's ``bin/python`` stays that, unresolved)."""
    version: tuple[int, int, int]
    implementation: str
    paths: Mapping[str, str]
    """``sysconfig.get_paths()`` of its default scheme (in a venv: the venv's own paths)."""
    data: Mapping[str, Any]
    """Everything it answered."""

    @classmethod
    def from_data(cls, executable: Path, data: Mapping[str, Any]) -> ProbeFacts:
        """The facts in ``data``; :class:`InterpreterProbeError` when a field every caller
        reads is missing or of another type."""
        try:
            major, minor, micro = (int(part) for part in data["version"])
            if not isinstance(data["markers"], dict):
                raise TypeError("markers is not a table")
            return cls(
                executable=executable,
                version=(major, minor, micro),
                implementation=str(data["implementation"]),
                paths={str(key): str(value) for key, value in data["paths"].items()},
                data=data,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InterpreterProbeError(
                f"{executable} answered the interpreter probe with unusable data ({exc!r})"
            ) from exc

    def is_running_interpreter(self) -> bool:
        """Whether this is the interpreter running omniwheel (its own wheel tags then apply)."""
        try:
            return Path(str(self.data["executable"])).samefile(sys.executable)
        except OSError:
            return False


def python_text(version: tuple[int, ...]) -> str:
    """``(3, 12)`` → ``"3.12"``, ``(3, 11, 5)`` → ``"3.11.5"``."""
    return ".".join(str(part) for part in version)


def run_probe(executable: Path) -> ProbeFacts:
    """Run ``executable`` once; its facts, or :class:`InterpreterProbeError`."""
    return ProbeFacts.from_data(executable, _run_probe(executable))


def _run_probe(executable: Path) -> Mapping[str, Any]:
    # -I: isolated (no user site, no PYTHON* variables, no cwd on sys.path) so a stray
    # `platform.py` or PYTHONPATH cannot change the answer.  -B: no bytecode written beside the
    # interpreter's stdlib (a pinned interpreter's store tree stays as archived, even for root).
    command = [str(executable), "-B", "-I", "-c", PROBE]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterProbeError(f"cannot run {executable}: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterProbeError(
            f"{executable} failed the interpreter probe (exit {done.returncode}): {detail}"
        )
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise InterpreterProbeError(f"{executable} printed no probe result: {exc}") from exc
    if not isinstance(data, dict):
        raise InterpreterProbeError(f"{executable} printed an unexpected probe result")
    return data
