"""Reading omniwheel's pylock.toml back for artifacts: targets, the wheel each takes, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.errors import LockFileError
from omniwheel.julia.locked import ForeignLockError, read_locked_wheels
from omniwheel.lock.tool_table import ToolTableError
from omniwheel.platform.target import target_from_name

LINUX = "linux-x86_64-glibc2.28@3.12"
WINDOWS = "windows-x86_64@3.12"
SKIPPED = "macos-arm64-13.0@3.12"
SHA = {name: name[0] * 64 for name in ("a", "b", "c", "d")}

LOCK = f"""\
lock-version = "1.0"
created-by = "omniwheel"

[[packages]]
name = "native"
version = "1.0"
index = "https://example.org/simple/"

[[packages.wheels]]
url = "https://example.org/files/native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
hashes = {{ sha256 = "{SHA["a"]}" }}

[[packages.wheels]]
url = "https://example.org/files/native-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
hashes = {{ sha256 = "{SHA["b"]}" }}

[[packages.wheels]]
name = "native-1.0-cp312-cp312-win_amd64.whl"
path = "wheels/native-1.0-cp312-cp312-win_amd64.whl"
size = 12
hashes = {{ sha256 = "{SHA["c"].upper()}" }}

[packages.tool.omniwheel]
targets = ["{LINUX}", "{WINDOWS}"]

[[packages]]
name = "pure"
version = "2.0"
marker = "sys_platform == 'win32'"
index = "https://example.org/simple/"

[[packages.wheels]]
url = "https://example.org/files/pure-2.0-py3-none-any.whl"
hashes = {{ sha256 = "{SHA["d"]}" }}

[packages.tool.omniwheel]
targets = ["{WINDOWS}"]

[tool.omniwheel]
targets = ["{LINUX}", "{SKIPPED}", "{WINDOWS}"]
skipped-targets = [{{ target = "{SKIPPED}", reason = "no wheel" }}]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pylock.toml"
    path.write_text(text)
    return path


def test_targets_packages_and_the_wheel_each_target_takes(tmp_path: Path) -> None:
    locked = read_locked_wheels(_write(tmp_path, LOCK))
    linux, windows = target_from_name(LINUX), target_from_name(WINDOWS)
    assert locked.lock.targets == (linux, windows)  # the skipped target is left out
    native, pure = locked.lock.packages
    assert [(w.file.filename, w.targets) for w in native.wheels] == [
        ("native-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", (linux,)),  # ranked above 2_17
        ("native-1.0-cp312-cp312-win_amd64.whl", (windows,)),
    ]
    assert pure.targets == (windows,)
    assert pure.marker == 'sys_platform == "win32"'


def test_sources_carry_what_the_store_verifies(tmp_path: Path) -> None:
    locked = read_locked_wheels(_write(tmp_path, LOCK))
    local = locked.sources[SHA["c"]]  # read lowercase
    assert local.path == tmp_path / "wheels" / "native-1.0-cp312-cp312-win_amd64.whl"
    assert (local.name, local.version, local.size) == ("native", "1.0", 12)
    assert SHA["a"] not in locked.sources  # a wheel no target takes is not fetched
    windows = target_from_name(WINDOWS)
    assert [s.sha256 for s in locked.wheels_for([windows])] == [SHA["c"], SHA["d"]]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ((LOCK[LOCK.index("[tool.omniwheel]") :], ""), "no `[tool"),
        (
            (f'[packages.tool.omniwheel]\ntargets = ["{WINDOWS}"]\n', ""),
            "package `pure` has no `[packages.tool.omniwheel] targets`",
        ),
    ],
)
def test_a_lock_without_omniwheels_records_is_foreign(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    with pytest.raises(ForeignLockError, match="was not written by omniwheel") as caught:
        read_locked_wheels(_write(tmp_path, LOCK.replace(*edit)))
    assert message in caught.value.message
    assert caught.value.hint is not None
    assert "omniwheel lock" in caught.value.hint


def test_a_target_without_a_fitting_wheel_is_an_error(tmp_path: Path) -> None:
    text = LOCK.replace("cp312-cp312-win_amd64", "cp311-cp311-win_amd64")
    with pytest.raises(LockFileError, match="none of its wheels fits that target"):
        read_locked_wheels(_write(tmp_path, text))


def test_a_package_naming_an_unknown_target_is_an_error(tmp_path: Path) -> None:
    text = LOCK.replace(
        f'targets = ["{WINDOWS}"]\n\n[tool', 'targets = ["linux-aarch64@3.9"]\n\n[tool'
    )
    with pytest.raises(ToolTableError) as caught:
        read_locked_wheels(_write(tmp_path, text))
    assert [str(problem) for problem in caught.value.problems] == [
        "packages[1].tool.omniwheel.targets[0]: `linux-aarch64-glibc2.28@3.9` is not one of "
        "the lock's targets (tool.omniwheel.targets)"
    ]


def test_a_missing_or_invalid_lock_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LockFileError, match=r"no pylock\.toml in") as missing:
        read_locked_wheels(tmp_path / "pylock.toml")
    assert missing.value.hint == "run `omniwheel lock` first to resolve the project and write it"
    with pytest.raises(LockFileError, match="is not a valid PEP 751 lock file"):
        read_locked_wheels(_write(tmp_path, "lock-version = 1\n"))
