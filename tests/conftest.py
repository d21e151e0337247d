"""Fixtures every suite shares, and the switch that skips tests needing the real index.

Set ``OMNIWHEEL_SKIP_NETWORK=1`` to skip tests marked ``network`` (the marker itself is
declared in ``pyproject.toml``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    """An empty directory for wheels and sdists a test builds."""
    path = tmp_path / "wheels"
    path.mkdir()
    return path


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    """A running, empty local index; stopped when the test ends."""
    with IndexServer() as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("OMNIWHEEL_SKIP_NETWORK") != "1":
        return
    skip = pytest.mark.skip(reason="OMNIWHEEL_SKIP_NETWORK=1 skips tests marked network")
    for item in items:
        if item.get_closest_marker("network") is not None:
            item.add_marker(skip)
