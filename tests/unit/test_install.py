"""Installing store trees on the link thread pool: the same result as one thread, collisions
resolved in the plan's order, and the first failing wheel (in that order) named with its file."""

from __future__ import annotations

import errno
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from omniwheel.env.audit import footprint
from omniwheel.env.destinations import (
    colliding_groups,
    existing_directories,
    plan_wheel,
    real_directories,
)
from omniwheel.env.install import (
    InstallError,
    Scheme,
    ScriptMaker,
    compile_bytecode,
    install_wheels,
)
from omniwheel.env.linker import Directories, needed_directories, run_in_order
from omniwheel.env.plan import SelectedWheel
from omniwheel.store.manifest import TreeManifest, load_manifest
from omniwheel.store.store import WheelSource, remove_tree
from omniwheel.store.unpack import unpack_wheel
from tests.support.wheelbuilder import build_wheel

WheelSpec = tuple[str, Mapping[str, bytes]]
BINARY = "binary"
"""A wheel named so is built for a platform (``Root-Is-Purelib: false``): it goes to platlib."""
# Five wheels with nested packages, a shared namespace directory, .data scripts and headers.
WHEELS: list[WheelSpec] = [
    (f"pkg{index}", _files)
    for index, _files in enumerate(
        [
            {
                f"pkg{i}/sub{j}/mod{k}.py": f"# {i} {j} {k}\n".encode()
                for j in range(3)
                for k in range(4)
            }
            | {f"shared_ns/part{i}.py": b"# ns\n"}
            | {f"pkg{i}-1.0.data/scripts/tool{i}": b"#!python\nprint('tool')\n"}
            | {f"pkg{i}-1.0.data/headers/pkg{i}.h": b"int x;\n"}
            for i in range(5)
        ]
    )
]


def _trees(tmp_path: Path, specs: list[WheelSpec]) -> list[tuple[TreeManifest, SelectedWheel]]:
    """Each wheel built, unpacked as the store would, and selected (requested if the first)."""
    result = []
    for index, (name, files) in enumerate(specs):
        tags = (
            ["cp311-cp311-manylinux_2_17_x86_64"] if name.startswith(BINARY) else ["py3-none-any"]
        )
        wheel = build_wheel(tmp_path / "wheels", name, "1.0", files=files, tags=tags)
        sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
        tree = tmp_path / "trees" / sha256
        tree.parent.mkdir(parents=True, exist_ok=True)
        if not tree.exists():
            unpack_wheel(wheel, tree, filename=wheel.name)
        source = WheelSource(name=name, version="1.0", filename=wheel.name, sha256=sha256)
        selected = SelectedWheel(
            name=canonicalize_name(name), version="1.0", requested=index == 0, source=source
        )
        manifest = load_manifest(tree, tmp_path / "manifests" / f"{sha256}.json", label=name)
        result.append((manifest, selected))
    return result


def _scheme(venv: Path) -> Scheme:
    site = venv / "lib" / "site-packages"
    for directory in (site, venv / "bin"):
        directory.mkdir(parents=True)
    paths = {
        "purelib": str(site),
        "platlib": str(site),
        "scripts": str(venv / "bin"),
        "data": str(venv),
    }
    return Scheme.from_paths(paths, root=venv, python_version="3.99")


def _snapshot(venv: Path) -> dict[str, bytes]:
    return {
        path.relative_to(venv).as_posix(): path.read_bytes()
        for path in sorted(venv.rglob("*"))
        if path.is_file()
    }


def _install(tmp_path: Path, venv_name: str, specs: list[WheelSpec], workers: int) -> Path:
    venv = tmp_path / venv_name
    scheme = _scheme(venv)
    maker = ScriptMaker(python=venv / "bin" / "python")
    install_wheels(_trees(tmp_path, specs), scheme=scheme, maker=maker, workers=workers)
    return venv


@pytest.mark.parametrize("workers", [2, 4, 8])
def test_the_pool_installs_what_one_thread_does(tmp_path: Path, workers: int) -> None:
    alone = _snapshot(_install(tmp_path, "venv", WHEELS, workers=1))
    remove_tree(tmp_path / "venv")
    pooled = _snapshot(_install(tmp_path, "venv", WHEELS, workers=workers))
    assert pooled == alone
    assert sorted(path for path in alone if path.startswith("bin/")) == [
        f"bin/tool{i}" for i in range(5)
    ]
    assert "include/site/python3.99/pkg4/pkg4.h" in alone
    assert alone["lib/site-packages/pkg0-1.0.dist-info/REQUESTED"] == b""
    assert "lib/site-packages/pkg1-1.0.dist-info/REQUESTED" not in alone


def test_the_last_of_two_wheels_writing_one_file_wins_on_any_pool(tmp_path: Path) -> None:
    first = ("first", {"common/same.py": b"first\n", "first/__init__.py": b""})
    second = ("second", {"common/same.py": b"second\n", "second/__init__.py": b""})
    for attempt in range(5):
        venv = _install(tmp_path, f"venv{attempt}", [first, *WHEELS, second], workers=4)
        assert (venv / "lib" / "site-packages" / "common" / "same.py").read_bytes() == b"second\n"
        for name in ("first", "second"):
            record = (
                venv / "lib" / "site-packages" / f"{name}-1.0.dist-info" / "RECORD"
            ).read_text()
            assert "common/same.py," in record


def test_a_failing_link_names_the_first_failing_wheel_and_its_file(tmp_path: Path) -> None:
    specs = WHEELS[:]
    for attempt in range(5):
        venv = tmp_path / f"venv{attempt}"
        scheme = _scheme(venv)
        site = venv / "lib" / "site-packages"
        # A directory where a file must go: link, unlink and retry all fail (as root too).
        (site / "pkg1" / "sub2" / "mod3.py").mkdir(parents=True)
        (site / "pkg3" / "sub0" / "mod0.py").mkdir(parents=True)
        maker = ScriptMaker(python=venv / "bin" / "python")
        with pytest.raises(InstallError) as caught:
            install_wheels(_trees(tmp_path, specs), scheme=scheme, maker=maker, workers=4)
        message = caught.value.message
        assert message.startswith("pkg1 1.0: cannot install `pkg1/sub2/mod3.py`"), message
        assert str(site / "pkg1" / "sub2" / "mod3.py") in message
        assert caught.value.hint is not None


def test_run_in_order_returns_results_in_order_and_the_first_error_in_order() -> None:
    def slow(value: int) -> Callable[[], int]:
        def task() -> int:
            time.sleep(0.05)
            return value

        return task

    def failing(text: str, delay: float) -> Callable[[], int]:
        def task() -> int:
            time.sleep(delay)
            raise ValueError(text)

        return task

    assert run_in_order([slow(i) for i in range(6)], weights=[1] * 6, workers=3) == list(range(6))
    tasks = [slow(0), failing("first", 0.2), slow(2), failing("second", 0.0)]
    with pytest.raises(ValueError, match="first"):
        run_in_order(tasks, weights=[1, 1, 1, 9], workers=4)


def test_run_in_order_cancels_what_has_not_started_after_a_failure() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def task(index: int) -> Callable[[], int]:
        def run() -> int:
            with lock:
                started.append(index)
            if index == 0:
                raise ValueError("boom")
            time.sleep(0.05)
            return index

        return run

    with pytest.raises(ValueError, match="boom"):
        run_in_order([task(i) for i in range(40)], weights=[40 - i for i in range(40)], workers=2)
    assert len(started) < 40


def test_needed_directories_lists_missing_ancestors_parents_first(tmp_path: Path) -> None:
    root = str(tmp_path)
    sep = os.sep
    wanted = [f"{root}{sep}a{sep}b{sep}c", f"{root}{sep}a{sep}d", f"{root}{sep}e"]
    listed = needed_directories(wanted, {root})
    assert listed == sorted(listed)
    assert set(listed) == {
        f"{root}{sep}a",
        f"{root}{sep}a{sep}b",
        f"{root}{sep}a{sep}b{sep}c",
        f"{root}{sep}a{sep}d",
        f"{root}{sep}e",
    }
    made = Directories(made={root})
    made.make(listed)
    made.make(listed)  # a second time: nothing to do, no error
    assert all(Path(path).is_dir() for path in listed)


def test_a_file_where_a_directory_must_go_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"")
    with pytest.raises(FileExistsError):
        Directories().make([str(tmp_path / "a")])


def test_a_filesystem_refusing_links_gets_copies_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    calls = {"count": 0}
    lock = threading.Lock()

    def link_then_refuse(source: str, dest: str) -> None:
        with lock:
            calls["count"] += 1
            refuse = calls["count"] > 20
        if refuse:
            raise OSError(errno.EXDEV, "Invalid cross-device link", source, None, dest)
        real_link(source, dest)

    monkeypatch.setattr(os, "link", link_then_refuse)
    venv = tmp_path / "venv"
    scheme = _scheme(venv)
    maker = ScriptMaker(python=venv / "bin" / "python")
    done = install_wheels(_trees(tmp_path, WHEELS), scheme=scheme, maker=maker, workers=4)
    files = sum(len(files) - 1 for _, files in WHEELS)  # less the rewritten #!python script
    files += 3 * len(WHEELS)  # each wheel's __init__.py, METADATA and WHEEL
    assert (done.linked, done.linked + done.copied) == (20, files)
    copies = [path for path in venv.rglob("*.py") if path.stat().st_nlink == 1]
    assert copies
    assert all(path.stat().st_mode & 0o200 for path in copies)


def _aliased_scheme(venv: Path) -> Scheme:
    """A venv whose platlib is spelled ``lib64/...``, a link to purelib's ``lib``."""
    site = venv / "lib" / "site-packages"
    for directory in (site, venv / "bin"):
        directory.mkdir(parents=True)
    (venv / "lib64").symlink_to("lib")
    paths = {
        "purelib": str(site),
        "platlib": str(venv / "lib64" / "site-packages"),
        "scripts": str(venv / "bin"),
        "data": str(venv),
    }
    return Scheme.from_paths(paths, root=venv, python_version="3.99")


def test_a_platlib_that_links_to_purelib_is_one_directory_for_collisions(tmp_path: Path) -> None:
    pure = ("pure", {"common/same.py": b"pure\n", "pure/__init__.py": b""})
    binary = (f"{BINARY}-ext", {"common/same.py": b"binary\n", "binary_ext/__init__.py": b""})
    venv = tmp_path / "venv"
    scheme = _aliased_scheme(venv)
    maker = ScriptMaker(python=venv / "bin" / "python")
    wheels = _trees(tmp_path, [binary, *WHEELS[:2], pure])
    existing = existing_directories(scheme)
    plans = [plan_wheel(m, w, scheme=scheme, maker=maker, existing=existing) for m, w in wheels]
    assert colliding_groups(plans) == [[0], [1], [2], [3]]  # as spelled, nothing collides
    assert colliding_groups(plans, real_directories(scheme)) == [[0, 3], [1], [2]]
    install_wheels(wheels, scheme=scheme, maker=maker, workers=4)
    assert (venv / "lib" / "site-packages" / "common" / "same.py").read_bytes() == b"pure\n"


@pytest.mark.parametrize("workers", [1, 2])
def test_the_footprints_taken_while_linking_are_those_of_the_records(
    tmp_path: Path, workers: int
) -> None:
    venv = tmp_path / "venv"
    scheme = _scheme(venv)
    maker = ScriptMaker(python=venv / "bin" / "python")
    site = venv / "lib" / "site-packages"
    installed = install_wheels(
        _trees(tmp_path, WHEELS), scheme=scheme, maker=maker, workers=workers, site_packages=site
    )
    for record in installed.records:
        taken = record.footprint("lib/site-packages")  # kept from the linking thread
        assert taken == footprint("lib/site-packages", record.dist_info, record.recorded())
        assert "bin" in taken.dirs
        assert record.footprint("other") == footprint("other", record.dist_info, record.recorded())


def test_a_footprint_is_taken_again_once_compiled_files_are_recorded(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    scheme = _scheme(venv)
    maker = ScriptMaker(python=venv / "bin" / "python")
    installed = install_wheels(
        _trees(tmp_path, WHEELS[:1]), scheme=scheme, maker=maker, site_packages=venv / "lib"
    )
    (record,) = installed.records
    before = record.footprint("lib")
    compile_bytecode(Path(sys.executable), installed.records)
    after = record.footprint("lib")
    assert after == footprint("lib", record.dist_info, record.recorded())
    assert {d for d in after.dirs if d.endswith("__pycache__")}
    assert not {d for d in before.dirs if d.endswith("__pycache__")}
