"""The fetcher a sync downloads with: each package's index gets its own credentials.

A lock records each package's index (PEP 751 ``index``).  For each index URL the lock names, the
credentials are those of the configured index with that URL (``--index-url``, ``OMNIWHEEL_INDEX``,
``[[tool.omniwheel.index]]``: :mod:`omniwheel.index.indexes`), else of the name the lock records
for it (``[tool.omniwheel] indexes``: ``OMNIWHEEL_INDEX_<NAME>_USERNAME`` …, netrc), else the
default index's (sent only to the default index's own origin).  A lock from one index gets one
:class:`~omniwheel.store.download.WheelFetcher`, as before.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    from omniwheel.index.discovery import IndexLocation
    from omniwheel.store.per_index import ClosingFetcher

__all__ = ["sync_fetcher"]


def sync_fetcher(project: Path, *, default: IndexLocation | None) -> ClosingFetcher:
    """The fetcher for the lock of ``project``; ``default`` is the discovered index (None when
    none could be discovered: no credentials for it)."""
    from omniwheel.lock.locked_indexes import locked_indexes
    from omniwheel.store.download import WheelFetcher
    from omniwheel.store.per_index import PerIndexFetcher

    locked = locked_indexes(project / LOCK_FILENAME)
    urls = set(locked.by_package.values())
    if default is None or urls <= {default.public_url}:
        return WheelFetcher(index=default)
    locations = _locations(project, default, urls - {default.public_url}, locked.names)
    return PerIndexFetcher(
        by_index={url: WheelFetcher(index=location) for url, location in locations.items()},
        package_index=locked.by_package,
        default=WheelFetcher(index=default),
    )


def _locations(
    project: Path, default: IndexLocation, urls: Collection[str], names: Mapping[str, str]
) -> dict[str, IndexLocation]:
    """Each of ``urls`` that a configured index has, or the lock names, with its credential
    settings; the others are left to the default fetcher."""
    from omniwheel.index.credentials import credential_settings
    from omniwheel.index.discovery import IndexLocation
    from omniwheel.index.indexes import decide_indexes
    from omniwheel.project.pyproject import PYPROJECT, Settings, load_project

    has_project = (project / PYPROJECT).is_file()
    settings = load_project(project).settings if has_project else Settings()
    configured = decide_indexes(
        default, cli=(), settings=settings, environ=os.environ, home=Path.home()
    )
    found: dict[str, IndexLocation] = {}
    for url in sorted(urls):
        index = configured.by_url(url)
        if index is not None:
            found[url] = index.location
        elif url in names:
            found[url] = IndexLocation(
                url=url,
                source=f"{LOCK_FILENAME} index {names[url]}",
                cert=default.cert,
                cert_source=default.cert_source,
                credentials=credential_settings(
                    name=names[url],
                    environ=os.environ,
                    home=Path.home(),
                    keyring_provider=settings.keyring_provider,
                ),
                network=default.network,
            )
    return found
