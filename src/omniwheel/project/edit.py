"""Editing ``pyproject.toml`` as text: ``init``, ``add`` and ``remove`` without losing a comment.

Every function here is pure — text in, text out — so the commands that write the file can
validate the result, write it atomically and put the original back if relocking fails.  Edits
go through ``tomlkit``, which keeps the user's formatting, comments and key order; only the
array (or table) being changed is touched.

Requirements are matched by their normalized name (PEP 503), so ``add "Foo_Bar>=2"`` replaces
``foo-bar>=1``.  ``add`` replaces the entries for the same name *and* marker (a
``pywin32; sys_platform == 'win32'`` entry stays when ``pywin32>=306`` is added for every
platform) and appends otherwise; ``remove`` drops every entry of the name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Array, Table

from omniwheel.errors import ProjectError
from omniwheel.project.pyproject import DEFAULT_GROUP

_NAME_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_EDGE = re.compile(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$")

INIT_TOOL_COMMENTS = """\
# Settings for `omniwheel lock`; every key is optional.
# Target platforms (default: linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64 and
# windows-x86_64, each with every CPython version that requires-python admits):
# platforms = ["linux-x86_64", "macos-arm64", "windows-x86_64"]
# Ignore files uploaded after this time, so that relocking finds the same files:
# exclude-newer = "2026-01-01T00:00:00Z"
# One version of each package on every target:
# uniform = true
"""


class EditError(ProjectError):
    """``pyproject.toml`` cannot be edited as asked (nothing was written)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Edited:
    """An edited ``pyproject.toml``: its new text and one line per change (``+``/``-``/``~``)."""

    text: str
    changes: tuple[str, ...]


# --- init ----------------------------------------------------------------------------------


def project_name_for(directory_name: str) -> str:
    """A valid project name from a directory's name (``My Tool`` → ``My-Tool``)."""
    name = _EDGE.sub("", _NAME_RUN.sub("-", directory_name))
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise EditError(
            f"cannot make a project name from the directory name {directory_name!r}",
            hint="give one with `omniwheel init --name NAME`",
        ) from None
    return name


def init_text(name: str, python: tuple[int, int]) -> str:
    """A minimal ``pyproject.toml``: ``[project]`` and a commented ``[tool.omniwheel]``."""
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise EditError(
            f"invalid project name {name!r}: use letters, digits, `-`, `_` and `.`",
            hint="give another with `omniwheel init --name NAME`",
        ) from None
    project = tomlkit.document()
    table = tomlkit.table()
    table["name"] = name
    table["version"] = "0.1.0"
    table["requires-python"] = f">={python[0]}.{python[1]}"
    table["dependencies"] = tomlkit.array()
    project["project"] = table
    return f"{tomlkit.dumps(project)}\n[tool.omniwheel]\n{INIT_TOOL_COMMENTS}"


# --- add and remove ------------------------------------------------------------------------


def parse_requirements(texts: Sequence[str]) -> tuple[Requirement, ...]:
    """The command line's requirements, all checked before anything is edited."""
    parsed = []
    for text in texts:
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as exc:
            first = str(exc).splitlines()[0]
            raise EditError(
                f"invalid requirement {text!r}: {first}",
                hint='write it as PEP 508 says, e.g. "httpx>=0.27" or "pywin32; '
                "sys_platform == 'win32'\"",
            ) from None
    return tuple(parsed)


def add_requirements(
    text: str,
    requirements: Sequence[str],
    *,
    group: str | None = None,
    dependency_group: str | None = None,
) -> Edited:
    """Add ``requirements`` to ``[project].dependencies``, optional group (extra) ``group``, or
    PEP 735 group ``dependency_group`` (an existing key matched after normalization; its
    ``{include-group = ...}`` entries kept)."""
    parsed = parse_requirements(requirements)
    document = _parse(text)
    array = _requirement_array(document, group, dependency_group, create=True)
    assert array is not None
    changes = [
        _add_one(array, raw.strip(), requirement)
        for raw, requirement in zip(requirements, parsed, strict=True)
    ]
    return Edited(text=_dumps(document, text), changes=tuple(changes))


def remove_requirements(
    text: str,
    names: Sequence[str],
    *,
    group: str | None = None,
    dependency_group: str | None = None,
) -> Edited:
    """Remove every requirement named in ``names`` (normalized) from dependencies, extra
    ``group`` or PEP 735 group ``dependency_group`` (its includes are left alone)."""
    document = _parse(text)
    array = _requirement_array(document, group, dependency_group, create=False)
    where = _where(group, dependency_group)
    changes: list[str] = []
    for name in names:
        wanted = _normalized(name)
        indexes = [] if array is None else _indexes_of(array, wanted)
        if not indexes:
            raise EditError(
                f"{name} is not in {where}",
                hint=_elsewhere_hint(document, wanted, group or dependency_group),
            )
        assert array is not None
        for index in reversed(indexes):
            changes.append(f"- {array[index]}")
            del array[index]
    return Edited(text=_dumps(document, text), changes=tuple(changes))


# --- [tool.omniwheel] artifacts choice ------------------------------------------------------


def set_artifacts_choice(text: str, *, extras: Sequence[str], groups: Sequence[str]) -> Edited:
    """``text`` with ``[tool.omniwheel] artifacts-extras`` / ``artifacts-groups`` set to these
    names (a key is removed when its list is empty; ``[tool.omniwheel]`` is created when
    missing).  ``changes`` lists each key written or removed; empty when nothing changed."""
    document = _parse(text)
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document["tool"] = tool
    omniwheel = tool.get("omniwheel")
    if omniwheel is None:
        omniwheel = tomlkit.table()
        tool["omniwheel"] = omniwheel
    if not isinstance(omniwheel, dict):
        raise EditError(
            "[tool.omniwheel] is not a table",
            hint="make it a table: a `[tool.omniwheel]` header with settings below it",
        )
    changes: list[str] = []
    for key, names in (("artifacts-extras", extras), ("artifacts-groups", groups)):
        wanted = sorted(names)
        current = omniwheel.get(key)
        if current is not None and list(current) == wanted:
            continue
        if not wanted:
            if current is not None:
                del omniwheel[key]
                changes.append(f"- [tool.omniwheel] {key}")
            continue
        omniwheel[key] = wanted
        changes.append(f"~ [tool.omniwheel] {key} = [{', '.join(map(_quoted, wanted))}]")
    if not changes:
        return Edited(text=text, changes=())
    return Edited(text=_dumps(document, text), changes=tuple(changes))


def _quoted(name: str) -> str:
    return f'"{name}"'


def _dumps(document: tomlkit.TOMLDocument, original: str) -> str:
    """The edited text, ending the way the original did (a table added last brings a blank
    line of its own)."""
    text = tomlkit.dumps(document)
    if original.endswith("\n") and not original.endswith("\n\n"):
        text = text.rstrip("\n") + "\n"
    return text


def _parse(text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise EditError(
            f"pyproject.toml is not valid TOML: {exc}",
            hint="fix the TOML syntax at the position shown, then run the command again",
        ) from None


def _where(group: str | None, dependency_group: str | None = None) -> str:
    if dependency_group is not None:
        return f"[dependency-groups].{dependency_group}"
    if group is None:
        return "[project].dependencies"
    return f"[project.optional-dependencies].{group}"


def _project_table(document: tomlkit.TOMLDocument) -> Any:
    project = document.get("project")
    if not isinstance(project, dict):
        raise EditError(
            "pyproject.toml has no [project] table",
            hint="run `omniwheel init` in a new directory, or add a [project] table",
        )
    if "dependencies" in project.get("dynamic", ()):
        raise EditError(
            "[project].dependencies is dynamic; omniwheel edits only static dependencies",
            hint="list them in [project] and remove `dependencies` from `dynamic`",
        )
    return project


def _requirement_array(
    document: tomlkit.TOMLDocument,
    group: str | None,
    dependency_group: str | None,
    *,
    create: bool,
) -> Array | None:
    """The array to edit; created (multi-line) when missing and ``create`` is set."""
    project = _project_table(document)
    if dependency_group is not None:
        if group is not None:
            raise EditError(
                "--optional names an extra and --group a dependency group: give one",
                hint="extras are installed with the package; groups are for the project only",
            )
        return _dependency_group_array(document, dependency_group, create=create)
    if group is None:
        return _array_in(project, "dependencies", "[project].dependencies", create=create)
    extras = project.get("optional-dependencies")
    if extras is None:
        if not create:
            return None
        _normalized(group, what="optional group")
        array = _new_array()
        extras = tomlkit.table()
        extras.add(group, array)
        extras.add(tomlkit.nl())  # a blank line before whatever table follows
        project["optional-dependencies"] = extras
        return array
    if not isinstance(extras, dict):
        raise EditError(
            "[project].optional-dependencies is not a table",
            hint="make it a table of arrays: `[project.optional-dependencies]` with, e.g., "
            '`test = ["pytest"]`',
        )
    key = _group_key(extras, group)
    return _array_in(extras, key, _where(group), create=create)


def _dependency_group_array(
    document: tomlkit.TOMLDocument, group: str, *, create: bool
) -> Array | None:
    """The array of PEP 735 group ``group`` in top-level ``[dependency-groups]``."""
    wanted = _normalized(group, what="dependency group")
    if wanted == DEFAULT_GROUP:
        raise EditError(
            f"the group name {group!r} is reserved: a multi-use pylock.toml calls the "
            f"project's own dependencies `{DEFAULT_GROUP}`",
            hint="choose another name (`dev`, `test`, `lint`, ...)",
        )
    groups = document.get("dependency-groups")
    if groups is None:
        if not create:
            return None
        array = _new_array()
        groups = tomlkit.table()
        groups.add(group, array)
        document["dependency-groups"] = groups
        return array
    if not isinstance(groups, dict):
        raise EditError(
            "[dependency-groups] is not a table",
            hint='make it a table of arrays: `[dependency-groups]` with, e.g., `dev = ["pytest"]`',
        )
    key = _group_key(groups, group, what="dependency group")
    return _array_in(groups, key, _where(None, key), create=create)


def _group_key(extras: dict[str, Any], group: str, *, what: str = "optional group") -> str:
    """The existing key for ``group`` (compared normalized), else ``group`` itself."""
    wanted = _normalized(group, what=what)
    for key in extras:
        if canonicalize_name(key) == wanted:
            return str(key)
    return group


def _array_in(table: Any, key: str, where: str, *, create: bool) -> Array | None:
    value = table.get(key)
    if value is None:
        if not create:
            return None
        value = _new_array()
        table[key] = value
        return value
    if not isinstance(value, Array):
        raise EditError(
            f"{where} is not an array of requirement strings",
            hint='make it an array of PEP 508 strings, e.g. `["httpx>=0.27"]`',
        )
    if not value:
        value.multiline(True)  # `dependencies = []` grows into one entry per line
    return value


def _new_array() -> Array:
    array = tomlkit.array()
    array.multiline(True)
    return array


def _add_one(array: Array, raw: str, requirement: Requirement) -> str:
    name = canonicalize_name(requirement.name)
    for index in _indexes_of(array, name):
        existing = _requirement(array[index])
        if existing is not None and existing.marker == requirement.marker:
            old = str(array[index])
            array[index] = raw
            return f"~ {old} → {raw}" if old != raw else f"= {raw}"
    array.append(raw)
    return f"+ {raw}"


def _indexes_of(array: Array, name: NormalizedName) -> list[int]:
    found = []
    for index, item in enumerate(array):
        requirement = _requirement(item)
        if requirement is not None and canonicalize_name(requirement.name) == name:
            found.append(index)
    return found


def _requirement(item: object) -> Requirement | None:
    if not isinstance(item, str):
        return None
    try:
        return Requirement(str(item))
    except InvalidRequirement:
        return None  # the file's own problem; validation after the edit reports it


def _normalized(name: str, *, what: str = "package name") -> NormalizedName:
    try:
        return canonicalize_name(name, validate=True)
    except InvalidName:
        raise EditError(
            f"invalid {what} {name!r}", hint="use letters, digits, `-`, `_` and `.`"
        ) from None


def _elsewhere_hint(
    document: tomlkit.TOMLDocument, name: NormalizedName, group: str | None
) -> str | None:
    """Where else the name is listed, so the user knows which flag to use."""
    project = document.get("project", {})
    places = []
    if group is not None and _listed(project.get("dependencies"), name):
        places.append("`omniwheel remove` without --optional or --group")
    extras = project.get("optional-dependencies")
    if isinstance(extras, Table | dict):
        for key, value in extras.items():
            if key != group and _listed(value, name):
                places.append(f"--optional {key}")
    groups = document.get("dependency-groups")
    if isinstance(groups, Table | dict):
        for key, value in groups.items():
            if key != group and _listed(value, name):
                places.append(f"--group {key}")
    if not places:
        return None
    return f"it is listed elsewhere; use {' or '.join(places)}"


def _listed(value: object, name: NormalizedName) -> bool:
    return isinstance(value, Array) and bool(_indexes_of(value, name))
