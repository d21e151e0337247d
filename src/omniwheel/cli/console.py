"""The ``omniwheel`` console command: :func:`omniwheel.cli.main.main`, then a quick exit.

When a command is done, the interpreter's shutdown runs a last garbage collection over every
object still alive, and a lock leaves hundreds of thousands of them (pages, records, resolver
state): that walk took longer than some whole commands.  Nothing it could free matters once
the process ends, so the objects left are frozen (:func:`gc.freeze`) and the collection skips
them.  Everything else of the shutdown still happens: streams are flushed, ``atexit`` handlers
run, and objects that reference counting frees are finalized; only reference cycles left at
exit are not collected.  Commands write and close their files themselves (atomically, in
``with`` blocks), never through an object left to a collection.

Tests call :func:`omniwheel.cli.main.main` in-process, many times: freezing there would keep
every run's objects for the rest of the session, so only this entry point freezes.
"""

from __future__ import annotations

import gc

from omniwheel.cli.main import main as run_command


def main() -> int:
    """Run the command line, then leave the objects it made to the process's exit."""
    code = run_command()
    gc.freeze()
    return code
