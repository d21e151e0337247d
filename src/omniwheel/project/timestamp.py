"""The ``exclude-newer`` cut-off: parsing what users type and writing the canonical form.

A lock made with ``exclude-newer`` ignores every file uploaded after that instant, so the
same inputs give the same lock however much later it is run.  The instant must therefore
be unambiguous: a bare date means midnight UTC at the start of that day, a time must say
its UTC offset (``Z`` or ``±HH:MM``), and a time without one is refused rather than read
in whatever zone the machine happens to be in.  Values are always handled as aware
``datetime`` objects in UTC; :func:`format_timestamp` gives the one spelling the lock uses.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from omniwheel.errors import OmniwheelError

__all__ = ["ACCEPTED_FORMS", "TimestampError", "format_timestamp", "parse_exclude_newer"]

ACCEPTED_FORMS = (
    "a date (`2026-11-01`, meaning midnight UTC) or an RFC 3339 time with a UTC offset"
    " (`2026-11-01T12:30:00Z`, `2026-11-01T14:30:00+02:00`)"
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 date-time; the offset is optional here only so that its absence gets its own message.
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?)"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


class TimestampError(OmniwheelError):
    """An ``exclude-newer`` value that is not a date or an RFC 3339 time with an offset."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"invalid exclude-newer value {text!r}: {reason}",
            hint=f"use {ACCEPTED_FORMS}",
        )
        self.text = text
        self.reason = reason


def parse_exclude_newer(text: str) -> datetime:
    """Return the instant ``text`` names, as an aware ``datetime`` in UTC.

    ``2026-11-01`` is ``2026-11-01T00:00:00Z``; ``2026-11-01T12:30:00+02:00`` is
    ``2026-11-01T10:30:00Z``.  Raises :class:`TimestampError` for anything else,
    including a time without a UTC offset.
    """
    stripped = text.strip()
    if _DATE.fullmatch(stripped):
        return _parse_date(text, stripped)
    match = _DATE_TIME.fullmatch(stripped)
    if match is None:
        raise TimestampError(text, "not a date or an RFC 3339 time")
    if match["offset"] is None:
        raise TimestampError(
            text, "a time without a UTC offset is ambiguous; add `Z` for UTC or an offset"
        )
    offset = "+00:00" if match["offset"].upper() == "Z" else match["offset"]
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError as error:
        raise TimestampError(text, str(error)) from None
    return parsed.astimezone(UTC)


def _parse_date(text: str, stripped: str) -> datetime:
    try:
        day = date.fromisoformat(stripped)
    except ValueError as error:
        raise TimestampError(text, str(error)) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """Return the canonical UTC spelling of ``moment``: ``2026-11-01T00:00:00Z``.

    Microseconds appear (as six digits) only when non-zero.  ``moment`` must be aware:
    a naive value here is a bug in the caller, so it raises ``ValueError``.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"cannot format naive datetime {moment.isoformat()}: a UTC offset is required"
        raise ValueError(msg)
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    timespec = "microseconds" if utc.microsecond else "seconds"
    return f"{utc.isoformat(timespec=timespec)}Z"
