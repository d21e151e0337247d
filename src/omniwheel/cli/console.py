"""The ``omniwheel`` console command: :func:`omniwheel.cli.main.main`, then a quick exit.

A ``sync`` or ``run`` with nothing to install is answered first, by
:func:`omniwheel.cli.unchanged_venv.answer_quickly`, before :mod:`omniwheel.cli.main` is imported:
that module imports :mod:`pathlib` (and with it :mod:`re`, :mod:`enum`, :mod:`urllib.parse`…),
which the check itself does without.  Its summary goes straight to stderr when ``rich`` would
write it unchanged there (:class:`_PlainStderr`); on a terminal it goes through
:class:`~omniwheel.cli.output.Output`.  Anything else, including a check that finds work to do,
runs the usual way, which checks everything again.

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

For the same reason only this entry point makes the young generation's collections rarer for
the commands that sync or lock (:data:`TUNED_COMMANDS`, :data:`SYNC_THRESHOLDS`): a warm sync
of a hundred packages allocates tens of thousands of containers that all stay alive (the rows
of every file it links, the state it writes, the classes of the modules it imports), and with
the default thresholds over a hundred collections walked them, about 30 ms of a 0.6 s sync,
for nothing to free; a lock keeps what it reads of every index page, and a cold 20-target lock
of the bench workload spent 0.3 s in about 590 collections (0.06-0.1 s in two with these
thresholds).  Collections still happen, every :data:`SYNC_THRESHOLDS` allocations, so a long
command cannot grow without bound.
"""

from __future__ import annotations

import gc
import sys

from omniwheel.cli.plain_stderr import stderr_is_plain

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Sequence

    from omniwheel.cli.unchanged_venv import Reporter


SYNC_COMMANDS = ("sync", "instantiate", "run")
"""The commands :func:`quick_answer` may answer (``unchanged_venv.COMMANDS``, not imported for
the others)."""
TUNED_COMMANDS = (*SYNC_COMMANDS, "lock", "add", "remove")
"""The commands whose collections :data:`SYNC_THRESHOLDS` tunes (``add`` and ``remove`` lock,
then sync)."""
SYNC_THRESHOLDS = (100_000, 50, 1000)
""":func:`gc.set_threshold` for :data:`TUNED_COMMANDS`: a young collection per 100,000
allocations (Python's default: 700), then the older generations at their usual pace relative to
it."""


def main() -> int:
    """Run the command line, then leave the objects it made to the process's exit."""
    tune_collections(sys.argv[1:])
    code = quick_answer(sys.argv[1:])
    if code is None:
        from omniwheel.cli.main import main as run_command

        code = run_command()
    gc.freeze()
    return code


def quick_answer(arguments: Sequence[str]) -> int | None:
    """The exit code of a ``sync`` or ``run`` with nothing to install; None for anything else.

    Interrupted, it says so and exits 130, as :func:`omniwheel.cli.main.main` does."""
    if not arguments or arguments[0] not in SYNC_COMMANDS:
        return None
    from omniwheel.cli.unchanged_venv import answer_quickly

    output = reporter()
    try:
        return answer_quickly(arguments, output)
    except KeyboardInterrupt:
        output.plain("interrupted")
        return 130


def tune_collections(arguments: Sequence[str]) -> None:
    """Collect garbage less often in the :data:`TUNED_COMMANDS` (see the module's docstring);
    other commands keep Python's thresholds."""
    if arguments and arguments[0] in TUNED_COMMANDS:
        gc.set_threshold(*SYNC_THRESHOLDS)


def reporter() -> Reporter:
    """Where the no-op's summary goes: stderr as it is, or ``rich`` on a terminal."""
    if stderr_is_plain():
        return _PlainStderr()
    from omniwheel.cli.output import Output

    return Output.for_terminal()


class _PlainStderr:
    """Writes a summary to stderr as :meth:`Output.plain <omniwheel.cli.output.Output.plain>`
    writes one off a terminal: the no-op's summaries (``Audited 111 packages in 14ms``) and
    ``interrupted`` hold nothing ``rich`` would rewrite."""

    __slots__ = ()

    def plain(self, text: str) -> None:
        sys.stderr.write(f"{text}\n")
        sys.stderr.flush()
