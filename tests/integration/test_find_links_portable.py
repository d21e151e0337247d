"""A lock from a find-links folder (or a local page of links) moves with the project.

The lock records a folder's wheels by PEP 751 ``path``, relative to the lock inside the project,
and the folder source as its relative path: a copy of the project elsewhere (a clone, a CI
checkout) relocks as up to date, byte for byte, and syncs offline from its own folder.  The
original project is deleted before the copy is used, so nothing can still read from it.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.integration.test_find_links import UNREACHABLE, lock, packages, sha256, write
from tests.support.index_server import IndexServer
from tests.support.lock_runner import run_lock
from tests.support.sync_space import run_cli, this_platform
from tests.support.wheelbuilder import build_wheel

APP_INIT = b"import lib\nANSWER = lib.VALUE + 1\n"
LIB_INIT = b"VALUE = 41\n"


def project_with_folder(project: Path) -> tuple[Path, Path]:
    """``project/wheels`` with ``app`` (needing ``lib``) and ``lib``, locked from it alone."""
    wheels = project / "wheels"
    app = build_wheel(
        wheels, "app", "1.0", requires_dist=["lib>=1"], files={"app/__init__.py": APP_INIT}
    )
    lib = build_wheel(wheels, "lib", "1.0", files={"lib/__init__.py": LIB_INIT})
    write(project, {"find-links": ["./wheels"], "no-index": True})
    return app, lib


def sync(project: Path, cache: Path, *options: str) -> tuple[int, str]:
    run = run_cli(
        ["sync", "--project", str(project), *options],
        server_url=UNREACHABLE,
        cache=cache,
        environ={},
    )
    return run.exit_code, run.stderr


def imported(project: Path) -> str:
    python = project / ".venv" / "bin" / "python"
    code = "import app; print(app.ANSWER)"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout


def test_a_lock_from_a_project_folder_names_no_path_of_this_machine(tmp_path: Path) -> None:
    project = tmp_path / "project"
    app, lib = project_with_folder(project)
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 0, run.output
    text = run.lock_text or ""
    assert "file:" not in text
    assert str(tmp_path) not in text
    assert str(tmp_path.resolve()) not in text
    locked = packages(project)
    assert [wheel["path"] for wheel in locked["app"]["wheels"]] == [f"wheels/{app.name}"]
    assert [wheel["path"] for wheel in locked["lib"]["wheels"]] == [f"wheels/{lib.name}"]
    assert locked["lib"]["wheels"][0]["size"] == lib.stat().st_size
    assert locked["lib"]["wheels"][0]["hashes"] == {"sha256": sha256(lib)}
    recorded = tomllib.loads(text)["tool"]["omniwheel"]["indexes"]
    assert recorded == [{"name": "find-links-1", "url": "wheels/"}]


def test_a_copied_project_relocks_as_up_to_date_and_syncs_offline(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project_with_folder(project)
    first = lock(project, UNREACHABLE, tmp_path / "cache")
    assert first.exit_code == 0, first.output
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(project, moved)
    shutil.rmtree(project)

    kept = lock(moved, UNREACHABLE, tmp_path / "cache")
    assert kept.exit_code == 0, kept.output
    assert "is up to date" in kept.stderr
    assert kept.lock_text == first.lock_text
    # On a machine that never locked it (no cache: the lock is resolved again), the same bytes.
    fresh = lock(moved, UNREACHABLE, tmp_path / "fresh-cache")
    assert fresh.exit_code == 0, fresh.output
    assert fresh.lock_text == first.lock_text
    check = run_lock(
        moved,
        ["--platform", this_platform(), "--check"],
        index_url=UNREACHABLE,
        cache_dir=tmp_path / "check-cache",
    )
    assert check.exit_code == 0, check.output

    code, stderr = sync(moved, tmp_path / "sync-cache", "--offline")
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert imported(moved) == "42\n"
    assert (moved / "pylock.toml").read_text(encoding="utf-8") == first.lock_text


def test_a_lock_with_the_folder_s_absolute_urls_is_relocked_portable(tmp_path: Path) -> None:
    """A lock an earlier omniwheel wrote (``file://`` URLs, the folder recorded by its URL) is
    out of date: ``lock`` writes the portable one, saying the recorded source changed."""
    project = tmp_path / "project"
    app, _ = project_with_folder(project)
    portable = lock(project, UNREACHABLE, tmp_path / "cache").lock_text or ""
    folder = (project / "wheels").resolve().as_uri() + "/"
    earlier = portable.replace('path = "wheels/', f'url = "{folder}').replace(
        'url = "wheels/"', f'url = "{folder}"'
    )
    assert f'url = "{app.resolve().as_uri()}"' in earlier
    (project / "pylock.toml").write_text(earlier, encoding="utf-8")
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 0, run.output
    assert run.lock_text == portable
    assert f"indexes: find-links-1={folder} → find-links-1=wheels/" in run.stderr


@pytest.mark.parametrize("change", ["rebuilt", "one byte flipped"])
def test_a_folder_wheel_changed_after_locking_fails_the_sync_naming_it(
    tmp_path: Path, change: str
) -> None:
    project = tmp_path / "project"
    app, _ = project_with_folder(project)
    assert lock(project, UNREACHABLE, tmp_path / "cache").exit_code == 0
    locked_sha256 = sha256(app)
    if change == "rebuilt":  # the same file name, other content, another size
        app.unlink()
        files = {"app/__init__.py": b"import lib\nANSWER = lib.VALUE - 1\n"}
        build_wheel(project / "wheels", "app", "1.0", requires_dist=["lib>=1"], files=files)
        expected = f"{app} has {app.stat().st_size} bytes, the lock gives"
    else:  # the same size, another sha256
        data = bytearray(app.read_bytes())
        data[len(data) // 2] ^= 0xFF
        app.write_bytes(bytes(data))
        expected = f"the lock says sha256 {locked_sha256}, but the file {app} has sha256"
    assert sha256(app) != locked_sha256

    code, stderr = sync(project, tmp_path / "sync-cache", "--offline")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    [error] = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: app 1.0 ({app.name}): ")
    assert expected in error
    assert "hint: the file changed since the lock was made" in stderr
    assert "run `omniwheel lock` to lock the one there now" in stderr
    assert not list(project.glob(".venv/lib/python*/site-packages/app"))


def test_a_missing_folder_fails_the_sync_saying_where_the_lock_reads_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    app, _ = project_with_folder(project)
    assert lock(project, UNREACHABLE, tmp_path / "cache").exit_code == 0
    shutil.rmtree(project / "wheels")
    code, stderr = sync(project, tmp_path / "sync-cache", "--offline")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert f"cannot read {app}: No such file or directory" in stderr
    assert "hint: the lock takes this wheel from a local folder" in stderr


def test_artifacts_of_a_moved_project_are_hashed_from_its_folder_and_packed(
    tmp_path: Path,
) -> None:
    """An Artifacts.toml names trees and the tarballs ``artifacts pack`` makes of them, never
    the wheels' paths: ``artifacts write`` reads the folder where the project now is."""
    project = tmp_path / "project"
    project_with_folder(project)
    assert lock(project, UNREACHABLE, tmp_path / "cache").exit_code == 0
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(project, moved)
    shutil.rmtree(project)

    def artifacts(*args: str) -> tuple[int, str]:
        run = run_cli(
            ["artifacts", *args[:1], "--project", str(moved), *args[1:]],
            server_url=UNREACHABLE,
            cache=tmp_path / "artifacts-cache",  # a cold store: the wheels are read from the copy
            environ={},
        )
        return run.exit_code, run.stderr

    code, stderr = artifacts("write")
    assert code == 0, stderr
    written = (moved / "Artifacts.toml").read_text(encoding="utf-8")
    assert sorted(tomllib.loads(written)) == ["omniwheel_app", "omniwheel_lib"]
    assert "file:" not in written
    assert str(tmp_path) not in written
    base = "https://example.org/artifacts/"
    code, stderr = artifacts("pack", "--out", str(tmp_path / "dist"), "--base-url", base)
    assert code == 0, stderr
    packed = tomllib.loads((moved / "Artifacts.toml").read_text(encoding="utf-8"))
    downloads = [entry["download"] for entry in packed.values()]
    assert [[item["url"][: len(base)] for item in listed] for listed in downloads] == [
        [base],
        [base],
    ]


def test_a_folder_outside_the_project_is_locked_by_absolute_path(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shared = tmp_path / "shared-wheels"
    app = build_wheel(shared, "app", "1.0")
    write(project, {"find-links": ["../shared-wheels"], "no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 0, run.output
    [wheel] = packages(project)["app"]["wheels"]
    assert wheel["path"] == app.resolve().as_posix()
    assert "index" not in packages(project)["app"]
    recorded = tomllib.loads(run.lock_text or "")["tool"]["omniwheel"]["indexes"]
    assert recorded == [{"name": "find-links-1", "url": shared.resolve().as_uri() + "/"}]
    code, stderr = sync(project, tmp_path / "sync-cache", "--offline")
    assert code == 0, stderr


def test_a_linked_folder_in_the_project_is_locked_by_its_path_in_the_project(
    tmp_path: Path,
) -> None:
    """``wheels`` a symbolic link to a shared folder: the lock names ``wheels/…``, which a
    clone (that keeps the link) finds again, not the folder's real path."""
    project = tmp_path / "project"
    app = build_wheel(tmp_path / "shared" / "wheels", "app", "1.0")
    project.mkdir()
    (project / "wheels").symlink_to(tmp_path / "shared" / "wheels", target_is_directory=True)
    write(project, {"find-links": ["./wheels"], "no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 0, run.output
    assert [w["path"] for w in packages(project)["app"]["wheels"]] == [f"wheels/{app.name}"]
    recorded = tomllib.loads(run.lock_text or "")["tool"]["omniwheel"]["indexes"]
    assert recorded == [{"name": "find-links-1", "url": "wheels/"}]


def page_of_links(project: Path, server: IndexServer, tmp_path: Path) -> tuple[Path, Path]:
    """``project/pages/links.html``: a relative link to ``app`` in ``project/wheels`` (found
    against the page's own directory) and an http link (with its sha256) to ``lib``."""
    app = build_wheel(
        project / "wheels",
        "app",
        "1.0",
        requires_dist=["lib>=1"],
        files={"app/__init__.py": APP_INIT},
    )
    lib = build_wheel(tmp_path / "served", "lib", "1.0", files={"lib/__init__.py": LIB_INIT})
    server.add_file(lib)
    page = project / "pages" / "links.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<a href="../wheels/{app.name}">{app.name}</a><br>\n'
        f'<a href="{server.file_url(lib.name)}#sha256={sha256(lib)}">{lib.name}</a>\n',
        encoding="utf-8",
    )
    return app, lib


@pytest.mark.parametrize("spelling", ["path", "file-url", "option"])
def test_a_local_html_file_of_links_is_a_find_links_source(
    tmp_path: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``./pages/links.html``, its ``file://`` URL, or ``--find-links pages/links.html`` (from
    the project directory): the same lock, its local wheel by path, its http one by URL."""
    project = tmp_path / "project"
    with IndexServer() as server:
        app, lib = page_of_links(project, server, tmp_path)
        page = project / "pages" / "links.html"
        options = ["--platform", this_platform()]
        if spelling == "option":
            write(project, {"no-index": True})
            monkeypatch.chdir(project)
            options += ["--find-links", "pages/links.html"]
        else:
            given = "./pages/links.html" if spelling == "path" else page.resolve().as_uri()
            write(project, {"find-links": [given], "no-index": True})
        run = run_lock(project, options, index_url=UNREACHABLE, cache_dir=tmp_path / "cache")
        assert run.exit_code == 0, run.output
        locked = packages(project)
        assert locked["app"]["wheels"] == [
            {
                "path": f"wheels/{app.name}",
                "size": app.stat().st_size,
                "hashes": {"sha256": sha256(app)},
            }
        ]
        [lib_wheel] = locked["lib"]["wheels"]
        assert lib_wheel["url"] == server.file_url(lib.name)
        assert "path" not in lib_wheel
        recorded = tomllib.loads(run.lock_text or "")["tool"]["omniwheel"]["indexes"]
        assert recorded == [{"name": "find-links-1", "url": "pages/links.html"}]
        assert "file:" not in (run.lock_text or "")
        if spelling == "option":
            return  # a sync needs the source configured again (test_find_links covers it)
        code, stderr = sync(project, tmp_path / "sync-cache")
        assert code == 0, stderr
    assert imported(project) == "42\n"


def test_a_link_whose_sha256_the_local_file_does_not_match_is_an_error(tmp_path: Path) -> None:
    project = tmp_path / "project"
    app = build_wheel(project / "wheels", "app", "1.0")
    wrong = "0" * 64
    (project / "links.html").write_text(
        f'<a href="wheels/{app.name}#sha256={wrong}">{app.name}</a>', encoding="utf-8"
    )
    write(project, {"find-links": ["./links.html"], "no-index": True})
    run = lock(project, UNREACHABLE, tmp_path / "cache")
    assert run.exit_code == 1, run.output
    assert f"does not match the sha256 its link gives: {wrong}, the file's is {sha256(app)}" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr
