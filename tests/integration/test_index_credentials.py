"""Credentials against real servers on loopback: where they come from, where they go, where
they never stay.

A real pypiserver behind htpasswd auth (HTML pages only, relative file links) is the private
index; the local fixture index and a tiny redirecting server of this file stand for CDNs and
for indexes that echo credentials into their file URLs.  ``127.0.0.1`` and ``127.0.0.2`` are
two hosts.  The index is found by :func:`discover_index` from an explicit environment, as the
CLI finds it, and read through :class:`IndexSession` (the resolver's face) and the store's
:class:`WheelFetcher`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.errors import IndexAccessError
from omniwheel.index.cache import IndexCache
from omniwheel.index.client import IndexClient
from omniwheel.index.credentials import KeyringProvider
from omniwheel.index.discovery import IndexLocation, discover_index
from omniwheel.index.models import JSON_CONTENT_TYPE, ProjectPage, Wheel
from omniwheel.index.session import IndexSession
from omniwheel.store.download import WheelFetcher
from omniwheel.store.store import Store, StoreError, WheelSource
from tests.support.index_server import IndexServer
from tests.support.lock_runner import run_lock, write_project
from tests.support.pypiserver import PypiServer
from tests.support.sync_space import PYTHON, run_cli, this_platform
from tests.support.wheelbuilder import build_wheel

USER = "reader"
PASSWORD = "pypi-s3cret-pw"
TOKEN = "t0ken-in-file-urls"
FOO = canonicalize_name("foo")


@pytest.fixture(scope="module")
def foo_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheels"), "foo", "1.0", requires_dist=["bar>=2"])


@pytest.fixture(scope="module")
def pypi(tmp_path_factory: pytest.TempPathFactory, foo_wheel: Path) -> Iterator[PypiServer]:
    """pypiserver on 127.0.0.1 serving foo 1.0 to ``reader`` / ``PASSWORD`` only."""
    server = PypiServer(tmp_path_factory.mktemp("pypi") / "packages", user=USER, password=PASSWORD)
    with server:
        server.add(foo_wheel)
        server.add(build_wheel(tmp_path_factory.mktemp("plain"), "plain", "1.0"))
        yield server


def locate(
    url: str,
    tmp_path: Path,
    environ: dict[str, str] | None = None,
    *,
    keyring: KeyringProvider | None = None,
) -> IndexLocation:
    """The index as the CLI finds it: ``--index-url URL``, this environment, an empty home."""
    return discover_index(
        cli_url=url,
        tool_url=None,
        environ=environ or {},
        home=tmp_path / "home",
        config_files=[],
        keyring_provider=keyring,
    )


def session(location: IndexLocation, cache: Path) -> IndexSession:
    index_cache = IndexCache(cache, location.public_url)
    return IndexSession(
        lambda: IndexClient(location=location, cache=index_cache, exclude_newer=None)
    )


def only_wheel(page: ProjectPage | None) -> Wheel:
    assert page is not None
    [wheel] = page.wheels_by_version[Version("1.0")]
    return wheel


def netrc_for(tmp_path: Path, host: str, password: str = PASSWORD) -> dict[str, str]:
    path = tmp_path / "netrc"
    path.write_text(f"machine {host} login {USER} password {password}\n", encoding="utf-8")
    return {"NETRC": str(path)}


ENV_CREDENTIALS = {
    "OMNIWHEEL_INDEX_DEFAULT_USERNAME": USER,
    "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": PASSWORD,
}


def messages(error: BaseException) -> str:
    """Everything an error chain could show a person: messages, hints, causes."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), str(getattr(seen, "hint", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def files_holding(directory: Path, secret: str) -> list[Path]:
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def wheel_source(wheel: Path, url: str) -> WheelSource:
    content = wheel.read_bytes()
    return WheelSource(
        name="foo",
        version="1.0",
        filename=wheel.name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        url=url,
    )


# -- the private index: pypiserver with htpasswd -------------------------------------------


@pytest.mark.parametrize("source", ["environment", "netrc"])
def test_pypiserver_pages_and_metadata_with_credentials_from(
    pypi: PypiServer, tmp_path: Path, source: str
) -> None:
    environ = ENV_CREDENTIALS if source == "environment" else netrc_for(tmp_path, pypi.host)
    location = locate(pypi.url, tmp_path, environ)
    with session(location, tmp_path / "cache") as index:
        wheel = only_wheel(index.page(FOO))
        assert [str(r) for r in index.metadata(wheel).requires_dist] == ["bar>=2"]
    assert wheel.file.url.startswith(f"http://{pypi.host}:{pypi.port}/packages/")
    assert files_holding(tmp_path / "cache", PASSWORD) == []


def test_pypiserver_without_credentials_says_where_to_give_them(
    pypi: PypiServer, tmp_path: Path
) -> None:
    location = locate(pypi.url, tmp_path)
    with session(location, tmp_path / "cache") as index, pytest.raises(IndexAccessError) as error:
        index.page(FOO)
    assert str(error.value) == (
        f"{pypi.url}foo/ answered HTTP 401: the `default` index (from --index-url) wants "
        "credentials, and none were found for it"
    )
    hint = error.value.hint or ""
    for place in (
        f"({pypi.url}) in its URL",
        "`OMNIWHEEL_INDEX_DEFAULT_USERNAME` and `OMNIWHEEL_INDEX_DEFAULT_PASSWORD`",
        f"`machine {pypi.host}` entry of the netrc file {tmp_path / 'home' / '.netrc'}",
        'keyring-provider = "subprocess"',
    ):
        assert place in hint


def test_pypiserver_refusing_netrc_credentials_names_the_file_not_the_password(
    pypi: PypiServer, tmp_path: Path
) -> None:
    environ = netrc_for(tmp_path, pypi.host, password="wrong-" + PASSWORD)
    location = locate(pypi.url, tmp_path, environ)
    with session(location, tmp_path / "cache") as index, pytest.raises(IndexAccessError) as error:
        index.page(FOO)
    assert f"refused the credentials from the netrc file {tmp_path / 'netrc'}" in str(error.value)
    assert PASSWORD not in messages(error.value)


@pytest.fixture
def keyring_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real ``keyring`` script first on PATH: it knows ``PASSWORD`` for 127.0.0.1 / reader."""
    directory = tmp_path / "bin"
    directory.mkdir()
    log = tmp_path / "keyring.log"
    script = directory / "keyring"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        f'if [ "$1" = get ] && [ "$2" = 127.0.0.1 ] && [ "$3" = {USER} ]; then\n'
        f"  echo '{PASSWORD}'\n"
        "  exit 0\n"
        "fi\n"
        "exit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return log


def test_pypiserver_with_the_keyring_after_a_refusal(
    pypi: PypiServer, tmp_path: Path, foo_wheel: Path, keyring_log: Path
) -> None:
    url = pypi.url.replace("http://", f"http://{USER}@")
    location = locate(url, tmp_path, keyring="subprocess")
    with session(location, tmp_path / "cache") as index:
        wheel = only_wheel(index.page(FOO))
        assert index.metadata(wheel).name == "foo"
    assert keyring_log.read_text().splitlines() == [
        f"get {pypi.url} {USER}",
        f"get {pypi.host} {USER}",
    ]
    # The store's fetcher, with its own credentials object, asks the keyring the same way.
    keyring_log.unlink()
    store = Store(tmp_path / "store")
    with WheelFetcher(index=location) as fetcher:
        store.ensure_tree(wheel_source(foo_wheel, wheel.file.url), fetcher)
    assert store.has_tree(hashlib.sha256(foo_wheel.read_bytes()).hexdigest())
    assert len(keyring_log.read_text().splitlines()) == 2


@pytest.mark.parametrize("setting", ["subprocess", None])
def test_lock_asks_the_keyring_when_the_project_says_so(
    pypi: PypiServer, tmp_path: Path, keyring_log: Path, setting: str | None
) -> None:
    project = tmp_path / "project"
    tool = {"keyring-provider": setting} if setting else {}
    write_project(project, {"name": "demo", "version": "0.1", "dependencies": ["plain"]}, tool)
    url = pypi.url.replace("http://", f"http://{USER}@")
    args = ["--platform", "linux-x86_64@3.12"]
    home = {"HOME": str(tmp_path / "home")}  # no netrc of the machine's user
    run = run_lock(project, args, index_url=url, cache_dir=tmp_path / "cache", environ=home)
    if setting is None:
        # pypiserver answers 403 to a user without password.
        assert run.exit_code == 1, run.output
        assert (
            "answered HTTP 403: the `default` index (from OMNIWHEEL_INDEX_URL) refused the "
            "credentials from the index URL\n"
        ) in run.stderr
        assert not keyring_log.exists()
        return
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert f"http://{pypi.host}:{pypi.port}/packages/plain-1.0-py3-none-any.whl" in run.lock_text
    assert PASSWORD not in run.lock_text + run.output
    assert f"{USER}@" not in run.lock_text
    assert keyring_log.read_text().splitlines()[0] == f"get {pypi.url} {USER}"


@pytest.mark.parametrize("where", ["pyproject", "environment"])
def test_sync_run_and_artifacts_read_the_project_keyring_provider_and_index_url(
    pypi: PypiServer, tmp_path: Path, keyring_log: Path, where: str
) -> None:
    """The index URL (with the username) in ``[tool.omniwheel] index-url`` or in
    ``OMNIWHEEL_INDEX_URL``, the password in the keyring the project asks for: each command
    that downloads, with a cold store of its own, gets the wheel from pypiserver."""
    project = tmp_path / "project"
    url = pypi.url.replace("http://", f"http://{USER}@")
    tool = {"keyring-provider": "subprocess"} | ({"index-url": url} if where == "pyproject" else {})
    demo = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(project, demo | {"dependencies": ["plain"]}, tool)
    environ = {"HOME": str(tmp_path / "home"), "OMNIWHEEL_INDEX_URL": url}
    if where == "pyproject":
        environ["OMNIWHEEL_INDEX_URL"] = ""  # empty counts as unset: the project's URL is used
    commands = {
        "lock": ["lock", "--platform", this_platform()],
        "sync": ["sync"],
        "run": ["run", "--", "python", "-c", "import plain"],
        "artifacts": ["artifacts", "write"],
    }
    for name, argv in commands.items():
        if name == "run":
            shutil.rmtree(project / ".venv")
        run = run_cli(
            [argv[0], *argv[1:2], "--project", str(project), *argv[2:]]
            if name == "artifacts"
            else [argv[0], "--project", str(project), *argv[1:]],
            server_url=url,
            cache=tmp_path / f"cache-{name}",
            environ=environ,
        )
        assert run.exit_code == 0, f"{name}: {run.stderr}"
        assert PASSWORD not in run.stdout + run.stderr
        asked = keyring_log.read_text().splitlines()
        assert asked[0] == f"get {pypi.url} {USER}", name
        keyring_log.unlink()
    lock = (project / "pylock.toml").read_text(encoding="utf-8")
    assert f"{USER}@" not in lock
    assert files_holding(project, PASSWORD) == []


def test_an_unknown_keyring_provider_is_a_project_error(pypi: PypiServer, tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_project(project, {"name": "demo", "version": "0.1"}, {"keyring-provider": "import"})
    run = run_lock(project, [], index_url=pypi.url, cache_dir=tmp_path / "cache")
    assert run.exit_code == 1, run.output
    assert (
        'tool.omniwheel.keyring-provider: expected "disabled" or "subprocess", got \'import\''
        in run.stderr
    ), run.output


def test_the_store_downloads_from_pypiserver_with_netrc_credentials(
    pypi: PypiServer, tmp_path: Path, foo_wheel: Path
) -> None:
    location = locate(pypi.url, tmp_path, netrc_for(tmp_path, pypi.host))
    url = f"http://{pypi.host}:{pypi.port}/packages/{foo_wheel.name}"
    store = Store(tmp_path / "store")
    with WheelFetcher(index=location) as fetcher:
        store.ensure_tree(wheel_source(foo_wheel, url), fetcher)
    assert store.has_tree(hashlib.sha256(foo_wheel.read_bytes()).hexdigest())


def test_the_store_names_the_missing_credentials_of_a_401(
    pypi: PypiServer, tmp_path: Path, foo_wheel: Path
) -> None:
    location = locate(pypi.url, tmp_path)
    source = wheel_source(foo_wheel, f"http://{pypi.host}:{pypi.port}/packages/{foo_wheel.name}")
    with WheelFetcher(index=location) as fetcher, pytest.raises(StoreError) as error:
        Store(tmp_path / "store").ensure_tree(source, fetcher)
    assert str(error.value).endswith("answered HTTP 401 (sent no credentials)")
    assert "`OMNIWHEEL_INDEX_DEFAULT_PASSWORD`" in (error.value.hint or "")
    assert "netrc file" in (error.value.hint or "")


# -- redirects to another host ---------------------------------------------------------------


class _Redirecting(BaseHTTPRequestHandler):
    """An index that wants basic auth for everything it serves: ``/simple/foo/`` lists
    ``/moved/<wheel>``, which redirects (same origin) to ``/files/<wheel>``, which redirects to
    the CDN (another host).  Each request is logged with its Authorization header."""

    protocol_version = "HTTP/1.1"
    server: _RedirectingServer

    def do_GET(self) -> None:
        owner = self.server
        authorization = self.headers.get("Authorization")
        owner.seen.append((self.path, authorization))
        if authorization != owner.expected:
            self._answer(401, b"authentication required\n", {"WWW-Authenticate": "Basic"})
        elif self.path == "/simple/foo/":
            url = f"{owner.base}/moved/{owner.wheel.name}"
            entry = {"filename": owner.wheel.name, "url": url, "hashes": {}}
            page = {"meta": {"api-version": "1.1"}, "name": "foo", "files": [entry]}
            self._answer(200, json.dumps(page).encode(), {"Content-Type": JSON_CONTENT_TYPE})
        elif self.path.startswith("/moved/"):
            self._answer(302, b"", {"Location": self.path.replace("/moved/", "/files/")})
        elif self.path.startswith("/files/"):
            self._answer(302, b"", {"Location": owner.cdn + self.path})
        else:
            self._answer(404, b"not found\n", {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _RedirectingServer(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str | None]]
    expected: str
    base: str
    cdn: str
    wheel: Path


@pytest.fixture
def cdn(foo_wheel: Path) -> Iterator[IndexServer]:
    """The CDN: the fixture index on 127.0.0.1, serving foo's wheel without any auth."""
    with IndexServer(host="127.0.0.1") as server:
        server.add_file(foo_wheel)
        yield server


@pytest.fixture
def redirecting(cdn: IndexServer, foo_wheel: Path) -> Iterator[_RedirectingServer]:
    """The index, on another host (127.0.0.2), whose files live on the CDN."""
    server = _RedirectingServer(("127.0.0.2", 0), _Redirecting)
    server.seen = []
    server.expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    server.base = f"http://127.0.0.2:{server.server_address[1]}"
    server.cdn = cdn.base_url
    server.wheel = foo_wheel
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_credentials_follow_a_redirect_within_the_origin_but_not_to_another_host(
    redirecting: _RedirectingServer, cdn: IndexServer, tmp_path: Path
) -> None:
    location = locate(f"{redirecting.base}/simple/", tmp_path, ENV_CREDENTIALS)
    with session(location, tmp_path / "cache") as index:
        wheel = only_wheel(index.page(FOO))
        assert index.metadata(wheel).name == "foo"
    moved = [auth for path, auth in redirecting.seen if path.startswith("/files/")]
    assert moved
    assert all(auth == redirecting.expected for auth in moved)
    assert cdn.requests
    assert all("authorization" not in request.headers for request in cdn.requests)


def test_the_store_sends_no_credentials_across_a_redirect_to_another_host(
    redirecting: _RedirectingServer, cdn: IndexServer, tmp_path: Path, foo_wheel: Path
) -> None:
    location = locate(f"{redirecting.base}/simple/", tmp_path, ENV_CREDENTIALS)
    source = wheel_source(foo_wheel, f"{redirecting.base}/moved/{foo_wheel.name}")
    store = Store(tmp_path / "store")
    with WheelFetcher(index=location) as fetcher:
        store.ensure_tree(source, fetcher)
    assert store.has_tree(source.sha256)
    assert [request.path for request in cdn.requests] == [f"/files/{foo_wheel.name}"]
    assert "authorization" not in cdn.requests[0].headers


def test_index_credentials_are_not_sent_to_a_cdn_the_page_names(
    cdn: IndexServer, tmp_path: Path, foo_wheel: Path
) -> None:
    with IndexServer(host="127.0.0.2") as index_server:
        index_server.require_auth(USER, PASSWORD)
        page = _page_listing(cdn.file_url(foo_wheel.name), foo_wheel)
        index_server.serve_garbage("/simple/foo/", page, JSON_CONTENT_TYPE)
        location = locate(index_server.url, tmp_path, ENV_CREDENTIALS)
        with session(location, tmp_path / "cache") as index:
            assert index.metadata(only_wheel(index.page(FOO))).name == "foo"
    assert cdn.requests
    assert all("authorization" not in request.headers for request in cdn.requests)


# -- credentials inside file URLs ------------------------------------------------------------


def _page_listing(url: str, wheel: Path) -> bytes:
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    entry = {"filename": wheel.name, "url": url, "hashes": {"sha256": sha256}}
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "foo", "files": [entry]}).encode()


def _html_listing(url: str, wheel: Path) -> bytes:
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f'<html><body><a href="{url}#sha256={sha256}">{wheel.name}</a></body></html>'.encode()


@pytest.mark.parametrize("kind", ["json", "html"])
def test_an_index_echoing_credentials_into_file_urls_leaves_none_on_disk(
    index_server: IndexServer, tmp_path: Path, foo_wheel: Path, kind: str
) -> None:
    # Some indexes list files under URLs carrying the caller's credentials.
    index_server.require_auth(USER, TOKEN)
    index_server.add_file(foo_wheel, metadata="unadvertised")
    url = index_server.file_url(foo_wheel.name).replace("http://", f"http://{USER}:{TOKEN}@")
    if kind == "json":
        index_server.serve_garbage("/simple/foo/", _page_listing(url, foo_wheel), JSON_CONTENT_TYPE)
    else:
        index_server.serve_garbage("/simple/foo/", _html_listing(url, foo_wheel), "text/html")
    environ = {"OMNIWHEEL_INDEX_DEFAULT_USERNAME": USER, "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": TOKEN}
    location = locate(index_server.url, tmp_path, environ)
    cache = tmp_path / "cache"
    with session(location, cache) as index:
        wheel = only_wheel(index.page(FOO))
        assert index.metadata(wheel).name == "foo"
    assert wheel.file.url == index_server.file_url(foo_wheel.name)
    assert files_holding(cache, TOKEN) == []
    assert list(cache.rglob("*.json"))  # the page was cached, stripped
    # Read back from the cache, the page is the stripped one.
    with session(location, cache) as index:
        assert only_wheel(index.page(FOO)).file.url == index_server.file_url(foo_wheel.name)


def test_credentials_a_page_gives_for_a_cdn_are_used_there_and_not_kept(
    index_server: IndexServer, tmp_path: Path, foo_wheel: Path
) -> None:
    with IndexServer(host="127.0.0.2") as cdn_server:
        cdn_server.require_auth("cdn-user", TOKEN)
        cdn_server.add_file(foo_wheel, metadata="unadvertised")
        url = cdn_server.file_url(foo_wheel.name).replace("http://", f"http://cdn-user:{TOKEN}@")
        index_server.serve_garbage("/simple/foo/", _page_listing(url, foo_wheel), JSON_CONTENT_TYPE)
        cache = tmp_path / "cache"
        with session(locate(index_server.url, tmp_path), cache) as index:
            assert index.metadata(only_wheel(index.page(FOO))).name == "foo"
        assert cdn_server.requests
        assert all("authorization" in request.headers for request in cdn_server.requests)
    assert all("authorization" not in request.headers for request in index_server.requests)
    assert files_holding(cache, TOKEN) == []


def test_a_lock_from_an_index_echoing_credentials_holds_none(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path / "wheels", "tok", "1.0")
    index_server.require_auth(USER, TOKEN)
    index_server.add_file(wheel)
    url = index_server.file_url(wheel.name).replace("http://", f"http://{USER}:{TOKEN}@")
    page = _page_listing(url, wheel).replace(b'"name": "foo"', b'"name": "tok"')
    index_server.serve_garbage("/simple/tok/", page, JSON_CONTENT_TYPE)
    project = tmp_path / "project"
    write_project(project, {"name": "demo", "version": "0.1", "dependencies": ["tok"]})
    environ = {"OMNIWHEEL_INDEX_DEFAULT_USERNAME": USER, "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": TOKEN}
    args = ["--platform", "linux-x86_64@3.12"]
    cache = tmp_path / "cache"
    run = run_lock(project, args, index_url=index_server.url, cache_dir=cache, environ=environ)
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert index_server.file_url(wheel.name) in run.lock_text
    check = run_lock(
        project, [*args, "--check"], index_url=index_server.url, cache_dir=cache, environ=environ
    )
    assert check.exit_code == 0, check.output
    assert TOKEN not in run.output + check.output
    assert files_holding(project, TOKEN) == []
    assert files_holding(cache, TOKEN) == []


def test_the_store_without_an_index_says_no_credentials_were_looked_up(
    pypi: PypiServer, tmp_path: Path, foo_wheel: Path
) -> None:
    source = wheel_source(foo_wheel, f"http://{pypi.host}:{pypi.port}/packages/{foo_wheel.name}")
    with WheelFetcher(index=None) as fetcher, pytest.raises(StoreError) as error:
        Store(tmp_path / "store").ensure_tree(source, fetcher)
    assert str(error.value).endswith("answered HTTP 401 (sent no credentials)")
    assert (error.value.hint or "").startswith(
        "no index is configured, so no credentials were looked up"
    )
