"""The state file's model: a copy with a new snapshot keeps every other field."""

from __future__ import annotations

from omniwheel.env.layout import Footprint, Origin, Snapshot, VenvState


def test_a_new_snapshot_keeps_every_other_field() -> None:
    state = VenvState(
        lock_sha256="0" * 64,
        python="3.12.4",
        python_request="3.12",
        dists={"demo": Origin(sha256="1" * 64, requested=True)},
        site_packages="lib/python3.12/site-packages",
        footprints={"demo": Footprint(dist_info="demo-1.0.dist-info", dirs=("bin",))},
        foreign=frozenset({"odd-1.0.dist-info"}),
        snapshot=Snapshot(taken_ns=1, mtimes={"bin": 2}),
        python_pin="2" * 64,
        python_build="2" * 64,
        python_home="/store/pythons/x/python/bin",
        choice="extras=;dev=1",
    )
    fresh = Snapshot(taken_ns=3, mtimes={"bin": 4})
    renewed = state.with_snapshot(fresh)
    assert renewed.snapshot is fresh
    assert state.snapshot == Snapshot(taken_ns=1, mtimes={"bin": 2})  # the original is kept
    others = [name for name in VenvState.__slots__ if name != "snapshot"]
    assert [getattr(renewed, name) for name in others] == [getattr(state, name) for name in others]
