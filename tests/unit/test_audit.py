"""The audit of an environment against its state (:mod:`omniwheel.env.audit`), on real files.

The end-to-end drifts (pip, deleted files, replaced versions) are in
``tests/integration/test_sync_drift.py``; these tests pin the rules about directory times that
real timing cannot show reliably: racy directories, whole-second times, refreshed snapshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omniwheel.env.audit import COARSE_RACY_NS, RACY_NS, audit, footprint, take_snapshot
from omniwheel.env.layout import Origin, Snapshot, VenvState

SITE = "lib/python3.12/site-packages"
RECORD = (
    "demo/__init__.py,sha256=x,1\n"
    "demo/sub/deep.py,sha256=x,1\n"
    "../../../bin/demo-cli,sha256=x,1\n"
    "demo-1.0.dist-info/INSTALLER,sha256=x,1\n"
    "demo-1.0.dist-info/RECORD,,\n"
)


def _install(venv: Path) -> VenvState:
    site = venv / SITE
    for relative in ("demo/__init__.py", "demo/sub/deep.py", "demo-1.0.dist-info/RECORD"):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text("")
    (site / "demo-1.0.dist-info" / "RECORD").write_text(RECORD)
    (site / "demo-1.0.dist-info" / "INSTALLER").write_text("omniwheel\n")
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "demo-cli").write_text("")
    rows = [line.split(",")[0] for line in RECORD.splitlines()]
    fp = footprint(SITE, "demo-1.0.dist-info", rows)
    return VenvState(
        lock_sha256="0" * 64,
        python="3.12.4",
        python_request=None,
        dists={"demo": Origin(sha256="1" * 64, requested=True)},
        site_packages=SITE,
        footprints={"demo": fp},
        snapshot=take_snapshot(venv, [fp]),
    )


def _aged(state: VenvState, by: int = 10 * COARSE_RACY_NS) -> VenvState:
    """The same times, as if read long after they were last changed."""
    return state.with_snapshot(
        Snapshot(taken_ns=state.snapshot.taken_ns + by, mtimes=state.snapshot.mtimes)
    )


def test_the_footprint_names_every_directory_with_a_recorded_file(tmp_path: Path) -> None:
    state = _install(tmp_path)
    assert state.footprints["demo"].dirs == (
        "bin",
        f"{SITE}/demo",
        f"{SITE}/demo-1.0.dist-info",
        f"{SITE}/demo/sub",
    )


def test_paths_outside_the_environment_are_not_watched() -> None:
    fp = footprint(SITE, "x-1.dist-info", ["../../../../etc/passwd", "/abs/file", "x.py"])
    assert fp.dirs == (SITE,)


def test_an_untouched_environment_passes_without_looking_inside(tmp_path: Path) -> None:
    state = _aged(_install(tmp_path))
    assert audit(tmp_path, state).drift is None
    assert audit(tmp_path, state).refreshed is None


def test_a_change_that_kept_the_directory_time_goes_unseen_when_not_racy(tmp_path: Path) -> None:
    """The contract's limit, pinned: a directory whose time is old and unchanged is trusted."""
    state = _install(tmp_path)
    (tmp_path / SITE / "demo" / "sub" / "deep.py").unlink()
    state = _aged(state.with_snapshot(take_snapshot(tmp_path, state.footprints.values())))
    assert audit(tmp_path, state).drift is None


def test_a_racy_directory_is_looked_into_even_with_its_time_unchanged(tmp_path: Path) -> None:
    state = _install(tmp_path)
    (tmp_path / SITE / "demo" / "sub" / "deep.py").unlink()
    # The time read back equals the recorded one, as when the deletion fell into the same tick.
    racy = state.with_snapshot(take_snapshot(tmp_path, state.footprints.values()))
    drift = audit(tmp_path, racy).drift
    assert drift is not None
    assert drift.damaged == {"demo": f"{SITE}/demo/sub/deep.py is missing"}


@pytest.mark.parametrize(
    ("mtime_ns", "taken_ns", "racy"),
    [
        (1_700_000_000_123_456_789, 1_700_000_000_123_456_789 + RACY_NS, True),
        (1_700_000_000_123_456_789, 1_700_000_000_123_456_789 + RACY_NS + 1, False),
        (1_700_000_000_000_000_000, 1_700_000_000_000_000_000 + RACY_NS + 1, True),
        (1_700_000_000_000_000_000, 1_700_000_000_000_000_000 + COARSE_RACY_NS + 1, False),
    ],
)
def test_racy_windows(tmp_path: Path, mtime_ns: int, taken_ns: int, racy: bool) -> None:
    """A whole-second time (a coarse file system) gets the wide window."""
    state = _install(tmp_path)
    (tmp_path / SITE / "demo" / "sub" / "deep.py").unlink()
    os.utime(tmp_path / SITE / "demo" / "sub", ns=(mtime_ns, mtime_ns))
    mtimes = dict(state.snapshot.mtimes) | {f"{SITE}/demo/sub": mtime_ns}
    state = state.with_snapshot(Snapshot(taken_ns=taken_ns, mtimes=mtimes))
    assert (audit(tmp_path, state).drift is not None) is racy


def test_whole_changed_directories_refresh_the_snapshot(tmp_path: Path) -> None:
    state = _aged(_install(tmp_path))
    (tmp_path / SITE / "demo" / "__pycache__").mkdir()
    checked = audit(tmp_path, state)
    assert checked.drift is None
    assert checked.refreshed is not None
    new = checked.refreshed.mtimes[f"{SITE}/demo"]
    assert new == (tmp_path / SITE / "demo").stat().st_mtime_ns
    assert new != state.snapshot.mtimes[f"{SITE}/demo"]


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ("stray", "stray-2.0.dist-info is not in the lock"),
        ("dist-info", "demo: demo-1.0.dist-info was removed"),
        ("installer", "demo: reinstalled by pip"),
        ("record", f"demo: {SITE}/demo-1.0.dist-info/RECORD is missing"),
        ("script", "demo: bin/demo-cli is missing"),
    ],
)
def test_each_drift_is_named(tmp_path: Path, change: str, found: str) -> None:
    state = _aged(_install(tmp_path))
    dist_info = tmp_path / SITE / "demo-1.0.dist-info"
    if change == "stray":
        (tmp_path / SITE / "stray-2.0.dist-info").mkdir()
    elif change == "dist-info":
        (dist_info / "RECORD").unlink()
        (dist_info / "INSTALLER").unlink()
        dist_info.rmdir()
    elif change == "installer":
        (dist_info / "INSTALLER").write_text("pip\n")
        os.utime(dist_info, ns=(1, 1))  # pip writes a new dist-info directory
    elif change == "record":
        (dist_info / "RECORD").unlink()
    else:
        (tmp_path / "bin" / "demo-cli").unlink()
    drift = audit(tmp_path, state).drift
    assert drift is not None
    assert drift.describe() == [found]


def test_foreign_dist_infos_the_sync_reported_are_not_strays(tmp_path: Path) -> None:
    state = _aged(_install(tmp_path))
    (tmp_path / SITE / "legacy-0.1.dist-info").mkdir()
    assert audit(tmp_path, state).drift is not None
    accepted = VenvState(
        lock_sha256=state.lock_sha256,
        python=state.python,
        python_request=state.python_request,
        dists=state.dists,
        site_packages=state.site_packages,
        footprints=state.footprints,
        foreign=frozenset({"legacy-0.1.dist-info"}),
        snapshot=state.snapshot,
    )
    assert audit(tmp_path, accepted).drift is None


@pytest.mark.parametrize(
    ("recorded", "dirs"),
    [
        (["../../../notes.txt"], (".",)),
        (["a/../b.py", "a/c.py"], (SITE, f"{SITE}/a")),
        (["../../../bin/tool", "../../../share/x/y.txt"], ("bin", "share/x")),
        (["C:/evil.py", "\\\\server\\share.py"], ()),
    ],
)
def test_footprint_directories_are_normalised(recorded: list[str], dirs: tuple[str, ...]) -> None:
    assert footprint(SITE, "x-1.dist-info", recorded).dirs == dirs


ODD_ROWS = [
    "demo/__init__.py",
    "demo/sub/deep.py",
    "top.py",
    "../../../bin/demo-cli",
    "../../../notes.txt",
    "../../../../../outside.txt",
    "a/../b.py",
    "a/./c.py",
    "a//d.py",
    "./e.py",
    "f/",
    "g/.",
    "h/..",
    "..",
    ".",
    "/abs/file.py",
    "C:/drive.py",
    "c:relative.py",
    "back\\slash.py",
    "mixed/back\\slash.py",
    "demo-1.0.dist-info/RECORD",
]


def test_the_files_of_changed_directories_are_those_record_lists_there(tmp_path: Path) -> None:
    """Each RECORD row lands where normalising the whole row puts it (``_in_venv``), though only
    each distinct directory is normalised."""
    from omniwheel.env.audit import _in_venv, _recorded_files

    dist_info = tmp_path / SITE / "x-1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "RECORD").write_text("".join(f"{row},,\n" for row in ODD_ROWS))
    expected = [path for row in ODD_ROWS if (path := _in_venv(SITE, row)) is not None]
    directories = {path.rpartition("/")[0] or "." for path in expected}
    found = _recorded_files(tmp_path, SITE, "x-1.dist-info", directories)
    assert [path for path, _, _ in found] == expected
    for path, directory, name in found:
        assert (directory, name) == ((path.rpartition("/")[0] or "."), path.rpartition("/")[2])
    only_demo = _recorded_files(tmp_path, SITE, "x-1.dist-info", [f"{SITE}/demo"])
    assert [path for path, _, _ in only_demo] == [f"{SITE}/demo/__init__.py"]


def test_a_name_the_listing_lacks_is_still_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory's listing only saves lookups: a name it does not hold (``Demo.py`` for
    ``demo.py`` on a case-insensitive file system, another Unicode normalization) is looked up
    itself, and found or reported missing as before."""
    from omniwheel.env import audit as audit_module

    monkeypatch.setattr(audit_module, "_listing", lambda directory: frozenset())
    state = _install(tmp_path)
    racy = state.with_snapshot(take_snapshot(tmp_path, state.footprints.values()))
    assert audit(tmp_path, racy).drift is None  # every directory racy: all looked into
    (tmp_path / SITE / "demo" / "sub" / "deep.py").unlink()
    drift = audit(tmp_path, racy).drift
    assert drift is not None
    assert drift.damaged == {"demo": f"{SITE}/demo/sub/deep.py is missing"}


@pytest.mark.parametrize(
    "text",
    [
        "a/b.py,sha256=x,1\nc.py,,\n",
        "a/b.py,sha256=x,1\r\nc.py,,\r\n",
        '"a,b/c.py",sha256=x,1\n"d""e.py",,\n',
        "a/b.py,sha256=x,1\n\nlast.py",
        "only-a-path\n,\n  spaced.py ,,\n",
    ],
)
def test_record_paths_are_what_csv_reads(tmp_path: Path, text: str) -> None:
    import csv
    import io

    from omniwheel.env.audit import _record_paths

    record = tmp_path / "RECORD"
    record.write_bytes(text.encode())
    expected = [row[0] for row in csv.reader(io.StringIO(text, newline="")) if row]
    assert _record_paths(str(record)) == expected
