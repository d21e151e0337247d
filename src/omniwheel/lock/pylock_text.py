"""The text of ``pylock.toml``, written directly: the same bytes ``tomlkit`` would write, faster.

A lock holds hundreds of package and wheel tables; building them as ``tomlkit`` items only to
print them took most of the time of writing a lock (about 1.5 s of a warm 15-target lock of the
bench workload under cProfile).  The lock's layout is fixed, so it is written here as text:
TOML basic strings escaped as ``tomlkit`` escapes them, UTC datetimes as ``…Z``, one item per
line for arrays of more than one string, inline tables for dependencies and hashes.  The lock's
own ``[tool.omniwheel]`` table is written here too (importing ``tomlkit`` for that one table cost
more than writing the rest); a test holds it to the bytes ``tomlkit`` writes for the same table.
``render_pylock`` parses the text back and proves it with ``packaging.pylock`` before anything
is written, and the scenario snapshots pin its bytes.

A wheel of a local find-links source (a ``file://`` URL) is written with PEP 751's ``path``
instead of ``url``: relative to the lock's directory when it is inside it, so the lock moves with
the project; and its package has no ``index`` (a folder is no simple-API index another machine
could ask), which also keeps the lock free of this machine's paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

from omniwheel.errors import LockFileError
from omniwheel.index.discovery import strip_credentials
from omniwheel.index.models import DistFile
from omniwheel.lock.model import Lock, LockedPackage
from omniwheel.lock.tool_table import (
    NAMED_REQUIREMENTS,
    TOOL,
    LockedPython,
    LockToolTable,
    PackageToolTable,
    recorded_inputs,
)
from omniwheel.project.find_links import local_path, recorded_path
from omniwheel.project.pyproject import DEFAULT_GROUP

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def pylock_text(lock: Lock, *, directory: Path | None = None) -> str:
    """The whole ``pylock.toml`` of ``lock``, to be written in ``directory`` (local wheels are
    recorded relative to it; None: with absolute paths)."""
    head = [
        _pair("lock-version", _string("1.0")),
        _pair("environments", _strings(lock.environments)),
    ]
    if lock.inputs.requires_python:
        head.append(_pair("requires-python", _string(lock.inputs.requires_python)))
    head += [
        _pair("extras", _one_line(lock.extras)),
        _pair("dependency-groups", _one_line(lock.groups)),
        _pair("default-groups", _one_line([DEFAULT_GROUP] if lock.groups else [])),
        _pair("created-by", _string(TOOL)),
    ]
    versions_by_name: dict[str, set[str]] = {}
    for package in lock.packages:
        versions_by_name.setdefault(package.name, set()).add(str(package.version))
    parts = ["".join(head)]
    for package in lock.packages:
        parts.extend(_package(package, lock.inputs.index_url, versions_by_name, directory))
    parts.extend(_lock_tool(LockToolTable.of(lock)))
    return "\n".join(parts)


def _package(
    package: LockedPackage,
    index_url: str,
    versions_by_name: Mapping[str, set[str]],
    directory: Path | None,
) -> Iterator[str]:
    """``[[packages]]`` and its sub-tables, one string each (joined by blank lines)."""
    lines = ["[[packages]]\n", _pair("name", _string(package.name))]
    lines.append(_pair("version", _string(str(package.version))))
    if package.marker:
        lines.append(_pair("marker", _string(package.marker)))
    if package.requires_python:
        lines.append(_pair("requires-python", _string(package.requires_python)))
    if package.dependencies:
        entries = []
        for dependency in package.dependencies:
            fields = [("name", _string(dependency))]
            versions = versions_by_name.get(dependency, set())
            if len(versions) == 1:
                fields.append(("version", _string(next(iter(versions)))))
            entries.append(_inline(fields))
        lines.append(_pair("dependencies", f"[{', '.join(entries)}]"))
    index = package.index or index_url
    if local_path(index) is None:
        lines.append(_pair("index", _string(index)))
    yield "".join(lines)
    for locked in package.wheels:
        yield _wheel(locked.file, directory)
    yield from _package_tool(PackageToolTable.of(package))


def _wheel(dist: DistFile, directory: Path | None) -> str:
    """One ``[[packages.wheels]]`` entry: where the file is, when it was uploaded, its hash."""
    if dist.sha256 is None:
        raise LockFileError(
            f"the index gives no sha256 for {dist.filename}",
            hint="omniwheel locks only files with a published sha256; use another index",
        )
    # Some indexes list files under URLs that carry the caller's credentials; a lock is
    # shared, so it keeps only the address (sync sends the index's credentials again).
    lines = ["[[packages.wheels]]\n", _location(dist, directory)]
    if dist.upload_time is not None:
        lines.append(_pair("upload-time", _datetime(dist.upload_time)))
    if dist.size is not None:
        lines.append(_pair("size", str(dist.size)))
    lines.append(_pair("hashes", _inline([("sha256", _string(dist.sha256))])))
    return "".join(lines)


def _location(dist: DistFile, directory: Path | None) -> str:
    """``path = …`` for a local file (relative to ``directory`` when inside it), else
    ``url = …``."""
    path = local_path(dist.url)
    if path is None:
        return _pair("url", _string(strip_credentials(dist.url)))
    recorded = path.as_posix() if directory is None else recorded_path(path, directory)
    return _pair("path", _string(recorded))


def _package_tool(table: PackageToolTable) -> Iterator[str]:
    """``[packages.tool.omniwheel]``: the targets, and the roots with the targets of each that
    needs the entry on fewer targets than all of them (``root-targets``)."""
    where = f"packages.tool.{TOOL}"
    lines = [f"[{where}]\n", _pair("targets", _strings(t.name for t in table.targets))]
    if table.roots:
        lines.append(_pair("roots", _strings(str(root) for root in table.roots)))
    yield "".join(lines)
    subsets = [
        _pair(_key(str(root)), _strings(t.name for t in targets))
        for root, targets in table.roots.items()
        if targets != table.targets
    ]
    if subsets:
        yield f"[{where}.root-targets]\n" + "".join(subsets)


# Recorded lists written one item per line once they hold more than one (they grow long).
_ONE_PER_LINE = frozenset({"targets", "requirements"})


def _lock_tool(table: LockToolTable) -> Iterator[str]:
    """``[tool.omniwheel]`` and its sub-tables, one string each (joined by blank lines): the
    recorded inputs in the order :func:`recorded_inputs` gives them, then the skipped targets,
    then each extra's and group's requirements, then the pinned interpreters."""
    where = f"tool.{TOOL}"
    recorded = recorded_inputs(table.inputs)
    lines = [f"[{where}]\n"]
    for key, value in recorded.items():
        if key == "indexes":  # one inline table per line, however many
            lines.append(_pair(key, _lines([_inline_value(entry) for entry in value])))
        elif key == "sources":
            lines.append(_pair(key, _inline_value(value)))
        elif key in _ONE_PER_LINE:
            lines.append(_pair(key, _strings(value)))
        elif key not in NAMED_REQUIREMENTS:
            lines.append(_pair(key, _value(value)))
    if table.skipped:
        skipped = [
            _inline([("target", _string(entry.target.name)), ("reason", _string(entry.reason))])
            for entry in table.skipped
        ]
        lines.append(_pair("skipped-targets", f"[{', '.join(skipped)}]"))
    yield "".join(lines)
    for key in sorted(NAMED_REQUIREMENTS & set(recorded), reverse=True):
        named = recorded[key].items()
        yield f"[{where}.{key}]\n" + "".join(_pair(_key(n), _strings(r)) for n, r in named)
    for entry in table.pythons:
        yield f"[[{where}.python]]\n" + _python(entry)


def _python(entry: LockedPython) -> str:
    """One pinned interpreter build: the targets it serves, where it is, where it lands."""
    build = entry.build
    fields = [
        ("targets", _strings(target.name for target in entry.targets)),
        ("implementation", _string(build.implementation)),
        ("version", _string(str(build.version))),
        ("release", _string(build.release)),
        ("triple", _string(build.triple)),
        ("flavor", _string(build.flavor.value)),
        ("url", _string(build.url)),
        ("hashes", _inline([("sha256", _string(build.sha256))])),
        ("executable", _string(build.executable)),
        ("libpython", _string(build.libpython)),
    ]
    return "".join(_pair(key, value) for key, value in fields)


def _value(value: object) -> str:
    """A recorded value that is a string, a boolean, a moment or a list of strings (on one
    line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return _one_line(value)
    raise TypeError(f"no TOML form for a recorded {type(value).__name__}")


def _inline_value(items: Mapping[str, object]) -> str:
    return _inline((key, _value(value)) for key, value in items.items())


def _lines(values: list[str]) -> str:
    """An array of already written values, one per line."""
    return "[\n" + "".join(f"    {value},\n" for value in values) + "]"


def _pair(key: str, value: str) -> str:
    return f"{key} = {value}\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string, escaped as ``tomlkit`` escapes it (other characters kept as they
    are; control characters without a short escape as ``\\uXXXX``)."""
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m[0]) or f"\\u{ord(m[0]):04x}", text)
    return f'"{text}"'


def _strings(items: Iterable[str]) -> str:
    """An array of strings: on one line up to one item, else one item per line."""
    values = [_string(item) for item in items]
    if len(values) <= 1:
        return f"[{', '.join(values)}]"
    return _lines(values)


def _one_line(items: Iterable[str]) -> str:
    """An array of strings on one line, however many."""
    return f"[{', '.join(_string(item) for item in items)}]"


def _inline(fields: Iterable[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{_key(key)} = {value}" for key, value in fields) + "}"


def _datetime(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
