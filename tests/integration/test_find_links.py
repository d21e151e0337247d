"""Find-links sources: a directory of wheels, or an HTML page of links, among the indexes.

The sources come after the named indexes and before the default one, and a project found in
one is never taken from a later index.  With ``no-index`` the default index serves only pins, so
a lock from a directory alone asks no server: the default index here is a port nothing listens
on, so any request to it would fail the run.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

import pytest

from omniwheel.index import client
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.sync_space import PYTHON, run_cli, this_platform
from tests.support.wheelbuilder import build_wheel

UNREACHABLE = "http://127.0.0.1:9/simple/"  # the discard port: connections are refused


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.0)


def write(project: Path, tool: dict[str, Any]) -> None:
    demo = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(project, demo | {"dependencies": ["app"]}, tool)


def lock(project: Path, index_url: str, cache: Path, **environ: str) -> LockRun:
    return run_lock(
        project,
        ["--platform", this_platform()],
        index_url=index_url,
        cache_dir=cache,
        environ=environ,
    )


def packages(project: Path) -> dict[str, dict[str, Any]]:
    data = tomllib.loads((project / "pylock.toml").read_text(encoding="utf-8"))
    return {package["name"]: package for package in data["packages"]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_offline_lock_and_sync_from_a_find_links_directory_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"
    wheels = project / "wheels"
    app = build_wheel(wheels, "app", "1.0", requires_dist=["lib>=1"])
    lib = build_wheel(wheels, "lib", "1.0")
    (wheels / "notes.txt").write_text("not a wheel\n", encoding="utf-8")
    write(project, {"find-links": ["./wheels"], "no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 0, run.output
    locked = packages(project)
    directory = wheels.resolve().as_uri() + "/"
    # A folder is no simple-API index: its packages name none (PEP 751 ``index`` is optional).
    assert [name for name, package in locked.items() if "index" in package] == []
    [app_wheel] = locked["app"]["wheels"]
    assert app_wheel == {
        "path": f"wheels/{app.name}",
        "size": app.stat().st_size,
        "hashes": {"sha256": sha256(app)},
    }
    assert locked["lib"]["wheels"][0]["hashes"] == {"sha256": sha256(lib)}
    recorded = tomllib.loads(run.lock_text or "")["tool"]["omniwheel"]
    assert recorded["indexes"] == [{"name": "find-links-1", "url": "wheels/"}]
    assert recorded["no-index"] is True
    assert (
        f"Indexes, in order: find-links-1 ([tool.omniwheel] find-links {directory}), "
        "default (OMNIWHEEL_INDEX_URL, explicit)"
    ) in run.stderr

    check = run_lock(
        project,
        ["--platform", this_platform(), "--check"],
        index_url=UNREACHABLE,
        cache_dir=tmp_path / "cache",
    )
    assert check.exit_code == 0, check.output

    sync = run_cli(
        ["sync", "--project", str(project)],
        server_url=UNREACHABLE,
        cache=tmp_path / "cache",
        environ={},
    )
    assert sync.exit_code == 0, sync.stderr
    site = next((project / ".venv").glob("lib/python*/site-packages"))
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "app-1.0.dist-info",
        "lib-1.0.dist-info",
    ]
    artifacts = run_cli(
        ["artifacts", "write", "--project", str(project)],
        server_url=UNREACHABLE,
        cache=tmp_path / "artifacts-cache",  # a cold store: the wheels are read from the folder
        environ={},
    )
    assert artifacts.exit_code == 0, artifacts.stderr
    written = tomllib.loads((project / "Artifacts.toml").read_text(encoding="utf-8"))
    assert sorted(written) == ["omniwheel_app", "omniwheel_lib"]


def test_no_index_is_a_recorded_input(tmp_path: Path) -> None:
    """Dropping ``no-index`` changes what a lock may use: the lock is not kept as up to date
    (the relock then asks the default index, unreachable here, and fails saying so)."""
    project = tmp_path / "project"
    build_wheel(project / "wheels", "app", "1.0")
    write(project, {"find-links": ["./wheels"], "no-index": True})
    assert lock(project, UNREACHABLE, tmp_path / "cache").exit_code == 0
    kept = lock(project, UNREACHABLE, tmp_path / "cache")
    assert kept.exit_code == 0, kept.output
    assert "is up to date" in kept.stderr
    write(project, {"find-links": ["./wheels"]})
    relock = lock(project, UNREACHABLE, tmp_path / "cache")
    assert relock.exit_code == 1, relock.output
    assert "is up to date" not in relock.stderr
    assert "error: could not fetch http://127.0.0.1:9/simple/app/ after 4 attempts" in relock.stderr


def test_find_links_come_after_named_indexes_and_before_the_default(tmp_path: Path) -> None:
    """``app`` is on corp (1.0) and in the folder (2.0): corp, a named index, wins.  ``shared``
    is in the folder (1.0) and on the default index (9.0): the folder wins, and the summary
    says so.  ``lib``, only on the default index, comes from there."""
    project = tmp_path / "project"
    wheels = tmp_path / "wheels"
    folder = wheels.resolve().as_uri() + "/"
    build_wheel(wheels, "app", "2.0", requires_dist=["shared", "lib"])
    folder_shared = build_wheel(wheels, "shared", "1.0")
    with IndexServer(host="127.0.0.2") as corp, IndexServer() as public:
        corp.add_file(build_wheel(tmp_path / "corp", "app", "1.0", requires_dist=["shared", "lib"]))
        public.add_file(build_wheel(tmp_path / "public", "shared", "9.0"))
        public.add_file(build_wheel(tmp_path / "public", "lib", "1.0"))
        write(project, {"index": [{"name": "corp", "url": corp.url}], "find-links": [str(wheels)]})
        run = lock(project, public.url, tmp_path / "cache")
        assert run.exit_code == 0, run.output
        asked = [request.path for request in public.requests]
        urls = (corp.url, public.url)
    locked = packages(project)
    assert {name: (p["version"], p.get("index")) for name, p in locked.items()} == {
        "app": ("1.0", urls[0]),
        "shared": ("1.0", None),  # a folder is no index
        "lib": ("1.0", urls[1]),
    }
    # Outside the project, the folder's wheels are locked by absolute path.
    assert locked["shared"]["wheels"][0]["path"] == folder_shared.resolve().as_posix()
    assert f"find-links-1 ([tool.omniwheel] find-links {folder})" in run.stderr
    assert "app: taken from corp; also listed on find-links-1, not used" in run.stderr
    assert "shared: taken from find-links-1; also listed on default, not used" in run.stderr
    assert not [path for path in asked if path.startswith("/files/shared")]


def test_an_html_page_of_links_without_hashes_is_locked_with_computed_sha256(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    app = build_wheel(tmp_path / "wheels", "app", "1.0")
    other = build_wheel(tmp_path / "wheels", "other", "2.0")
    with IndexServer() as links:
        links.add_file(app)
        links.add_file(other)
        anchors = "".join(
            f'<a href="/files/{wheel.name}">{wheel.name}</a><br>' for wheel in (app, other)
        )
        page = f"<html><body>{anchors}</body></html>".encode()
        links.serve_garbage("/links.html", page, "text/html")
        page_url = f"{links.base_url}/links.html"
        write(project, {"find-links": [page_url], "no-index": True})
        run = lock(project, UNREACHABLE, tmp_path / "cache")
        assert run.exit_code == 0, run.output
        asked = [request.path for request in links.requests]
        app_url = links.file_url(app.name)
    [wheel] = packages(project)["app"]["wheels"]
    assert wheel["url"] == app_url
    assert wheel["hashes"] == {"sha256": sha256(app)}
    assert packages(project)["app"]["index"] == page_url
    assert asked.count("/links.html") == 1
    assert f"/files/{other.name}" not in asked  # only the asked project's links are hashed


def test_a_missing_find_links_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project, {"find-links": ["./wheels"], "no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 1, run.output
    directory = (project / "wheels").resolve()
    assert (
        f"error: the find-links directory {directory} (from [tool.omniwheel] find-links "
        f"{directory.as_uri()}/) does not exist\n"
    ) in run.stderr
    assert "hint: create it and put the wheels there, or correct the path" in run.stderr


def test_the_environment_variable_adds_a_find_links_source(tmp_path: Path) -> None:
    project = tmp_path / "project"
    wheels = tmp_path / "wheels"
    app = build_wheel(wheels, "app", "1.0")
    write(project, {"no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache", OMNIWHEEL_FIND_LINKS=str(wheels))
    assert run.exit_code == 0, run.output
    [wheel] = packages(project)["app"]["wheels"]
    assert wheel["path"] == app.resolve().as_posix()  # outside the project: absolute
    assert f"find-links-1 (OMNIWHEEL_FIND_LINKS {wheels.resolve().as_uri()}/)" in run.stderr


def test_a_page_of_links_behind_auth_gets_its_own_credentials(tmp_path: Path) -> None:
    """The first find-links source is named ``find-links-1``: its credentials come from
    ``OMNIWHEEL_INDEX_FIND_LINKS_1_*`` at lock and at sync, and are kept out of the lock."""
    project = tmp_path / "project"
    app = build_wheel(tmp_path / "wheels", "app", "1.0")
    sha = sha256(app)
    with IndexServer() as links:
        links.require_auth("reader", "links-pw-77")
        links.add_file(app)
        page = f'<a href="/files/{app.name}#sha256={sha}">{app.name}</a>'.encode()
        links.serve_garbage("/links.html", page, "text/html")
        write(project, {"find-links": [f"{links.base_url}/links.html"], "no-index": True})
        refused = lock(project, UNREACHABLE, tmp_path / "cache")
        secrets = {
            "OMNIWHEEL_INDEX_FIND_LINKS_1_USERNAME": "reader",
            "OMNIWHEEL_INDEX_FIND_LINKS_1_PASSWORD": "links-pw-77",
        }
        run = lock(project, UNREACHABLE, tmp_path / "cache", **secrets)
        files = [r for r in links.requests if r.path.startswith("/files/")]
        links.clear_requests()
        sync = run_cli(
            ["sync", "--project", str(project)],
            server_url=UNREACHABLE,
            cache=tmp_path / "sync-cache",  # a cold store: the wheel is downloaded
            environ=secrets,
        )
        downloads = [r for r in links.requests if r.path == f"/files/{app.name}"]
    assert refused.exit_code == 1, refused.output
    assert "the `find-links-1` index" in refused.stderr
    assert "`OMNIWHEEL_INDEX_FIND_LINKS_1_USERNAME`" in refused.stderr
    assert run.exit_code == 0, run.output
    assert packages(project)["app"]["wheels"][0]["hashes"] == {"sha256": sha}
    assert "links-pw-77" not in (run.lock_text or "") + run.output
    assert files  # the metadata was read from the wheel, with the credentials
    assert all(r.headers.get("authorization", "").startswith("Basic ") for r in files)
    assert sync.exit_code == 0, sync.stderr
    assert len(downloads) == 1
    assert downloads[0].headers.get("authorization", "").startswith("Basic ")


def test_no_index_without_any_other_source_is_an_error(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project, {"no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 1, run.output
    assert (
        "error: no index may serve `app`: no-index keeps the default index for packages pinned "
        "to it, and no find-links source or index that is not explicit is configured\n"
    ) in run.stderr
    assert (
        "hint: add `find-links` (or an index) to [tool.omniwheel], pin the package in "
        "[tool.omniwheel.sources], or drop no-index"
    ) in run.stderr
    assert run.lock_text is None


def test_an_index_named_like_a_find_links_source_is_an_error(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build_wheel(tmp_path / "wheels", "app", "1.0")
    index = {"name": "find-links-1", "url": "http://127.0.0.1:9/other/"}
    write(project, {"index": [index], "find-links": [str(tmp_path / "wheels")]})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 1, run.output
    assert "error: the index name 'find-links-1' is also the name of a find-links source" in (
        run.stderr
    )


def test_the_lock_option_adds_a_find_links_source(tmp_path: Path) -> None:
    project = tmp_path / "project"
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "app", "1.0")
    write(project, {"no-index": True})
    run = run_lock(
        project,
        ["--platform", this_platform(), "--find-links", str(wheels)],
        index_url=UNREACHABLE,
        cache_dir=tmp_path / "cache",
    )
    assert run.exit_code == 0, run.output
    recorded = tomllib.loads(run.lock_text or "")["tool"]["omniwheel"]["indexes"]
    assert recorded == [{"name": "find-links-1", "url": wheels.resolve().as_uri() + "/"}]
    assert f"find-links-1 (--find-links {wheels.resolve().as_uri()}/)" in run.stderr
    # As with `lock --index`, a sync must configure the source again (or not relock at all).
    refused = run_cli(
        ["sync", "--project", str(project)],
        server_url=UNREACHABLE,
        cache=tmp_path / "cache",
        environ={},
    )
    assert refused.exit_code == 1, refused.stderr
    assert "was locked with the index `find-links-1`" in refused.stderr
    assert "hint: configure it again (a find-links source, in the same order: `--find-links" in (
        refused.stderr
    )
    for args, environ in (
        ([], {"OMNIWHEEL_FIND_LINKS": str(wheels)}),
        (["--find-links", str(wheels)], {}),
    ):
        sync = run_cli(
            ["sync", "--project", str(project), *args],
            server_url=UNREACHABLE,
            cache=tmp_path / "cache",
            environ=environ,
        )
        assert sync.exit_code == 0, sync.stderr
