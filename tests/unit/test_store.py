"""The store's scheduling of many wheels: which work starts first, in which order results come."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from omniwheel.store.store import (
    RankedSlots,
    Store,
    WheelSource,
    _download_order,
    _largest_first,
)
from tests.support.wheelbuilder import build_wheel


class RecordingFetcher:
    """Serves wheels from local files and records the order it was asked for them."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        self.asked.append(wheel.name)
        assert wheel.path is not None
        yield wheel.path.read_bytes()


def _source(wheel: Path, name: str) -> WheelSource:
    data = wheel.read_bytes()
    return WheelSource(
        name=name,
        version="1.0",
        filename=wheel.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        path=wheel,
    )


def test_results_come_in_the_given_order(wheel_dir: Path, tmp_path: Path) -> None:
    sizes = {"small": 10, "large": 300_000, "medium": 30_000}
    sources = [
        _source(
            build_wheel(
                wheel_dir, name, "1.0", files={f"{name}/x.bin": random.Random(0).randbytes(size)}
            ),
            name,
        )
        for name, size in sizes.items()
    ]
    fetcher = RecordingFetcher()
    done: list[str] = []

    fetched = Store(tmp_path / "store").ensure_trees(
        sources, fetcher, on_done=lambda wheel, _: done.append(wheel.name), workers=1
    )

    assert sorted(fetcher.asked) == ["large", "medium", "small"]
    assert done == ["small", "large", "medium"]
    assert fetched == {source.sha256 for source in sources}


def test_wheels_are_ranked_largest_first_unknown_sizes_last() -> None:
    sizes = [10, None, 300, 20, None]
    wheels = [
        WheelSource(name=f"w{i}", version="1", filename="w.whl", sha256="0" * 64, size=size)
        for i, size in enumerate(sizes)
    ]
    assert _largest_first(wheels) == [2, 3, 0, 1, 4]


@pytest.mark.parametrize(
    ("workers", "expected"),
    [
        (3, [5, 2, 4, 0, 3, 6, 1]),  # the 2 largest, then the others smallest first
        (1, [5, 2, 6, 3, 0, 4, 1]),  # one slot: largest first
        (9, [5, 2, 6, 3, 0, 4, 1]),  # fewer wheels than slots
    ],
)
def test_downloads_start_with_the_largest_wheels_and_one_slot_for_the_smallest(
    workers: int, expected: list[int]
) -> None:
    sizes = [10, None, 300, 20, 5, 1000, 50]
    wheels = [
        WheelSource(name=f"w{i}", version="1", filename="w.whl", sha256="0" * 64, size=size)
        for i, size in enumerate(sizes)
    ]
    assert _download_order(wheels, _largest_first(wheels), workers) == expected


def test_a_free_slot_goes_to_the_waiting_thread_of_lowest_rank() -> None:
    slots = RankedSlots(1)
    order: list[int] = []

    def take(rank: int) -> None:
        with slots.slot(rank):
            order.append(rank)

    with slots.slot(-1):
        threads = [threading.Thread(target=take, args=(rank,)) for rank in (2, 0, 1)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while slots.waiting < len(threads) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert slots.waiting == len(threads)
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2]


def test_slots_are_never_held_by_more_threads_than_there_are() -> None:
    slots = RankedSlots(2)
    holding = 0
    most = 0
    counted = threading.Lock()

    def take(rank: int) -> None:
        nonlocal holding, most
        with slots.slot(rank):
            with counted:
                holding += 1
                most = max(most, holding)
            time.sleep(0.001)
            with counted:
                holding -= 1

    threads = [threading.Thread(target=take, args=(rank,)) for rank in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2
    assert slots.waiting == 0

    def both() -> None:
        with slots.slot(0), slots.slot(1):
            pass

    again = threading.Thread(target=both, daemon=True)
    again.start()
    again.join(timeout=10)
    assert not again.is_alive()  # both slots were given back
