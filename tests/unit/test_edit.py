"""Editing pyproject.toml as text: init, add and remove keep everything they do not change."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from omniwheel.errors import Problem
from omniwheel.project.edit import (
    EditError,
    add_requirements,
    init_text,
    project_name_for,
    remove_requirements,
    set_artifacts_choice,
)
from omniwheel.project.pyproject import parse_project

PROJECT = """\
# The demo project.
[project]
name = "demo"  # the name
version = "1"
dependencies = [
    "attrs>=23",  # pinned for a reason
    # the idna comment
    "idna",
    "pywin32; sys_platform == 'win32'",
]

[tool.omniwheel]
platforms = ["linux-x86_64"]  # only Linux
"""


def test_init_text_is_a_valid_project_with_a_commented_tool_table() -> None:
    text = init_text("my-tool", (3, 12))
    data = tomllib.loads(text)
    assert data["project"] == {
        "name": "my-tool",
        "version": "0.1.0",
        "requires-python": ">=3.12",
        "dependencies": [],
    }
    assert data["tool"] == {"omniwheel": {}}
    assert "# platforms = [" in text
    problems: list[Problem] = []
    parse_project(data, Path("/p/pyproject.toml"), problems)
    assert problems == []


@pytest.mark.parametrize(
    ("directory", "name"),
    [("demo", "demo"), ("My Tool", "My-Tool"), ("_private_", "private"), ("a.b_c", "a.b_c")],
)
def test_project_name_from_the_directory(directory: str, name: str) -> None:
    assert project_name_for(directory) == name


def test_a_directory_name_without_letters_asks_for_a_name() -> None:
    with pytest.raises(EditError, match="cannot make a project name") as caught:
        project_name_for("---")
    assert caught.value.hint == "give one with `omniwheel init --name NAME`"


def test_add_appends_and_keeps_every_comment() -> None:
    edited = add_requirements(PROJECT, ["httpx>=0.27"])
    assert edited.changes == ("+ httpx>=0.27",)
    assert edited.text == PROJECT.replace(
        "    \"pywin32; sys_platform == 'win32'\",\n",
        '    "pywin32; sys_platform == \'win32\'",\n    "httpx>=0.27",\n',
    )


def test_add_replaces_the_same_name_in_place() -> None:
    edited = add_requirements(PROJECT, ["IDNA>=3.7"])
    assert edited.changes == ("~ idna → IDNA>=3.7",)
    assert '    # the idna comment\n    "IDNA>=3.7",\n' in edited.text
    assert "# pinned for a reason" in edited.text


def test_add_keeps_an_entry_for_the_same_name_with_another_marker() -> None:
    edited = add_requirements(PROJECT, ["pywin32>=306"])
    deps = tomllib.loads(edited.text)["project"]["dependencies"]
    assert deps[-2:] == ["pywin32; sys_platform == 'win32'", "pywin32>=306"]


def test_add_to_a_new_optional_group_makes_its_table() -> None:
    edited = add_requirements(PROJECT, ["pytest>=8"], group="test")
    data = tomllib.loads(edited.text)
    assert data["project"]["optional-dependencies"] == {"test": ["pytest>=8"]}
    assert data["tool"]["omniwheel"]["platforms"] == ["linux-x86_64"]
    assert '[project.optional-dependencies]\ntest = [\n    "pytest>=8",\n]\n\n[tool' in edited.text
    assert edited.text.startswith(PROJECT.split("[tool.omniwheel]", maxsplit=1)[0])


def test_add_to_an_existing_group_matches_its_name_normalized() -> None:
    text = PROJECT.replace(
        "[tool.omniwheel]",
        '[project.optional-dependencies]\nDev_Tools = ["ruff"]\n\n[tool.omniwheel]',
    )
    edited = add_requirements(text, ["mypy"], group="dev-tools")
    groups = tomllib.loads(edited.text)["project"]["optional-dependencies"]
    assert groups == {"Dev_Tools": ["ruff", "mypy"]}


def test_add_to_an_empty_list_writes_one_entry_per_line() -> None:
    edited = add_requirements(init_text("demo", (3, 11)), ["attrs", "idna"])
    assert 'dependencies = [\n    "attrs",\n    "idna",\n]\n' in edited.text


def test_an_invalid_requirement_is_refused_before_any_edit() -> None:
    with pytest.raises(EditError, match=r"invalid requirement 'httpx>>0\.27'"):
        add_requirements(PROJECT, ["attrs", "httpx>>0.27"])


def test_remove_drops_every_entry_of_the_name() -> None:
    edited = remove_requirements(PROJECT, ["PyWin32", "attrs"])
    assert edited.changes == ("- pywin32; sys_platform == 'win32'", "- attrs>=23")
    assert tomllib.loads(edited.text)["project"]["dependencies"] == ["idna"]
    assert "# only Linux" in edited.text
    assert "# the idna comment" in edited.text


def test_remove_of_an_absent_name_fails_and_says_where_it_is() -> None:
    text = PROJECT.replace(
        "[tool.omniwheel]", '[project.optional-dependencies]\ntest = ["pytest"]\n\n[tool.omniwheel]'
    )
    with pytest.raises(EditError, match=r"pytest is not in \[project\].dependencies") as caught:
        remove_requirements(text, ["pytest"])
    assert caught.value.hint == "it is listed elsewhere; use --optional test"
    with pytest.raises(EditError, match="httpx is not in"):
        remove_requirements(text, ["httpx"], group="test")


def test_a_project_without_a_project_table_cannot_be_edited() -> None:
    with pytest.raises(EditError, match=r"no \[project\] table") as caught:
        add_requirements("[tool.black]\n", ["attrs"])
    assert caught.value.hint is not None
    assert "omniwheel init" in caught.value.hint


def test_dynamic_dependencies_are_not_edited() -> None:
    text = '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n'
    with pytest.raises(EditError, match="dynamic"):
        add_requirements(text, ["attrs"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda: init_text("-bad-", (3, 12)), "invalid project name"),
        (lambda: add_requirements("[project\n", ["httpx"]), "is not valid TOML"),
        (
            lambda: add_requirements(
                "[project]\noptional-dependencies = 1\n", ["pytest"], group="test"
            ),
            "optional-dependencies is not a table",
        ),
        (
            lambda: add_requirements('[project]\ndependencies = "httpx"\n', ["idna"]),
            "is not an array of requirement strings",
        ),
        (
            lambda: remove_requirements("[project]\ndependencies = []\n", ["-bad-"]),
            "invalid package name",
        ),
    ],
)
def test_every_refused_edit_says_what_to_do(edit: Callable[[], object], message: str) -> None:
    with pytest.raises(EditError, match=message) as caught:
        edit()
    assert caught.value.hint


GROUPS = """\
[project]
name = "demo"
dependencies = []

[dependency-groups]
Test_Suite = [
    "pytest>=8",  # the runner
    "idna",
]
dev = [{include-group = "test-suite"}, "ruff"]  # lint too
"""


def test_add_to_a_group_reuses_its_key_after_normalization_and_keeps_the_rest() -> None:
    edited = add_requirements(GROUPS, ["pytest>=9", "coverage"], dependency_group="test-suite")
    assert edited.changes == ("~ pytest>=8 → pytest>=9", "+ coverage")
    assert "# the runner" in edited.text
    assert 'dev = [{include-group = "test-suite"}, "ruff"]  # lint too' in edited.text
    data = tomllib.loads(edited.text)
    assert data["dependency-groups"]["Test_Suite"] == ["pytest>=9", "idna", "coverage"]
    assert "test-suite" not in data["dependency-groups"]


def test_add_to_a_group_with_includes_keeps_them() -> None:
    edited = add_requirements(GROUPS, ["mypy"], dependency_group="dev")
    data = tomllib.loads(edited.text)
    assert data["dependency-groups"]["dev"] == [{"include-group": "test-suite"}, "ruff", "mypy"]


def test_add_to_a_new_group_creates_the_table() -> None:
    edited = add_requirements(PROJECT, ["pytest"], dependency_group="dev")
    data = tomllib.loads(edited.text)
    assert data["dependency-groups"] == {"dev": ["pytest"]}
    assert data["tool"] == {"omniwheel": {"platforms": ["linux-x86_64"]}}
    assert "# only Linux" in edited.text
    problems: list[Problem] = []
    parse_project(data, Path("/p/pyproject.toml"), problems)
    assert problems == []


def test_remove_from_a_group_leaves_its_includes() -> None:
    edited = remove_requirements(GROUPS, ["RUFF"], dependency_group="dev")
    assert edited.changes == ("- ruff",)
    data = tomllib.loads(edited.text)
    assert data["dependency-groups"]["dev"] == [{"include-group": "test-suite"}]


def test_remove_names_the_group_that_lists_it() -> None:
    with pytest.raises(EditError) as caught:
        remove_requirements(GROUPS, ["idna"], dependency_group="dev")
    assert caught.value.message == "idna is not in [dependency-groups].dev"
    assert caught.value.hint == "it is listed elsewhere; use --group Test_Suite"


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ("Default", "the group name 'Default' is reserved"),
        ("no good", "invalid dependency group 'no good'"),
    ],
)
def test_a_group_name_that_cannot_be_used_is_refused(group: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        add_requirements(GROUPS, ["x"], dependency_group=group)


def test_an_extra_and_a_group_at_once_is_refused() -> None:
    with pytest.raises(EditError, match="give one"):
        add_requirements(GROUPS, ["x"], group="plot", dependency_group="dev")


def test_the_artifacts_choice_is_set_keeping_the_tool_table_and_its_comments() -> None:
    text = (
        '[project]\nname = "demo"\n\n[tool.omniwheel]\n# targets\n'
        'platforms = ["linux-x86_64"]\n\n[dependency-groups]\ndev = []\n'
    )
    edited = set_artifacts_choice(text, extras=["plot", "excel"], groups=[])
    assert edited.changes == ('~ [tool.omniwheel] artifacts-extras = ["excel", "plot"]',)
    assert edited.text == text.replace(
        'platforms = ["linux-x86_64"]\n',
        'platforms = ["linux-x86_64"]\nartifacts-extras = ["excel", "plot"]\n',
    )
    assert set_artifacts_choice(edited.text, extras=["excel", "plot"], groups=[]).changes == ()
    back = set_artifacts_choice(edited.text, extras=[], groups=["docs"])
    assert back.changes == (
        "- [tool.omniwheel] artifacts-extras",
        '~ [tool.omniwheel] artifacts-groups = ["docs"]',
    )
    assert tomllib.loads(back.text)["tool"]["omniwheel"] == {
        "platforms": ["linux-x86_64"],
        "artifacts-groups": ["docs"],
    }


def test_the_artifacts_choice_creates_the_tool_table_when_missing() -> None:
    edited = set_artifacts_choice('[project]\nname = "demo"\n', extras=["x"], groups=[])
    assert tomllib.loads(edited.text)["tool"] == {"omniwheel": {"artifacts-extras": ["x"]}}
    assert set_artifacts_choice('[project]\nname = "demo"\n', extras=[], groups=[]).changes == ()
