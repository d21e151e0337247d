"""Where things are in an environment, and omniwheel's state file in it.

This is the part of an environment that the no-op ``sync`` (and so every ``run`` of an
environment already in sync) reads, so it imports nothing heavy: a ``run`` must not pay for
the resolver, the index client or ``packaging.pylock`` just to learn that nothing changed, nor
even for :mod:`dataclasses` and :mod:`typing` (its values are :class:`~omniwheel.env._value.Value`
classes, and :data:`LinkMode` exists for mypy only), nor :mod:`pathlib` and :mod:`json`, whose
imports (:mod:`re`, :mod:`enum`, :mod:`functools`…) cost more than the whole check: what the
no-op reads takes paths as strings or path objects, and the state file is read by
:func:`_load_json`.

The environment's default place is ``.venv`` next to the project; ``--venv PATH`` or
``OMNIWHEEL_VENV`` choose another.

``.omniwheel-state.json`` records what the last *completed* sync installed: the lock's sha256,
the interpreter, for each distribution the wheel's sha256 and where its files went, and the
times of those directories (see :mod:`omniwheel.env.audit`).  It is removed before a sync
changes anything and written last, so an interrupted sync leaves no state and the next one
repairs the environment; a sync whose lock hash matches the state, in an environment the audit
finds unchanged, is a no-op.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH111, PTH118, PTH123

from __future__ import annotations

import os
import sys
from types import MappingProxyType

from omniwheel._purepath import absolute
from omniwheel.env._value import Value

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any, Final, Literal

    StrPath = str | os.PathLike[str]

    LinkMode = Literal["hardlink", "copy", "symlink"]
    """How files come from the store into the environment (see :mod:`omniwheel.env.install`)."""

VENV_DIRNAME = ".venv"
STATE_FILENAME = ".omniwheel-state.json"
STATE_VERSION = 3
"""Bump when the state file's meaning changes; a state of another version is ignored (the next
sync then treats every distribution as unknown and installs it again).  2: footprints and
directory times for the audit of every sync.  3: the interpreter build a lock pins (its
sha256), the one the environment runs on and that interpreter's ``home``, so a changed pin or
a venv remade on another interpreter is noticed."""

LINK_MODES: tuple[LinkMode, ...] = ("hardlink", "copy", "symlink")
"""Every :data:`LinkMode` (a type only to mypy: import it under ``TYPE_CHECKING``)."""


LINK_MODE_VARIABLE = "OMNIWHEEL_LINK_MODE"


def link_mode_of(cli: str | None, environ: Mapping[str, str]) -> LinkMode | None:
    """``--link-mode``, else ``OMNIWHEEL_LINK_MODE``, else ``hardlink``; None when the variable
    names no link mode."""
    chosen = cli or environ.get(LINK_MODE_VARIABLE) or "hardlink"
    return next((mode for mode in LINK_MODES if mode == chosen), None)


def choice_key(
    *,
    extras: tuple[str, ...] = (),
    all_extras: bool = False,
    no_extras: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    only_groups: tuple[str, ...] = (),
    no_groups: tuple[str, ...] = (),
    all_groups: bool = False,
    no_default_groups: bool = False,
    dev: bool | None = None,
    only_dev: bool = False,
) -> str:
    """How the state file records the extras and groups a sync was asked for (the names
    normalized: :attr:`ChoiceRequest.key <omniwheel.env.choice.ChoiceRequest.key>`); with no
    arguments, the default install's."""
    parts = [
        f"extras={','.join(extras)}",
        f"all-extras={int(all_extras)}",
        f"no-extras={','.join(no_extras)}",
        f"groups={','.join(groups)}",
        f"only-groups={','.join(only_groups)}",
        f"no-groups={','.join(no_groups)}",
        f"all-groups={int(all_groups)}",
        f"no-default-groups={int(no_default_groups)}",
        f"dev={'' if dev is None else int(dev)}",
        f"only-dev={int(only_dev)}",
    ]
    return ";".join(parts)


def venv_location(project: Path, *, cli: Path | None, environ: Mapping[str, str]) -> Path:
    """``--venv``, else ``OMNIWHEEL_VENV``, else ``<project>/.venv``; absolute."""
    from pathlib import Path

    return Path(venv_directory(project, cli=cli, environ=environ))


def venv_directory(project: StrPath, *, cli: StrPath | None, environ: Mapping[str, str]) -> str:
    """:func:`venv_location` as a string (for the no-op ``sync``, which imports no
    :mod:`pathlib`), spelt as :mod:`pathlib` spells it."""
    if cli is not None:
        return absolute(cli)
    configured = environ.get("OMNIWHEEL_VENV")
    if configured:
        return absolute(os.path.expanduser(configured))
    return absolute(os.path.join(project, VENV_DIRNAME))


def bin_dir(venv: Path, *, platform: str = sys.platform) -> Path:
    """Where the venv's executables and scripts live: ``bin`` (``Scripts`` on Windows).

    ``platform`` is ``sys.platform`` of the machine the venv is for (a parameter so the Windows
    layout can be tested on other machines)."""
    return venv / _bin_name(platform)


def venv_python(venv: Path, *, platform: str = sys.platform) -> Path:
    """The venv's interpreter: ``bin/python``, or ``Scripts\\python.exe`` on Windows."""
    return bin_dir(venv, platform=platform) / _python_name(platform)


def venv_python_path(venv: StrPath, *, platform: str = sys.platform) -> str:
    """:func:`venv_python` as a string, for a ``venv`` given as a string or a path."""
    return os.path.join(venv, _bin_name(platform), _python_name(platform))


def _bin_name(platform: str) -> str:
    return "Scripts" if platform == "win32" else "bin"


def _python_name(platform: str) -> str:
    return "python.exe" if platform == "win32" else "python"


def is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


class Origin(Value):
    """What omniwheel recorded about a distribution it installed."""

    __slots__ = ("requested", "sha256")
    sha256: Final[str]
    requested: Final[bool]

    def __init__(self, *, sha256: str, requested: bool) -> None:
        self.sha256 = sha256
        self.requested = requested


class Footprint(Value):
    """Where an installed distribution's files are: what the audit of a no-op sync watches."""

    __slots__ = ("dirs", "dist_info")
    dist_info: Final[str]
    """Its ``*.dist-info`` directory's name, in site-packages."""
    dirs: Final[tuple[str, ...]]
    """Every directory holding one of its RECORD's files, relative to the environment."""

    def __init__(self, *, dist_info: str, dirs: tuple[str, ...]) -> None:
        self.dist_info = dist_info
        self.dirs = dirs


class Snapshot(Value):
    """The modification time of every directory holding files of locked distributions."""

    __slots__ = ("mtimes", "taken_ns")
    taken_ns: Final[int]
    """When the times were read (``time.time_ns()`` just before)."""
    mtimes: Final[Mapping[str, int]]
    """Directory (relative to the environment, ``/``-separated) -> ``st_mtime_ns``."""

    def __init__(self, *, taken_ns: int, mtimes: Mapping[str, int]) -> None:
        self.taken_ns = taken_ns
        self.mtimes = mtimes


EMPTY_SNAPSHOT = Snapshot(taken_ns=0, mtimes=MappingProxyType({}))


class VenvState(Value):
    """What the last completed sync left: see this module's docstring."""

    __slots__ = (
        "choice",
        "dists",
        "footprints",
        "foreign",
        "lock_sha256",
        "python",
        "python_build",
        "python_home",
        "python_pin",
        "python_request",
        "site_packages",
        "snapshot",
    )
    lock_sha256: Final[str]
    python: Final[str]
    """The interpreter's full version, ``3.12.4``."""
    python_request: Final[str | None]
    """``--python`` as given to that sync, if any."""
    dists: Final[Mapping[str, Origin]]
    site_packages: Final[str]
    """Site-packages, relative to the environment (``lib/python3.12/site-packages``)."""
    footprints: Final[Mapping[str, Footprint]]
    """Distribution name -> where its files are; the same names as :attr:`dists`."""
    foreign: Final[frozenset[str]]
    """``*.dist-info`` directories without RECORD that the sync reported and left alone."""
    snapshot: Final[Snapshot]
    python_pin: Final[str | None]
    """The sha256 of the interpreter build the lock pins for this machine, if it pins one."""
    python_build: Final[str | None]
    """The sha256 of the pinned build the environment runs on; None on any other interpreter
    (the lock pins none, or ``--python PATH`` overrode the pin)."""
    python_home: Final[str | None]
    """With :attr:`python_build`: ``home`` in ``pyvenv.cfg`` (the build's ``bin`` in the store)."""
    choice: Final[str | None]
    """The extras and groups that sync was asked for (:attr:`ChoiceRequest.key
    <omniwheel.env.choice.ChoiceRequest.key>`); None in a state written before multi-use locks,
    which then matches no request (one full sync writes it)."""

    def __init__(
        self,
        *,
        lock_sha256: str,
        python: str,
        python_request: str | None,
        dists: Mapping[str, Origin],
        site_packages: str = "",
        footprints: Mapping[str, Footprint] | None = None,
        foreign: frozenset[str] = frozenset(),
        snapshot: Snapshot = EMPTY_SNAPSHOT,
        python_pin: str | None = None,
        python_build: str | None = None,
        python_home: str | None = None,
        choice: str | None = None,
    ) -> None:
        self.lock_sha256 = lock_sha256
        self.python = python
        self.python_request = python_request
        self.dists = dists
        self.site_packages = site_packages
        self.footprints = {} if footprints is None else footprints
        self.foreign = foreign
        self.snapshot = snapshot
        self.python_pin = python_pin
        self.python_build = python_build
        self.python_home = python_home
        self.choice = choice

    def on_its_interpreter(self, venv: StrPath, request: str | None) -> bool:
        """Whether ``venv`` still runs on the interpreter this state says, as ``request``
        (``--python``) asks: the pinned build's ``home`` (one small file read), and no other
        interpreter when the lock pins one and ``--python`` does not override it."""
        if self.python_build is not None:
            return pyvenv_home(venv) == self.python_home
        return self.python_pin is None or request is not None

    def to_json(self) -> bytes:
        data = {
            "version": STATE_VERSION,
            "lock-sha256": self.lock_sha256,
            "python": self.python,
            "python-request": self.python_request,
            "python-pin": self.python_pin,
            "python-build": self.python_build,
            "python-home": self.python_home,
            "choice": self.choice,
            "site-packages": self.site_packages,
            "dists": {
                name: {
                    "sha256": origin.sha256,
                    "requested": origin.requested,
                    "dist-info": self.footprints[name].dist_info,
                    "dirs": list(self.footprints[name].dirs),
                }
                for name, origin in sorted(self.dists.items())
            },
            "foreign": sorted(self.foreign),
            "snapshot": {
                "taken-ns": self.snapshot.taken_ns,
                "mtimes": dict(sorted(self.snapshot.mtimes.items())),
            },
        }
        import json  # written by a sync that changed something, never by a no-op

        return (json.dumps(data, separators=(",", ":")) + "\n").encode()

    def with_snapshot(self, snapshot: Snapshot) -> VenvState:
        return self._with(snapshot=snapshot)


def read_state(venv: StrPath) -> VenvState | None:
    """The state of the last completed sync, or None (none, unreadable, other version)."""
    try:
        with open(os.path.join(venv, STATE_FILENAME), "rb") as handle:
            data = _load_json(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return None
    try:
        return _state_from(data)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def _load_json(data: bytes) -> Any:
    """``json.loads(data)`` for a UTF-8 document, through the scanner :mod:`json` itself uses
    (CPython's ``_json``), without importing :mod:`json`: its decoder and encoder modules compile
    regular expressions at import (:mod:`re`, :mod:`enum`…), a large part of a no-op ``sync``.
    The scanner is made as :class:`json.JSONDecoder` makes it with its defaults; like
    :func:`json.loads`, whitespace may surround the one value and nothing else may follow it.
    Raises :class:`ValueError` (a ``JSONDecodeError``, or for no value at all a plain one)."""
    text = data.decode("utf-8")  # a UnicodeDecodeError is a ValueError
    try:
        from _json import make_scanner
    except ImportError:  # not CPython: json's own pure-Python scanner, through json
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        # typeshed types the context as a scanner (JSONDecoder is one); it reads only these.
        value, end = make_scanner(_JsonContext())(text, start)  # type: ignore[arg-type]
    except StopIteration:
        raise ValueError("no JSON value") from None
    if text[end:].strip(_JSON_SPACE):
        raise ValueError("extra data after the JSON value")
    return value


_JSON_SPACE = " \t\n\r"
"""What JSON calls whitespace (``str.strip`` would also take other characters)."""


class _JsonContext:
    """The attributes ``_json.make_scanner`` reads, as :class:`json.JSONDecoder()` has them
    (``NaN`` and ``Infinity`` are accepted as :func:`json.loads` accepts them)."""

    __slots__ = ()
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float
    memo: dict[str, str] = {}  # noqa: RUF012 - read by the scanner, which keeps its own


def _state_from(data: Mapping[str, Any]) -> VenvState:
    dists = {
        str(name): Origin(sha256=str(entry["sha256"]), requested=bool(entry["requested"]))
        for name, entry in data["dists"].items()
    }
    footprints = {
        str(name): Footprint(
            dist_info=str(entry["dist-info"]), dirs=tuple(str(d) for d in entry["dirs"])
        )
        for name, entry in data["dists"].items()
    }
    snapshot = data["snapshot"]
    request = data.get("python-request")
    pin, build, home = data["python-pin"], data["python-build"], data["python-home"]
    choice = data.get("choice")
    return VenvState(
        lock_sha256=str(data["lock-sha256"]),
        python=str(data["python"]),
        python_request=None if request is None else str(request),
        dists=MappingProxyType(dists),
        site_packages=str(data["site-packages"]),
        footprints=MappingProxyType(footprints),
        foreign=frozenset(str(name) for name in data["foreign"]),
        snapshot=Snapshot(
            taken_ns=int(snapshot["taken-ns"]),
            mtimes=MappingProxyType(
                {str(d): int(mtime) for d, mtime in snapshot["mtimes"].items()}
            ),
        ),
        python_pin=None if pin is None else str(pin),
        python_build=None if build is None else str(build),
        python_home=None if home is None else str(home),
        choice=None if choice is None else str(choice),
    )


def pyvenv_home(venv: StrPath) -> str | None:
    """``home`` as ``pyvenv.cfg`` records it (the base interpreter's directory), read without
    ``configparser`` (this module stays light for the no-op sync)."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "home":
            return value.strip()
    return None


def write_state(venv: Path, state: VenvState) -> None:
    from omniwheel._atomic import write_atomic  # tempfile and its imports: not for the no-op

    write_atomic(venv / STATE_FILENAME, state.to_json())


def clear_state(venv: Path) -> None:
    (venv / STATE_FILENAME).unlink(missing_ok=True)
