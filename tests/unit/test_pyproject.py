"""Reading ``pyproject.toml``: the values a valid file gives, and every failure mode's message.

Each failure mode writes its own small file into ``tmp_path``; validation problems are
checked by their TOML key path, and files with several problems must report all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from omniwheel.errors import ProjectError, ValidationError
from omniwheel.project.pyproject import (
    Project,
    ProjectNotFoundError,
    ProjectSyntaxError,
    ProjectValidationError,
    Settings,
    find_project,
    load_project,
)


def write(directory: Path, text: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(directory: Path, text: str) -> dict[str, str]:
    """Load ``text`` expecting validation to fail; return its problems by key path."""
    write(directory, text)
    with pytest.raises(ProjectValidationError) as caught:
        load_project(directory)
    problems = caught.value.problems
    found = {problem.where: problem.message for problem in problems}
    assert len(found) == len(problems), "one problem per key path in these fixtures"
    return found


FULL = """
[project]
name = "My_Project"
version = "1.0"
requires-python = ">=3.11"
dependencies = ["attrs>=23", "idna; sys_platform == 'win32'"]

[project.optional-dependencies]
Dev_Tools = ["pytest>=8"]
docs = []

[tool.omniwheel]
platforms = ["linux-x86_64", "macos-arm64@3.12"]
python-versions = ["3.12", "3.13"]
index-url = "https://user:secret@mirror.example/simple/"
exclude-newer = "2026-11-01T12:00:00+01:00"
uniform = true
prerelease = true
no-wheel = "skip-target"
artifacts = "Artifacts.toml"
pin-python = true
python-release = "20260814"
python-mirror = "file:///srv/pbs"
"""


def test_full_project(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    project = load_project(path)
    assert project.root == tmp_path
    assert project.pyproject_path == path
    assert project.name == "my-project"
    assert project.requires_python == SpecifierSet(">=3.11")
    assert [str(r) for r in project.dependencies] == [
        "attrs>=23",
        'idna; sys_platform == "win32"',
    ]
    assert dict(project.optional_dependencies) == {
        "dev-tools": (Requirement("pytest>=8"),),
        "docs": (),
    }
    assert project.settings == Settings(
        platforms=("linux-x86_64", "macos-arm64@3.12"),
        python_versions=("3.12", "3.13"),
        index_url="https://user:secret@mirror.example/simple/",
        exclude_newer=datetime(2026, 11, 1, 11, tzinfo=UTC),
        uniform=True,
        prerelease=True,
        no_wheel="skip-target",
        artifacts="Artifacts.toml",
        pin_python=True,
        python_release="20260814",
        python_mirror="file:///srv/pbs",
    )
    assert hash(project) == hash(load_project(tmp_path))


def test_minimal_project_gets_defaults(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, "[project]\ndependencies = []\n").parent)
    assert project == Project(
        root=tmp_path,
        pyproject_path=tmp_path / "pyproject.toml",
        name=None,
        requires_python=None,
        dependencies=(),
        optional_dependencies={},
        settings=Settings(),
    )
    assert project.settings.no_wheel == "error"
    assert project.settings.platforms == ()


def test_optional_dependencies_are_read_only(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, FULL))
    with pytest.raises(TypeError):
        project.optional_dependencies["x"] = ()  # type: ignore[index]


# --- file-level failures -------------------------------------------------------------------


@pytest.mark.parametrize("as_file", [False, True], ids=["directory", "file"])
def test_missing_file_names_path_and_hints(tmp_path: Path, *, as_file: bool) -> None:
    target = tmp_path / "pyproject.toml" if as_file else tmp_path
    with pytest.raises(ProjectNotFoundError) as caught:
        load_project(target)
    error = caught.value
    assert isinstance(error, ProjectError)
    assert str(tmp_path / "pyproject.toml") in error.message
    assert error.hint is not None
    assert "omniwheel init" in error.hint
    assert "--project DIR" in error.hint


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        pytest.param("[project\n", 1, 9, "Expected ']'", id="unclosed-table"),
        pytest.param('[project]\ndependencies = ["a",\n"b"\nname = 1\n', 4, 1, "", id="array"),
        pytest.param('[project]\nname = "x"\nname = "y"\n', 3, 11, "", id="duplicate-key"),
    ],
)
def test_bad_toml_reports_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProjectSyntaxError) as caught:
        load_project(path)
    error = caught.value
    assert isinstance(error, ProjectError)
    assert (error.line, error.column) == (line, column)
    assert error.message.startswith(f"{path}:{line}:{column}: invalid TOML: ")
    assert reason in error.reason
    assert "(at line" not in error.message


def test_bad_toml_at_end_of_document_has_no_position(tmp_path: Path) -> None:
    path = write(tmp_path, "[project]\ndependencies =")
    with pytest.raises(ProjectSyntaxError) as caught:
        load_project(path)
    assert caught.value.line is None
    assert caught.value.message.startswith(f"{path}: invalid TOML: ")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[project]\nname = "caf\xe9"\n')
    with pytest.raises(ProjectSyntaxError, match="not UTF-8"):
        load_project(path)


# --- validation: one failure mode per fixture ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "fragments"),
    [
        pytest.param(
            "[tool.omniwheel]\nuniform = true\n",
            "project",
            ["missing", "[project]", "dependencies = [...]"],
            id="no-project-table",
        ),
        pytest.param(
            'project = "x"\n', "project", ['expected a table, got the string "x"'], id="project-str"
        ),
        pytest.param(
            '[project]\nname = "x"\n',
            "project.dependencies",
            ["missing", "dependencies = [...]", "empty list is fine"],
            id="no-dependencies",
        ),
        pytest.param(
            '[project]\ndependencies = "attrs"\n',
            "project.dependencies",
            ['expected an array of strings, got the string "attrs"'],
            id="dependencies-str",
        ),
        pytest.param(
            '[project]\ndependencies = ["a", "b", "c >="]\n',
            "project.dependencies[2]",
            ["invalid requirement 'c >='", "Expected", "(at character"],
            id="bad-pep508",
        ),
        pytest.param(
            "[project]\ndependencies = [1]\n",
            "project.dependencies[0]",
            ["expected a string, got the integer 1"],
            id="dependency-int",
        ),
        pytest.param(
            '[project]\ndependencies = ["  "]\n',
            "project.dependencies[0]",
            ["empty string"],
            id="dependency-empty",
        ),
        pytest.param(
            '[project]\ndependencies = []\nrequires-python = ">=3.x"\n',
            "project.requires-python",
            ["invalid version specifier '>=3.x'", "with an operator, like `>=3.11`"],
            id="bad-specifier",
        ),
        pytest.param(
            "[project]\ndependencies = []\nrequires-python = 3.11\n",
            "project.requires-python",
            ["expected a string, got the float 3.11"],
            id="specifier-float",
        ),
        pytest.param(
            '[project]\ndependencies = []\nname = "no spaces"\n',
            "project.name",
            ["invalid project name 'no spaces'"],
            id="bad-name",
        ),
        pytest.param(
            '[project]\ndynamic = ["dependencies"]\n',
            "project.dynamic[0]",
            ["never runs build backends", "remove it from `dynamic`"],
            id="dynamic-dependencies",
        ),
        pytest.param(
            '[project]\ndependencies = []\ndynamic = ["version", "optional-dependencies"]\n',
            "project.dynamic[1]",
            ["'optional-dependencies' is dynamic", "never runs build backends"],
            id="dynamic-optional",
        ),
        pytest.param(
            '[project]\ndependencies = []\noptional-dependencies = ["x"]\n',
            "project.optional-dependencies",
            ["expected a table, got an array"],
            id="optional-array",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[project.optional-dependencies]\n"
            'dev = ["ok", "bad ("]\n',
            "project.optional-dependencies.dev[1]",
            ["invalid requirement 'bad ('"],
            id="bad-extra-requirement",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[project.optional-dependencies]\n"a b" = []\n',
            'project.optional-dependencies."a b"',
            ["invalid extra name 'a b'"],
            id="bad-extra-name",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[project.optional-dependencies]\n"
            'Dev = []\n"d.e.v" = []\ndev = []\n',
            "project.optional-dependencies.dev",
            ["same extra as 'dev'", "merge them"],
            id="duplicate-extra",
        ),
        pytest.param(
            '[project]\ndependencies = []\ntool = 1\n[tool]\nomniwheel = "yes"\n',
            "tool.omniwheel",
            ['expected a table, got the string "yes"'],
            id="tool-omniwheel-str",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nuniform = "yes"\n',
            "tool.omniwheel.uniform",
            ['expected true or false, got the string "yes"'],
            id="uniform-str",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\npython-release = "latest"\n',
            "tool.omniwheel.python-release",
            ["'latest' is not a python-build-standalone release tag (YYYYMMDD"],
            id="python-release-not-a-tag",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\npython-release = 20260814\n",
            "tool.omniwheel.python-release",
            ['write the release tag as a string: python-release = "20260814"'],
            id="python-release-int",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\npython-mirror = "ftp://m/pbs"\n',
            "tool.omniwheel.python-mirror",
            ["expected an http://, https:// or file:/// URL", "not a 'ftp' URL"],
            id="python-mirror-scheme",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\npin-python = 1\n",
            "tool.omniwheel.pin-python",
            ["expected true or false, got the integer 1"],
            id="pin-python-int",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\nprerelease = 1\n",
            "tool.omniwheel.prerelease",
            ["expected true or false, got the integer 1"],
            id="prerelease-int",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nplatforms = "linux-x86_64"\n',
            "tool.omniwheel.platforms",
            ['expected an array of strings, got the string "linux-x86_64"'],
            id="platforms-str",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nplatforms = ["linux-x86_64", ""]\n',
            "tool.omniwheel.platforms[1]",
            ["empty string"],
            id="platform-empty",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\npython-versions = []\n",
            "tool.omniwheel.python-versions",
            ["empty list", "remove the key to use the default"],
            id="python-versions-empty",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\npython-versions = [3.12]\n",
            "tool.omniwheel.python-versions[0]",
            ["expected a string, got the float 3.12"],
            id="python-version-float",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nno-wheel = "skip"\n',
            "tool.omniwheel.no-wheel",
            ['expected "error" or "skip-target", got \'skip\''],
            id="no-wheel-choice",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nindex-url = ""\n',
            "tool.omniwheel.index-url",
            ["empty string"],
            id="index-url-empty",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\nartifacts = true\n",
            "tool.omniwheel.artifacts",
            ["expected a string, got the boolean true"],
            id="artifacts-bool",
        ),
        pytest.param(
            '[project]\ndependencies = []\n[tool.omniwheel]\nindex_url = "https://x/"\n',
            "tool.omniwheel.index_url",
            ["unknown setting 'index_url'", "did you mean `index-url`?"],
            id="unknown-key-suggestion",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\nplatfroms = []\n",
            "tool.omniwheel.platfroms",
            ["did you mean `platforms`?"],
            id="unknown-key-typo",
        ),
        pytest.param(
            "[project]\ndependencies = []\n[tool.omniwheel]\nzzz = 1\n",
            "tool.omniwheel.zzz",
            ["unknown setting 'zzz'", "known settings: platforms, python-versions"],
            id="unknown-key-no-match",
        ),
    ],
)
def test_each_problem_has_key_path_and_message(
    tmp_path: Path, text: str, where: str, fragments: list[str]
) -> None:
    problems = problems_of(tmp_path, text)
    assert list(problems) == [where]
    for fragment in fragments:
        assert fragment in problems[where]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('"2026-11-01"', datetime(2026, 11, 1, tzinfo=UTC), id="date-string"),
        pytest.param('"2026-11-01T01:00:00+01:00"', datetime(2026, 11, 1, tzinfo=UTC), id="rfc"),
        pytest.param("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC), id="toml-date"),
        pytest.param(
            "2026-11-01T06:00:00-06:00", datetime(2026, 11, 1, 12, tzinfo=UTC), id="toml-datetime"
        ),
    ],
)
def test_exclude_newer_forms(tmp_path: Path, value: str, expected: datetime) -> None:
    write(tmp_path, f"[project]\ndependencies = []\n[tool.omniwheel]\nexclude-newer = {value}\n")
    assert load_project(tmp_path).settings.exclude_newer == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param('"2026-11-01T12:00:00"', "without a UTC offset", id="naive-string"),
        pytest.param("2026-11-01T12:00:00", "without a UTC offset", id="toml-local-datetime"),
        pytest.param('"next week"', "not a date or an RFC 3339 time", id="words"),
        pytest.param("12:00:00", "expected a date or time string, got the time", id="toml-time"),
        pytest.param("20261101", "expected a date or time string, got the integer", id="int"),
    ],
)
def test_exclude_newer_refused(tmp_path: Path, value: str, fragment: str) -> None:
    text = f"[project]\ndependencies = []\n[tool.omniwheel]\nexclude-newer = {value}\n"
    message = problems_of(tmp_path, text)["tool.omniwheel.exclude-newer"]
    assert fragment in message
    if "expected" not in fragment:
        assert "2026-11-01T12:30:00Z" in message, "the accepted forms are shown"


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = """
[project]
name = 7
requires-python = "3.11"
dependencies = ["ok", "also-ok>=1", "broken ==", 3, "(("]
dynamic = ["dependencies"]

[project.optional-dependencies]
dev = ["pytest", "!!"]

[tool.omniwheel]
platforms = ["linux-x86_64", 5]
uniform = "true"
no-wheel = "ignore"
exclude-newer = "soon"
index-urls = []
"""
    problems = problems_of(tmp_path, text)
    assert set(problems) == {
        "project.name",
        "project.requires-python",
        "project.dynamic[0]",
        "project.dependencies[2]",
        "project.dependencies[3]",
        "project.dependencies[4]",
        "project.optional-dependencies.dev[1]",
        "tool.omniwheel.platforms[1]",
        "tool.omniwheel.uniform",
        "tool.omniwheel.no-wheel",
        "tool.omniwheel.exclude-newer",
        "tool.omniwheel.index-urls",
    }
    in_dependencies = [where for where in problems if where.startswith("project.dependencies")]
    assert in_dependencies == [f"project.dependencies[{index}]" for index in (2, 3, 4)], (
        "problems within one array are reported in file order"
    )


def test_validation_error_is_both_families(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\ndependencies = ["x =="]\n')
    with pytest.raises(ProjectValidationError) as caught:
        load_project(path)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert isinstance(error, ProjectError)
    assert error.path == path
    assert error.message.startswith(f"{path} has 1 problem:\n  - project.dependencies[0]: ")


# --- finding the project -------------------------------------------------------------------


def test_find_project_walks_up(tmp_path: Path) -> None:
    write(tmp_path, "[project]\ndependencies = []\n")
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    (nested / "module.py").write_text("", encoding="utf-8")
    assert find_project(nested) == tmp_path
    assert find_project(nested / "module.py") == tmp_path
    assert find_project(tmp_path) == tmp_path


def test_find_project_stops_at_nearest(tmp_path: Path) -> None:
    write(tmp_path, "[project]\ndependencies = []\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    write(inner, "[project]\ndependencies = []\n")
    assert find_project(inner) == inner


def test_find_project_none(tmp_path: Path) -> None:
    if any((parent / "pyproject.toml").is_file() for parent in tmp_path.parents):
        pytest.skip("a directory above the temporary directory holds a pyproject.toml")
    with pytest.raises(ProjectNotFoundError) as caught:
        find_project(tmp_path)
    assert "or any parent directory" in caught.value.message
    assert caught.value.hint is not None
    assert "omniwheel init" in caught.value.hint


def test_empty_project_table_needs_dependencies(tmp_path: Path) -> None:
    assert list(problems_of(tmp_path, "[project]\n")) == ["project.dependencies"]


GROUPS_BASE = '[project]\nname = "demo"\ndependencies = []\n'


def test_dependency_groups_are_read_with_includes_expanded_and_names_normalized(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        GROUPS_BASE
        + '[dependency-groups]\nTest_Suite = ["pytest>=8"]\n'
        + 'dev = [{include-group = "test-suite"}, "ruff"]\n'
        + '[tool.omniwheel]\ndefault-groups = ["Dev"]\n',
    )
    project = load_project(tmp_path)
    assert {name: [str(r) for r in reqs] for name, reqs in project.dependency_groups.items()} == {
        "test-suite": ["pytest>=8"],
        "dev": ["pytest>=8", "ruff"],
    }
    assert project.settings.default_groups == ("dev",)


@pytest.mark.parametrize(
    ("groups", "where", "fragment"),
    [
        ('default = ["x"]', "dependency-groups.default", "the group name 'default' is reserved"),
        (
            'a = [{include-group = "b"}]\nb = [{include-group = "a"}]',
            "dependency-groups.a",
            "Cyclic dependency group include while resolving a: a -> b, b -> a",
        ),
        ('a = [{include-group = "nope"}]', "dependency-groups.a", "Dependency group 'nope' not"),
        ('a = ["x >"]', "dependency-groups.a", "Expected semicolon"),
    ],
)
def test_bad_dependency_groups_are_problems_with_their_key(
    tmp_path: Path, groups: str, where: str, fragment: str
) -> None:
    problems = problems_of(tmp_path, f"{GROUPS_BASE}[dependency-groups]\n{groups}\n")
    assert fragment in problems[where]


def test_default_groups_must_be_names_or_all(tmp_path: Path) -> None:
    text = f'{GROUPS_BASE}[tool.omniwheel]\ndefault-groups = "dev"\n'
    problems = problems_of(tmp_path, text)
    expected = 'expected an array of names or "all", got the string "dev"'
    assert problems["tool.omniwheel.default-groups"] == expected


def test_artifacts_extras_and_groups_are_read_normalized_and_sorted(tmp_path: Path) -> None:
    text = (
        f"{GROUPS_BASE}[tool.omniwheel]\n"
        'artifacts-extras = ["Excel", "a_b"]\nartifacts-groups = ["Docs"]\n'
    )
    write(tmp_path, text)
    settings = load_project(tmp_path).settings
    assert settings.artifacts_extras == ("a-b", "excel")
    assert settings.artifacts_groups == ("docs",)


@pytest.mark.parametrize(
    ("line", "where", "message"),
    [
        ('artifacts-extras = "excel"', "tool.omniwheel.artifacts-extras", "expected an array"),
        ('artifacts-groups = ["no way"]', "tool.omniwheel.artifacts-groups[0]", "invalid group"),
    ],
)
def test_bad_artifacts_choices_are_problems_with_their_key(
    tmp_path: Path, line: str, where: str, message: str
) -> None:
    problems = problems_of(tmp_path, f"{GROUPS_BASE}[tool.omniwheel]\n{line}\n")
    assert problems[where].startswith(message)


def test_find_links_paths_are_resolved_against_the_project_and_urls_kept(tmp_path: Path) -> None:
    write(
        tmp_path,
        '[project]\nname = "demo"\nversion = "1"\ndependencies = []\n[tool.omniwheel]\n'
        'find-links = ["./wheels", "https://u:t@host/links.html", "file:///srv/w/"]\n'
        "no-index = true\n",
    )
    settings = load_project(tmp_path).settings
    assert settings.find_links == (
        (tmp_path / "wheels").resolve().as_uri() + "/",
        "https://u:t@host/links.html",
        "file:///srv/w/",
    )
    assert settings.no_index is True
    assert Settings().find_links == ()
    assert Settings().no_index is False


@pytest.mark.parametrize(
    ("value", "where", "message"),
    [
        ('"./wheels"', "tool.omniwheel.find-links", "expected a list of paths or URLs"),
        ('["./wheels", ""]', "tool.omniwheel.find-links[1]", "expected a path or a URL"),
        ("[3]", "tool.omniwheel.find-links[0]", "expected a path or a URL"),
    ],
)
def test_bad_find_links_are_problems_with_their_key(
    tmp_path: Path, value: str, where: str, message: str
) -> None:
    project = '[project]\nname = "demo"\nversion = "1"\ndependencies = []\n'
    text = f"{project}[tool.omniwheel]\nfind-links = {value}\n"
    assert problems_of(tmp_path, text) == {where: message}
