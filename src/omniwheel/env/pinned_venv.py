"""The environment's interpreter when the lock pins one per target: the sync side of pinning.

:func:`prepare_pinned_venv` settles which interpreter the venv runs on, for a lock with
``[[tool.omniwheel.python]]`` entries:

- ``--python PATH`` overrides the pin: the venv is made (or kept) on that interpreter, as for an
  unpinned lock, with a note that it differs from the pin;
- otherwise the build :func:`omniwheel.python.provision.choose_build` picks for this machine
  (``--python 3.12`` choosing the minor): a venv whose ``pyvenv.cfg`` ``home`` is that build's
  directory in the store is kept as it is — nothing is downloaded or run for it — and any other
  is made anew from ``<tree>/python/bin/python3 -m venv --without-pip`` once
  :func:`~omniwheel.python.provision.provide_python` has the build in the store, verified.

A dry run changes nothing: it neither downloads nor unpacks.  When the build is not in the store
yet, the wheels are selected for the interpreter the pin describes — the running interpreter's
probe with the pinned version in place of its own (same machine, same marker values otherwise) —
and the outcome says what would be downloaded.

Imported only by syncs of locks that pin interpreters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel.env.layout import is_venv, pyvenv_home, venv_python
from omniwheel.python.pbs import InterpreterError, PinnedPython
from omniwheel.python.provision import (
    ChunkSource,
    choose_build,
    in_store,
    provide_python,
    provided,
    this_machine,
)

if TYPE_CHECKING:
    from omniwheel.lock.tool_table import LockedPython
    from omniwheel.platform.probe import ProbeFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedVenv:
    """What :func:`prepare_pinned_venv` settled."""

    python: Path
    """The interpreter to probe: the venv's, or (dry run) the one it would be made with."""
    created: bool
    """The venv was made anew (a dry run: would be)."""
    pin: PinnedPython
    """The build the lock pins for this machine."""
    used: bool
    """The venv runs on :attr:`pin` (False: ``--python PATH`` overrode it)."""
    home: str | None = None
    """With :attr:`used`: the venv's ``home``, the build's directory in the store."""
    fetched: bool = False
    """The build's archive was downloaded for this sync."""
    would_fetch: bool = False
    """Dry run: the build is not in the store, so a sync would download it."""
    facts: ProbeFacts | None = None
    """Dry run without the build in the store: the facts the pin describes (not probed)."""
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedRequest:
    """What of the sync request settles the interpreter."""

    venv: Path
    python: str | None
    """``--python``: a version (``3.12``) or a path."""
    dry_run: bool
    offline: bool
    store_root: Path


def prepare_pinned_venv(
    request: PinnedRequest,
    pins: Sequence[LockedPython],
    *,
    mirror: Callable[[], str | None],
    fetcher: ChunkSource,
    create: Callable[[Path], None],
    override: Callable[[bool], tuple[Path, bool]],
) -> PinnedVenv:
    """Settle the venv's interpreter for a lock pinning ``pins``; see the module docstring.

    ``mirror``: asked only when the build must be downloaded; ``create(python)`` makes the venv
    on ``python``; ``override(keep)``: the unpinned way of settling ``--python PATH`` (``keep``:
    whether an existing venv that fits may stay), giving the interpreter and whether the venv
    was made.
    """
    from omniwheel.python.discovery import parse_version_request

    wanted = None if request.python is None else parse_version_request(request.python)
    machine = this_machine()
    if request.python is not None and wanted is None:
        pin = choose_build(pins, machine, venv_minor=_venv_minor(request.venv)).build
        at_pin = pyvenv_home(request.venv) == str(provided(pin, store_root=request.store_root).home)
        python, created = override(not at_pin)
        note = (
            f"--python {request.python} differs from the interpreter the lock pins for this "
            f"machine ({pin.describe()}); the environment runs on {request.python}"
        )
        return PinnedVenv(python=python, created=created, pin=pin, used=False, note=note)
    minor = None if wanted is None else (wanted[0], wanted[1])
    pin = choose_build(pins, machine, minor=minor, venv_minor=_venv_minor(request.venv)).build
    if wanted is not None and len(wanted) > 2 and wanted != pin.version.release[:3]:
        raise InterpreterError(
            f"--python {request.python}, but the lock pins {pin.describe()} for this machine",
            hint=f"ask for the minor (`--python {wanted[0]}.{wanted[1]}`) to get the pinned "
            "build, or give a path to use another interpreter",
        )
    return _on_pin(request, pin, mirror=mirror, fetcher=fetcher, create=create)


def _on_pin(
    request: PinnedRequest,
    pin: PinnedPython,
    *,
    mirror: Callable[[], str | None],
    fetcher: ChunkSource,
    create: Callable[[Path], None],
) -> PinnedVenv:
    where = provided(pin, store_root=request.store_root)
    home = str(where.home)
    venv = request.venv
    if is_venv(venv) and pyvenv_home(venv) == home and venv_python(venv).exists():
        return PinnedVenv(python=venv_python(venv), created=False, pin=pin, used=True, home=home)
    stored = in_store(pin, store_root=request.store_root)
    if request.dry_run:
        facts = None if stored else pinned_facts(pin, where.executable)
        return PinnedVenv(
            python=where.executable,
            created=True,
            pin=pin,
            used=True,
            home=home,
            would_fetch=not stored,
            facts=facts,
        )
    ready = provide_python(
        pin,
        store_root=request.store_root,
        mirror=None if stored else mirror(),
        offline=request.offline,
        fetcher=fetcher,
    )
    create(ready.executable)
    return PinnedVenv(
        python=venv_python(venv),
        created=True,
        pin=pin,
        used=True,
        home=pyvenv_home(venv),
        fetched=ready.fetched,
    )


def _venv_minor(venv: Path) -> tuple[int, int] | None:
    from omniwheel.env.venv import pyvenv_version

    if not is_venv(venv):
        return None
    parts = (pyvenv_version(venv) or "").split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return (int(parts[0]), int(parts[1]))


def pinned_facts(pin: PinnedPython, executable: Path) -> ProbeFacts:
    """The facts ``pin`` would report at ``executable``, without running it: the running
    interpreter's probe (this machine) with the pinned version in place of its own."""
    from omniwheel.platform.host import running_executable
    from omniwheel.platform.probe import ProbeFacts, run_probe

    data = dict(run_probe(running_executable()).data)
    major, minor, micro = pin.version.release[:3]
    text = str(pin.version)
    data["executable"] = str(executable)  # not the running one: its own tags are not used
    data["version"] = [major, minor, micro]
    data["implementation"] = pin.implementation
    data["markers"] = {
        **data["markers"],
        "implementation_name": pin.implementation,
        "implementation_version": text,
        "python_full_version": text,
        "python_version": f"{major}.{minor}",
    }
    return ProbeFacts.from_data(executable, data)
