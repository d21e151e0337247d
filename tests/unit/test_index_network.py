"""The network policy: reading ``OMNIWHEEL_HTTP_TIMEOUT``, the retry window, ``Retry-After``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omniwheel.index.network import (
    DEFAULT_TIMEOUT_SECONDS,
    NetworkPolicy,
    NetworkSettingError,
    network_policy,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("environ", "timeout", "source"),
    [
        ({}, DEFAULT_TIMEOUT_SECONDS, "the default"),
        ({"OMNIWHEEL_HTTP_TIMEOUT": ""}, DEFAULT_TIMEOUT_SECONDS, "the default"),
        ({"OMNIWHEEL_HTTP_TIMEOUT": "90"}, 90.0, "OMNIWHEEL_HTTP_TIMEOUT"),
        ({"OMNIWHEEL_HTTP_TIMEOUT": " 2.5 "}, 2.5, "OMNIWHEEL_HTTP_TIMEOUT"),
    ],
)
def test_timeout_from_the_environment(environ: dict[str, str], timeout: float, source: str) -> None:
    policy = network_policy(environ)
    assert (policy.timeout, policy.timeout_source) == (timeout, source)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_timeout_that_is_no_positive_number_is_refused(value: str) -> None:
    with pytest.raises(NetworkSettingError, match="not a positive number of seconds") as error:
        network_policy({"OMNIWHEEL_HTTP_TIMEOUT": value})
    assert error.value.hint


def test_connect_timeout_is_capped_and_the_window_is_twice_the_timeout() -> None:
    assert NetworkPolicy(timeout=30).connect_timeout == 10
    assert NetworkPolicy(timeout=2).connect_timeout == 2
    policy = NetworkPolicy(timeout=30)
    assert policy.retry_window == 60
    assert policy.may_retry(elapsed=59, delay=0.5)
    assert not policy.may_retry(elapsed=59.8, delay=0.5)


NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        ("Fri, 01 May 2026 12:00:30 GMT", 30.0),
        ("Fri, 01 May 2026 11:00:00 GMT", 0.0),  # in the past: no wait
        ("tomorrow", None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds
