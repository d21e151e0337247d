"""Publish the synthetic index of a scenario TOML on an :class:`IndexServer`.

Resolver and sync scenarios (``tests/scenarios/*.toml``) describe the index they run
against declaratively; this module turns that description into real wheels and sdists
on a local server.  The ``[index]`` part looks like this::

    [[index.packages]]
    name = "a"
    version = "1.0"
    wheels = ["py3-none-any"]            # one wheel per tag string (compressed tags allowed)
    requires-dist = ["b>=2", "c; sys_platform == 'win32'"]
    requires-python = ">=3.8"            # optional
    provides-extra = ["x"]               # optional
    yanked = false                       # or a reason string
    upload-time = "2026-01-01T00:00:00Z" # optional; "omit" drops the key from the page
    metadata = "advertised"              # or "unadvertised" / "missing"
    sdist = false                        # also publish an sdist

Only ``name`` and ``version`` are required.  ``wheels`` defaults to
``["py3-none-any"]``; an empty list publishes no wheel (pair it with ``sdist = true``
for a package that has only a source distribution).  ``upload-time`` may also be a
TOML offset date-time; without it files carry the server's fixed default.  Unknown
keys are errors, so a typo cannot silently change a scenario.  Every problem in every
package is reported in one :class:`ValueError`, each line naming the package.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import InvalidTag, parse_tag
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.support.index_server import DEFAULT_UPLOAD_TIME, IndexServer, MetadataMode
from tests.support.wheelbuilder import build_sdist, build_wheel

_KEYS = frozenset(
    {
        "name",
        "version",
        "wheels",
        "requires-dist",
        "requires-python",
        "provides-extra",
        "yanked",
        "upload-time",
        "metadata",
        "sdist",
    }
)
_METADATA_MODES = ("advertised", "unadvertised", "missing")


def populate_index(
    server: IndexServer, packages: Sequence[Mapping[str, Any]], workdir: Path
) -> None:
    """Build every package's files into ``workdir`` and publish them on ``server``.

    Everything is validated before anything is built.
    """
    problems = [
        f"index package {_label(index, package)}: {problem}"
        for index, package in enumerate(packages)
        for problem in _problems(package)
    ]
    problems += _duplicates(packages)
    if problems:
        raise ValueError("invalid scenario index:\n  " + "\n  ".join(problems))
    for package in packages:
        _publish(server, package, workdir)


def populate_index_from_toml(server: IndexServer, scenario: Path, workdir: Path) -> None:
    """Read ``scenario`` and publish its ``[[index.packages]]`` (none is fine)."""
    with scenario.open("rb") as handle:
        document = tomllib.load(handle)
    index = document.get("index", {})
    if not isinstance(index, dict) or not isinstance(index.get("packages", []), list):
        raise ValueError(f"{scenario}: [index] must be a table holding [[index.packages]]")
    populate_index(server, cast(list[Mapping[str, Any]], index.get("packages", [])), workdir)


def _publish(server: IndexServer, package: Mapping[str, Any], workdir: Path) -> None:
    name, version = str(package["name"]), str(package["version"])
    requires_python = cast(str | None, package.get("requires-python"))
    requires_dist = cast(list[str], package.get("requires-dist", []))
    files = [
        build_wheel(
            workdir,
            name,
            version,
            tags=(tag,),
            requires_dist=requires_dist,
            requires_python=requires_python,
            provides_extra=cast(list[str], package.get("provides-extra", [])),
        )
        for tag in cast(list[str], package.get("wheels", ["py3-none-any"]))
    ]
    if package.get("sdist", False):
        sdist = build_sdist(
            workdir, name, version, requires_dist=requires_dist, requires_python=requires_python
        )
        files.append(sdist)
    for path in files:
        server.add_file(
            path,
            upload_time=_upload_time(package.get("upload-time")),
            yanked=cast(bool | str, package.get("yanked", False)),
            requires_python=requires_python,
            metadata=cast(MetadataMode, package.get("metadata", "advertised")),
        )


def _upload_time(value: object) -> datetime | Literal["omit"]:
    if value is None:
        return DEFAULT_UPLOAD_TIME
    if value == "omit":
        return "omit"
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _label(index: int, package: object) -> str:
    if not isinstance(package, Mapping):
        return f"#{index + 1}"
    return f"#{index + 1} ({package.get('name', '?')!s} {package.get('version', '?')!s})"


def _problems(package: Mapping[str, Any]) -> list[str]:
    """Everything wrong with one package entry, as short sentences."""
    if not isinstance(package, Mapping):
        return [f"must be a table, got {type(package).__name__}"]
    problems = [f"unknown key {key!r}" for key in sorted(set(package) - _KEYS)]
    problems += _identity_problems(package)
    problems += _list_problems(package, "wheels", _tag_problem)
    problems += _list_problems(package, "requires-dist", _requirement_problem)
    problems += _list_problems(package, "provides-extra", _extra_problem)
    problems += _scalar_problems(package)
    return problems


def _identity_problems(package: Mapping[str, Any]) -> list[str]:
    problems = []
    name, version = package.get("name"), package.get("version")
    if not isinstance(name, str):
        problems.append("'name' is required and must be a string")
    else:
        try:
            canonicalize_name(name, validate=True)
        except InvalidName:
            problems.append(f"'name' {name!r} is not a valid project name")
    if not isinstance(version, str):
        problems.append("'version' is required and must be a string")
    else:
        try:
            Version(version)
        except InvalidVersion:
            problems.append(f"'version' {version!r} is not a valid version")
    return problems


def _list_problems(
    package: Mapping[str, Any], key: str, check: Callable[[str], str | None]
) -> list[str]:
    value = package.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [f"{key!r} must be a list of strings, got {value!r}"]
    found = (check(item) for item in value)
    return [f"{key!r}: {problem}" for problem in found if problem is not None]


def _tag_problem(tag: str) -> str | None:
    try:
        parse_tag(tag)
    except InvalidTag as error:
        return str(error)
    return None


def _requirement_problem(requirement: str) -> str | None:
    try:
        Requirement(requirement)
    except InvalidRequirement as error:
        return f"{requirement!r} is not a valid requirement ({error})"
    return None


def _extra_problem(extra: str) -> str | None:
    try:
        canonicalize_name(extra, validate=True)
    except InvalidName:
        return f"{extra!r} is not a valid extra name"
    return None


def _scalar_problems(package: Mapping[str, Any]) -> list[str]:
    problems = []
    requires_python = package.get("requires-python")
    if requires_python is not None:
        try:
            SpecifierSet(str(requires_python))
        except InvalidSpecifier:
            problems.append(f"'requires-python' {requires_python!r} is not a valid specifier")
    if not isinstance(package.get("yanked", False), bool | str):
        problems.append("'yanked' must be false, true or a reason string")
    if package.get("metadata", "advertised") not in _METADATA_MODES:
        problems.append(f"'metadata' must be one of {', '.join(_METADATA_MODES)}")
    if not isinstance(package.get("sdist", False), bool):
        problems.append("'sdist' must be true or false")
    if package.get("wheels", ["py3-none-any"]) == [] and package.get("sdist") is not True:
        problems.append("publishes no file: give 'wheels' or set 'sdist = true'")
    upload_time = _upload_time_problem(package.get("upload-time"))
    return problems if upload_time is None else [*problems, upload_time]


def _upload_time_problem(value: object) -> str | None:
    if value is None or value == "omit":
        return None
    try:
        parsed = _upload_time(value) if isinstance(value, str | datetime) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, datetime) or parsed.tzinfo is None:
        return f"'upload-time' {value!r} must be \"omit\" or an ISO 8601 date-time with a zone"
    return None


def _duplicates(packages: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: set[tuple[str, Version]] = set()
    problems = []
    for index, package in enumerate(packages):
        if not isinstance(package, Mapping):
            continue
        try:
            key = (canonicalize_name(str(package["name"])), Version(str(package["version"])))
        except (KeyError, InvalidVersion):
            continue
        if key in seen:
            problems.append(f"index package {_label(index, package)}: listed twice")
        seen.add(key)
    return problems
