"""Where find-links sources sit in the index list, how they are named, and ``no-index``."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.index.discovery import IndexLocation
from omniwheel.index.indexes import decide_indexes
from omniwheel.project.find_links import find_links_url
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
