"""A small lock model, built by hand, for tests of the pylock writer and readers.

Two targets (Linux glibc 2.28 and Windows, both CPython 3.12) and one skipped (macOS):
``native`` has a platform wheel per target, ``winonly`` is a pure wheel only Windows needs (its
marker says so).  :func:`small_lock` renders as a lock ``Pylock.select`` agrees with.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.index.models import DistFile
from omniwheel.lock.markers import environment_marker, selecting_marker
from omniwheel.lock.model import Lock, LockedPackage, LockedWheel, env_key
from omniwheel.lock.tool_table import LockInputs
from omniwheel.platform.target import target_from_name

LINUX = target_from_name("linux-x86_64-glibc2.28@3.12")
WINDOWS = target_from_name("windows-x86_64@3.12")
SKIPPED = target_from_name("macos-arm64-13.0@3.12")
NATIVE_LINUX = "native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
NATIVE_LINUX_BETTER = "native-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
"""A wheel Linux ranks above :data:`NATIVE_LINUX`; not in the lock."""
NATIVE_WINDOWS = "native-1.0-cp312-cp312-win_amd64.whl"
WINONLY = "winonly-1.0-py3-none-any.whl"
WINONLY_2 = "winonly-2.0-py3-none-any.whl"
"""A second version of ``winonly``; not in the lock."""
CUTOFF = datetime(2026, 2, 1, tzinfo=UTC)


def sha256_of(filename: str) -> str:
    return hashlib.sha256(filename.encode()).hexdigest()


def dist(filename: str) -> DistFile:
    return DistFile(
        filename=filename, url=f"https://files.example.org/{filename}", sha256=sha256_of(filename)
    )


def wheel_entry(filename: str) -> dict[str, object]:
    """A ``[[packages.wheels]]`` entry as ``tomllib`` reads it."""
    return {"url": dist(filename).url, "hashes": {"sha256": sha256_of(filename)}}


def small_lock() -> Lock:
    everything = {env_key(LINUX), env_key(WINDOWS)}
    native = LockedPackage(
        name=canonicalize_name("native"),
        version=Version("1.0"),
        targets=(LINUX, WINDOWS),
        marker=None,
        requires_python=">=3.12",
        wheels=(
            LockedWheel(file=dist(NATIVE_LINUX), targets=(LINUX,)),
            LockedWheel(file=dist(NATIVE_WINDOWS), targets=(WINDOWS,)),
        ),
        dependencies=(),
    )
    winonly = LockedPackage(
        name=canonicalize_name("winonly"),
        version=Version("1.0"),
        targets=(WINDOWS,),
        marker=selecting_marker({env_key(WINDOWS)}, everything),
        requires_python=None,
        wheels=(LockedWheel(file=dist(WINONLY), targets=(WINDOWS,)),),
        dependencies=(),
    )
    inputs = LockInputs(
        targets=(LINUX, SKIPPED, WINDOWS),
        targets_from_cli=True,
        options_from_cli=("exclude-newer", "uniform"),
        index_url="https://index.example.org/simple/",
        exclude_newer=CUTOFF,
        prerelease=False,
        uniform=True,
        no_wheel="skip-target",
        requirements=("native>=1", 'winonly; sys_platform == "win32"'),
        requires_python=">=3.12",
        optional_dependencies={"more": ("winonly>=1",)},
    )
    return Lock(
        inputs=inputs,
        targets=(LINUX, WINDOWS),
        skipped=((SKIPPED, "no wheel of native fits\nthe longer story"),),
        environments=(environment_marker(LINUX), environment_marker(WINDOWS)),
        packages=(native, winonly),
    )
