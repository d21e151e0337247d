"""``[[tool.omniwheel.index]]`` and ``[tool.omniwheel.sources]``: the indexes a project names.

A project lists indexes in the order they are asked, each with a ``name`` (for credentials,
``[tool.omniwheel.sources]`` and the lock), a ``url`` and, optionally, ``explicit = true`` (the
index serves only packages pinned to it)::

    [[tool.omniwheel.index]]
    name = "pytorch-cpu"
    url = "https://torch.example.org/whl/cpu"
    explicit = true

    [tool.omniwheel.sources]
    torch = { index = "pytorch-cpu" }

This module checks the shape of both tables and reports problems with their key paths (the
caller raises them together with the rest of ``pyproject.toml``'s).  Whether a source names an
index that exists is decided where the whole list is known (command line and environment
included): :mod:`omniwheel.index.indexes`.  URLs are kept as written; they may carry
credentials and must not reach a message as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from omniwheel.errors import Problem

__all__ = [
    "DEFAULT_INDEX_NAME",
    "IndexEntry",
    "check_index_name",
    "index_entries",
    "index_sources",
]

DEFAULT_INDEX_NAME = "default"
"""The name of the index omniwheel discovers (``--index-url`` … pip's default); no configured
index may take it."""

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_ENTRY_KEYS = ("name", "url", "explicit")


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """One configured index: its name, its URL and whether it is explicit."""

    name: str
    url: str
    """As configured (a lock records it without credentials)."""
    explicit: bool = False
    """Serves only the packages ``[tool.omniwheel.sources]`` pins to it."""


def check_index_name(name: str) -> str | None:
    """Why ``name`` cannot name an index, or None when it can."""
    if name == DEFAULT_INDEX_NAME:
        return (
            f"{name!r} is the name of the index omniwheel discovers (`--index-url`, "
            "OMNIWHEEL_INDEX_URL, [tool.omniwheel] index-url, pip's configuration); pick another"
        )
    if _NAME.fullmatch(name) is None:
        return (
            f"{name!r} is not an index name: use letters, digits, `-`, `_` and `.`, starting "
            "and ending with a letter or digit"
        )
    return None


def index_entries(value: object, where: str, problems: list[Problem]) -> tuple[IndexEntry, ...]:
    """``[[tool.omniwheel.index]]`` (``where``): an array of tables, names unique."""
    if value is None:
        return ()
    if not isinstance(value, list):
        message = f"expected an array of tables ([[{where}]]), got {_shown(value)}"
        problems.append(Problem(where=where, message=message))
        return ()
    entries: list[IndexEntry] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(value):
        entry = _entry(item, f"{where}[{position}]", problems)
        if entry is None:
            continue
        # Names that differ only in case or punctuation share credential variables.
        key = _NOT_ALNUM.sub("_", entry.name.upper())
        earlier = seen.get(key)
        if earlier is not None:
            message = (
                f"{entry.name!r} is {where}[{earlier}]'s name too (both read credentials from "
                f"OMNIWHEEL_INDEX_{key}_USERNAME/_PASSWORD)"
            )
            problems.append(Problem(where=f"{where}[{position}].name", message=message))
            continue
        seen[key] = position
        entries.append(entry)
    return tuple(entries)


def _entry(item: object, where: str, problems: list[Problem]) -> IndexEntry | None:
    if not isinstance(item, dict):
        problems.append(Problem(where=where, message=f"expected a table, got {_shown(item)}"))
        return None
    found = len(problems)
    for key in item:
        if key not in _ENTRY_KEYS:
            message = f"unknown key {key!r}; an index has {', '.join(_ENTRY_KEYS)}"
            problems.append(Problem(where=f"{where}", message=message))
    name, url, explicit = item.get("name"), item.get("url"), item.get("explicit", False)
    if not isinstance(name, str):
        message = "missing" if name is None else f"expected a string, got {_shown(name)}"
        problems.append(Problem(where=f"{where}.name", message=message))
    elif (reason := check_index_name(name)) is not None:
        problems.append(Problem(where=f"{where}.name", message=reason))
    if not isinstance(url, str) or not url.strip():
        message = "missing" if url is None else f"expected a URL string, got {_shown(url)}"
        problems.append(Problem(where=f"{where}.url", message=message))
    if not isinstance(explicit, bool):
        message = f"expected true or false, got {_shown(explicit)}"
        problems.append(Problem(where=f"{where}.explicit", message=message))
    if len(problems) > found:
        return None
    assert isinstance(name, str)
    assert isinstance(url, str)
    assert isinstance(explicit, bool)
    return IndexEntry(name=name, url=url, explicit=explicit)


def index_sources(
    value: object, where: str, problems: list[Problem]
) -> Mapping[NormalizedName, str]:
    """``[tool.omniwheel.sources]`` (``where``): package name → ``{ index = "NAME" }``; package
    names normalized, each named once."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        problems.append(Problem(where=where, message=f"expected a table, got {_shown(value)}"))
        return MappingProxyType({})
    sources: dict[NormalizedName, str] = {}
    spelt: dict[NormalizedName, str] = {}
    for package, source in value.items():
        at = f"{where}.{package}"
        try:
            name = canonicalize_name(package, validate=True)
        except InvalidName:
            problems.append(Problem(where=at, message=f"{package!r} is not a package name"))
            continue
        if name in spelt:
            message = f"the same package as {where}.{spelt[name]}"
            problems.append(Problem(where=at, message=message))
            continue
        spelt[name] = package
        index = _source_index(source, at, problems)
        if index is not None:
            sources[name] = index
    return MappingProxyType(dict(sorted(sources.items())))


def _source_index(source: object, where: str, problems: list[Problem]) -> str | None:
    if not isinstance(source, dict) or set(source) != {"index"}:
        message = f'expected a table {{ index = "NAME" }}, got {_shown(source)}'
        problems.append(Problem(where=where, message=message))
        return None
    index = source["index"]
    if not isinstance(index, str) or not index:
        message = f"expected an index name, got {_shown(index)}"
        problems.append(Problem(where=f"{where}.index", message=message))
        return None
    return index


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        keys = ", ".join(map(str, value))
        return f"a table with keys {keys}" if keys else "an empty table"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {value!r}"
    kind = {int: "integer", float: "float"}.get(type(value), type(value).__name__)
    return f"the {kind} {value!r}"
