"""``exclude-newer`` values: the forms accepted, the ones refused, and the canonical spelling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from omniwheel.errors import OmniwheelError
from omniwheel.project.timestamp import TimestampError, format_timestamp, parse_exclude_newer

NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-11-01", NOV_1, id="date-is-utc-midnight"),
        pytest.param("  2026-11-01\n", NOV_1, id="surrounding-space"),
        pytest.param("2026-11-01T12:30:00Z", NOV_1.replace(hour=12, minute=30), id="zulu"),
        pytest.param("2026-11-01t12:30:00z", NOV_1.replace(hour=12, minute=30), id="lower-case"),
        pytest.param("2026-11-01 12:30:00Z", NOV_1.replace(hour=12, minute=30), id="space-sep"),
        pytest.param("2026-11-01T14:30:00+02:00", NOV_1.replace(hour=12, minute=30), id="east"),
        pytest.param("2026-10-31T19:00:00-05:00", NOV_1, id="west-crosses-midnight"),
        pytest.param("2026-11-01T00:00:00.25Z", NOV_1.replace(microsecond=250000), id="fraction"),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    parsed = parse_exclude_newer(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


# An empty reason: the wording comes from Python's datetime and differs between versions.
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("2026-11-01T12:30:00", "without a UTC offset is ambiguous", id="naive"),
        pytest.param("2026-11-01T12:30Z", "not a date or an RFC 3339 time", id="no-seconds"),
        pytest.param("2026-13-01", "", id="bad-month"),
        pytest.param("2026-02-30T00:00:00Z", "", id="bad-day"),
        pytest.param("2026-11-01T25:00:00Z", "", id="bad-hour"),
        pytest.param("20261101", "not a date or an RFC 3339 time", id="basic-format"),
        pytest.param("2026-W44", "not a date or an RFC 3339 time", id="week-date"),
        pytest.param("yesterday", "not a date or an RFC 3339 time", id="words"),
        pytest.param("", "not a date or an RFC 3339 time", id="empty"),
    ],
)
def test_refused_forms_quote_input_and_show_accepted_forms(text: str, reason: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_exclude_newer(text)
    error = caught.value
    assert isinstance(error, OmniwheelError)
    assert repr(text) in error.message
    assert reason in error.message
    assert error.hint is not None
    assert "2026-11-01" in error.hint
    assert "2026-11-01T12:30:00Z" in error.hint


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(NOV_1, "2026-11-01T00:00:00Z", id="midnight"),
        pytest.param(
            datetime(2026, 11, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-01T12:30:00Z",
            id="converted-to-utc",
        ),
        pytest.param(NOV_1.replace(microsecond=5), "2026-11-01T00:00:00.000005Z", id="micros"),
        pytest.param(datetime(999, 1, 2, tzinfo=UTC), "0999-01-02T00:00:00Z", id="padded-year"),
    ],
)
def test_format_timestamp(moment: datetime, expected: str) -> None:
    assert format_timestamp(moment) == expected


@pytest.mark.parametrize(
    "text", ["2026-11-01", "2026-11-01T14:30:00+02:00", "2026-11-01T00:00:00.123456Z"]
)
def test_format_then_parse_round_trips(text: str) -> None:
    moment = parse_exclude_newer(text)
    assert parse_exclude_newer(format_timestamp(moment)) == moment


def test_format_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 11, 1))
