"""``sync``: make an environment match the lock for this machine — the orchestrator.

Steps: read ``pylock.toml`` and the environment's state file, and audit the environment
against that state (:mod:`omniwheel.env.audit`: a directory listing and a ``stat`` per
directory); if the state names the same lock hash and nothing drifted, stop.  Otherwise (a new
lock, or a drift: the audit's damaged distributions are installed again and strays removed,
exactly as for a new lock) choose the interpreter (the venv's own when it
still fits, else :func:`~omniwheel.python.discovery.find_interpreter`; for a lock that pins an
interpreter per target, the pinned build, installed into the store first:
:mod:`omniwheel.env.pinned_venv`) and create the venv if needed, probe it once, select the
wheels (:func:`~omniwheel.env.select.select_wheels`), plan against what is installed and
stored (:func:`~omniwheel.env.plan.make_plan`), and execute the plan
(:func:`~omniwheel.env.install.execute_plan`).  The state file is removed before anything
changes and written last.  A dry run stops after planning and changes nothing.

When the venv's interpreter, kept as it is, has synced this very lock before (in any venv), the
selection is taken from :class:`~omniwheel.env.selection_memo.SelectionMemo` instead: the lock is
not parsed and ``packaging`` not loaded — a third of a warm sync's fixed cost.  Not for a lock
that may pin interpreters: which interpreter the venv must run on is in the lock.

The no-op also checks, for a venv on a pinned interpreter, that ``pyvenv.cfg`` still names that
build's directory (a venv remade by hand on another interpreter is noticed), and that a venv
built with ``--python PATH`` against a pin is not kept by a sync that does not ask for it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from omniwheel.env._value import Value
from omniwheel.env.choice import ChoiceRequest
from omniwheel.env.layout import VenvState, is_venv, read_state, venv_python
from omniwheel.env.unchanged import audited, keep_refreshed, same_lock, unchanged
from omniwheel.errors import LockFileError
from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    from typing import Final

    from packaging.pylock import Pylock
    from packaging.specifiers import SpecifierSet

    from omniwheel.env.audit import Drift
    from omniwheel.env.install import Executed
    from omniwheel.env.layout import LinkMode
    from omniwheel.env.pinned_venv import PinnedVenv
    from omniwheel.env.plan import Plan, Selection
    from omniwheel.env.selection_memo import SelectionMemo
    from omniwheel.lock.tool_table import LockedPython
    from omniwheel.platform.probe import ProbeFacts
    from omniwheel.python.pbs import PinnedPython
    from omniwheel.store.store import Store, WheelSource

# Only the no-op path runs on this module's own imports; everything a real sync needs is
# imported when it starts, so a `run` whose environment is in sync stays fast.


class ClosableFetcher(Protocol):
    """A :class:`~omniwheel.store.store.Fetcher` holding resources (connections) to release
    when the sync is done."""

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class SyncRequest(Value):
    """What a sync is asked to do.  This module's two values are
    :class:`~omniwheel.env._value.Value`\\ s, not dataclasses: every sync imports it, and
    ``@dataclass`` compiles each class's methods at import (1 to 2 ms a class measured)."""

    __slots__ = (
        "choice",
        "compile_bytecode",
        "dry_run",
        "link_mode",
        "offline",
        "project",
        "python",
        "venv",
    )
    project: Final[Path]
    """The directory holding ``pylock.toml``."""
    venv: Final[Path]
    python: Final[str | None]
    dry_run: Final[bool]
    offline: Final[bool]
    """Use only the store (and local wheel paths); fail listing every wheel it lacks."""
    link_mode: Final[LinkMode]
    compile_bytecode: Final[bool]
    """Compile the newly installed ``.py`` files with the environment's interpreter."""
    choice: Final[ChoiceRequest]
    """The extras and dependency groups to install (default: the default install)."""

    def __init__(
        self,
        *,
        project: Path,
        venv: Path,
        python: str | None = None,
        dry_run: bool = False,
        offline: bool = False,
        link_mode: LinkMode = "hardlink",
        compile_bytecode: bool = False,
        choice: ChoiceRequest | None = None,
    ) -> None:
        self.project = project
        self.venv = venv
        self.python = python
        self.dry_run = dry_run
        self.offline = offline
        self.link_mode = link_mode
        self.compile_bytecode = compile_bytecode
        self.choice = ChoiceRequest() if choice is None else choice


class SyncOutcome(Value):
    """What a sync did (or a dry run would do)."""

    __slots__ = (
        "created_venv",
        "drift",
        "dry_run",
        "entries",
        "fetched",
        "interpreter",
        "lock_path",
        "notes",
        "packages",
        "plan",
        "python_build",
        "python_fetched",
        "seconds",
        "venv",
        "warnings",
    )
    lock_path: Final[Path]
    venv: Final[Path]
    plan: Final[Plan | None]
    """None when the environment already matched this exact lock (the no-op)."""
    packages: Final[int]
    """How many packages the lock selects on this machine."""
    interpreter: Final[str]
    fetched: Final[int]
    created_venv: Final[bool]
    dry_run: Final[bool]
    seconds: Final[float]
    warnings: Final[tuple[str, ...]]
    drift: Final[tuple[str, ...]]
    """What the audit found changed since the last sync (and this sync repaired), a line each."""
    entries: Final[frozenset[str]]
    """The sha256s of the store entries the environment uses now (empty after a dry run)."""
    python_build: Final[PinnedPython | None]
    """The pinned interpreter build the environment runs on (None: another interpreter)."""
    python_fetched: Final[bool]
    """The pinned build was downloaded (a dry run: would be)."""
    notes: Final[tuple[str, ...]]
    """Things the user should know that are not warnings (``--python`` overriding a pin)."""

    def __init__(
        self,
        *,
        lock_path: Path,
        venv: Path,
        plan: Plan | None,
        packages: int,
        interpreter: str = "",
        fetched: int = 0,
        created_venv: bool = False,
        dry_run: bool = False,
        seconds: float = 0.0,
        warnings: tuple[str, ...] = (),
        drift: tuple[str, ...] = (),
        entries: frozenset[str] = frozenset(),
        python_build: PinnedPython | None = None,
        python_fetched: bool = False,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.lock_path = lock_path
        self.venv = venv
        self.plan = plan
        self.packages = packages
        self.interpreter = interpreter
        self.fetched = fetched
        self.created_venv = created_venv
        self.dry_run = dry_run
        self.seconds = seconds
        self.warnings = warnings
        self.drift = drift
        self.entries = entries
        self.python_build = python_build
        self.python_fetched = python_fetched
        self.notes = notes

    @property
    def pythons(self) -> frozenset[str]:
        """The sha256s of the interpreter builds in the store the environment uses."""
        if self.python_build is None or self.dry_run:
            return frozenset()
        return frozenset({self.python_build.sha256})


class _LazyFetcher:
    """Opens the real fetcher (an HTTP client) only when a wheel must actually be fetched.

    The store's download threads call :meth:`chunks` at once: the fetcher is opened once, under
    a lock, and when opening it fails (a CA bundle that cannot be read) every thread gets that
    one error rather than trying again."""

    def __init__(self, factory: Callable[[], ClosableFetcher]) -> None:
        self._factory = factory
        self._fetcher: ClosableFetcher | None = None
        self._error: Exception | None = None
        self._lock = threading.Lock()

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        return self._opened().chunks(wheel)

    def _opened(self) -> ClosableFetcher:
        with self._lock:
            if self._fetcher is None and self._error is None:
                try:
                    self._fetcher = self._factory()
                except Exception as exc:  # raised again to every caller
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._fetcher is not None
            return self._fetcher

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()


def sync(
    request: SyncRequest,
    *,
    store: Store,
    open_fetcher: Callable[[], ClosableFetcher],
    environ: Mapping[str, str],
    home: Path,
    on_fetched: Callable[[WheelSource, bool], None] | None = None,
    memo: SelectionMemo | None = None,
) -> SyncOutcome:
    """Make ``request.venv`` match the lock in ``request.project``; see the module docstring.

    ``memo``: where selections are remembered (none: always select)."""
    started = time.perf_counter()
    lock_path = request.project / LOCK_FILENAME
    lock_bytes = _read_lock(lock_path)
    state = read_state(request.venv)
    checked = audited(state, request.venv)
    if checked is not None and checked.drift is None and _same_lock(state, lock_bytes, request):
        assert state is not None
        keep_refreshed(request.venv, state, checked)
        return _no_op(request, lock_path, state, started)
    return _sync_changes(
        request,
        lock_path=lock_path,
        lock_bytes=lock_bytes,
        state=state,
        drift=None if checked is None else checked.drift,
        store=store,
        open_fetcher=open_fetcher,
        environ=environ,
        home=home,
        on_fetched=on_fetched,
        started=started,
        memo=memo,
    )


def in_sync(request: SyncRequest) -> SyncOutcome | None:
    """The no-op outcome when the environment already matches the lock exactly, else None.

    Reads the lock and the state file and audits the environment
    (:func:`omniwheel.env.unchanged.unchanged`); callers use it to skip what a real sync needs
    (locks, progress display) when nothing will change.
    """
    started = time.perf_counter()
    lock_path = request.project / LOCK_FILENAME
    lock_bytes = _read_lock(lock_path)
    state = unchanged(request.venv, lock_bytes, python=request.python, choice=request.choice.key)
    return None if state is None else _no_op(request, lock_path, state, started)


def _no_op(request: SyncRequest, lock_path: Path, state: VenvState, started: float) -> SyncOutcome:
    return SyncOutcome(
        lock_path=lock_path,
        venv=request.venv,
        plan=None,
        packages=len(state.dists),
        seconds=time.perf_counter() - started,
        entries=frozenset(origin.sha256 for origin in state.dists.values()),
    )


def _sync_changes(
    request: SyncRequest,
    *,
    lock_path: Path,
    lock_bytes: bytes,
    state: VenvState | None,
    drift: Drift | None,
    store: Store,
    open_fetcher: Callable[[], ClosableFetcher],
    environ: Mapping[str, str],
    home: Path,
    on_fetched: Callable[[WheelSource, bool], None] | None,
    started: float,
    memo: SelectionMemo | None,
) -> SyncOutcome:
    """Everything after the no-op check: probe, select, plan, execute, write the state."""
    probe = _EarlyProbe.of(request.venv)  # runs while the imports below and the parse happen
    from omniwheel.env.plan import make_plan
    from omniwheel.env.venv import installed_dists, is_venv, site_packages_of, write_state

    if not request.dry_run:
        # What executing the plan needs (installer among it), loaded now, while the probe's
        # subprocess runs: with a remembered selection, nothing else would overlap it.
        import omniwheel.env.install  # noqa: F401

    lock_sha256 = hashlib.sha256(lock_bytes).hexdigest()
    remembered = None
    if not _may_pin_python(lock_bytes):
        remembered = _remembered(request, probe, memo, lock_sha256=lock_sha256, lock_path=lock_path)
    pinned: PinnedVenv | None = None
    if remembered is not None:
        facts, selection = remembered
        created = False
    else:
        facts, selection, created, pinned = _select(
            request,
            probe,
            lock_path=lock_path,
            lock_bytes=lock_bytes,
            environ=environ,
            home=home,
            store=store,
            open_fetcher=open_fetcher,
        )
        if memo is not None and (pinned is None or pinned.facts is None):
            key = memo.key(
                lock_sha256=lock_sha256, lock_path=lock_path, facts=facts, choice=request.choice
            )
            memo.put(key, selection)
    site_packages = site_packages_of(facts.paths)
    damaged = frozenset(drift.damaged) if drift is not None else frozenset()
    # A venv about to be made anew (a dry run's) holds nothing that will stay.
    fresh = created or not is_venv(request.venv)
    installed = [] if fresh else installed_dists(site_packages, state, damaged=damaged)
    stored = {w.source.sha256 for w in selection.wheels if store.has_tree(w.source.sha256)}
    plan = make_plan(selection.wheels, installed, stored=stored)
    if request.offline and not request.dry_run:
        _check_offline(plan)
    executed = None
    if not request.dry_run:
        executed = _execute(
            request,
            plan,
            store=store,
            open_fetcher=open_fetcher,
            facts=facts,
            on_fetched=on_fetched,
        )
        write_state(
            request.venv,
            _new_state(
                selection,
                lock_sha256,
                facts,
                request,
                plan=plan,
                executed=executed,
                previous=state,
                pinned=pinned,
            ),
        )
    used = pinned is not None and pinned.used
    return SyncOutcome(
        lock_path=lock_path,
        venv=request.venv,
        plan=plan,
        packages=len(selection.wheels),
        interpreter=facts.describe(),
        fetched=len(executed.fetched) if executed else len(plan.fetch),
        created_venv=created,
        dry_run=request.dry_run,
        seconds=time.perf_counter() - started,
        warnings=selection.warnings,
        drift=() if drift is None else tuple(drift.describe()),
        entries=frozenset()
        if request.dry_run
        else frozenset(wheel.source.sha256 for wheel in selection.wheels),
        python_build=pinned.pin if used and pinned is not None else None,
        python_fetched=pinned is not None and (pinned.fetched or pinned.would_fetch),
        notes=() if pinned is None or pinned.note is None else (pinned.note,),
    )


def _may_pin_python(lock_bytes: bytes) -> bool:
    """Whether the lock may pin interpreters: every pin's URL ends in a CPython asset's name
    (``cpython-3.12.1+20250311-…``), so a lock without ``cpython-`` pins none."""
    return b"cpython-" in lock_bytes


def _remembered(
    request: SyncRequest,
    probe: _EarlyProbe,
    memo: SelectionMemo | None,
    *,
    lock_sha256: str,
    lock_path: Path,
) -> tuple[ProbeFacts, Selection] | None:
    """The venv's interpreter and the selection remembered for it and this lock, if any.

    Only for the venv's own interpreter, kept as it is (no ``--python``): a remembered selection
    says that interpreter satisfied the lock, so the venv needs no other check."""
    if memo is None or request.python is not None:
        return None
    facts = probe.early_facts()
    if facts is None:
        return None
    key = memo.key(lock_sha256=lock_sha256, lock_path=lock_path, facts=facts, choice=request.choice)
    selection = memo.get(key)
    return None if selection is None else (facts, selection)


def _select(
    request: SyncRequest,
    probe: _EarlyProbe,
    *,
    lock_path: Path,
    lock_bytes: bytes,
    environ: Mapping[str, str],
    home: Path,
    store: Store,
    open_fetcher: Callable[[], ClosableFetcher],
) -> tuple[ProbeFacts, Selection, bool, PinnedVenv | None]:
    """Parse the lock, settle the interpreter (creating the venv if needed), select the wheels:
    the interpreter's facts, the selection, whether the venv was created, and how a pinned
    interpreter was settled (None when the lock pins none)."""
    from omniwheel.env.choice import resolve_choice
    from omniwheel.env.select import lock_choices, select_wheels
    from omniwheel.lock.tool_table import read_tool_tables
    from omniwheel.platform.host import interpreter_from

    pylock = _parse_lock(lock_path, lock_bytes)
    # omniwheel's tables and the extras and groups asked for are checked before a venv is
    # made: a hand-edited lock or a misspelt group changes nothing.
    tables = read_tool_tables(pylock, path=lock_path)
    resolve_choice(request.choice, lock_choices(pylock, tables.lock))
    probe.wait()
    pins = tables.lock.pythons if tables.lock is not None else ()
    pinned = None
    if pins:
        pinned = _prepare_pinned(
            request,
            pins,
            pylock.requires_python,
            environ=environ,
            home=home,
            store=store,
            open_fetcher=open_fetcher,
        )
        python, created = pinned.python, pinned.created
    else:
        python, created = _prepare_venv(request, pylock.requires_python, environ, home)
    if pinned is not None and pinned.facts is not None:
        facts = pinned.facts
    else:
        facts = probe.facts(python, created=created)
    selection = select_wheels(
        pylock,
        lock_path=lock_path,
        interpreter=interpreter_from(facts),
        tables=tables,
        request=request.choice,
    )
    return facts, selection, created, pinned


def _prepare_pinned(
    request: SyncRequest,
    pins: tuple[LockedPython, ...],
    requires_python: SpecifierSet | None,
    *,
    environ: Mapping[str, str],
    home: Path,
    store: Store,
    open_fetcher: Callable[[], ClosableFetcher],
) -> PinnedVenv:
    """The venv's interpreter for a lock that pins ``pins`` (see :mod:`.pinned_venv`)."""
    from omniwheel.env.pinned_venv import PinnedRequest, prepare_pinned_venv
    from omniwheel.env.venv import create_venv

    settled = PinnedRequest(
        venv=request.venv,
        python=request.python,
        dry_run=request.dry_run,
        offline=request.offline,
        store_root=store.root,
    )
    fetcher = _LazyFetcher(open_fetcher)
    try:
        return prepare_pinned_venv(
            settled,
            pins,
            mirror=lambda: _python_mirror(request.project, environ),
            fetcher=fetcher,
            create=lambda python: create_venv(request.venv, python),
            override=lambda keep: _prepare_venv(request, requires_python, environ, home, keep=keep),
        )
    finally:
        fetcher.close()


def _python_mirror(project: Path, environ: Mapping[str, str]) -> str | None:
    """``OMNIWHEEL_PYTHON_MIRROR``, else the project's ``[tool.omniwheel] python-mirror``."""
    from omniwheel.python.pbs import python_mirror

    mirror = python_mirror(None, environ)
    if mirror is not None or not (project / "pyproject.toml").is_file():
        return mirror
    from omniwheel.project.pyproject import load_project

    return load_project(project).settings.python_mirror


class _EarlyProbe:
    """The venv's own interpreter, probed on a thread as soon as a sync knows it must change
    something: the probe is a subprocess (~25 ms of waiting), which then overlaps the imports
    and the parsing of the lock.  Its result is used only if the sync keeps that interpreter."""

    def __init__(self, python: Path | None) -> None:
        self._python = python
        self._result: ProbeFacts | None = None
        self._error: Exception | None = None
        self._thread = None
        if python is not None:
            self._thread = threading.Thread(target=self._run, name="probe", daemon=True)
            self._thread.start()

    @classmethod
    def of(cls, venv: Path) -> _EarlyProbe:
        python = venv_python(venv)
        return cls(python if is_venv(venv) and python.exists() else None)

    def _run(self) -> None:
        from omniwheel.platform import probe

        assert self._python is not None
        try:
            self._result = probe.run_probe(self._python)
        except Exception as exc:  # handed to the main thread if it uses this interpreter
            self._error = exc

    def wait(self) -> None:
        """Wait for the probe: it must be done before the venv may be replaced."""
        if self._thread is not None:
            self._thread.join()

    def early_facts(self) -> ProbeFacts | None:
        """The venv's interpreter's facts; None without a venv or when its probe failed."""
        self.wait()
        return self._result

    def facts(self, python: Path, *, created: bool) -> ProbeFacts:
        """``python`` probed: the early probe's answer when it is the interpreter probed."""
        from omniwheel.platform import probe

        self.wait()
        if created or python != self._python:
            return probe.run_probe(python)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def read_pylock(path: Path) -> Pylock:
    """The lock at ``path``, parsed; :class:`~omniwheel.errors.LockFileError` when it is
    missing or not a valid PEP 751 lock (for commands that read it, as sync does)."""
    return _parse_lock(path, _read_lock(path))


def _read_lock(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LockFileError(
            f"no {LOCK_FILENAME} in {path.parent}",
            hint="run `omniwheel lock` first to resolve the project and write it",
        ) from None
    except OSError as exc:
        raise LockFileError(f"cannot read {path}: {exc.strerror}") from exc


def _parse_lock(path: Path, data: bytes) -> Pylock:
    import tomllib

    from packaging.pylock import PylockValidationError

    from omniwheel.lock.pylock_parse import parse_pylock

    try:
        return parse_pylock(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, PylockValidationError) as exc:
        raise LockFileError(
            f"{path} is not a valid PEP 751 lock file: {exc}",
            hint="run `omniwheel lock` to write a new one",
        ) from exc


def _check_offline(plan: Plan) -> None:
    from omniwheel.store.store import StoreError

    missing = [wheel for wheel in plan.fetch if wheel.source.path is None]
    if missing:
        listed = "\n".join(f"  - {w.source.describe()} from {w.source.origin}" for w in missing)
        raise StoreError(
            f"--offline, but the store lacks {len(missing)} of the wheels to install:\n{listed}",
            hint="run `omniwheel sync` once with network access (any project using these "
            "wheels fills the same store)",
        )


def _same_lock(state: VenvState | None, lock_bytes: bytes, request: SyncRequest) -> bool:
    """Whether the last completed sync installed this very lock, as ``request`` asks."""
    return same_lock(
        state, lock_bytes, venv=request.venv, python=request.python, choice=request.choice.key
    )


def _prepare_venv(
    request: SyncRequest,
    requires_python: SpecifierSet | None,
    environ: Mapping[str, str],
    home: Path,
    *,
    keep: bool = True,
) -> tuple[Path, bool]:
    """The interpreter to install for (the venv's), creating the venv when it must be;
    ``keep=False``: even when the existing venv's interpreter fits."""
    from omniwheel.env.venv import create_venv, is_venv

    if keep and is_venv(request.venv) and _venv_fits(request, requires_python, environ, home):
        return venv_python(request.venv), False
    from omniwheel.python.discovery import find_interpreter  # only when the venv will not do

    found = find_interpreter(
        request=request.python, requires_python=requires_python, environ=environ, home=home
    )
    if request.dry_run:
        return found.executable, True
    create_venv(request.venv, found.executable)
    return venv_python(request.venv), True


def _venv_fits(
    request: SyncRequest,
    requires_python: SpecifierSet | None,
    environ: Mapping[str, str],
    home: Path,
) -> bool:
    """Whether the existing venv's interpreter still runs and is the one asked for."""
    import re

    from packaging.version import Version

    from omniwheel.env.venv import pyvenv_version

    recorded = re.findall(r"\d+", pyvenv_version(request.venv) or "")[:3]
    if len(recorded) < 3 or not venv_python(request.venv).exists():
        return False
    version = tuple(int(part) for part in recorded)
    if requires_python is not None and not requires_python.contains(
        Version(".".join(recorded)), prereleases=True
    ):
        return False
    if request.python is None:
        return True
    from omniwheel.python.discovery import find_interpreter, parse_version_request

    wanted = parse_version_request(request.python)
    if wanted is not None:
        return version[: len(wanted)] == wanted
    found = find_interpreter(
        request=request.python, requires_python=requires_python, environ=environ, home=home
    )
    return found.version == version


def _execute(
    request: SyncRequest,
    plan: Plan,
    *,
    store: Store,
    open_fetcher: Callable[[], ClosableFetcher],
    facts: ProbeFacts,
    on_fetched: Callable[[WheelSource, bool], None] | None,
) -> Executed | None:
    from omniwheel.env.install import Scheme, ScriptMaker, execute_plan
    from omniwheel.env.venv import clear_state, site_packages_of

    if plan.is_empty:
        return None
    clear_state(request.venv)
    scheme = Scheme.from_paths(facts.paths, root=request.venv, python_version=facts.python_version)
    fetcher = _LazyFetcher(open_fetcher)
    try:
        return execute_plan(
            plan,
            store=store,
            fetcher=fetcher,
            site_packages=site_packages_of(facts.paths),
            scheme=scheme,
            maker=ScriptMaker(python=venv_python(request.venv)),
            link_mode=request.link_mode,
            compile_with=venv_python(request.venv) if request.compile_bytecode else None,
            on_fetched=on_fetched,
        )
    finally:
        fetcher.close()


def _new_state(
    selection: Selection,
    lock_sha256: str,
    facts: ProbeFacts,
    request: SyncRequest,
    *,
    plan: Plan,
    executed: Executed | None,
    previous: VenvState | None,
    pinned: PinnedVenv | None = None,
) -> VenvState:
    """The state after executing ``plan``: what is installed, where, and the directories' times.

    A kept distribution's footprint is the previous state's (it was kept because that state
    vouched for it); an installed one's comes from the RECORD just written."""
    import os

    from omniwheel.env.audit import take_snapshot
    from omniwheel.env.layout import Footprint, Origin
    from omniwheel.env.venv import site_packages_of

    site_packages = os.path.relpath(site_packages_of(facts.paths), request.venv)
    site_packages = site_packages.replace(os.sep, "/")
    footprints: dict[str, Footprint] = {}
    if previous is not None:
        footprints.update(
            (wheel.name, previous.footprints[wheel.name])
            for wheel in plan.keep
            if wheel.name in previous.footprints
        )
    for record in executed.records if executed is not None else ():
        footprints[record.name] = record.footprint(site_packages)
    return VenvState(
        lock_sha256=lock_sha256,
        python=facts.full_version,
        python_request=request.python,
        dists={
            wheel.name: Origin(sha256=wheel.source.sha256, requested=wheel.requested)
            for wheel in selection.wheels
            if wheel.name in footprints
        },
        site_packages=site_packages,
        footprints=footprints,
        foreign=frozenset(dist.dist_info for dist in plan.foreign),
        snapshot=take_snapshot(request.venv, footprints.values()),
        python_pin=None if pinned is None else pinned.pin.sha256,
        python_build=pinned.pin.sha256 if pinned is not None and pinned.used else None,
        python_home=pinned.home if pinned is not None and pinned.used else None,
        choice=request.choice.key,
    )
