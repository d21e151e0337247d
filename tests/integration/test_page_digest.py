"""Page digests in real locks against the local index: a warm lock writes the same bytes whatever
state the digests are in, ``--refresh`` goes past them, and a page fetched or revalidated again
gets a digest naming its new raw file.

Each warm lock runs with no lock file present (a relock with an unchanged lock stops before
resolving, which is not what these tests look at) and with ``--exclude-newer`` before the fetch,
so its pages are reused without asking the index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from omniwheel.index.digest import (
    FORMAT,
    decode_digest,
    decode_metadata_digest,
    encode_digest,
    encode_metadata_digest,
)
from omniwheel.index.models import ProjectPage
from omniwheel.lock import LOCK_FILENAME
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.scenario_index import populate_index

PROJECT = {"name": "demo", "version": "0.1", "requires-python": ">=3.11", "dependencies": ["app"]}
PLATFORMS = ("--platform", "linux-x86_64@3.12", "--platform", "windows-x86_64@3.11")
CUTOFF = ("--exclude-newer", "2025-06-01T00:00:00Z")
PACKAGES: list[dict[str, Any]] = [
    {"name": "app", "version": "1.0", "requires-dist": ["lib>=1", "native"]},
    {"name": "lib", "version": "1.0"},
    {"name": "lib", "version": "1.1", "requires-python": ">=3.12"},
    {"name": "lib", "version": "1.2", "upload-time": "2026-03-01T00:00:00Z"},
    {"name": "lib", "version": "0.9", "yanked": "broken"},
    {"name": "native", "version": "2.0", "wheels": ["cp312-cp312-manylinux_2_17_x86_64"]},
    {
        "name": "native",
        "version": "1.5",
        "wheels": ["cp311-cp311-win_amd64", "py3-none-any"],
        "sdist": True,
    },
]


class Project:
    def __init__(self, server: IndexServer, root: Path) -> None:
        self.server = server
        self.dir = root / "project"
        self.cache = root / "cache"
        write_project(
            self.dir,
            {
                "name": "demo",
                "version": "0.1",
                "requires-python": ">=3.11",
                "dependencies": ["app"],
            },
            None,
        )

    def lock(self, *args: str) -> LockRun:
        (self.dir / LOCK_FILENAME).unlink(missing_ok=True)
        run = run_lock(
            self.dir, [*PLATFORMS, *args], index_url=self.server.url, cache_dir=self.cache
        )
        assert run.exit_code == 0, run.output
        assert run.lock_text is not None
        return run

    def digests(self) -> dict[str, Path]:
        """The page digests (METADATA digests live under ``metadata``)."""
        return {path.stem: path for path in self.cache.rglob("*.digest") if "pages" in path.parts}

    def metadata_digests(self) -> list[Path]:
        return [path for path in self.cache.rglob("*.digest") if "metadata" in path.parts]

    def source(self, name: str) -> bytes:
        """What names a raw page file, as its digest records it (header line and size)."""
        [raw] = self.cache.rglob(f"{name}.json")
        data = raw.read_bytes()
        return data.partition(b"\n")[0] + b"\n" + str(len(data)).encode()

    def page_in_digest(self, name: str) -> ProjectPage | None:
        data = self.digests()[name].read_bytes()
        return decode_digest(canonicalize_name(name), data, self.source(name))


@pytest.fixture
def project(index_server: IndexServer, tmp_path: Path) -> Iterator[Project]:
    populate_index(index_server, PACKAGES, tmp_path / "index-files")
    yield Project(index_server, tmp_path)
    assert index_server.handler_errors == []


def old_format(data: bytes) -> bytes:
    return data[:8] + (FORMAT - 1).to_bytes(2, "little") + data[10:]


@pytest.mark.parametrize(
    ("label", "change"),
    [
        ("present", lambda path: None),
        ("missing", lambda path: path.unlink()),
        ("damaged", lambda path: path.write_bytes(path.read_bytes()[:-7] + b"garbage")),
        ("empty", lambda path: path.write_bytes(b"")),
        ("of an older format", lambda path: path.write_bytes(old_format(path.read_bytes()))),
    ],
)
def test_warm_lock_is_byte_identical_whatever_the_digests(
    project: Project, label: str, change: Callable[[Path], object]
) -> None:
    cold = project.lock(*CUTOFF)
    assert set(project.digests()) == {"app", "lib", "native"}
    metadata = [path for path in project.cache.rglob("*") if "metadata" in path.parts]
    assert len(project.metadata_digests()) == len([p for p in metadata if p.is_file()]) // 2 > 0
    for path in [*project.digests().values(), *project.metadata_digests()]:
        change(path)
    project.server.clear_requests()
    warm = project.lock(*CUTOFF)
    assert warm.lock_text == cold.lock_text, label
    assert project.server.requests == [], "a warm lock past its cut-off asks the index nothing"
    # Whatever was wrong with them, every digest is usable again and names its raw page.
    for name in ("app", "lib", "native"):
        assert project.page_in_digest(name) is not None, (label, name)
    for path in project.metadata_digests():
        raw = path.with_suffix("").read_bytes()
        assert decode_metadata_digest(path.read_bytes(), raw) is not None, (label, path)
    again = project.lock(*CUTOFF)
    assert again.lock_text == cold.lock_text


def lying_digest(project: Project, name: str) -> None:
    """Replace a digest by one that names the raw page on disk but lists no file: a lock that
    read it would find nothing to lock."""
    empty = ProjectPage.from_files(canonicalize_name(name), ())
    project.digests()[name].write_bytes(encode_digest(empty, project.source(name)))


def test_a_warm_lock_reads_the_digest_and_refresh_goes_past_it(project: Project) -> None:
    cold = project.lock(*CUTOFF)
    lying_digest(project, "lib")
    (project.dir / LOCK_FILENAME).unlink()
    misled = run_lock(
        project.dir, [*PLATFORMS, *CUTOFF], index_url=project.server.url, cache_dir=project.cache
    )
    assert misled.exit_code == 1, misled.output  # "lib" seen as having no files at all
    assert "lib" in misled.stderr.partition("\n")[0], misled.output
    project.server.clear_requests()
    refreshed = project.lock(*CUTOFF, "--refresh")
    assert refreshed.lock_text == cold.lock_text
    assert any(request.path.startswith("/simple/lib") for request in project.server.requests)
    page = project.page_in_digest("lib")
    assert page is not None
    assert len(page.wheels_by_version) == 4


def test_a_page_fetched_again_replaces_its_digest(project: Project, wheel_dir: Path) -> None:
    project.lock(*CUTOFF)
    before = {name: path.read_bytes() for name, path in project.digests().items()}
    # No cut-off: the test index says max-age=0, so every page is asked for again: a changed
    # page is fetched whole, an unchanged one is revalidated (304) and its raw file renewed.
    populate_index(project.server, [{"name": "lib", "version": "1.3"}], wheel_dir)
    project.server.clear_requests()
    project.lock()
    asked = {request.path: request.headers for request in project.server.requests}
    assert "if-none-match" in asked["/simple/native/"]
    for name in ("lib", "native"):
        assert project.digests()[name].read_bytes() != before[name], name
    lib = project.page_in_digest("lib")
    assert lib is not None
    assert str(lib.wheels_by_version.newest_first()[0]) == "1.3"
    native = project.page_in_digest("native")
    assert native is not None
    assert [str(v) for v in native.wheels_by_version.newest_first()] == ["2.0", "1.5"]


def test_a_warm_lock_reads_metadata_digests_made_from_the_bytes_on_disk(project: Project) -> None:
    cold = project.lock(*CUTOFF)
    assert cold.lock_text is not None
    assert 'name = "lib"' in cold.lock_text
    [app] = [
        path
        for path in project.metadata_digests()
        if b"Name: app" in path.with_suffix("").read_bytes()
    ]
    raw = app.with_suffix("").read_bytes()
    # A digest of these bytes that says app needs nothing: a lock that read it locks app alone.
    app.write_bytes(encode_metadata_digest(("app", "1.0", (), None, ()), raw))
    misled = project.lock(*CUTOFF)
    assert misled.lock_text is not None
    assert 'name = "lib"' not in misled.lock_text
    # The same digest, said to be made from other bytes, is not used (and is made again).
    app.write_bytes(encode_metadata_digest(("app", "1.0", (), None, ()), raw + b"\n"))
    assert project.lock(*CUTOFF).lock_text == cold.lock_text
    assert decode_metadata_digest(app.read_bytes(), raw) == (
        "app",
        "1.0",
        ("lib>=1", "native"),
        None,
        (),
    )


WATCHED = ("httpx", "email", "html.parser")
"""Modules only fetching needs: the HTTP stack, and the parsers of METADATA and HTML pages."""


def lock_in_a_new_process(project: Project, *args: str) -> set[str]:
    """Lock in a fresh interpreter; which of :data:`WATCHED` were loaded by the end."""
    code = (
        "import sys\n"
        "from omniwheel.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        f"print(' '.join(m for m in {WATCHED!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "OMNIWHEEL_INDEX_URL": project.server.url,
        "OMNIWHEEL_CACHE_DIR": str(project.cache),
        "PIP_CONFIG_FILE": os.devnull,
        "NETRC": os.devnull,
        "NO_COLOR": "1",
    }
    (project.dir / LOCK_FILENAME).unlink(missing_ok=True)
    argv = ["lock", "--project", str(project.dir), *PLATFORMS, *args]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())  # the lock writes its summary to stderr


def test_a_warm_lock_past_its_cutoff_never_loads_the_http_stack(project: Project) -> None:
    cold = lock_in_a_new_process(project, *CUTOFF)  # pages and metadata fetched
    assert {"httpx", "email"} <= cold
    assert lock_in_a_new_process(project, *CUTOFF) == set()
