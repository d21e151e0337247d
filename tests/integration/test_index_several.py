"""Several indexes against two real local index servers: order, first match, the record.

``corp`` (127.0.0.2) stands for a private index, the default (127.0.0.1) for a public one
that also lists ``shared`` — at a higher version, as a dependency-confusion attack would.  The
lock must take ``shared`` (and ``app``) from ``corp``, everything else from the default, say
which index each package came from, name the shadowed project in its summary, and record the
index list so that ``--check`` and relocks notice a change.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omniwheel.index import client
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.scenario_index import populate_index
from tests.support.sync_space import PYTHON, run_cli, this_platform

LINUX = "linux-x86_64@3.12"
CORP: list[dict[str, Any]] = [
    {"name": "app", "version": "1.0", "requires-dist": ["shared", "lib"]},
    {"name": "shared", "version": "1.0"},
]
PUBLIC: list[dict[str, Any]] = [
    {"name": "shared", "version": "9.0"},
    {"name": "lib", "version": "1.0"},
]


@dataclass(slots=True)
class Indexes:
    corp: IndexServer
    public: IndexServer
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    def write(self, **tool: Any) -> None:
        project = {"name": "demo", "version": "0.1", "requires-python": ">=3.11"}
        write_project(self.project, project | {"dependencies": ["app"]}, tool or None)

    def lock(self, *args: str, environ: dict[str, str] | None = None) -> LockRun:
        return run_lock(
            self.project,
            ["--platform", LINUX, *args],
            index_url=self.public.url,
            cache_dir=self.root / "cache",
            environ=environ,
        )

    def lock_data(self) -> dict[str, Any]:
        return tomllib.loads((self.project / "pylock.toml").read_text(encoding="utf-8"))

    def packages(self) -> dict[str, tuple[str, str]]:
        """Each locked package's version and index."""
        return {p["name"]: (p["version"], p["index"]) for p in self.lock_data()["packages"]}


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[Indexes]:
    with IndexServer(host="127.0.0.2") as corp, IndexServer(host="127.0.0.1") as public:
        populate_index(corp, CORP, tmp_path / "corp-files")
        populate_index(public, PUBLIC, tmp_path / "public-files")
        space = Indexes(corp=corp, public=public, root=tmp_path)
        space.write()
        yield space
        assert corp.handler_errors == []
        assert public.handler_errors == []


def test_an_earlier_index_wins_and_the_lock_records_each_package_index(indexes: Indexes) -> None:
    run = indexes.lock("--index", f"corp={indexes.corp.url}")
    assert run.exit_code == 0, run.output
    assert indexes.packages() == {
        "app": ("1.0", indexes.corp.url),
        "shared": ("1.0", indexes.corp.url),  # not 9.0 from the later index
        "lib": ("1.0", indexes.public.url),
    }
    recorded = indexes.lock_data()["tool"]["omniwheel"]
    assert recorded["indexes"] == [{"name": "corp", "url": indexes.corp.url}]
    assert recorded["index-url"] == indexes.public.url
    files = {p["name"]: p["wheels"][0]["url"] for p in indexes.lock_data()["packages"]}
    assert files["shared"].startswith(indexes.corp.base_url)


def test_the_summary_names_a_project_that_a_later_index_lists_too(indexes: Indexes) -> None:
    run = indexes.lock("--index", f"corp={indexes.corp.url}")
    assert run.exit_code == 0, run.output
    assert "Indexes, in order: corp (--index corp), default (OMNIWHEEL_INDEX_URL)" in run.stderr
    assert "shared: taken from corp; also listed on default, not used" in run.stderr
    assert "app: taken from" not in run.stderr  # the default does not list app


def test_a_relock_that_resolves_nothing_still_names_the_shadowed_project(
    indexes: Indexes,
) -> None:
    """The second lock stops early (nothing changed) and asks no index, yet its summary says
    what the resolution found: shared is listed on the default index too."""
    indexes.write(index=[{"name": "corp", "url": indexes.corp.url}])
    assert indexes.lock().exit_code == 0
    indexes.corp.clear_requests()
    indexes.public.clear_requests()
    run = indexes.lock()
    assert run.exit_code == 0, run.output
    assert "pylock.toml is up to date" in run.stdout + run.stderr
    assert "As when it was resolved (the indexes were not asked again):" in run.stderr
    assert "shared: taken from corp; also listed on default, not used" in run.stderr
    assert indexes.corp.requests == []
    assert indexes.public.requests == []


def test_the_later_index_is_not_asked_for_a_project_found_earlier_while_resolving(
    indexes: Indexes,
) -> None:
    """Found on corp, ``shared`` reaches the default index only in the shadowing check, after
    the lock is decided: one request for its page there, and none for its files."""
    run = indexes.lock("--index", f"corp={indexes.corp.url}")
    assert run.exit_code == 0, run.output
    asked = [request.path for request in indexes.public.requests]
    assert asked.count("/simple/shared/") == 1
    assert not [path for path in asked if path.startswith("/files/shared")]


def test_one_index_records_no_index_list_and_asks_nothing_more(indexes: Indexes) -> None:
    indexes.write()
    (indexes.project / "pyproject.toml").write_text(
        (indexes.project / "pyproject.toml").read_text().replace('"app"', '"lib"')
    )
    run = indexes.lock()
    assert run.exit_code == 0, run.output
    assert "indexes" not in indexes.lock_data()["tool"]["omniwheel"]
    assert "Index (OMNIWHEEL_INDEX_URL):" in run.stderr
    assert [request.path for request in indexes.public.requests].count("/simple/lib/") == 1


def test_pyproject_indexes_and_the_environment_variable_are_read(indexes: Indexes) -> None:
    indexes.write(index=[{"name": "corp", "url": indexes.corp.url}])
    run = indexes.lock()
    assert run.exit_code == 0, run.output
    assert indexes.packages()["shared"] == ("1.0", indexes.corp.url)
    assert "corp ([[tool.omniwheel.index]] corp)" in run.stderr

    indexes.write()
    (indexes.project / "pylock.toml").unlink()
    run = indexes.lock(environ={"OMNIWHEEL_INDEX": f"corp={indexes.corp.url}"})
    assert run.exit_code == 0, run.output
    assert indexes.packages()["shared"] == ("1.0", indexes.corp.url)
    assert "corp (OMNIWHEEL_INDEX corp)" in run.stderr


def test_check_notices_a_changed_index_list(indexes: Indexes) -> None:
    indexes.write(index=[{"name": "corp", "url": indexes.corp.url}])
    assert indexes.lock().exit_code == 0
    unchanged = indexes.lock()
    assert unchanged.exit_code == 0, unchanged.output
    assert "is up to date" in unchanged.stderr  # the early stop still answers

    indexes.write(index=[{"name": "private", "url": indexes.corp.url}])  # renamed
    run = indexes.lock("--check")
    assert run.exit_code == 1, run.output
    url = indexes.corp.url
    assert f"indexes: corp={url} → private={url}" in run.stderr
    relocked = indexes.lock()  # no early stop either: the list changed
    assert relocked.exit_code == 0, relocked.output
    assert "Resolved 3 packages" in relocked.stderr
    assert indexes.lock_data()["tool"]["omniwheel"]["indexes"] == [{"name": "private", "url": url}]


def test_a_bad_index_option_is_an_error_with_a_hint(indexes: Indexes) -> None:
    run = indexes.lock("--index", "http://user:secret@127.0.0.2/simple/")
    assert run.exit_code == 1, run.output
    assert "is not NAME=URL" in run.stderr
    assert "secret" not in run.stderr
    assert "hint: name each index" in run.stderr
    run = indexes.lock("--index", f"default={indexes.corp.url}")
    assert run.exit_code == 1, run.output
    assert "'default' is the name of the index omniwheel discovers" in run.stderr


# -- explicit indexes and sources ------------------------------------------------------------


def test_an_explicit_index_serves_only_the_packages_pinned_to_it(indexes: Indexes) -> None:
    """``corp`` explicit: ``app`` pinned to it comes from it; ``shared``, not pinned, is taken
    from the default (9.0) although corp lists it — an explicit index serves pins only."""
    indexes.write(
        index=[{"name": "corp", "url": indexes.corp.url, "explicit": True}],
        sources={"app": {"index": "corp"}},
    )
    run = indexes.lock()
    assert run.exit_code == 0, run.output
    assert indexes.packages() == {
        "app": ("1.0", indexes.corp.url),
        "shared": ("9.0", indexes.public.url),
        "lib": ("1.0", indexes.public.url),
    }
    assert "/simple/shared/" not in [request.path for request in indexes.corp.requests]
    recorded = indexes.lock_data()["tool"]["omniwheel"]
    assert recorded["indexes"] == [{"name": "corp", "url": indexes.corp.url, "explicit": True}]
    assert recorded["sources"] == {"app": "corp"}
    assert "also listed" not in run.stderr  # pins and explicit indexes shadow nothing


def test_a_package_only_an_explicit_index_lists_is_not_taken_unpinned(indexes: Indexes) -> None:
    indexes.write(index=[{"name": "corp", "url": indexes.corp.url, "explicit": True}])
    run = indexes.lock()
    assert run.exit_code == 1, run.output
    assert f"`app` is not on the index `default` at {indexes.public.url}" in run.stderr
    assert "the explicit index `corp` serves only the packages" in run.stderr
    assert "/simple/app/" not in [request.path for request in indexes.corp.requests]


def test_a_project_no_index_lists_is_reported_with_every_index_asked(
    indexes: Indexes,
) -> None:
    write_project(
        indexes.project,
        {"name": "demo", "version": "0.1", "requires-python": ">=3.11", "dependencies": ["ghost"]},
        None,
    )
    run = indexes.lock("--index", f"corp={indexes.corp.url}")
    assert run.exit_code == 1, run.output
    assert (
        "`ghost` is on none of the indexes asked for it, in this order: "
        f"`corp` at {indexes.corp.url}; `default` at {indexes.public.url}"
    ) in run.stderr
    assert "Traceback" not in run.stderr


def test_a_pin_holds_even_when_an_earlier_index_lists_the_package(indexes: Indexes) -> None:
    """``shared`` pinned to the default index: 9.0 from there, although corp comes first."""
    indexes.write(
        index=[{"name": "corp", "url": indexes.corp.url}], sources={"shared": {"index": "default"}}
    )
    run = indexes.lock()
    assert run.exit_code == 0, run.output
    assert indexes.packages()["shared"] == ("9.0", indexes.public.url)
    assert indexes.packages()["app"] == ("1.0", indexes.corp.url)


def test_a_source_naming_an_unknown_index_is_an_error_naming_the_known_ones(
    indexes: Indexes,
) -> None:
    indexes.write(
        index=[{"name": "corp", "url": indexes.corp.url}], sources={"app": {"index": "crop"}}
    )
    run = indexes.lock()
    assert run.exit_code == 1, run.output
    assert (
        "error: [tool.omniwheel.sources] takes app from the index 'crop', which is not "
        "configured (known indexes: corp, default)"
    ) in run.stderr
    assert "hint: " in run.stderr
    assert run.lock_text is None


# -- sync ------------------------------------------------------------------------------------


SECRETS = {"OMNIWHEEL_INDEX_CORP_USERNAME": "alice", "OMNIWHEEL_INDEX_CORP_PASSWORD": "s3cret"}


def _lock_from_corp_behind_auth(indexes: Indexes) -> tuple[LockRun, Path]:
    """corp wants alice's password; the project (for this machine) is locked with it from
    OMNIWHEEL_INDEX_CORP_*.  The run and the cache it filled."""
    indexes.corp.require_auth("alice", "s3cret")
    project = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(
        indexes.project,
        project | {"dependencies": ["app"]},
        {"index": [{"name": "corp", "url": indexes.corp.url}]},
    )
    cache = indexes.root / "cache"
    lock = run_lock(
        indexes.project,
        ["--platform", this_platform()],
        index_url=indexes.public.url,
        cache_dir=cache,
        environ=SECRETS,
    )
    assert lock.exit_code == 0, lock.output
    return lock, cache


def _assert_each_wheel_came_with_its_index_credentials(indexes: Indexes) -> None:
    """corp's wheels (app, shared) were fetched from corp with Basic credentials, the default
    index's (lib) from there with none."""
    corp_files = [r for r in indexes.corp.requests if r.path.startswith("/files/")]
    public_files = [r for r in indexes.public.requests if r.path.startswith("/files/")]
    assert sorted(r.path.split("/")[-1].split("-")[0] for r in corp_files) == ["app", "shared"]
    assert [r.path.split("/")[-1].split("-")[0] for r in public_files] == ["lib"]
    assert all(r.headers.get("authorization", "").startswith("Basic ") for r in corp_files)
    assert not [r for r in public_files if "authorization" in r.headers]


def test_sync_fetches_each_wheel_from_its_index_with_that_index_credentials(
    indexes: Indexes,
) -> None:
    """corp wants a password (from OMNIWHEEL_INDEX_CORP_*); the default wants none and must get
    none: each download carries exactly its own index's credentials."""
    lock, cache = _lock_from_corp_behind_auth(indexes)
    assert "s3cret" not in (lock.lock_text or "")
    indexes.corp.clear_requests()
    indexes.public.clear_requests()

    run = run_cli(
        ["sync", "--project", str(indexes.project)],
        server_url=indexes.public.url,
        cache=cache,
        environ=SECRETS,
    )
    assert run.exit_code == 0, run.stderr
    _assert_each_wheel_came_with_its_index_credentials(indexes)
    site = next((indexes.project / ".venv").glob("lib/python*/site-packages"))
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "app-1.0.dist-info",
        "lib-1.0.dist-info",
        "shared-1.0.dist-info",
    ]


def test_sync_without_the_index_credentials_says_which_index_refused(indexes: Indexes) -> None:
    """Locked with corp's credentials, synced without them: corp's 401 is an error; the
    default index's credentials (none) were not sent to corp either."""
    _, cache = _lock_from_corp_behind_auth(indexes)
    run = run_cli(
        ["sync", "--project", str(indexes.project)],
        server_url=indexes.public.url,
        cache=cache,
        environ={},
    )
    assert run.exit_code == 1, run.stderr
    assert "401" in run.stderr
    assert "answered HTTP 401 (sent no credentials)" in run.stderr
    assert "give credentials for the `corp` index" in run.stderr
    assert "OMNIWHEEL_INDEX_CORP_USERNAME" in run.stderr


def test_sync_does_not_relock_without_an_index_the_lock_was_made_with(indexes: Indexes) -> None:
    """Locked with `--index corp=…` alone, then a change to pyproject.toml: sync's relock would
    go without corp and take corp's names from the default index (shared 9.0), so it refuses."""
    project = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(indexes.project, project | {"dependencies": ["app"]})
    cache = indexes.root / "cache"
    lock = run_lock(
        indexes.project,
        ["--platform", this_platform(), "--index", f"corp={indexes.corp.url}"],
        index_url=indexes.public.url,
        cache_dir=cache,
    )
    assert lock.exit_code == 0, lock.output
    run = run_cli(
        ["sync", "--project", str(indexes.project)],
        server_url=indexes.public.url,
        cache=cache,
        environ={},
    )
    assert run.exit_code == 1, run.stderr
    assert (
        f"was locked with the index `corp` ({indexes.corp.url}), which this run does not "
        "configure" in run.stderr
    )
    assert "hint: configure it again" in run.stderr
    assert (indexes.project / "pylock.toml").read_text(encoding="utf-8") == lock.lock_text

    # Given again, on the command line or in the environment, corp makes the lock current.
    for args, environ in (
        (["--index", f"corp={indexes.corp.url}"], {}),
        ([], {"OMNIWHEEL_INDEX": f"corp={indexes.corp.url}"}),
    ):
        run = run_cli(
            ["sync", "--project", str(indexes.project), *args],
            server_url=indexes.public.url,
            cache=cache,
            environ=environ,
        )
        assert run.exit_code == 0, run.stderr
        assert "Resolved" not in run.stderr + run.stdout
        assert (indexes.project / "pylock.toml").read_text(encoding="utf-8") == lock.lock_text
        assert indexes.packages()["shared"] == ("1.0", indexes.corp.url)


def test_sync_relocks_from_the_indexes_its_command_line_gives(indexes: Indexes) -> None:
    """A project whose pyproject.toml changed after locking: `sync --index corp=…` relocks
    from corp first (shared 1.0 from corp, not 9.0 from the default), and installs that."""
    project = {"name": "demo", "version": "0.1", "requires-python": f">={PYTHON}"}
    write_project(indexes.project, project | {"dependencies": ["app"]})
    cache = indexes.root / "cache"
    run = run_cli(
        ["sync", "--project", str(indexes.project), "--index", f"corp={indexes.corp.url}"],
        server_url=indexes.public.url,
        cache=cache,
        environ={},
    )
    assert run.exit_code == 0, run.stderr
    assert indexes.packages() == {
        "app": ("1.0", indexes.corp.url),
        "shared": ("1.0", indexes.corp.url),
        "lib": ("1.0", indexes.public.url),
    }
    site = next((indexes.project / ".venv").glob("lib/python*/site-packages"))
    assert (site / "shared-1.0.dist-info").is_dir()


def test_artifacts_write_fetches_each_wheel_with_its_index_credentials(
    indexes: Indexes,
) -> None:
    """``artifacts write`` downloads every target's wheels to hash them: corp's with corp's
    credentials, the default's with none, as sync does."""
    _, cache = _lock_from_corp_behind_auth(indexes)
    indexes.corp.clear_requests()
    indexes.public.clear_requests()
    run = run_cli(
        ["artifacts", "write", "--project", str(indexes.project)],
        server_url=indexes.public.url,
        cache=cache,
        environ=SECRETS,
    )
    assert run.exit_code == 0, run.stderr
    _assert_each_wheel_came_with_its_index_credentials(indexes)
    assert (indexes.project / "Artifacts.toml").is_file()
    assert "s3cret" not in (indexes.project / "Artifacts.toml").read_text(encoding="utf-8")
