"""``sync`` and ``run`` on an environment that already is what the lock asks, answered before
the command line's parser is built.

Most ``sync``\\ s and nearly every ``run`` have nothing to install.  Knowing that takes the real
check — the lock-check stamp (:mod:`omniwheel.cli.lock_stamp`: the lock is current for
``pyproject.toml`` and the index settings), then the environment's (:mod:`omniwheel.env.unchanged`:
the last sync installed this very lock, asked the same way, and the audit finds nothing changed
since) — and it costs a few milliseconds, when building ``argparse``'s parser and importing what
a real sync needs (``dataclasses``, ``typing``, the locker's modules) cost several times that.

So :func:`quick_invocation` reads the command line first, for the options that leave a no-op a
no-op only, each exactly as the parser reads it, and :meth:`Invocation.answer` runs the check.
When the check passes, ``sync`` prints what it prints then (``Audited N packages in X``) and
``run`` runs the command; either way the exit code is returned.  Anything else returns None and
the command runs the usual way, which checks everything again and says what is wrong: an option
outside that set (``--help``, ``--json``, ``--dry-run``, the extras and groups, ``--upgrade``…),
a spelling the parser would read otherwise or reject (an abbreviation, a value that starts with
``-``, an empty value, ``--locked`` with ``--frozen``), no project, no lock, a stamp that does
not match, an environment to change.

Only the standard library is imported here and in the modules named above, and not
``argparse``, ``dataclasses`` or ``typing``; nor :mod:`pathlib`, :mod:`json`, :mod:`hashlib` or
:mod:`re` (with :mod:`enum`, :mod:`functools` and :mod:`collections`, which they import, more
than half of the whole no-op): paths are strings here, and where a path must be spelt as
:mod:`pathlib` spells it (the stamp's key), :func:`omniwheel._purepath.absolute` spells it.
The installed ``omniwheel`` command asks :func:`answer_quickly` before it imports even
:mod:`omniwheel.cli.main` (:mod:`omniwheel.cli.console`).
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH109, PTH113, PTH118, PTH120, PTH123

from __future__ import annotations

import os
import time

from omniwheel._purepath import absolute
from omniwheel.cachedir import cache_directory
from omniwheel.cli.lock_stamp import PYPROJECT, read_stamp, stamp_digest, stamp_path
from omniwheel.env.layout import LINK_MODES, choice_key, link_mode_of, venv_directory
from omniwheel.env.unchanged import unchanged
from omniwheel.lock import LOCK_FILENAME

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Protocol

    class Reporter(Protocol):
        """Where the summary goes: :class:`~omniwheel.cli.output.Output` has this method."""

        def plain(self, text: str) -> None: ...


COMMANDS = frozenset({"sync", "instantiate", "run"})
"""The commands whose no-op is answered here (``instantiate`` is ``sync``'s alias)."""
_VALUES = {
    "--project": "project",
    "--python": "python",
    "--venv": "venv",
    "--index-url": "index_url",
    "--link-mode": "link_mode",
}
"""Options taking a value (the last given wins), as spelt on the command line -> field."""
_LISTS = {"--index": "index", "--find-links": "find_links"}
"""Options that may be repeated, each adding a value."""
_FLAGS = {"--offline", "--compile-bytecode", "--locked", "--frozen"}
"""Flags that change nothing in a no-op but whether the lock is checked (``--frozen``)."""
_CHOICES = {"--link-mode": LINK_MODES}
"""The values the parser accepts, for the options that have choices."""


class Invocation:
    """The command line of a ``sync``/``run``, as far as its no-op depends on it."""

    __slots__ = ("argv", "command", "flags", "lists", "values")

    def __init__(
        self,
        *,
        command: str,
        values: dict[str, str],
        lists: dict[str, list[str]],
        flags: set[str],
        argv: list[str],
    ) -> None:
        self.command = command
        """``sync``, ``instantiate`` or ``run``."""
        self.values = values
        """The options with a value that were given (``venv``, ``python``…), by field name."""
        self.lists = {field: tuple(items) for field, items in lists.items()}
        """``index`` and ``find_links``, every value in order (empty when not given)."""
        self.flags = frozenset(flags)
        """The flags given, as spelt (``--frozen``)."""
        self.argv = tuple(argv)
        """``run``'s command (without the ``--`` before it); empty for ``sync``."""

    def answer(self, output: Reporter) -> int | None:
        """The exit code, when the environment already is what the lock asks and nothing was
        left to do but report it (``sync``) or run the command (``run``); None when the command
        must run the usual way."""
        project = project_directory(self.values.get("project"))
        if project is None or not self._lock_current(project):
            return None
        venv = venv_directory(project, cli=self.values.get("venv"), environ=os.environ)
        if link_mode_of(self.values.get("link_mode"), os.environ) is None:
            return None  # the usual way says what is wrong with OMNIWHEEL_LINK_MODE
        started = time.perf_counter()
        try:
            with open(os.path.join(project, LOCK_FILENAME), "rb") as handle:
                lock_bytes = handle.read()
        except OSError:
            return None  # the usual way says why
        state = unchanged(venv, lock_bytes, python=self.values.get("python"), choice=choice_key())
        if state is None:
            return None
        if self.command != "run":
            output.plain(audited_summary(len(state.dists), time.perf_counter() - started))
            return 0
        from pathlib import Path

        from omniwheel.env.run import run_in_venv

        return run_in_venv(Path(venv), self.argv, environ=os.environ)

    def _lock_current(self, project: str) -> bool:
        """Whether the lock may be used as it is without parsing anything: ``--frozen``, no
        ``pyproject.toml``, or the lock-check stamp matches (as
        :func:`omniwheel.cli.locking.ensure_current_lock` decides)."""
        if "--frozen" in self.flags or not os.path.isfile(os.path.join(project, PYPROJECT)):
            return True
        digest = stamp_digest(
            project,
            index_url=self.values.get("index_url"),
            indexes=self.lists["index"],
            find_links=self.lists["find_links"],
        )
        return read_stamp(stamp_path(cache_directory(), project)) == digest


def audited_summary(packages: int, seconds: float) -> str:
    """:func:`omniwheel.cli.output.audited_summary`, which the usual way prints: that module
    imports :mod:`re` (a test keeps the two texts the same)."""
    noun = "package" if packages == 1 else "packages"
    took = f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"
    return f"Audited {packages} {noun} in {took}"


_DECLINED: set[tuple[str, ...]] = set()
"""Command lines :func:`answer_quickly` left to the usual way in this process."""


def answer_quickly(arguments: Sequence[str], output: Reporter) -> int | None:
    """:func:`quick_invocation` and :meth:`Invocation.answer` in one: the exit code of a
    ``sync`` or ``run`` with nothing to install, else None.

    A command line answered None here is remembered, and :func:`quick_invocation` then reads
    it as one it does not answer: the installed command asks here first
    (:mod:`omniwheel.cli.console`), then :func:`omniwheel.cli.main.main`, which would check the
    environment a second time before the usual way checks it again anyway.  Declining is
    always safe: the usual way checks everything itself."""
    quick = quick_invocation(arguments)
    if quick is None:
        return None
    code = quick.answer(output)
    if code is None:
        _DECLINED.add(tuple(arguments))
    return code


def quick_invocation(arguments: Sequence[str]) -> Invocation | None:
    """``arguments`` (the command first) read as the parser reads them; None unless every
    argument is one this module reads, spelt as it reads it."""
    command, *rest = arguments
    if command not in COMMANDS or tuple(arguments) in _DECLINED:
        return None
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {field: [] for field in _LISTS.values()}
    flags: set[str] = set()
    position = 0
    while position < len(rest):
        token = rest[position]
        if command == "run" and (token == "--" or not token.startswith("-")):
            return _run(values, lists, flags, rest[position:])
        if token in _FLAGS:
            flags.add(token)
            position += 1
            continue
        read = _option(rest, position)
        if read is None:
            return None
        name, value, position = read
        if name in _VALUES:
            values[_VALUES[name]] = value
        else:
            lists[_LISTS[name]].append(value)
    if command == "run" or {"--locked", "--frozen"} <= flags:
        return None  # no command to run, or flags the parser refuses together
    return Invocation(command=command, values=values, lists=lists, flags=flags, argv=[])


def _option(arguments: list[str], position: int) -> tuple[str, str, int] | None:
    """The option with a value at ``position`` (``--venv V`` or ``--venv=V``): its name, its
    value and the position after it; None when it is not one read here, or its value is one
    the parser would refuse or read as an option."""
    name, equals, value = arguments[position].partition("=")
    if name not in _VALUES and name not in _LISTS:
        return None
    if not equals:
        position += 1
        if position == len(arguments):
            return None
        value = arguments[position]
    if not value or value.startswith("-") or value not in _CHOICES.get(name, (value,)):
        return None
    return name, value, position + 1


def _run(
    values: dict[str, str], lists: dict[str, list[str]], flags: set[str], remainder: list[str]
) -> Invocation | None:
    """``run`` whose command starts ``remainder`` (with a ``--`` first or not, as ``run``
    reads it); None for no command, or one that starts with ``--`` again (argparse versions
    differ on that one), or flags the parser refuses together."""
    argv = remainder[1:] if remainder[0] == "--" else remainder
    if not argv or argv[0] == "--" or {"--locked", "--frozen"} <= flags:
        return None
    return Invocation(command="run", values=values, lists=lists, flags=flags, argv=argv)


def nearest_project(given: Path | None) -> Path | None:
    """``--project`` (absolute), else the nearest directory holding ``pylock.toml`` or
    ``pyproject.toml``; None when there is none."""
    from pathlib import Path

    found = project_directory(None if given is None else os.fspath(given))
    return None if found is None else Path(found)


def project_directory(given: str | None) -> str | None:
    """:func:`nearest_project` as a string, spelt as :mod:`pathlib` spells it."""
    if given is not None:
        return absolute(given)
    directory = absolute(os.getcwd())
    while True:
        for name in (LOCK_FILENAME, PYPROJECT):
            if os.path.isfile(os.path.join(directory, name)):
                return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
