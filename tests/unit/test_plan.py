"""Selecting from a lock for one interpreter, and planning against what is installed (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.pylock import Pylock
from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.env.layout import Origin
from omniwheel.env.plan import InstalledDist, SelectedWheel, make_plan
from omniwheel.env.select import LockNotForThisMachineError, covering_target, select_wheels
from omniwheel.errors import LockFileError
from omniwheel.platform.host import Interpreter, Machine
from omniwheel.platform.target import Arch, Libc, Os, target_from_name
from omniwheel.store.store import WheelSource

LOCK_PATH = Path("/project/pylock.toml")
FILES = "https://files.example.invalid/packages"
LINUX_312 = "linux-x86_64-glibc2.28@3.12"
MAC_312 = "macos-arm64-13.0@3.12"
HOST = Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 36))


def _interpreter(
    machine: Machine = HOST, version: tuple[int, int, int] = (3, 12, 4)
) -> Interpreter:
    """An interpreter on ``machine`` as the host probe would describe it."""
    target = target_from_name(f"{machine.name}@{version[0]}.{version[1]}")
    environment = target.marker_environment()
    environment["python_full_version"] = ".".join(map(str, version))
    return Interpreter(
        executable=Path("/usr/bin/python3"),
        version=version,
        implementation="cpython",
        free_threaded=False,
        machine=machine,
        marker_environment=environment,
        paths={},
        tags=target.tags,
    )


def _sha(seed: str) -> str:
    return (seed * 64)[:64]


def _package(
    name: str,
    version: str,
    *filenames: str,
    targets: Sequence[str] = (LINUX_312, MAC_312),
    marker: str | None = None,
) -> dict[str, Any]:
    package: dict[str, Any] = {
        "name": name,
        "version": version,
        "wheels": [
            {"url": f"{FILES}/{filename}", "hashes": {"sha256": _sha(filename[:1])}}
            for filename in filenames or (f"{name}-{version}-py3-none-any.whl",)
        ],
        "tool": {"omniwheel": {"targets": list(targets)}},
    }
    if marker:
        package["marker"] = marker
    return package


def _lock(
    packages: Sequence[Mapping[str, Any]],
    *,
    targets: Sequence[str] | None = (LINUX_312, MAC_312),
    requirements: Sequence[str] = ("app",),
) -> Pylock:
    data: dict[str, Any] = {
        "lock-version": "1.0",
        "created-by": "omniwheel",
        "packages": [dict(p) for p in packages],
    }
    if targets is not None:
        data["tool"] = {"omniwheel": {"targets": list(targets), "requirements": list(requirements)}}
    return Pylock.from_dict(data)


def _names(wheels: Sequence[SelectedWheel]) -> list[tuple[str, str, bool]]:
    return [(w.name, w.source.filename, w.requested) for w in wheels]


# --- selection -----------------------------------------------------------------------------


def test_selection_picks_the_best_wheel_and_marks_direct_requirements() -> None:
    lock = _lock(
        [
            _package(
                "app",
                "1.0",
                "app-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
                "app-1.0-cp312-cp312-macosx_13_0_arm64.whl",
                "app-1.0-py3-none-any.whl",
            ),
            _package("lib", "2.0"),
        ],
        requirements=["app[extra]>=1"],
    )
    selection = select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())
    assert _names(selection.wheels) == [
        ("app", "app-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", True),
        ("lib", "lib-2.0-py3-none-any.whl", False),
    ]
    assert selection.warnings == ()
    source = selection.wheels[0].source
    assert source.url == f"{FILES}/app-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    assert source.sha256 == _sha("a")


def test_markers_decide_which_packages_apply() -> None:
    lock = _lock(
        [
            _package("app", "1.0"),
            _package("winlib", "1.0", marker="sys_platform == 'win32'", targets=()),
        ]
    )
    selection = select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())
    assert [w.name for w in selection.wheels] == ["app"]


def test_a_machine_the_lock_does_not_cover_gets_its_targets_and_the_command() -> None:
    lock = _lock([_package("app", "1.0", "app-1.0-cp312-cp312-macosx_13_0_arm64.whl")])
    with pytest.raises(LockNotForThisMachineError) as caught:
        select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())
    error = caught.value
    assert "does not cover this machine (linux-x86_64-glibc2.36 with CPython 3.12.4)" in (
        error.message
    )
    assert f"The lock's targets: {LINUX_312}; {MAC_312}" in error.message
    assert error.hint is not None
    assert (
        f"omniwheel lock --platform {LINUX_312} --platform {MAC_312} "
        "--platform linux-x86_64-glibc2.28@3.12"
    ) in error.hint


def test_a_foreign_lock_works_and_roots_count_as_requested() -> None:
    app = _package("app", "1.0") | {"dependencies": [{"name": "lib"}]}
    lock = _lock([app, _package("lib", "2.0")], targets=None)
    selection = select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())
    assert [(w.name, w.requested) for w in selection.wheels] == [("app", True), ("lib", False)]
    assert selection.warnings == ()


def test_a_machine_outside_the_recorded_targets_is_warned_about() -> None:
    old_glibc = Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 17))
    lock = _lock([_package("app", "1.0")])
    selection = select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter(old_glibc))
    assert "none of the lock's targets" in selection.warnings[0]


def test_a_disagreement_with_the_recorded_target_is_warned_about() -> None:
    lock = _lock([_package("app", "1.0"), _package("maclib", "1.0", targets=[MAC_312])])
    selection = select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())
    assert len(selection.warnings) == 1
    assert f"than it recorded for {LINUX_312} (+maclib 1.0)" in selection.warnings[0]


def test_an_sdist_is_never_installed() -> None:
    package = {
        "name": "app",
        "version": "1.0",
        "sdist": {"url": f"{FILES}/app-1.0.tar.gz", "hashes": {"sha256": _sha("s")}},
    }
    lock = _lock([package])
    with pytest.raises(LockFileError, match="would be installed from a sdist; omniwheel installs"):
        select_wheels(lock, lock_path=LOCK_PATH, interpreter=_interpreter())


def test_a_wheel_without_sha256_is_refused() -> None:
    package = _package("app", "1.0")
    package["wheels"][0]["hashes"] = {"sha512": "00" * 64}
    with pytest.raises(LockFileError, match="no sha256"):
        select_wheels(_lock([package]), lock_path=LOCK_PATH, interpreter=_interpreter())


def test_local_wheel_paths_are_relative_to_the_lock() -> None:
    package = _package("app", "1.0")
    package["wheels"] = [
        {"path": "wheels/app-1.0-py3-none-any.whl", "hashes": {"sha256": _sha("a")}}
    ]
    selection = select_wheels(_lock([package]), lock_path=LOCK_PATH, interpreter=_interpreter())
    assert selection.wheels[0].source.path == Path("/project/wheels/app-1.0-py3-none-any.whl")


@pytest.mark.parametrize(
    ("machine", "python", "expected"),
    [
        (HOST, (3, 12, 4), "linux-x86_64-glibc2.34@3.12"),
        (HOST, (3, 11, 2), None),
        (
            Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.GLIBC, libc_version=(2, 24)),
            (3, 12, 4),
            "linux-x86_64-glibc2.17@3.12",
        ),
        (Machine(os=Os.MACOS, arch=Arch.AARCH64, macos_version=(14, 5)), (3, 12, 0), MAC_312),
        (
            Machine(os=Os.LINUX, arch=Arch.X86_64, libc=Libc.MUSL, libc_version=(1, 2)),
            (3, 12, 1),
            None,
        ),
    ],
)
def test_the_covering_target_is_the_highest_floor_this_machine_meets(
    machine: Machine, python: tuple[int, int, int], expected: str | None
) -> None:
    targets = [
        target_from_name(name)
        for name in (
            LINUX_312,
            "linux-x86_64-glibc2.17@3.12",
            "linux-x86_64-glibc2.34@3.12",
            MAC_312,
        )
    ]
    found = covering_target(targets, _interpreter(machine, python))
    assert (found.name if found else None) == expected


# --- planning ------------------------------------------------------------------------------


def _wheel(
    name: str, version: str = "1.0", *, sha: str = "a", requested: bool = False
) -> SelectedWheel:
    normalized = canonicalize_name(name)
    return SelectedWheel(
        name=normalized,
        version=version,
        requested=requested,
        source=WheelSource(
            name=normalized,
            version=version,
            filename=f"{name}-{version}-py3-none-any.whl",
            sha256=_sha(sha),
        ),
    )


def _installed(
    name: str,
    version: str = "1.0",
    *,
    installer: str | None = "omniwheel",
    sha: str | None = "a",
    requested: bool = False,
) -> InstalledDist:
    return InstalledDist(
        name=NormalizedName(name),
        version=version,
        dist_info=f"{name}-{version}.dist-info",
        installer=installer,
        origin=None if sha is None else Origin(sha256=_sha(sha), requested=requested),
    )


def test_a_fresh_environment_links_everything_and_fetches_what_is_not_stored() -> None:
    wanted = [_wheel("a", sha="1"), _wheel("b", sha="2")]
    plan = make_plan(wanted, [], stored={_sha("2")})
    assert plan.link == tuple(wanted)
    assert [w.name for w in plan.fetch] == ["a"]
    assert plan.remove == ()
    assert plan.describe() == ["+ a 1.0", "+ b 1.0"]


def test_what_omniwheel_installed_from_the_same_wheel_is_kept() -> None:
    plan = make_plan([_wheel("a")], [_installed("a")], stored=set())
    assert plan.is_empty
    assert [w.name for w in plan.keep] == ["a"]


@pytest.mark.parametrize(
    "installed",
    [
        _installed("a", sha="b"),  # another wheel of the same version
        _installed("a", "0.9"),  # another version
        _installed("a", sha=None),  # no state: an interrupted sync
        _installed("a", requested=True),  # REQUESTED must change
        _installed("a", installer="pip", sha=None),  # someone else's copy
    ],
)
def test_anything_else_is_replaced(installed: InstalledDist) -> None:
    plan = make_plan([_wheel("a")], [installed], stored={_sha("a")})
    assert plan.remove == (installed,)
    assert [w.name for w in plan.link] == ["a"]
    assert plan.fetch == ()


def test_two_copies_of_one_distribution_are_both_replaced() -> None:
    copies = [_installed("a"), _installed("a", "0.9", installer="pip")]
    plan = make_plan([_wheel("a")], copies, stored=set())
    assert plan.remove == tuple(copies)
    assert plan.describe() == ["- a 0.9", "- a 1.0", "+ a 1.0"]


def test_leftovers_are_removed_whoever_installed_them() -> None:
    ours, theirs = _installed("old"), _installed("local-tool", installer="pip", sha=None)
    plan = make_plan([], [ours, theirs], stored=set())
    assert plan.remove == (ours, theirs)
    assert plan.foreign == ()


def test_a_leftover_without_record_is_reported_not_removed() -> None:
    unrecorded = dataclasses.replace(
        _installed("egg-era", installer=None, sha=None), has_record=False
    )
    plan = make_plan([], [unrecorded], stored=set())
    assert plan.remove == ()
    assert plan.foreign == (unrecorded,)
