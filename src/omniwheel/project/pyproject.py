"""The user's project: PEP 621 ``[project]`` plus omniwheel's ``[tool.omniwheel]`` table.

omniwheel never runs a build backend, so everything it locks must be written statically
in ``pyproject.toml``: the dependencies, the optional dependencies, the PEP 735 dependency groups
(``[dependency-groups]``, their ``{include-group = ...}`` entries expanded by
``packaging.dependency_groups``) and ``requires-python``.
:func:`load_project` reads the file once and turns it into a validated, immutable
:class:`Project`; every later stage works from that object and never reads the file again.

Validation is lenient in what it walks and strict in what it returns: it visits every
field it knows, collects each problem with its TOML key path (``project.dependencies[2]``,
``tool.omniwheel.uniform``), and raises them together as one
:class:`ProjectValidationError`, so a user fixes a file in one pass instead of one error
per run.  Unknown keys in ``[tool.omniwheel]`` are problems too — a misspelt setting
silently ignored would lock something other than what the user asked for.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from packaging.dependency_groups import DependencyGroupResolver
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from omniwheel.errors import Problem, ProjectError, ValidationError
from omniwheel.project.find_links import find_links_entries
from omniwheel.project.indexes import IndexEntry, index_entries, index_sources
from omniwheel.project.timestamp import ACCEPTED_FORMS, TimestampError, parse_exclude_newer

__all__ = [
    "KeyringProvider",
    "NoWheelPolicy",
    "Project",
    "ProjectNotFoundError",
    "ProjectSyntaxError",
    "ProjectValidationError",
    "Settings",
    "find_project",
    "load_project",
    "parse_project",
]

PYPROJECT = "pyproject.toml"

NoWheelPolicy = Literal["error", "skip-target"]
"""What to do when a needed package has no wheel for a target: fail, or drop the target."""

_NO_WHEEL_POLICIES: dict[str, NoWheelPolicy] = {"error": "error", "skip-target": "skip-target"}
KeyringProvider = Literal["disabled", "subprocess"]
_KEYRING_PROVIDERS: dict[str, KeyringProvider] = {
    "disabled": "disabled",
    "subprocess": "subprocess",
}

# [project] fields omniwheel reads; if the build backend computes one, omniwheel cannot know it.
_STATIC_FIELDS = ("dependencies", "optional-dependencies", "requires-python")

DEFAULT_GROUP = "default"
"""The synthetic group a multi-use lock gives ``[project].dependencies`` (PEP 751
``default-groups``), so that they can be deselected; no project group may take its name."""

DefaultGroups = tuple[NormalizedName, ...] | Literal["all"]
"""``[tool.omniwheel] default-groups``: the groups ``sync`` installs unless told otherwise."""

_NOT_FOUND_HINT = (
    "run `omniwheel init` to create one, or pass `--project DIR` to use another project"
)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """``[tool.omniwheel]``: how to lock.  Empty tuples mean "use the default"."""

    platforms: tuple[str, ...] = ()
    """Target platforms as written (``linux-x86_64@3.12``); parsed by the platform code."""
    python_versions: tuple[str, ...] = ()
    """Python versions (``python-versions``) combined with platforms that carry no ``@``."""
    index_url: str | None = None
    """``index-url``; may hold credentials, so never log it as is."""
    exclude_newer: datetime | None = None
    """``exclude-newer`` as an aware UTC instant: files uploaded later are ignored."""
    uniform: bool = False
    """One version per package across all targets."""
    prerelease: bool = False
    """Allow pre-releases even where no specifier names one."""
    no_wheel: NoWheelPolicy = "error"
    """``no-wheel``: what a missing wheel for a target does."""
    keyring_provider: KeyringProvider | None = None
    """``keyring-provider``: ``subprocess`` asks the ``keyring`` command for an index's password
    after a 401/403; unset is disabled (``OMNIWHEEL_KEYRING_PROVIDER`` overrides both)."""
    artifacts: str | None = None
    """Path of a Julia ``Artifacts.toml`` to write alongside the lock."""
    pin_python: bool = False
    """``pin-python``: the lock pins a python-build-standalone interpreter per target."""
    python_release: str | None = None
    """``python-release``: the python-build-standalone release tag (``20260814``) to pin from."""
    python_mirror: str | None = None
    """``python-mirror``: where to fetch releases instead of the canonical host (uv's mirror
    layout, ``{mirror}/{tag}/{asset}``); machine configuration, never recorded in the lock."""
    default_groups: DefaultGroups | None = None
    """``default-groups``: the dependency groups ``sync`` adds by default (names normalized, or
    ``"all"``); None: not given, which means ``dev`` when the project declares it."""
    artifacts_extras: tuple[NormalizedName, ...] = ()
    """``artifacts-extras``: the extras whose packages ``artifacts write`` includes besides the
    project's dependencies (normalized); written by ``artifacts write --extra …``."""
    artifacts_groups: tuple[NormalizedName, ...] = ()
    """``artifacts-groups``: the dependency groups ``artifacts write`` includes (normalized);
    none by default — a Julia package's users need the project's dependencies alone."""
    indexes: tuple[IndexEntry, ...] = ()
    """``[[tool.omniwheel.index]]``: indexes asked before the default one, in order; URLs may
    hold credentials."""
    sources: Mapping[NormalizedName, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    """``[tool.omniwheel.sources]``: package (normalized) → the name of the index it comes from."""
    find_links: tuple[str, ...] = ()
    """``find-links``: directories and HTML pages of links to wheels (a local page, or an
    ``http(s)`` one), paths resolved against the project into ``file://`` URLs
    (:func:`~omniwheel.project.find_links.find_links_url`), asked after the configured indexes,
    before the default."""
    no_index: bool = False
    """``no-index``: the default index serves only packages pinned to it (``default``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    """A validated ``pyproject.toml``: what to lock, and the settings to lock it with."""

    root: Path
    """The directory holding ``pyproject.toml``; the lock is written here."""
    pyproject_path: Path
    name: NormalizedName | None
    """``project.name``, normalized; optional because a lock-only project may omit it."""
    requires_python: SpecifierSet | None
    dependencies: tuple[Requirement, ...]
    optional_dependencies: Mapping[NormalizedName, tuple[Requirement, ...]] = field(hash=False)
    """Extras (normalized names, file order) to their requirements; read-only."""
    settings: Settings
    dependency_groups: Mapping[NormalizedName, tuple[Requirement, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    """PEP 735 groups (normalized names, file order) to their requirements with every
    ``{include-group = ...}`` expanded in place; read-only."""


# --- errors --------------------------------------------------------------------------------


class ProjectNotFoundError(ProjectError):
    """No ``pyproject.toml`` where one was expected."""

    def __init__(self, path: Path, *, searched_parents: bool = False) -> None:
        where = f"in {path} or any parent directory" if searched_parents else f"at {path}"
        super().__init__(f"no {PYPROJECT} {where}", hint=_NOT_FOUND_HINT)
        self.path = path


class ProjectSyntaxError(ProjectError):
    """``pyproject.toml`` is not valid TOML (or not readable text)."""

    def __init__(self, path: Path, reason: str, *, line: int | None, column: int | None) -> None:
        position = f":{line}:{column}" if line is not None and column is not None else ""
        super().__init__(
            f"{path}{position}: invalid TOML: {reason}",
            hint=f"fix the TOML syntax in {path} at the position shown",
        )
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column


class ProjectValidationError(ValidationError, ProjectError):
    """``pyproject.toml`` parsed as TOML but has problems; all of them are in ``problems``."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(str(path), problems)
        self.path = path


# --- finding and reading the file ----------------------------------------------------------


def find_project(start: Path) -> Path:
    """Return the nearest directory, from ``start`` upwards, that holds ``pyproject.toml``."""
    origin = start.absolute()
    if origin.is_file():
        origin = origin.parent
    for directory in (origin, *origin.parents):
        if (directory / PYPROJECT).is_file():
            return directory
    raise ProjectNotFoundError(origin, searched_parents=True)


def load_project(path: Path) -> Project:
    """Read and validate the project at ``path`` (a directory or a ``pyproject.toml`` file).

    Raises :class:`ProjectNotFoundError`, :class:`ProjectSyntaxError` or
    :class:`ProjectValidationError` (all :class:`~omniwheel.errors.ProjectError`).
    """
    pyproject_path = (path / PYPROJECT if path.is_dir() else path).absolute()
    document = _read_toml(pyproject_path)
    problems: list[Problem] = []
    project = parse_project(document, pyproject_path, problems)
    if problems:
        raise ProjectValidationError(pyproject_path, problems)
    return project


_TOML_POSITION = re.compile(r"(?P<reason>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProjectNotFoundError(path) from None
    except OSError as error:
        raise ProjectError(
            f"cannot read {path}: {error.strerror}", hint="check the file's permissions"
        ) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text (byte {error.start}: {error.reason})"
        raise ProjectSyntaxError(path, reason, line=None, column=None) from None
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, str(error)) from None


def _syntax_error(path: Path, message: str) -> ProjectSyntaxError:
    match = _TOML_POSITION.fullmatch(message)
    if match is None:
        return ProjectSyntaxError(path, message, line=None, column=None)
    line, column = int(match["line"]), int(match["column"])
    return ProjectSyntaxError(path, match["reason"], line=line, column=column)


# --- validation ----------------------------------------------------------------------------


def parse_project(
    document: Mapping[str, Any], pyproject_path: Path, problems: list[Problem]
) -> Project:
    """Build a :class:`Project` from a parsed TOML document, appending every problem found.

    The returned object is meaningful only when ``problems`` stayed empty.
    """
    table = _project_table(document.get("project"), problems)
    # Without a usable [project] table, its missing dependencies are not a second problem.
    usable = isinstance(document.get("project"), dict)
    return Project(
        root=pyproject_path.parent,
        pyproject_path=pyproject_path,
        name=_name(table.get("name"), problems),
        requires_python=_requires_python(table.get("requires-python"), problems),
        dependencies=_dependencies(table, problems, required=usable),
        optional_dependencies=_optional_dependencies(table.get("optional-dependencies"), problems),
        settings=_settings(document, problems, root=pyproject_path.parent),
        dependency_groups=_dependency_groups(document.get("dependency-groups"), problems),
    )


def _project_table(value: object, problems: list[Problem]) -> Mapping[str, Any]:
    if value is None:
        message = (
            "missing: omniwheel reads dependencies from a PEP 621 [project] table; add"
            " `[project]` with `dependencies = [...]` (an empty list is fine)"
        )
        problems.append(Problem(where="project", message=message))
    return _table(value, "project", problems)


def _name(value: object, problems: list[Problem]) -> NormalizedName | None:
    text = _string(value, "project.name", problems)
    if text is None:
        return None
    try:
        return canonicalize_name(text, validate=True)
    except InvalidName:
        message = f"invalid project name {text!r}: use letters, digits, `-`, `_` and `.`"
        problems.append(Problem(where="project.name", message=message))
        return None


def _requires_python(value: object, problems: list[Problem]) -> SpecifierSet | None:
    where = "project.requires-python"
    text = _string(value, where, problems)
    if text is None:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as error:
        # packaging's message mostly repeats the input; keep it only when it says more.
        detail = "" if str(error) == f"Invalid specifier: {text!r}" else f": {error}"
        message = (
            f"invalid version specifier {text!r}{detail}; write clauses with an operator,"
            " like `>=3.11` or `>=3.11,<3.14`"
        )
        problems.append(Problem(where=where, message=message))
        return None


def _dependencies(
    table: Mapping[str, Any], problems: list[Problem], *, required: bool
) -> tuple[Requirement, ...]:
    """``project.dependencies``; ``required`` is false when [project] itself is unusable."""
    dynamic = _dynamic(table.get("dynamic"), problems)
    if "dependencies" in table:
        return _requirements(table["dependencies"], "project.dependencies", problems)
    if required and "dependencies" not in dynamic:
        message = (
            "missing: omniwheel locks what [project] lists statically; add"
            " `dependencies = [...]` (an empty list is fine)"
        )
        problems.append(Problem(where="project.dependencies", message=message))
    return ()


def _dynamic(value: object, problems: list[Problem]) -> set[str]:
    found: set[str] = set()
    for index, name in _strings(value, "project.dynamic", problems):
        found.add(name)
        if name in _STATIC_FIELDS:
            message = (
                f"{name!r} is dynamic, but omniwheel never runs build backends, so it cannot"
                f" learn it; write `{name}` in [project] and remove it from `dynamic`"
            )
            problems.append(Problem(where=f"project.dynamic[{index}]", message=message))
    return found


def _optional_dependencies(
    value: object, problems: list[Problem]
) -> Mapping[NormalizedName, tuple[Requirement, ...]]:
    where = "project.optional-dependencies"
    extras: dict[NormalizedName, tuple[Requirement, ...]] = {}
    for key, entries in _table(value, where, problems).items():
        key_where = _key_path(where, key)
        extra = _extra_name(key, key_where, extras, problems)
        requirements = _requirements(entries, key_where, problems)
        if extra is not None:
            extras[extra] = requirements
    return MappingProxyType(extras)


def _extra_name(
    key: str, where: str, seen: Mapping[NormalizedName, object], problems: list[Problem]
) -> NormalizedName | None:
    try:
        extra = canonicalize_name(key, validate=True)
    except InvalidName:
        message = f"invalid extra name {key!r}: use letters, digits, `-`, `_` and `.`"
        problems.append(Problem(where=where, message=message))
        return None
    if extra in seen:
        message = f"extra {key!r} is the same extra as {extra!r} once normalized; merge them"
        problems.append(Problem(where=where, message=message))
        return None
    return extra


def _dependency_groups(
    value: object, problems: list[Problem]
) -> Mapping[NormalizedName, tuple[Requirement, ...]]:
    """``[dependency-groups]`` with includes expanded by ``packaging.dependency_groups`` (which
    also finds cycles, unknown includes and names equal once normalized)."""
    where = "dependency-groups"
    table = _table(value, where, problems)
    names: dict[NormalizedName, str] = {}
    for key in table:
        try:
            name = canonicalize_name(key, validate=True)
        except InvalidName:
            message = f"invalid group name {key!r}: use letters, digits, `-`, `_` and `.`"
            problems.append(Problem(where=_key_path(where, key), message=message))
            continue
        if name == DEFAULT_GROUP:
            message = (
                f"the group name {key!r} is reserved: a multi-use pylock.toml calls the "
                f"project's own dependencies `{DEFAULT_GROUP}` (PEP 751 default-groups); rename it"
            )
            problems.append(Problem(where=_key_path(where, key), message=message))
            continue
        names.setdefault(name, key)
    try:
        resolver = DependencyGroupResolver(table)
    except ExceptionGroup as group:
        problems.extend(Problem(where=where, message=str(exc)) for exc in group.exceptions)
        return MappingProxyType({})
    groups: dict[NormalizedName, tuple[Requirement, ...]] = {}
    for name, key in names.items():
        try:
            groups[name] = resolver.resolve(key)
        except ExceptionGroup as group:
            where_key = _key_path(where, key)
            for exc in group.exceptions:
                reason = str(exc).splitlines()[0]
                problems.append(Problem(where=where_key, message=reason))
    return MappingProxyType(groups)


def _requirements(value: object, where: str, problems: list[Problem]) -> tuple[Requirement, ...]:
    requirements: list[Requirement] = []
    for index, text in _strings(value, where, problems):
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as error:
            message = f"invalid requirement {text!r}: {_requirement_reason(error)}"
            problems.append(Problem(where=f"{where}[{index}]", message=message))
    return tuple(requirements)


def _requirement_reason(error: InvalidRequirement) -> str:
    """packaging's message, on one line: its first line plus the column its caret marks."""
    first, *rest = str(error).splitlines()
    if len(rest) == 2 and "^" in rest[1]:
        # packaging indents the echoed input and the marker line by four spaces.
        column = len(rest[1]) - len(rest[1].lstrip(" ")) - 4 + 1
        return f"{first} (at character {column})"
    return first


# --- [tool.omniwheel] ----------------------------------------------------------------------

_SETTING_KEYS = (
    "platforms",
    "python-versions",
    "index-url",
    "exclude-newer",
    "uniform",
    "prerelease",
    "no-wheel",
    "keyring-provider",
    "artifacts",
    "pin-python",
    "python-release",
    "python-mirror",
    "default-groups",
    "artifacts-extras",
    "artifacts-groups",
    "index",
    "sources",
    "find-links",
    "no-index",
)


def _settings(document: Mapping[str, Any], problems: list[Problem], *, root: Path) -> Settings:
    tool = _table(document.get("tool"), "tool", problems)
    table = _table(tool.get("omniwheel"), "tool.omniwheel", problems)
    where = "tool.omniwheel"
    no_wheel = _choice(table.get("no-wheel"), f"{where}.no-wheel", problems)
    settings = Settings(
        platforms=_names(table.get("platforms"), f"{where}.platforms", problems),
        python_versions=_names(table.get("python-versions"), f"{where}.python-versions", problems),
        index_url=_string(table.get("index-url"), f"{where}.index-url", problems, nonempty=True),
        exclude_newer=_exclude_newer(table.get("exclude-newer"), problems),
        uniform=_boolean(table.get("uniform"), f"{where}.uniform", problems),
        prerelease=_boolean(table.get("prerelease"), f"{where}.prerelease", problems),
        no_wheel=no_wheel,
        keyring_provider=_keyring_provider(table.get("keyring-provider"), where, problems),
        artifacts=_string(table.get("artifacts"), f"{where}.artifacts", problems, nonempty=True),
        pin_python=_boolean(table.get("pin-python"), f"{where}.pin-python", problems),
        python_release=_release(table.get("python-release"), f"{where}.python-release", problems),
        python_mirror=_mirror(table.get("python-mirror"), f"{where}.python-mirror", problems),
        default_groups=_default_groups(table.get("default-groups"), problems),
        artifacts_extras=_name_list(table.get("artifacts-extras"), "extra", problems),
        artifacts_groups=_name_list(table.get("artifacts-groups"), "group", problems),
        indexes=index_entries(table.get("index"), f"{where}.index", problems),
        sources=index_sources(table.get("sources"), f"{where}.sources", problems),
        find_links=find_links_entries(
            table.get("find-links"), f"{where}.find-links", problems, root=root
        ),
        no_index=_boolean(table.get("no-index"), f"{where}.no-index", problems),
    )
    _unknown_settings(table, problems)
    return settings


_RELEASE_TAG = re.compile(r"[0-9]{8}", re.ASCII)
_MIRROR_SCHEMES = ("http://", "https://", "file:///")


def _release(value: object, where: str, problems: list[Problem]) -> str | None:
    """A python-build-standalone release tag: a date written ``YYYYMMDD``, as a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
        message = f'write the release tag as a string: python-release = "{value}"'
        problems.append(Problem(where=where, message=message))
        return None
    text = _string(value, where, problems, nonempty=True)
    if text is not None and _RELEASE_TAG.fullmatch(text) is None:
        message = f"{text!r} is not a python-build-standalone release tag (YYYYMMDD, e.g. 20260814)"
        problems.append(Problem(where=where, message=message))
        return None
    return text


def _mirror(value: object, where: str, problems: list[Problem]) -> str | None:
    """A mirror's base URL (``http(s)://host/…`` or ``file:///…``); the part that fetches
    checks it fully (:func:`omniwheel.python.pbs.check_mirror`) and never shows credentials."""
    text = _string(value, where, problems, nonempty=True)
    if text is not None and not text.strip().startswith(_MIRROR_SCHEMES):
        scheme = text.partition(":")[0] if ":" in text else text[:20]
        message = (
            f"expected an http://, https:// or file:/// URL (the base of {{tag}}/{{asset}}), "
            f"not a {scheme!r} URL"
        )
        problems.append(Problem(where=where, message=message))
        return None
    return text


def _default_groups(value: object, problems: list[Problem]) -> DefaultGroups | None:
    """A list of group names (normalized; may be empty) or ``"all"``; checked against the
    project's groups where the lock is made, since a group may be added later."""
    where = "tool.omniwheel.default-groups"
    if value is None:
        return None
    if value == "all":
        return "all"
    if not isinstance(value, list):
        message = _expected('an array of names or "all"', value)
        problems.append(Problem(where=where, message=message))
        return None
    names: list[NormalizedName] = []
    for index, text in _strings(value, where, problems):
        try:
            names.append(canonicalize_name(text, validate=True))
        except InvalidName:
            message = f"invalid group name {text!r}"
            problems.append(Problem(where=f"{where}[{index}]", message=message))
    return tuple(dict.fromkeys(names))


def _name_list(
    value: object, kind: Literal["extra", "group"], problems: list[Problem]
) -> tuple[NormalizedName, ...]:
    """``artifacts-extras`` / ``artifacts-groups``: an array of names, normalized; checked
    against the lock by ``artifacts write``, since the lock is what it selects from."""
    where = f"tool.omniwheel.artifacts-{kind}s"
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(where=where, message=_expected("an array of names", value)))
        return ()
    names: list[NormalizedName] = []
    for index, text in _strings(value, where, problems):
        try:
            names.append(canonicalize_name(text, validate=True))
        except InvalidName:
            message = f"invalid {kind} name {text!r}"
            problems.append(Problem(where=f"{where}[{index}]", message=message))
    return tuple(sorted(set(names)))


def _unknown_settings(table: Mapping[str, Any], problems: list[Problem]) -> None:
    known = ", ".join(_SETTING_KEYS)
    for key in table:
        if key in _SETTING_KEYS:
            continue
        close = difflib.get_close_matches(key, _SETTING_KEYS, n=1)
        suggestion = f"did you mean `{close[0]}`?" if close else f"known settings: {known}"
        message = f"unknown setting {key!r}; {suggestion}"
        problems.append(Problem(where=_key_path("tool.omniwheel", key), message=message))


def _names(value: object, where: str, problems: list[Problem]) -> tuple[str, ...]:
    """A list of non-empty strings; an explicit empty list is refused (omit the key instead)."""
    if value is None:
        return ()
    names = tuple(text for _, text in _strings(value, where, problems))
    if isinstance(value, list) and not value:
        message = "empty list: name at least one, or remove the key to use the default"
        problems.append(Problem(where=where, message=message))
    return names


def _choice(value: object, where: str, problems: list[Problem]) -> NoWheelPolicy:
    text = _string(value, where, problems)
    if text is None:
        return "error"
    policy = _NO_WHEEL_POLICIES.get(text)
    if policy is None:
        choices = " or ".join(f'"{choice}"' for choice in _NO_WHEEL_POLICIES)
        problems.append(Problem(where=where, message=f"expected {choices}, got {text!r}"))
        return "error"
    return policy


def _keyring_provider(value: object, where: str, problems: list[Problem]) -> KeyringProvider | None:
    text = _string(value, f"{where}.keyring-provider", problems)
    if text is None:
        return None
    provider = _KEYRING_PROVIDERS.get(text)
    if provider is None:
        choices = " or ".join(f'"{choice}"' for choice in _KEYRING_PROVIDERS)
        message = f"expected {choices}, got {text!r}"
        problems.append(Problem(where=f"{where}.keyring-provider", message=message))
    return provider


def _exclude_newer(value: object, problems: list[Problem]) -> datetime | None:
    """A string in either accepted form, or the same written as a native TOML date/datetime."""
    where = "tool.omniwheel.exclude-newer"
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return parse_exclude_newer(value)
        if isinstance(value, datetime):
            return _aware_utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
    except TimestampError as error:
        message = f"invalid value {error.text!r}: {error.reason}; use {ACCEPTED_FORMS}"
        problems.append(Problem(where=where, message=message))
        return None
    problems.append(Problem(where=where, message=_expected("a date or time string", value)))
    return None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        reason = "a time without a UTC offset is ambiguous; add `Z` for UTC or an offset"
        raise TimestampError(value.isoformat(), reason)
    return value.astimezone(UTC)


# --- typed access with problems ------------------------------------------------------------


def _table(value: object, where: str, problems: list[Problem]) -> Mapping[str, Any]:
    """``value`` as a table; missing or mistyped gives an empty one (mistyped: a problem)."""
    if value is not None and not isinstance(value, dict):
        problems.append(Problem(where=where, message=_expected("a table", value)))
    return value if isinstance(value, dict) else {}


def _strings(value: object, where: str, problems: list[Problem]) -> Iterator[tuple[int, str]]:
    """The non-empty strings of an array, with their indexes; anything else is a problem.

    A generator, so that problems the caller finds in an item land in file order.
    """
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(Problem(where=where, message=_expected("an array of strings", value)))
        return
    for index, item in enumerate(value):
        text = _string(item, f"{where}[{index}]", problems, nonempty=True)
        if text is not None:
            yield index, text


def _string(
    value: object, where: str, problems: list[Problem], *, nonempty: bool = False
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(Problem(where=where, message=_expected("a string", value)))
        return None
    if nonempty and not value.strip():
        problems.append(Problem(where=where, message="empty string"))
        return None
    return value


def _boolean(value: object, where: str, problems: list[Problem]) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.append(Problem(where=where, message=_expected("true or false", value)))
        return False
    return value


def _expected(expected: str, value: object) -> str:
    return f"expected {expected}, got {_describe(value)}"


def _describe(value: object) -> str:
    """Name a TOML value's type the way the file spells it, with the value when short."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, str):
        shown = json.dumps(value)
    elif isinstance(value, datetime | date | time):
        shown = value.isoformat()
    else:
        shown = str(value)
    return f"the {_TOML_TYPES.get(type(value), type(value).__name__)} {shown}"


_TOML_TYPES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    datetime: "datetime",
    date: "date",
    time: "time",
}


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key_path(parent: str, key: str) -> str:
    """``parent.key``, quoting ``key`` as TOML would when it is not a bare key."""
    return f"{parent}.{key}" if _BARE_KEY.fullmatch(key) else f"{parent}.{json.dumps(key)}"
