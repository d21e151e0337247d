"""Everything the CLI shows a person: summaries, notes, progress and errors, on stderr.

Built on ``rich`` so a terminal gets a spinner and colour, while pipes, CI logs and ``NO_COLOR`` get
plain text that reads the same.  Messages never use markup from data (package names and URLs are
printed literally).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence

from omniwheel.cli.plain_stderr import stderr_is_plain

# The no-op sync prints through this module: it imports neither typing nor dataclasses.
TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from packaging.utils import NormalizedName
    from rich.console import Console

    from omniwheel.cli.unchanged_lock import Recorded
    from omniwheel.errors import OmniwheelError
    from omniwheel.index.client import IndexStats
    from omniwheel.index.indexes import IndexList
    from omniwheel.lock.locker import LockOutcome
    from omniwheel.lock.shadowing import Shadowing
    from omniwheel.platform.target import Target


_EMOJI_LIKE = re.compile(r":[^\s:]*:")
"""What ``rich`` could read as an ``:emoji:`` code (a superset: it replaces known names only)."""


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


class Output:
    """Made cheaply: ``rich`` is imported on the first message that needs it (a quiet ``run``
    shows none; plain text to a stderr that is no terminal is written as it is)."""

    __slots__ = ("_console", "make_console")

    def __init__(self, make_console: Callable[[], Console] = _stderr_console) -> None:
        self.make_console = make_console
        self._console: Console | None = None

    def __repr__(self) -> str:
        return f"Output(make_console={self.make_console!r})"

    @classmethod
    def for_terminal(cls) -> Output:
        return cls()

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = self.make_console()
        return self._console

    def plain(self, text: str) -> None:
        if self._as_is(text):
            sys.stderr.write(f"{text}\n")
            sys.stderr.flush()
            return
        self.console.print(text, markup=False)

    def note(self, text: str) -> None:
        self._styled(f"note: {text}", style="dim")

    def warning(self, text: str) -> None:
        self._styled(f"warning: {text}", style="yellow")

    def _styled(self, text: str, *, style: str) -> None:
        if self._as_is(text):  # off a terminal a style writes nothing
            sys.stderr.write(f"{text}\n")
            sys.stderr.flush()
            return
        self.console.print(text, markup=False, style=style)

    def error(self, exc: OmniwheelError) -> None:
        """``error: …``, a blank line, ``hint: …``.  Off a terminal the text is written as it is,
        with no ``rich`` import: importing while a worker thread imports can fail (a command's
        :meth:`status` has made the console already wherever one is needed)."""
        lines = [f"error: {exc.message}", *(["", f"hint: {exc.hint}"] if exc.hint else [])]
        if self._console is None and self.make_console is _stderr_console and stderr_is_plain():
            sys.stderr.write("".join(f"{line}\n" for line in lines))
            sys.stderr.flush()
            return
        self.console.print(lines[0], markup=False, style="bold red")
        if exc.hint:
            self.console.print()
            self.console.print(lines[2], markup=False, style="cyan")

    def _as_is(self, text: str) -> bool:
        """Whether ``rich`` would write ``text`` to stderr unchanged, so it need not be imported:
        the default console, stderr no terminal and nothing saying it is one, and a text with
        nothing ``rich`` rewrites (control characters, tabs, ``:emoji:`` codes: two colons with
        no space between them, as in ``http://host:8080``, count as one)."""
        return (
            self._console is None
            and self.make_console is _stderr_console
            and stderr_is_plain()
            and text.isprintable()
            and _EMOJI_LIKE.search(text) is None
        )

    def status(self, text: str) -> AbstractContextManager[None]:
        """A spinner saying ``text`` while the ``with`` block runs, on a terminal."""
        import contextlib  # not on the no-op's path, which shows no status

        return contextlib.contextmanager(self._status)(text)

    def _status(self, text: str) -> Iterator[None]:
        if self._console is None and self.make_console is _stderr_console and stderr_is_plain():
            yield  # no spinner off a terminal, and no `rich` import to find that out
        elif self.console.is_terminal and not self.console.is_dumb_terminal:
            with self.console.status(text):
                yield
        else:
            yield

    def lock_summary(self, outcome: LockOutcome, *, indexes: IndexList, check: bool) -> None:
        from omniwheel.platform.describe import describe_targets

        lock = outcome.lock
        self.plain(
            f"Resolved {_count(outcome.packages, 'package')} for "
            f"{_count(len(lock.targets), 'target')} "
            f"in {outcome.seconds:.1f}s"
        )
        self.plain(f"Targets: {describe_targets(lock.targets)}")
        if lock.pythons:
            builds = ", ".join(
                f"CPython {entry.build.version} ({entry.build.triple}) for "
                f"{_count(len(entry.targets), 'target')}"
                for entry in lock.pythons
            )
            self.plain(
                f"Pinned {_count(len(lock.pythons), 'interpreter')} "
                f"(release {lock.inputs.python_release}): {builds}"
            )
        self.lock_warnings(outcome)
        if outcome.divergences:
            self.plain("Versions that differ between targets:")
            for divergence in outcome.divergences:
                self.plain(f"  {divergence.describe(lock.targets)}")
        if indexes.several:
            self.plain(f"Indexes, in order: {indexes.describe()}; {describe_stats(outcome.stats)}")
            self._shadowed(outcome.shadowed)
        else:
            self.plain(f"Index ({indexes.default.source}): {describe_stats(outcome.stats)}")
        if check:
            self.plain(f"{outcome.path.name} is up to date")
        elif outcome.changed:
            self.plain(f"Wrote {outcome.path}")
            for change in outcome.changes[:20]:
                self.plain(f"  {change}")
        else:
            self.plain(f"{outcome.path.name} unchanged")

    def _shadowed(self, shadowed: Mapping[NormalizedName, Shadowing]) -> None:
        """Locked names that later indexes list too: each was taken from the first."""
        for line in _shadowed_lines(shadowed):
            self.plain(line)

    def kept_lock_summary(self, lines: Sequence[str], *, seconds: float) -> None:
        """The summary of a relock that had nothing to do (:func:`kept_lock_lines`)."""
        for line in lines:
            self.plain(line.replace(SECONDS, f"{seconds:.2f}"))

    def recorded_lock_summary(self, recorded: Recorded, *, seconds: float) -> None:
        """What a run with the same inputs printed (:mod:`omniwheel.cli.unchanged_lock`)."""
        for note in recorded.notes:
            self.note(note)
        self.kept_lock_summary(recorded.lines, seconds=seconds)

    def lock_warnings(self, outcome: LockOutcome) -> None:
        """What the lock left out: skipped targets, files without an upload time."""
        for target, reason in outcome.lock.skipped:
            self.warning(f"skipped {target.name}: {reason}")
        undated = outcome.stats.projects_without_upload_time
        if undated:
            self.warning(
                f"files without an upload time were left out by exclude-newer: "
                f"{', '.join(sorted(set(undated)))}"
            )


SECONDS = "{seconds}"
"""Where :func:`kept_lock_lines` leave the run's time."""


def kept_lock_lines(
    *,
    lock_name: str,
    packages: int,
    targets: Sequence[Target],
    shadowed: Mapping[NormalizedName, Shadowing],
) -> tuple[str, ...]:
    """The summary of a relock that had nothing to do, :data:`SECONDS` standing for its time."""
    from omniwheel.platform.describe import describe_targets

    lines = [
        f"{lock_name} is up to date: {_count(packages, 'package')} for "
        f"{_count(len(targets), 'target')}, locked by this omniwheel from the same project and "
        f"options ({SECONDS}s; nothing resolved, the index was not asked: --refresh or --upgrade "
        "resolves again)",
        f"Targets: {describe_targets(targets)}",
    ]
    if shadowed:
        lines.append("As when it was resolved (the indexes were not asked again):")
        lines += _shadowed_lines(shadowed)
    return tuple(lines)


def _shadowed_lines(shadowed: Mapping[NormalizedName, Shadowing]) -> list[str]:
    return [
        f"  {name}: taken from {shadowing.taken_from}; also listed on "
        f"{', '.join(shadowing.also_on)}, not used (an earlier index wins)"
        for name, shadowing in shadowed.items()
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def count_packages(count: int) -> str:
    """``1 package``, ``3 packages``."""
    return _count(count, "package")


def duration(seconds: float) -> str:
    """``14ms`` under a second, else ``1.2s``."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"


def audited_summary(packages: int, seconds: float) -> str:
    """What a sync that found nothing to change says: ``Audited 111 packages in 14ms``."""
    return f"Audited {count_packages(packages)} in {duration(seconds)}"


def describe_stats(stats: IndexStats) -> str:
    pages = [
        f"{stats.pages_fetched} fetched",
        f"{stats.pages_pinned} reused (fetched after exclude-newer)",
        f"{stats.pages_fresh} reused (fresh)",
    ]
    if stats.pages_revalidated:
        pages.append(f"{stats.pages_revalidated} revalidated")
    metadata = [
        f"{stats.metadata_cached} cached",
        f"{stats.metadata_file} metadata files",
        f"{stats.metadata_range} range reads",
        f"{stats.metadata_download} downloads",
    ]
    return f"pages {', '.join(pages)}; metadata {', '.join(metadata)}"
