"""Whether a sync has nothing to do: the check of every no-op ``sync`` and quiet ``run``.

An environment needs nothing when its state file (:mod:`omniwheel.env.layout`) says that the
last completed sync installed this very lock (its sha256), asked the same way (the same
``--python`` request, the same extras and groups), on the interpreter the environment still
runs on, and the audit (:mod:`omniwheel.env.audit`) finds nothing changed since.  When the
audit checked changed directories and found them whole, their new times are kept in the state
file, so that the next check is quick again.

:func:`omniwheel.env.sync.sync` decides with the same pieces; the command line asks
:func:`unchanged` before it imports anything a real sync needs
(:mod:`omniwheel.cli.unchanged_venv`).  Only the standard library is imported here, and not
:mod:`dataclasses`, :mod:`typing`, :mod:`pathlib` or :mod:`hashlib`: ``venv`` may be a string
or a path object.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH110

from __future__ import annotations

import os

from omniwheel._sha256 import sha256
from omniwheel.env.audit import Audit, audit
from omniwheel.env.layout import VenvState, read_state, venv_python_path

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]


def same_lock(
    state: VenvState | None,
    lock_bytes: bytes,
    *,
    venv: StrPath,
    python: str | None,
    choice: str,
) -> bool:
    """Whether the last completed sync installed this very lock as this sync asks: the same
    ``--python`` request (``python``; None: none given) and the same extras and groups
    (``choice``: :attr:`ChoiceRequest.key <omniwheel.env.choice.ChoiceRequest.key>`)."""
    return (
        state is not None
        and state.lock_sha256 == sha256(lock_bytes).hexdigest()
        and state.choice == choice
        and (python is None or python == state.python_request)
        and os.path.exists(venv_python_path(venv))
        and state.on_its_interpreter(venv, python)
    )


def audited(state: VenvState | None, venv: StrPath) -> Audit | None:
    """The audit of ``venv`` against the last sync's state (None without a state or an
    interpreter in the environment)."""
    if state is None or not os.path.exists(venv_python_path(venv)):
        return None
    return audit(venv, state)


def keep_refreshed(venv: StrPath, state: VenvState, checked: Audit) -> None:
    """Keep the fresher directory times an audit that found no drift read, if it read any.

    A state that cannot be written only costs the next check its speed."""
    if checked.refreshed is not None:
        import contextlib  # with the writing's own imports: not on the path of every no-op
        from pathlib import Path

        from omniwheel.env.layout import write_state

        with contextlib.suppress(OSError):
            write_state(Path(venv), state.with_snapshot(checked.refreshed))


def unchanged(
    venv: StrPath, lock_bytes: bytes, *, python: str | None, choice: str
) -> VenvState | None:
    """The state of ``venv`` when a sync of the lock ``lock_bytes`` has nothing to do there
    (see :func:`same_lock` for ``python`` and ``choice``), else None."""
    state = read_state(venv)
    if state is None or not same_lock(state, lock_bytes, venv=venv, python=python, choice=choice):
        return None
    checked = audited(state, venv)
    if checked is None or checked.drift is not None:
        return None
    keep_refreshed(venv, state, checked)
    return state
