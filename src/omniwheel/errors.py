"""The root error and one family per part of omniwheel.

Every error omniwheel raises on purpose is an :class:`OmniwheelError`: it carries a
message saying what failed and where (package, target, file, TOML key path) and, when
there is one, a hint saying what to do.  The CLI renders them in one place
(``error: …`` then ``hint: …``) and exits non-zero; anything else is a bug and keeps
its traceback.  Families let callers catch one part's failures; the concrete classes
with their data live next to the code that raises them.
"""

from __future__ import annotations

from dataclasses import dataclass


class OmniwheelError(Exception):
    """Root of every deliberate omniwheel failure."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One problem found while validating a file: where (a TOML key path) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ValidationError(OmniwheelError):
    """A file or input with one or more problems, all reported at once."""

    def __init__(self, subject: str, problems: list[Problem], *, hint: str | None = None) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{subject} has {count} {noun}:\n{lines}", hint=hint)


class TargetError(OmniwheelError):
    """A target platform that cannot be parsed or is not supported."""


class ProjectError(OmniwheelError):
    """``pyproject.toml`` is missing or invalid."""


class IndexAccessError(OmniwheelError):
    """The package index could not be reached or answered something unusable."""


class ResolutionError(OmniwheelError):
    """The requirements cannot be satisfied for some target."""


class LockFileError(OmniwheelError):
    """A lock file is malformed, inconsistent, or stale when it must be current."""
