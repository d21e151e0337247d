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
