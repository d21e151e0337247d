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
:mod:`dataclasses` or :mod:`typing`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from omniwheel.env.audit import Audit, audit
from omniwheel.env.layout import VenvState, read_state, venv_python, write_state


def same_lock(
    state: VenvState | None,
    lock_bytes: bytes,
    *,
    venv: Path,
    python: str | None,
    choice: str,
) -> bool:
    """Whether the last completed sync installed this very lock as this sync asks: the same
    ``--python`` request (``python``; None: none given) and the same extras and groups
    (``choice``: :attr:`ChoiceRequest.key <omniwheel.env.choice.ChoiceRequest.key>`)."""
    return (
        state is not None
        and state.lock_sha256 == hashlib.sha256(lock_bytes).hexdigest()
        and state.choice == choice
        and (python is None or python == state.python_request)
        and venv_python(venv).exists()
        and state.on_its_interpreter(venv, python)
    )


def audited(state: VenvState | None, venv: Path) -> Audit | None:
    """The audit of ``venv`` against the last sync's state (None without a state or an
    interpreter in the environment)."""
    if state is None or not venv_python(venv).exists():
        return None
    return audit(venv, state)


def keep_refreshed(venv: Path, state: VenvState, checked: Audit) -> None:
    """Keep the fresher directory times an audit that found no drift read, if it read any.

    A state that cannot be written only costs the next check its speed."""
    if checked.refreshed is not None:
        import contextlib  # with the writing's own imports: not on the path of every no-op

        with contextlib.suppress(OSError):
            write_state(venv, state.with_snapshot(checked.refreshed))


def unchanged(
    venv: Path, lock_bytes: bytes, *, python: str | None, choice: str
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
