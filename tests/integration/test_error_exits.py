"""Failed locks end in a message, never a traceback or a warning, however the threads fall.

A lock runs the index client on its own loop thread (with the loop's executor threads for name
lookups) while the resolver works on the main thread; a failure must stop all of that before the
error is printed.  Each run here is a fresh interpreter (imports happen for the first time, as
for a user), over many targets, with the index slow enough that fetches are still in flight when
resolution fails, and with warnings shown (``-W default``): stderr must hold the error and its
hint only, every time.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.session import IndexSession
from tests.support.index_server import IndexServer
from tests.support.lock_runner import ISOLATED_VARIABLES, write_project
from tests.support.scenario_index import populate_index

RUNS = 4
PLATFORMS = ("linux-x86_64", "linux-aarch64", "macos-arm64", "macos-x86_64", "windows-x86_64")
PYTHONS = ("3.11", "3.12")


def _packages() -> list[dict[str, object]]:
    """`app-a` and `app-b` want incompatible `core`s; `app-a` also pulls a wide graph, so the
    crawl has many fetches running when the conflict is found.  `winless` has no Windows
    wheel, so a lock that gets past the conflict fails on the Windows targets instead."""
    packages: list[dict[str, object]] = [
        {"name": "app-a", "version": "1.0", "requires-dist": ["core<2", *_libs()]},
        {"name": "app-b", "version": "1.0", "requires-dist": ["core>=2"]},
        {"name": "core", "version": "1.9"},
        {"name": "core", "version": "2.0"},
        {"name": "winless", "version": "1.0", "wheels": ["py3-none-manylinux_2_17_x86_64"]},
    ]
    for lib in _libs():
        packages.append({"name": lib, "version": "1.0", "requires-dist": [f"{lib}-leaf"]})
        packages.append({"name": f"{lib}-leaf", "version": "1.0"})
    return packages


def _libs() -> list[str]:
    return [f"lib{i}" for i in range(12)]


@pytest.fixture
def slow_index(index_server: IndexServer, tmp_path: Path) -> IndexServer:
    populate_index(index_server, _packages(), tmp_path / "wheels")
    index_server.delay("/simple/lib*", 0.2)
    index_server.delay("/files/*", 0.05)
    return index_server


@pytest.mark.parametrize(
    ("dependencies", "expected"),
    [
        (["app-a", "app-b"], "no version of `core` satisfies <2 and >=2"),
        (["app-a", "winless"], "no version of `winless` has a wheel for"),
    ],
    ids=["conflict", "missing-wheel"],
)
def test_failed_lock_prints_no_traceback_or_warning(
    slow_index: IndexServer, tmp_path: Path, dependencies: list[str], expected: str
) -> None:
    project = tmp_path / "project"
    targets = [f"{platform}@{python}" for platform in PLATFORMS for python in PYTHONS]
    write_project(
        project,
        {
            "name": "demo",
            "version": "0.1",
            "requires-python": ">=3.11",
            "dependencies": dependencies,
        },
        {"platforms": targets},
    )
    # `localhost`, not 127.0.0.1: the name is looked up on the loop's executor threads.
    url = slow_index.url.replace("127.0.0.1", "localhost")
    for run in range(RUNS):
        environ = _environment(url, tmp_path / f"cache-{run}")
        command = [sys.executable, "-W", "default", "-m", "omniwheel.cli.main", "lock"]
        done = subprocess.run(
            [*command, "--project", str(project)],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        stderr = done.stderr
        assert done.returncode == 1, stderr
        assert expected in stderr, stderr
        assert "Traceback" not in stderr, stderr
        assert "Warning" not in stderr, stderr
        assert "never awaited" not in stderr, stderr
        assert stderr.rstrip().splitlines()[-1].startswith("hint: "), stderr
    assert not (project / "pylock.toml").exists()


def _environment(index_url: str, cache: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    environ |= {
        "OMNIWHEEL_INDEX_URL": index_url,
        "OMNIWHEEL_CACHE_DIR": str(cache),
        "PIP_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
    }
    return environ


def test_closing_a_session_mid_prefetch_leaves_no_thread_and_no_coroutine(
    slow_index: IndexServer, tmp_path: Path
) -> None:
    """What a failed lock does before printing: close the session while prefetches run.  Once
    ``close`` returns, the loop thread and the loop's executor threads are gone (nothing can
    import concurrently with the error's rendering), and no coroutine was left unawaited."""
    location = IndexLocation(
        url=slow_index.url.replace("127.0.0.1", "localhost"), source="test", cert=None
    )
    cache = IndexCache(tmp_path / "cache", location.public_url)
    before = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = IndexSession(
            lambda: IndexClient(location=location, cache=cache, exclude_newer=None)
        )
        session.prefetch_pages(canonicalize_name(name) for name in _libs())
        assert session.page(canonicalize_name("core")) is not None
        session.close()
        session.prefetch_pages([canonicalize_name("app-a")])  # a late hint is ignored
        # The server's own request threads are still serving the slow pages: not the session's.
        left = [
            t.name
            for t in set(threading.enumerate()) - before
            if t.is_alive() and "process_request" not in t.name
        ]
        assert left == []
        gc.collect()
    assert [str(w.message) for w in caught] == []


def test_an_error_off_a_terminal_is_printed_without_importing_rich() -> None:
    """The error path imports nothing that worker threads could be importing at that moment."""
    program = (
        "import sys\n"
        "from omniwheel.cli.output import Output\n"
        "from omniwheel.errors import ResolutionError\n"
        "Output.for_terminal().error(ResolutionError('it failed: `a`', hint='do: this'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=_environment("http://127.0.0.1:9/simple/", Path(os.devnull)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr == "error: it failed: `a`\n\nhint: do: this\n"
    assert done.stdout == "[]\n"
