"""Issue 13's "done when", against a real pypiserver as the private index.

``corp`` is a pypiserver behind htpasswd auth on 127.0.0.2 (HTML pages only, relative file
links); the default index is the fixture server on 127.0.0.1, which also lists ``shared`` — at
a higher version, as a dependency-confusion attack would — and alone lists ``lib``.  Each case
goes through the real CLI: ``lock`` then ``sync``, with corp's credentials from the environment
(``OMNIWHEEL_INDEX_CORP_*``) or from a netrc file, and checks where each file came from, that
the default index never saw an ``Authorization`` header, and that no password was kept.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.pypiserver import PypiServer
from tests.support.sync_space import PYTHON, CliRun, run_cli, this_platform
from tests.support.wheelbuilder import build_wheel

USER = "reader"
PASSWORD = "corp-pypi-pw-41"
CREDENTIAL_SOURCES = ["environment", "netrc"]


@dataclass(slots=True)
class Space:
    corp: PypiServer
    public: IndexServer
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    def credentials(self, source: str) -> dict[str, str]:
        if source == "environment":
            return {
                "OMNIWHEEL_INDEX_CORP_USERNAME": USER,
                "OMNIWHEEL_INDEX_CORP_PASSWORD": PASSWORD,
            }
        netrc = self.root / "netrc"
        netrc.write_text(
            f"machine {self.corp.host} login {USER} password {PASSWORD}\n", encoding="utf-8"
        )
        return {"NETRC": str(netrc)}

    def write(self, **tool: Any) -> None:
        project = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
        corp = {"name": "corp", "url": self.corp.url}
        index = [corp | tool.pop("corp", {})]
        write_project(self.project, project | {"dependencies": ["app"]}, {"index": index} | tool)

    def lock(self, environ: dict[str, str]) -> LockRun:
        return run_lock(
            self.project,
            ["--platform", this_platform()],
            index_url=self.public.url,
            cache_dir=self.root / "cache",
            environ=environ,
        )

    def sync(self, environ: dict[str, str]) -> CliRun:
        return run_cli(
            ["sync", "--project", str(self.project)],
            server_url=self.public.url,
            cache=self.root / "cache",
            environ=environ,
        )

    def packages(self) -> dict[str, tuple[str, str]]:
        text = (self.project / "pylock.toml").read_text(encoding="utf-8")
        return {p["name"]: (p["version"], p["index"]) for p in tomllib.loads(text)["packages"]}

    def installed(self) -> list[str]:
        site = next((self.project / ".venv").glob("lib/python*/site-packages"))
        return sorted(path.name for path in site.glob("*.dist-info"))

    def holding_password(self) -> list[Path]:
        return [
            path
            for directory in (self.project, self.root / "cache")
            for path in directory.rglob("*")
            if path.is_file() and PASSWORD.encode() in path.read_bytes()
        ]


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Space]:
    wheels = tmp_path / "wheels"
    (tmp_path / "corp").mkdir()
    corp = PypiServer(
        tmp_path / "corp" / "packages", user=USER, password=PASSWORD, host="127.0.0.2"
    )
    with corp, IndexServer(host="127.0.0.1") as public:
        corp.add(build_wheel(wheels / "corp", "app", "1.0", requires_dist=["shared", "lib"]))
        corp.add(build_wheel(wheels / "corp", "shared", "1.0"))
        public.add_file(build_wheel(wheels / "public", "shared", "9.0"))
        public.add_file(build_wheel(wheels / "public", "lib", "1.0"))
        yield Space(corp=corp, public=public, root=tmp_path)
        assert public.handler_errors == []


def _files_asked(server: IndexServer) -> list[str]:
    return sorted(
        r.path.rsplit("/", 1)[-1] for r in server.requests if r.path.startswith("/files/")
    )


@pytest.mark.parametrize("source", CREDENTIAL_SOURCES)
def test_a_name_on_both_comes_from_the_private_pypiserver_at_lock_and_sync(
    space: Space, source: str
) -> None:
    space.write()
    secrets = space.credentials(source)
    lock = space.lock(secrets)
    assert lock.exit_code == 0, lock.output
    assert space.packages() == {
        "app": ("1.0", space.corp.url),
        "shared": ("1.0", space.corp.url),  # not 9.0 from the default index
        "lib": ("1.0", space.public.url),
    }
    assert (
        "shared: taken from corp; also listed on default, not used (an earlier index wins)"
        in lock.stderr
    )
    assert "Indexes, in order: corp ([[tool.omniwheel.index]] corp), default" in lock.stderr
    assert not [r for r in space.public.requests if "authorization" in r.headers]

    space.public.clear_requests()
    sync = space.sync(secrets)
    assert sync.exit_code == 0, sync.stderr
    assert space.installed() == ["app-1.0.dist-info", "lib-1.0.dist-info", "shared-1.0.dist-info"]
    # From the default index only lib's wheel, and without corp's credentials; app and shared
    # came from pypiserver, which serves nothing without them.
    assert _files_asked(space.public) == ["lib-1.0-py3-none-any.whl"]
    assert not [r for r in space.public.requests if "authorization" in r.headers]
    assert space.holding_password() == []
    assert PASSWORD not in lock.output + sync.stdout + sync.stderr


@pytest.mark.parametrize("source", CREDENTIAL_SOURCES)
def test_an_explicit_pypiserver_index_serves_only_its_pinned_package(
    space: Space, source: str
) -> None:
    space.write(corp={"explicit": True}, sources={"app": {"index": "corp"}})
    secrets = space.credentials(source)
    lock = space.lock(secrets)
    assert lock.exit_code == 0, lock.output
    assert space.packages() == {
        "app": ("1.0", space.corp.url),
        "shared": ("9.0", space.public.url),  # corp lists it, but serves pins only
        "lib": ("1.0", space.public.url),
    }
    assert "also listed" not in lock.stderr

    space.public.clear_requests()
    sync = space.sync(secrets)
    assert sync.exit_code == 0, sync.stderr
    assert space.installed() == ["app-1.0.dist-info", "lib-1.0.dist-info", "shared-9.0.dist-info"]
    assert _files_asked(space.public) == ["lib-1.0-py3-none-any.whl", "shared-9.0-py3-none-any.whl"]
    assert not [r for r in space.public.requests if "authorization" in r.headers]
    assert space.holding_password() == []


def test_sync_without_the_pypiserver_credentials_names_the_index(space: Space) -> None:
    space.write()
    lock = space.lock(space.credentials("environment"))
    assert lock.exit_code == 0, lock.output
    sync = space.sync({})
    assert sync.exit_code == 1, sync.stderr
    assert "answered HTTP 401 (sent no credentials)" in sync.stderr
    assert "give credentials for the `corp` index" in sync.stderr
    assert "`OMNIWHEEL_INDEX_CORP_USERNAME`" in sync.stderr


def test_lock_without_the_pypiserver_credentials_names_the_index(space: Space) -> None:
    space.write()
    lock = space.lock({})
    assert lock.exit_code == 1, lock.output
    assert (
        f"{space.corp.url}app/ answered HTTP 401: the `corp` index "
        "(from [[tool.omniwheel.index]] corp) wants credentials, and none were found for it\n"
    ) in lock.stderr
    assert lock.lock_text is None
