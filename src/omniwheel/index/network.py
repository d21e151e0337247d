"""How long omniwheel waits for the network, and which failures it tries again.

One :class:`NetworkPolicy` serves the index client and the store's wheel fetcher:

- ``timeout`` (``OMNIWHEEL_HTTP_TIMEOUT`` seconds, default 30): the longest wait for a
  connection (at most :data:`MAX_CONNECT_SECONDS` of it) and for each read of an answer.
- A request that hit its read timeout is **not** tried again: the server is up but slower than
  the timeout, and asking again would wait as long once more.  The error names the timeout and
  the variable that raises it.
- Failures that another try can mend are retried with backoff: a connection that could not be
  made or broke off, and the statuses 408, 429, 500, 502, 503, 504.  The index client makes up
  to 4 tries (pausing 0.25, 0.5, 1 s), the store up to 3 per wheel.  A ``Retry-After``
  (seconds or an HTTP date) on a 429 or 503 sets the index client's pause, up to
  :data:`MAX_RETRY_AFTER_SECONDS`; asked to wait longer, the request fails at once, saying so.
- The index client starts no new try once twice ``timeout`` seconds have gone by since the
  first began, so one request gives up within about three times ``timeout`` (90 s by default)
  whatever the server does; each of the store's 3 tries is bounded by ``timeout`` the same
  way.  The first request that gives up ends the command.

Waiting for a free connection of the client's own pool is not the server's slowness: it has no
timeout of its own (each request holding a connection is bounded as above).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from omniwheel.errors import IndexAccessError

TIMEOUT_VARIABLE = "OMNIWHEEL_HTTP_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_CONNECT_SECONDS = 10.0
MAX_RETRY_AFTER_SECONDS = 10.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class NetworkSettingError(IndexAccessError):
    """``OMNIWHEEL_HTTP_TIMEOUT`` holds something that is not a positive number of seconds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkPolicy:
    """Timeouts and retries for one command's HTTP requests (see the module docstring)."""

    timeout: float = DEFAULT_TIMEOUT_SECONDS
    timeout_source: str = "the default"
    """Where :attr:`timeout` came from, for messages: ``OMNIWHEEL_HTTP_TIMEOUT`` or the default."""

    @property
    def connect_timeout(self) -> float:
        return min(self.timeout, MAX_CONNECT_SECONDS)

    @property
    def retry_window(self) -> float:
        """Seconds after the first try began during which another try may start."""
        return 2 * self.timeout

    def may_retry(self, elapsed: float, delay: float) -> bool:
        """Whether another try may start ``delay`` seconds from now, ``elapsed`` seconds after
        the first one began."""
        return elapsed + delay < self.retry_window

    def timeout_hint(self) -> str:
        """What to do about a read timeout: the variable and the value now in force."""
        return (
            "the server is up but slower than omniwheel waits; try again later, or allow it "
            f"more time with `{TIMEOUT_VARIABLE}=<seconds>` (now {self.timeout:g} s, from "
            f"{self.timeout_source})"
        )

    def describe_timeout(self) -> str:
        return f"{self.timeout:g} s (from {self.timeout_source})"


def network_policy(environ: Mapping[str, str]) -> NetworkPolicy:
    """The policy for this environment: ``OMNIWHEEL_HTTP_TIMEOUT`` if set (and non-empty)."""
    text = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return NetworkPolicy()
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise NetworkSettingError(
            f"{TIMEOUT_VARIABLE}={text!r} is not a positive number of seconds",
            hint=f"set it to e.g. `60`, or unset it for the default of "
            f"{DEFAULT_TIMEOUT_SECONDS:g} s",
        )
    return NetworkPolicy(timeout=seconds, timeout_source=TIMEOUT_VARIABLE)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now (0 for a date in the past), or None when
    absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    import email.utils  # here: the email package costs every command's start, for a rare header

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
