"""The fetcher a sync (or ``artifacts write``) downloads with: each package's index gets its own
credentials.

A lock records each package's index (PEP 751 ``index``).  For each index URL the lock names, the
credentials are those of the configured index with that URL (``--index-url``, ``OMNIWHEEL_INDEX``,
``[[tool.omniwheel.index]]``: :mod:`omniwheel.index.indexes`), else of the name the lock records
for it (``[tool.omniwheel] indexes``: ``OMNIWHEEL_INDEX_<NAME>_USERNAME`` …, netrc), else the
default index's (sent only to the default index's own origin).  A lock from one index gets one
:class:`~omniwheel.store.download.WheelFetcher`, as before.

The default index is found as ``lock`` finds it (:func:`default_index`): ``--index-url``, the
environment, ``[tool.omniwheel] index-url``, pip's configuration, with the project's
``keyring-provider``; ``sync``, ``run`` and ``artifacts`` read ``pyproject.toml`` for these when
there is one (a lock alone, deployed without it, gets the machine's settings only).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel.lock import LOCK_FILENAME

if TYPE_CHECKING:
    from omniwheel.index.discovery import IndexLocation
    from omniwheel.project.pyproject import Settings
    from omniwheel.store.per_index import ClosingFetcher

__all__ = ["default_index", "project_settings", "sync_fetcher"]


def project_settings(project: Path) -> Settings:
    """``[tool.omniwheel]`` of ``project``'s ``pyproject.toml``; the defaults without one."""
    from omniwheel.project.pyproject import PYPROJECT, Settings, load_project

    return load_project(project).settings if (project / PYPROJECT).is_file() else Settings()


def default_index(cli_url: str | None, settings: Settings) -> IndexLocation | None:
    """The default index, for its credentials and CA bundle only, as ``lock`` discovers it
    (``settings``: the project's ``index-url`` and ``keyring-provider``); None when there is
    none."""
    from omniwheel.index.discovery import IndexDiscoveryError, discover_index

    try:
        return discover_index(
            cli_url=cli_url,
            tool_url=settings.index_url,
            environ=os.environ,
            home=Path.home(),
            keyring_provider=settings.keyring_provider,
        )
    except IndexDiscoveryError:
        return None


def sync_fetcher(project: Path, *, cli_url: str | None) -> ClosingFetcher:
    """The fetcher for the lock of ``project``; ``cli_url`` is ``--index-url``."""
    from omniwheel.lock.locked_indexes import locked_indexes
    from omniwheel.store.download import WheelFetcher
    from omniwheel.store.per_index import PerIndexFetcher

    settings = project_settings(project)
    default = default_index(cli_url, settings)
    locked = locked_indexes(project / LOCK_FILENAME)
    urls = set(locked.by_package.values())
    # Each fetcher looks a wheel its URL does not serve up again on the package's index.
    refind = locked.by_package
    if default is None or urls <= {default.public_url}:
        return WheelFetcher(index=default, locked_indexes=refind)
    locations = _locations(default, settings, urls - {default.public_url}, locked.names)
    return PerIndexFetcher(
        by_index={
            url: WheelFetcher(index=location, locked_indexes=refind)
            for url, location in locations.items()
        },
        package_index=locked.by_package,
        default=WheelFetcher(index=default, locked_indexes=refind),
    )


def _locations(
    default: IndexLocation, settings: Settings, urls: Collection[str], names: Mapping[str, str]
) -> dict[str, IndexLocation]:
    """Each of ``urls`` that a configured index has, or the lock names, with its credential
    settings; the others are left to the default fetcher."""
    from omniwheel.index.credentials import credential_settings
    from omniwheel.index.discovery import IndexLocation
    from omniwheel.index.indexes import decide_indexes

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
