"""An index that puts a token in its file URLs: nothing on disk, and no message, keeps it.

The local fixture index lists every file as ``…/files/x.whl?token=…`` (or a signed URL's
``X-Amz-…`` parameters, or any name holding the index's password) and serves a file, or its
metadata file, only by that URL.  ``lock`` fetches metadata by the URL as the page gives it and
writes the URL without the token; a later ``sync`` (another process, a cold store) is refused
the lock's URL, reads the project's page again and downloads the file with the same filename
and sha256 by the URL the page gives now.  After each, every file under the cache (pages,
digests, metadata, the store), the project and its venv is read as bytes and searched for the
secret.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from omniwheel.index.models import JSON_CONTENT_TYPE
from omniwheel.store import store as store_module
from tests.support.index_server import IndexServer
from tests.support.lock_runner import run_lock
from tests.support.sync_space import Workspace, publish, this_platform
from tests.support.wheelbuilder import build_wheel

SECRET = "tok-5e1f0c9a77d2"
USER = "reader"
PASSWORD = "pw-8b3d2a61f04c"
CREDENTIALS = {
    "OMNIWHEEL_INDEX_DEFAULT_USERNAME": USER,
    "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": PASSWORD,
}


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BACKOFF_SECONDS", 0.0)


def holding(directory: Path, *secrets: str) -> list[Path]:
    """Every file under ``directory`` whose bytes hold one of ``secrets``."""
    found = []
    for path in directory.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(secret.encode() in data for secret in secrets):
                found.append(path)
    return found


def workspace(server: IndexServer, root: Path) -> Workspace:
    """alpha (needs beta) and gamma, metadata files advertised; delta without one (read by
    ranges from the wheel)."""
    publish(server, root / "index-files")
    server.add_file(build_wheel(root / "index-files", "delta", "1.0"), metadata="missing")
    space = Workspace(server=server, root=root)
    space.write(["alpha", "gamma", "delta"])
    return space


def lock(space: Workspace, environ: dict[str, str] | None = None, *more: str) -> str:
    args = ["--platform", this_platform(), *more]
    run = run_lock(
        space.project, args, index_url=space.server.url, cache_dir=space.cache, environ=environ
    )
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert SECRET not in run.output
    assert PASSWORD not in run.output
    return run.lock_text


def assert_plain_urls(lock_text: str, server: IndexServer) -> None:
    for name in ("alpha", "beta", "gamma", "delta"):
        assert f'"{server.file_url(f"{name}-1.0-py3-none-any.whl")}"' in lock_text
    assert "?" not in lock_text


def test_lock_fetches_by_the_token_and_keeps_it_nowhere(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock_text = lock(space)
    assert_plain_urls(lock_text, index_server)
    # The metadata files and delta's ranges were fetched with the token, and only so.
    files = [r for r in index_server.requests if r.path.startswith("/files/")]
    assert any(r.path.endswith(f".whl.metadata?token={SECRET}") for r in files)
    assert any(r.path.startswith("/files/delta") and "range" in r.headers for r in files)
    assert all(r.path.endswith(f"?token={SECRET}") for r in files)
    assert list(space.cache.rglob("*.digest"))
    assert holding(space.cache, SECRET) == []
    assert holding(space.project, SECRET) == []
    check = run_lock(
        space.project,
        ["--platform", this_platform(), "--check"],
        index_url=index_server.url,
        cache_dir=space.cache,
    )
    assert check.exit_code == 0, check.output
    assert SECRET not in check.output


def test_a_signed_urls_parameters_are_dropped_by_name(
    index_server: IndexServer, tmp_path: Path
) -> None:
    signature = "5ab9d0c3e2f1aa"
    index_server.sign_file_urls(
        **{
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request",
            "X-Amz-Expires": "300",
            "X-Amz-Signature": signature,
        }
    )
    space = workspace(index_server, tmp_path)
    lock_text = lock(space)
    assert_plain_urls(lock_text, index_server)
    assert holding(tmp_path, signature, "AKIAEXAMPLE") == []


def test_a_page_read_from_the_cache_is_read_again_for_a_files_token(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """The second lock revalidates the cached page (304): it holds no tokens, so metadata
    that is no longer cached is fetched after reading the page again."""
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    first = lock(space)
    for metadata in space.cache.rglob("metadata"):
        shutil.rmtree(metadata)
    index_server.clear_requests()
    assert lock(space, None, "--upgrade") == first
    pages = [r.path for r in index_server.requests if r.path == "/simple/delta/"]
    assert len(pages) == 2  # revalidated, then read again for the token
    assert holding(tmp_path, SECRET) == []


def test_sync_in_a_later_process_finds_each_file_again_on_the_index(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    index_server.clear_requests()
    done = subprocess.run(
        space.command("sync"),
        env=space.subprocess_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert space.versions() == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0", "delta": "1.0"}
    wheels = [r.path for r in index_server.requests if r.path.startswith("/files/")]
    assert "/files/gamma-1.0-py3-none-any.whl" in wheels  # the lock's URL: refused
    assert f"/files/gamma-1.0-py3-none-any.whl?token={SECRET}" in wheels
    assert holding(tmp_path, SECRET) == []


def test_sync_after_the_index_changed_its_token(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    index_server.sign_file_urls(token="rotated-" + SECRET[::-1])
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.versions()["delta"] == "1.0"
    assert holding(tmp_path, SECRET, SECRET[::-1]) == []


def test_a_token_equal_to_the_index_password_goes_whatever_its_name(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """Basic auth on every request, and the password again in each file URL as ``?dl=``:
    lock and sync send both, and keep neither."""
    index_server.require_auth(USER, PASSWORD)
    index_server.sign_file_urls(dl=PASSWORD, v="2")
    space = workspace(index_server, tmp_path)
    lock_text = lock(space, CREDENTIALS)
    wheel = index_server.file_url("gamma-1.0-py3-none-any.whl")
    assert f'"{wheel}?v=2"' in lock_text  # a parameter that is no secret stays
    run = space.cli("sync", environ=CREDENTIALS)
    assert run.exit_code == 0, run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    assert space.versions()["gamma"] == "1.0"
    assert holding(tmp_path, PASSWORD) == []


def test_sync_never_installs_another_file_of_the_same_name(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    other = build_wheel(tmp_path / "republished", "gamma", "1.0", files={"gamma/x.py": b"X = 1\n"})
    index_server.add_file(other)
    run = space.cli("sync")
    assert run.exit_code == 1, run.stderr
    sha256 = hashlib.sha256(other.read_bytes()).hexdigest()
    assert "gamma 1.0 (gamma-1.0-py3-none-any.whl)" in run.stderr
    assert f"the index {index_server.url} now lists gamma-1.0-py3-none-any.whl with sha256" in (
        run.stderr
    )
    assert sha256 in run.stderr.replace("\n", "")
    assert "omniwheel lock" in run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert not (space.site_packages() / "gamma").exists()


def test_sync_says_why_the_page_could_not_be_read_again(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    index_server.fail("/simple/delta/", 404)
    run = space.cli("sync")
    assert run.exit_code == 1, run.stderr
    assert "delta 1.0 (delta-1.0-py3-none-any.whl)" in run.stderr
    assert f"reading {index_server.url}delta/ to find it again failed (HTTP 404)" in run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_artifacts_write_finds_the_files_again(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    run = space.omniwheel("artifacts", "write", "--project", str(space.project))
    assert run.exit_code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert (space.project / "Artifacts.toml").is_file()
    assert holding(tmp_path, SECRET) == []


@pytest.mark.parametrize("status", [500, 404])
def test_a_lock_failing_on_a_file_names_its_url_without_the_token(
    index_server: IndexServer, tmp_path: Path, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omniwheel.index import client

    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.0)
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    index_server.fail("/files/delta-*", status)
    run = run_lock(
        space.project,
        ["--platform", this_platform()],
        index_url=index_server.url,
        cache_dir=space.cache,
    )
    assert run.exit_code == 1, run.output
    assert index_server.file_url("delta-1.0-py3-none-any.whl") in run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert holding(tmp_path, SECRET) == []


def test_sync_takes_an_entry_without_a_hash_and_checks_its_bytes(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """The page read again gives gamma no sha256: it is downloaded, and installed since its
    bytes hash to the lock's sha256."""
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    wheel = "gamma-1.0-py3-none-any.whl"
    entry = {"filename": wheel, "url": f"{index_server.file_url(wheel)}?token={SECRET}"}
    page = {"meta": {"api-version": "1.1"}, "name": "gamma", "files": [entry]}
    index_server.serve_garbage("/simple/gamma/", json.dumps(page).encode(), JSON_CONTENT_TYPE)
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.versions()["gamma"] == "1.0"
    assert holding(tmp_path, SECRET) == []


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            json.dumps({"meta": {"api-version": "1.1"}, "name": "gamma", "files": []}).encode(),
            JSON_CONTENT_TYPE,
            "no longer lists gamma-1.0-py3-none-any.whl",
        ),
        (b"maintenance", "text/plain", "(text/plain, not a simple-API page)"),
    ],
)
def test_sync_says_which_file_the_index_no_longer_lists(
    index_server: IndexServer, tmp_path: Path, body: bytes, content_type: str, expected: str
) -> None:
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    lock(space)
    index_server.serve_garbage("/simple/gamma/", body, content_type)
    run = space.cli("sync")
    assert run.exit_code == 1, run.stderr
    assert "gamma 1.0 (gamma-1.0-py3-none-any.whl)" in run.stderr
    assert expected in run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_an_html_page_with_tokens_in_its_links(index_server: IndexServer, tmp_path: Path) -> None:
    """PEP 503 anchors ``…/x.whl?token=…#sha256=…``: the hash is read, the token dropped."""
    index_server.sign_file_urls(token=SECRET)
    space = workspace(index_server, tmp_path)
    wheel = "gamma-1.0-py3-none-any.whl"
    sha256 = hashlib.sha256((tmp_path / "index-files" / wheel).read_bytes()).hexdigest()
    link = f"{index_server.file_url(wheel)}?token={SECRET}#sha256={sha256}"
    page = f'<html><body><a href="{link}">{wheel}</a></body></html>'.encode()
    index_server.serve_garbage("/simple/gamma/", page, "text/html")
    lock_text = lock(space)
    assert_plain_urls(lock_text, index_server)
    assert sha256 in lock_text
    assert holding(space.cache, SECRET) == []
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert space.versions()["gamma"] == "1.0"
    assert holding(tmp_path, SECRET) == []
