"""Fixtures of the end-to-end suites: a locked project against the local index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omniwheel.store import store as store_module
from tests.support.index_server import IndexServer
from tests.support.sync_space import Workspace, publish


@pytest.fixture
def space(index_server: IndexServer, tmp_path: Path) -> Iterator[Workspace]:
    """A project needing ``alpha`` and ``gamma``, locked for this machine; no venv yet."""
    publish(index_server, tmp_path / "index-files")
    workspace = Workspace(server=index_server, root=tmp_path)
    workspace.write(["alpha", "gamma"])
    workspace.lock()
    yield workspace
    assert index_server.handler_errors == []


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No back-off between download attempts."""
    monkeypatch.setattr(store_module, "BACKOFF_SECONDS", 0.0)
