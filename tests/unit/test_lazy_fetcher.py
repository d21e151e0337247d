"""The sync opens its HTTP client once, when the first wheel must be fetched, however many
download threads ask at once; a client that cannot be opened fails every thread with one error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from omniwheel.env.sync import _LazyFetcher
from omniwheel.store.store import StoreError, WheelSource

WHEEL = WheelSource(name="app", version="1.0", filename="app-1.0-py3-none-any.whl", sha256="a" * 64)


class _Fetcher:
    def __init__(self) -> None:
        self.closed = False

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        yield wheel.filename.encode()

    def close(self) -> None:
        self.closed = True


def test_the_fetcher_is_opened_once_for_many_threads() -> None:
    opened: list[_Fetcher] = []
    lock = threading.Lock()

    def factory() -> _Fetcher:
        time.sleep(0.05)  # long enough for every thread to ask before it is open
        with lock:
            opened.append(_Fetcher())
            return opened[-1]

    lazy = _LazyFetcher(factory)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: b"".join(lazy.chunks(WHEEL)), range(8)))
    assert results == [WHEEL.filename.encode()] * 8
    assert len(opened) == 1
    lazy.close()
    assert opened[0].closed


def test_a_fetcher_that_cannot_open_fails_every_caller_with_one_error() -> None:
    calls: list[int] = []

    def factory() -> _Fetcher:
        calls.append(1)
        raise StoreError("the certificate bundle /etc/bad.pem cannot be read", hint="fix it")

    lazy = _LazyFetcher(factory)
    errors = []
    for _ in range(3):
        with pytest.raises(StoreError) as caught:
            lazy.chunks(WHEEL)
        errors.append(caught.value)
    assert calls == [1]
    assert errors[0] is errors[1] is errors[2]
    lazy.close()  # nothing was opened: nothing to close


def test_nothing_is_opened_when_nothing_is_fetched() -> None:
    def factory() -> _Fetcher:
        raise AssertionError("opened")

    _LazyFetcher(factory).close()
