"""The depot: trees placed atomically and once, and Pkg's usage log under Pkg's pidfile lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omniwheel.julia import depot as depot_module
from omniwheel.julia.depot import (
    DepotError,
    pidfile_lock,
    place_tree,
    read_usage,
    record_usage,
    render_usage,
    tree_path,
)
from omniwheel.julia.treehash import TreeEntry, tree_sha1, tree_sha1_of_dir

TREE = {
    "pkg/__init__.py": TreeEntry.file(b"VALUE = 1\n"),
    "pkg/tool": TreeEntry.file(b"#!/bin/sh\necho hi\n", executable=True),
    "pkg-1.0.dist-info/METADATA": TreeEntry.file(b"Name: pkg\n"),
}
SHA1 = tree_sha1(TREE)
USED = datetime(2026, 5, 17, 12, 34, 56, 789123)


def _names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- trees ---------------------------------------------------------------------------------------


def test_a_tree_is_placed_under_its_hash_with_the_right_content(tmp_path: Path) -> None:
    assert place_tree(tmp_path, SHA1, TREE) is True
    placed = tree_path(tmp_path, SHA1)
    assert placed == tmp_path / "artifacts" / SHA1
    assert tree_sha1_of_dir(placed) == SHA1
    assert _names(tmp_path / "artifacts") == [SHA1]  # no temporary directory left


def test_an_existing_tree_is_reused_and_never_rewritten(tmp_path: Path) -> None:
    place_tree(tmp_path, SHA1, TREE)
    init = tree_path(tmp_path, SHA1) / "pkg" / "__init__.py"
    inode = init.stat().st_ino
    assert place_tree(tmp_path, SHA1, TREE) is False
    assert init.stat().st_ino == inode


def test_a_tree_that_does_not_hash_to_its_name_is_not_placed(tmp_path: Path) -> None:
    wrong = "0" * 40
    with pytest.raises(DepotError, match=f"the tree written for {wrong} hashes to {SHA1}"):
        place_tree(tmp_path, wrong, TREE)
    assert _names(tmp_path / "artifacts") == []


def test_concurrent_placements_of_one_tree_leave_one_copy(tmp_path: Path) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def place() -> None:
        barrier.wait()
        results.append(place_tree(tmp_path, SHA1, TREE))

    threads = [threading.Thread(target=place) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert _names(tmp_path / "artifacts") == [SHA1]
    assert tree_sha1_of_dir(tree_path(tmp_path, SHA1)) == SHA1


# --- the usage log -------------------------------------------------------------------------------


def test_usage_is_written_as_pkg_writes_it(tmp_path: Path) -> None:
    toml = tmp_path / "pkg" / "Artifacts.toml"
    record_usage(tmp_path, toml, now=USED)
    text = (tmp_path / "logs" / "artifact_usage.toml").read_text()
    assert text == f'[["{toml}"]]\ntime = 2026-05-17T12:34:56.789\n'


def test_usage_keeps_other_files_and_one_latest_time_each(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "artifact_usage.toml"
    log.parent.mkdir()
    log.write_text(
        '[["/z/Artifacts.toml"]]\ntime = 2024-01-01T00:00:00Z\n'
        '[["/z/Artifacts.toml"]]\ntime = 2025-01-01T00:00:00.5Z\n'
        '[["/a/Artifacts.toml"]]\ntime = 2023-03-04T05:06:07.008\n'
    )
    record_usage(tmp_path, tmp_path / "Artifacts.toml", now=USED)
    usage = read_usage(log)
    assert list(usage) == sorted(usage)
    assert usage["/a/Artifacts.toml"] == datetime(2023, 3, 4, 5, 6, 7, 8000)
    latest = datetime(2025, 1, 1, tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert usage["/z/Artifacts.toml"].replace(microsecond=0) == latest
    assert usage[str(tmp_path / "Artifacts.toml")] == USED.replace(microsecond=789000)
    assert log.read_text().count("[[") == 3


def test_recording_again_moves_the_time_forward(tmp_path: Path) -> None:
    toml = tmp_path / "Artifacts.toml"
    record_usage(tmp_path, toml, now=datetime(2020, 1, 1))
    record_usage(tmp_path, toml, now=USED)
    assert read_usage(tmp_path / "logs" / "artifact_usage.toml") == {
        str(toml): USED.replace(microsecond=789000)
    }


def test_an_unreadable_log_is_started_afresh_as_pkg_does(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "artifact_usage.toml"
    log.parent.mkdir()
    log.write_text("this is [not toml")
    record_usage(tmp_path, tmp_path / "Artifacts.toml", now=USED)
    assert list(read_usage(log)) == [str(tmp_path / "Artifacts.toml")]


def test_an_entry_without_a_time_counts_as_used_now(tmp_path: Path) -> None:
    log = tmp_path / "usage.toml"
    log.write_text('[["/x/Artifacts.toml"]]\n')
    before = datetime.now()
    assert read_usage(log)["/x/Artifacts.toml"] >= before


def test_keys_are_escaped_as_toml_strings() -> None:
    text = render_usage({'/odd "dir"\\x/Artifacts.toml': USED})
    assert text.startswith('[["/odd \\"dir\\"\\\\x/Artifacts.toml"]]\n')


# --- the pidfile lock ----------------------------------------------------------------------------


def test_the_lock_file_holds_pid_and_host_and_is_removed_after(tmp_path: Path) -> None:
    pidfile = tmp_path / "usage.toml.pid"
    with pidfile_lock(pidfile):
        assert pidfile.read_text() == f"{os.getpid()} {socket.gethostname()}"
        assert pidfile.stat().st_mode & 0o777 == 0o444 & ~_umask()
    assert not pidfile.exists()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_held_lock_is_waited_for(tmp_path: Path) -> None:
    pidfile = tmp_path / "usage.toml.pid"
    pidfile.write_text(f"{os.getpid()} {socket.gethostname()}")

    def release() -> None:
        time.sleep(0.3)
        pidfile.unlink()

    releaser = threading.Thread(target=release)
    started = time.monotonic()
    releaser.start()
    with pidfile_lock(pidfile):
        waited = time.monotonic() - started
    releaser.join()
    assert waited >= 0.25


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_stale_lock_of_a_dead_process_is_broken(tmp_path: Path) -> None:
    pidfile = tmp_path / "usage.toml.pid"
    pidfile.write_text(f"{_dead_pid()} {socket.gethostname()}")
    _aged(pidfile, 10)
    with pidfile_lock(pidfile):
        assert pidfile.read_text().startswith(f"{os.getpid()} ")


def test_a_very_old_lock_is_broken_even_if_its_pid_looks_alive(tmp_path: Path) -> None:
    pidfile = tmp_path / "usage.toml.pid"
    pidfile.write_text(f"{os.getpid()} another-host")
    _aged(pidfile, 3 * 25 + 5)
    with pidfile_lock(pidfile):
        assert pidfile.read_text().startswith(f"{os.getpid()} ")


@pytest.mark.parametrize(
    ("content", "age"),
    [
        ("{pid} {host}", 10.0),  # old, but its process is alive
        ("12345 another-host", 10.0),  # another host's process cannot be checked
        ("{dead} {host}", 1.0),  # dead, but younger than stale_age
    ],
)
def test_a_lock_that_may_be_live_is_not_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, age: float
) -> None:
    monkeypatch.setattr(depot_module, "LOCK_TIMEOUT_SECONDS", 0.3)
    pidfile = tmp_path / "usage.toml.pid"
    text = content.format(pid=os.getpid(), host=socket.gethostname(), dead=_dead_pid())
    pidfile.write_text(text)
    _aged(pidfile, age)
    with (
        pytest.raises(DepotError, match="has been locked by another process"),
        pidfile_lock(pidfile),
    ):
        pass
    assert pidfile.read_text() == text


def test_a_lock_taken_over_meanwhile_is_not_removed_on_release(tmp_path: Path) -> None:
    pidfile = tmp_path / "usage.toml.pid"
    with pidfile_lock(pidfile):
        pidfile.unlink()
        pidfile.write_text("999 someone-else")
    assert pidfile.read_text() == "999 someone-else"
