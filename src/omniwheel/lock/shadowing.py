"""A locked package that later indexes list too: what the lock summary reports.

Kept in a module of its own, with no imports, because both the locker (which finds it) and the
early-stop stamp (which keeps it, for a relock that resolves nothing) need it, and the early
stop must stay light."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Shadowing"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Shadowing:
    """A locked package taken from one index while later indexes list the same name."""

    taken_from: str
    """The name of the index it was taken from."""
    also_on: tuple[str, ...]
    """The names of the later indexes (explicit ones left out) that list it too, in order."""
