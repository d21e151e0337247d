"""Reading pylock.toml back: a damaged file is a LockFileError with a hint, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.errors import LockFileError
from omniwheel.lock.pylock import read_pylock


def test_a_missing_lock_is_none(tmp_path: Path) -> None:
    assert read_pylock(tmp_path / "pylock.toml") is None


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"lock-version = '1.0'\n\xff\n", "is not UTF-8 text"),
        (b"lock-version = ", "is not a valid PEP 751 lock file"),
        (b"lock-version = '1.0'\ncreated-by = 'x'\n", "is not a valid PEP 751 lock file"),
    ],
)
def test_a_damaged_lock_is_an_error_with_a_hint(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "pylock.toml"
    path.write_bytes(content)
    with pytest.raises(LockFileError, match=fragment) as error:
        read_pylock(path)
    assert str(path) in error.value.message
    assert error.value.hint == "delete it and run `omniwheel lock` to write a new one"
