"""Where find-links sources sit in the index list, how they are named, and ``no-index``."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.index.discovery import IndexLocation
from omniwheel.index.indexes import decide_indexes
from omniwheel.project.find_links import find_links_url, recorded_path, recorded_source
from omniwheel.project.indexes import IndexEntry
from omniwheel.project.pyproject import Settings

DEFAULT = IndexLocation(url="https://default.example/simple/", source="--index-url", cert=None)
CORP = IndexEntry(name="corp", url="https://corp.example/simple/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wheels", "file:///srv/project/wheels/"),
        ("./wheels/", "file:///srv/project/wheels/"),
        ("/opt/w", "file:///opt/w/"),
        ("https://u:t@host/links.html", "https://u:t@host/links.html"),
        ("file:///opt/w/", "file:///opt/w/"),
    ],
)
def test_find_links_url(text: str, expected: str) -> None:
    assert find_links_url(text, Path("/srv/project")) == expected


def test_a_path_to_an_existing_file_is_a_page_of_links(tmp_path: Path) -> None:
    (tmp_path / "links.html").write_text("", encoding="utf-8")
    assert find_links_url("links.html", tmp_path) == (tmp_path / "links.html").resolve().as_uri()
    assert find_links_url("./missing.html", tmp_path).endswith("/missing.html/")  # a directory


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/srv/project/wheels/a-1-py3-none-any.whl", "wheels/a-1-py3-none-any.whl"),
        ("/srv/project/a-1-py3-none-any.whl", "a-1-py3-none-any.whl"),
        ("/srv/shared/a-1-py3-none-any.whl", "/srv/shared/a-1-py3-none-any.whl"),
        ("/srv/project-2/a-1-py3-none-any.whl", "/srv/project-2/a-1-py3-none-any.whl"),
    ],
)
def test_recorded_path(path: str, expected: str) -> None:
    assert recorded_path(Path(path), Path("/srv/project")) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///srv/project/wheels/", "wheels/"),
        ("file:///srv/project/", "./"),
        ("file:///srv/project/pages/links.html", "pages/links.html"),
        ("file:///srv/project/my%20wheels/", "my wheels/"),
        ("file:///srv/shared/", "file:///srv/shared/"),
        ("https://host/links.html", "https://host/links.html"),
    ],
)
def test_recorded_source(url: str, expected: str) -> None:
    assert recorded_source(url, Path("/srv/project")) == expected


def test_a_file_named_by_its_real_path_is_inside_a_project_reached_through_a_link(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real"
    (real / "wheels").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    wheel = real / "wheels" / "a-1-py3-none-any.whl"
    assert recorded_path(wheel, tmp_path / "alias") == "wheels/a-1-py3-none-any.whl"
    assert recorded_source((real / "wheels").as_uri() + "/", tmp_path / "alias") == "wheels/"


def test_the_list_records_a_folder_inside_the_directory_relative_to_it() -> None:
    settings = Settings(
        indexes=(CORP,), find_links=("file:///srv/project/wheels/", "file:///opt/w/")
    )
    listed = decide_indexes(DEFAULT, cli=(), settings=settings, environ={})
    assert listed.recorded(Path("/srv/project")) == (
        CORP,
        IndexEntry(name="find-links-1", url="wheels/"),
        IndexEntry(name="find-links-2", url="file:///opt/w/"),
    )


def test_find_links_sit_after_named_indexes_and_before_the_default(tmp_path: Path) -> None:
    settings = Settings(indexes=(CORP,), find_links=("file:///srv/project/wheels/",))
    environ = {"OMNIWHEEL_FIND_LINKS": "extra https://u:t@host/links.html"}
    listed = decide_indexes(DEFAULT, cli=(), settings=settings, environ=environ, cwd=tmp_path)
    assert [(index.name, index.location.public_url) for index in listed.indexes] == [
        ("corp", CORP.url),
        ("find-links-1", (tmp_path / "extra").as_uri() + "/"),
        ("find-links-2", "https://host/links.html"),
        ("find-links-3", "file:///srv/project/wheels/"),
        ("default", DEFAULT.url),
    ]
    assert [index.location.flat for index in listed.indexes] == [False, True, True, True, False]
    assert listed.indexes[2].describe() == (
        "find-links-2 (OMNIWHEEL_FIND_LINKS https://host/links.html)"
    )
    assert listed.indexes[2].location.credentials.name == "find-links-2"
    assert not listed.no_index


def test_find_links_given_to_the_list_replace_the_environment_variable(tmp_path: Path) -> None:
    environ = {"OMNIWHEEL_FIND_LINKS": "ignored"}
    listed = decide_indexes(
        DEFAULT, cli=(), settings=Settings(), environ=environ, find_links=("w",), cwd=tmp_path
    )
    assert [index.location.url for index in listed.indexes[:-1]] == [
        (tmp_path / "w").as_uri() + "/"
    ]
    assert listed.indexes[0].location.source.startswith("--find-links ")


@pytest.mark.parametrize(
    ("settings", "environ", "expected"),
    [
        (Settings(no_index=True), {}, True),
        (Settings(), {"OMNIWHEEL_NO_INDEX": "1"}, True),
        (Settings(), {"OMNIWHEEL_NO_INDEX": "yes"}, True),
        (Settings(), {"OMNIWHEEL_NO_INDEX": "0"}, False),
        (Settings(), {}, False),
    ],
)
def test_no_index_makes_the_default_explicit(
    settings: Settings, environ: dict[str, str], expected: bool
) -> None:
    listed = decide_indexes(DEFAULT, cli=(), settings=settings, environ=environ)
    assert listed.no_index is expected
    assert listed.several is expected  # alone, the default needs the router only then
    assert listed.indexes[-1].explicit is expected
    assert listed.recorded(Path("/srv/project")) == ()
