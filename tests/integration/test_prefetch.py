"""The speculative crawl fetches what the resolver will read — per target — and nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.discovery import IndexLocation
from omniwheel.platform.target import target_from_name
from omniwheel.resolve.candidates import FilePolicy
from omniwheel.resolve.prefetch import POLL_SECONDS, crawl, crawl_once_fetching
from tests.support.index_server import IndexServer
from tests.support.wheelbuilder import build_wheel

LINUX = target_from_name("linux-x86_64@3.12")
WINDOWS = target_from_name("windows-x86_64@3.12")


def _publish(server: IndexServer, wheels: Path) -> None:
    for path in (
        build_wheel(
            wheels, "app", "1.0", requires_dist=["lib>=1", "winonly; sys_platform == 'win32'"]
        ),
        build_wheel(wheels, "app", "0.9"),
        build_wheel(wheels, "lib", "2.0", tags=["cp312-cp312-win_amd64"], requires_dist=["leaf"]),
        build_wheel(wheels, "lib", "1.5", requires_dist=["leaf<2"]),
        build_wheel(wheels, "leaf", "1.0"),
        build_wheel(wheels, "winonly", "1.0"),
        build_wheel(wheels, "unrelated", "1.0"),
    ):
        server.add_file(path)


def _crawl(server: IndexServer, tmp_path: Path, targets: list[str]) -> set[str]:
    location = IndexLocation(url=server.url, source="test", cert=None)

    async def run() -> None:
        async with IndexClient(
            location=location,
            cache=IndexCache(tmp_path / "cache", location.public_url),
            exclude_newer=None,
        ) as client:
            await crawl(
                client,
                [Requirement("app")],
                [target_from_name(t) for t in targets],
                FilePolicy(exclude_newer=None, allow_prereleases=False),
            )

    asyncio.run(run())
    return {request.path for request in server.requests}


def test_crawl_follows_each_targets_newest_usable_versions(
    index_server: IndexServer, wheel_dir: Path, tmp_path: Path
) -> None:
    _publish(index_server, wheel_dir)
    paths = _crawl(index_server, tmp_path, [LINUX.name, WINDOWS.name])
    fetched = {p.rsplit("/", 1)[-1] for p in paths if p.endswith(".metadata")}
    # Linux takes lib 1.5 (2.0 has only a Windows wheel); Windows takes lib 2.0 and winonly.
    assert fetched == {
        "app-1.0-py3-none-any.whl.metadata",
        "lib-1.5-py3-none-any.whl.metadata",
        "lib-2.0-cp312-cp312-win_amd64.whl.metadata",
        "leaf-1.0-py3-none-any.whl.metadata",
        "winonly-1.0-py3-none-any.whl.metadata",
    }
    assert "/simple/unrelated/" not in paths


def test_crawl_skips_what_markers_exclude(
    index_server: IndexServer, wheel_dir: Path, tmp_path: Path
) -> None:
    _publish(index_server, wheel_dir)
    paths = _crawl(index_server, tmp_path, [LINUX.name])
    assert "/simple/winonly/" not in paths
    assert not any("lib-2.0" in p for p in paths)


def test_crawl_waits_until_the_index_is_asked_then_walks(
    index_server: IndexServer, wheel_dir: Path, tmp_path: Path
) -> None:
    """While every answer could come from the cache the crawl asks nothing; once something
    had to be fetched (here a page the caller asks for), it walks the graph as :func:`crawl`."""
    _publish(index_server, wheel_dir)
    location = IndexLocation(url=index_server.url, source="test", cert=None)
    before: list[str] = []

    async def run() -> None:
        async with IndexClient(
            location=location,
            cache=IndexCache(tmp_path / "cache", location.public_url),
            exclude_newer=None,
        ) as client:
            waiting = asyncio.ensure_future(
                crawl_once_fetching(
                    client,
                    [Requirement("app")],
                    [LINUX],
                    FilePolicy(exclude_newer=None, allow_prereleases=False),
                )
            )
            await asyncio.sleep(10 * POLL_SECONDS)
            before.extend(request.path for request in index_server.requests)
            await client.page(NormalizedName("unrelated"))
            await asyncio.wait_for(waiting, timeout=60)

    asyncio.run(run())
    assert before == []
    paths = {request.path for request in index_server.requests}
    fetched = {p.rsplit("/", 1)[-1] for p in paths if p.endswith(".metadata")}
    assert fetched == {
        "app-1.0-py3-none-any.whl.metadata",
        "lib-1.5-py3-none-any.whl.metadata",
        "leaf-1.0-py3-none-any.whl.metadata",
    }
