"""pylock.toml: a damaged file read back is a LockFileError with a hint, never a crash; a lock
an installer would read otherwise than the resolver chose is never written."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from omniwheel.errors import LockFileError
from omniwheel.lock.pylock import (
    LockConsistencyError,
    SelectionMismatch,
    read_pylock,
    render_pylock,
    verify_selection,
)
from tests.support.small_lock import (
    LINUX,
    NATIVE_LINUX,
    NATIVE_LINUX_BETTER,
    WINDOWS,
    WINONLY,
    WINONLY_2,
    small_lock,
    wheel_entry,
)


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


# -- the lock-time proof: a lock an installer would read otherwise is refused ----------------


def _rendered() -> dict[str, Any]:
    """The small lock as written and read back by ``tomllib``, ready to be tampered with."""
    return tomllib.loads(render_pylock(small_lock()))


def _refused(data: dict[str, Any]) -> LockConsistencyError:
    with pytest.raises(LockConsistencyError) as caught:
        verify_selection(small_lock(), data)
    assert caught.value.hint is not None
    assert "bug in omniwheel" in caught.value.hint
    return caught.value


def test_the_small_lock_passes_the_proof() -> None:
    verify_selection(small_lock(), _rendered())


def test_a_wheel_an_installer_ranks_above_the_resolvers_is_refused() -> None:
    data = _rendered()
    data["packages"][0]["wheels"].append(wheel_entry(NATIVE_LINUX_BETTER))
    error = _refused(data)
    assert (error.target, error.python) == (LINUX, "3.12.0")
    assert error.mismatches == (
        SelectionMismatch(package="native", resolver=NATIVE_LINUX, installer=NATIVE_LINUX_BETTER),
    )
    assert error.message == (
        f"on {LINUX.name} (Python 3.12.0, the default selection) an installer would pick "
        f"other wheels than the resolver chose:\n  - native: the resolver chose {NATIVE_LINUX}, "
        f"an installer picks {NATIVE_LINUX_BETTER}"
    )


def test_the_proof_puts_packagings_own_functions_back() -> None:
    """The proof memoises two of packaging.pylock's functions while it runs (each wheel's
    filename from its URL, and the filename's tags): afterwards, and after a refusal too,
    packaging calls its own functions again."""
    import packaging.pylock as standard
    from packaging.utils import parse_wheel_filename

    url_name = standard._url_name
    data = _rendered()
    verify_selection(small_lock(), data)
    data["packages"][0]["wheels"].append(wheel_entry(NATIVE_LINUX_BETTER))
    _refused(data)
    assert standard.parse_wheel_filename is parse_wheel_filename  # type: ignore[attr-defined]
    assert standard._url_name is url_name


def test_a_marker_that_leaves_a_needed_package_out_is_refused() -> None:
    data = _rendered()
    data["packages"][0]["marker"] = 'sys_platform == "win32"'
    error = _refused(data)
    assert error.target == LINUX
    assert error.mismatches == (
        SelectionMismatch(package="native", resolver=NATIVE_LINUX, installer=None),
    )
    assert f"native: the resolver chose {NATIVE_LINUX}, an installer picks nothing" in str(error)


def test_a_marker_that_takes_a_package_where_it_is_not_needed_is_refused() -> None:
    data = _rendered()
    del data["packages"][1]["marker"]
    error = _refused(data)
    assert error.target == LINUX
    assert error.mismatches == (
        SelectionMismatch(package="winonly", resolver=None, installer=WINONLY),
    )
    assert "winonly: the resolver chose nothing (the target does not need it)" in str(error)


def test_a_marker_that_admits_a_second_version_is_refused() -> None:
    data = _rendered()
    second = dict(data["packages"][1], version="2.0", wheels=[wheel_entry(WINONLY_2)])
    data["packages"].append(second)
    error = _refused(data)
    assert (error.target, error.mismatches) == (WINDOWS, ())
    assert error.reason is not None
    assert "Multiple packages with the name 'winonly'" in error.reason
    assert error.message.startswith(
        f"an installer on {WINDOWS.name} (Python 3.12.0, the default selection) could not use "
        "the generated lock: "
    )
    assert error.reason in error.message


def test_a_lock_that_is_not_pep_751_is_refused() -> None:
    data = _rendered()
    data["packages"][0]["wheels"][0]["hashes"] = "none"
    error = _refused(data)
    assert "is not valid PEP 751" in error.message
