"""A lock's text is parsed once when read twice in a row (a sync checks it, then installs it)."""

from __future__ import annotations

import tomllib

import pytest
from packaging.pylock import PylockValidationError

from omniwheel.lock.pylock import render_pylock
from omniwheel.lock.pylock_parse import parse_pylock
from tests.support.small_lock import small_lock

TEXT = render_pylock(small_lock())


def test_the_same_text_gives_the_same_lock_and_another_text_its_own() -> None:
    first = parse_pylock(TEXT)
    assert parse_pylock(TEXT) is first
    other = parse_pylock(TEXT.replace('created-by = "omniwheel"', 'created-by = "other"'))
    assert other.created_by == "other"
    assert parse_pylock(TEXT) is not first  # one text is kept: the last
    assert parse_pylock(TEXT) == first


def test_a_refused_text_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(tomllib.TOMLDecodeError):
            parse_pylock(TEXT + "\n[broken")
    invalid = TEXT.replace('lock-version = "1.0"', 'lock-version = "x"')
    for _ in range(2):
        with pytest.raises(PylockValidationError):
            parse_pylock(invalid)
