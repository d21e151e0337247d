"""Finding the Python interpreter an environment is built with.

The choice, first match wins: ``--python`` (a version like ``3.12`` / ``3.12.1``, or a path to an
interpreter or to a directory holding one); else the interpreter running omniwheel when it
satisfies the lock's ``requires-python``; else ``python3.X`` / ``python3`` / ``python`` on
``PATH`` (newest minor first), then interpreters in common install locations (pyenv's versions
directory).  Each candidate is asked its version by running it, so broken shims are skipped.
When nothing fits, the error lists every interpreter found with its version and what was
needed.  Provisioning interpreters is a later part (``python/provision.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from omniwheel.errors import OmniwheelError
from omniwheel.platform.host import (
    InterpreterProbeError,
    probe_interpreter,
    running_executable,
    running_version,
)

PythonVersion = tuple[int, int, int]
Probe = Callable[[Path], PythonVersion]

NEWEST_MINOR = 20
"""The newest ``python3.X`` name looked for on PATH (a generous upper bound)."""
OLDEST_MINOR = 8

_VERSION_REQUEST = re.compile(r"(?:python)?\s*(3(?:\.\d+){1,2})", re.ASCII)


class InterpreterNotFoundError(OmniwheelError):
    """No interpreter satisfies the request and the lock; says what was found."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundInterpreter:
    """An interpreter that fits, and why it was chosen."""

    executable: Path
    version: PythonVersion
    source: str
    """``--python``, ``the running interpreter``, ``PATH``, ``pyenv``: for messages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Seen:
    path: Path
    version: PythonVersion | None
    problem: str | None = None

    def describe(self) -> str:
        if self.version is None:
            return f"{self.path} (does not run: {self.problem})"
        return f"{self.path} ({_dotted(self.version)})"


def find_interpreter(
    *,
    request: str | None,
    requires_python: SpecifierSet | None,
    environ: Mapping[str, str],
    home: Path,
    probe: Probe | None = None,
) -> FoundInterpreter:
    """Choose the interpreter per this module's docstring; raise when none fits."""
    ask = probe or _probe_version
    needed = requires_python or SpecifierSet()
    wanted = None if request is None else parse_version_request(request)
    if request is not None and wanted is None:
        return _requested_path(Path(request).expanduser(), needed, ask)
    running = running_version()
    if _fits(running, wanted, needed):
        return FoundInterpreter(
            executable=running_executable(), version=running, source="the running interpreter"
        )
    seen = [_Seen(path=running_executable(), version=running)]
    for path, source in _candidates(environ, home):
        candidate = _ask(path, ask)
        seen.append(candidate)
        if candidate.version is not None and _fits(candidate.version, wanted, needed):
            return FoundInterpreter(executable=path, version=candidate.version, source=source)
    raise _not_found(request, needed, seen)


def _requested_path(path: Path, needed: SpecifierSet, ask: Probe) -> FoundInterpreter:
    executable = _executable_in(path) if path.is_dir() else path
    seen = _ask(executable, ask)
    if seen.version is None:
        raise InterpreterNotFoundError(
            f"--python {path}: {seen.problem}",
            hint="give the path of a Python executable, or a version such as 3.12",
        )
    if not _fits(seen.version, None, needed):
        raise InterpreterNotFoundError(
            f"--python {path} is Python {_dotted(seen.version)}, but the lock needs "
            f"requires-python {needed}",
            hint="choose an interpreter the lock admits, or relock with `omniwheel lock`",
        )
    return FoundInterpreter(executable=executable, version=seen.version, source="--python")


def _executable_in(directory: Path) -> Path:
    """A directory given as ``--python``: a prefix or venv (``bin/python``) or a ``bin``."""
    for relative in ("bin/python3", "bin/python", "python3", "python", "python.exe"):
        if (directory / relative).is_file():
            return directory / relative
    return directory / "bin" / "python3"


def parse_version_request(request: str) -> tuple[int, ...] | None:
    """``"3.12"`` → ``(3, 12)``, ``"python3.12.1"`` → ``(3, 12, 1)``; None for a path."""
    match = _VERSION_REQUEST.fullmatch(request.strip())
    return None if match is None else tuple(int(part) for part in match[1].split("."))


def _fits(version: PythonVersion, wanted: tuple[int, ...] | None, needed: SpecifierSet) -> bool:
    if wanted is not None and version[: len(wanted)] != wanted:
        return False
    return needed.contains(Version(_dotted(version)), prereleases=True)


def _candidates(environ: Mapping[str, str], home: Path) -> Iterator[tuple[Path, str]]:
    """Interpreters on PATH (newest names first), then pyenv's; each real file once."""
    seen: set[str] = {os.path.realpath(running_executable())}
    names = [f"python3.{minor}" for minor in range(NEWEST_MINOR, OLDEST_MINOR - 1, -1)]
    directories = [Path(part) for part in environ.get("PATH", "").split(os.pathsep) if part]
    found = [
        (directory / name, "PATH")
        for name in (*names, "python3", "python")
        for directory in directories
    ]
    pyenv_root = Path(environ.get("PYENV_ROOT") or home / ".pyenv") / "versions"
    found += [(path, "pyenv") for path in _pyenv_interpreters(pyenv_root)]
    for path, source in found:
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            yield path, source


def _pyenv_interpreters(versions: Path) -> list[Path]:
    try:
        entries = [entry for entry in versions.iterdir() if entry.name[:1].isdigit()]
    except OSError:
        return []

    def newest_first(entry: Path) -> tuple[int, ...]:
        return tuple(-int(part) for part in re.findall(r"\d+", entry.name)[:3])

    return [entry / "bin" / "python3" for entry in sorted(entries, key=newest_first)]


def _ask(path: Path, ask: Probe) -> _Seen:
    try:
        return _Seen(path=path, version=ask(path))
    except InterpreterProbeError as exc:
        return _Seen(path=path, version=None, problem=exc.message)


def _probe_version(path: Path) -> PythonVersion:
    return probe_interpreter(path).version


def _not_found(request: str | None, needed: SpecifierSet, seen: list[_Seen]) -> Exception:
    wants = []
    if request is not None:
        wants.append(f"Python {request.strip()}")
    if str(needed):
        wants.append(f"requires-python {needed} (from the lock)")
    found = "\n".join(f"  - {each.describe()}" for each in seen)
    return InterpreterNotFoundError(
        f"no Python interpreter found that satisfies {' and '.join(wants) or 'the lock'}; "
        f"found:\n{found}",
        hint="install a matching CPython, or pass `--python PATH` to one",
    )


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)
