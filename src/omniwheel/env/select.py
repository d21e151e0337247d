"""What a lock asks for on this machine: the wheels it selects for one interpreter.

*Selection* is the standard one — ``packaging.pylock.Pylock.select`` with the interpreter's
marker environment and tags — so any valid PEP 751 lock works, whoever wrote it.  For locks
omniwheel wrote, the result is cross-checked against the target recorded under
``[tool.omniwheel]`` that this machine satisfies with the highest floor: a disagreement becomes a
warning.  A machine the lock does not cover is an error naming the lock's targets, this machine
and the command that adds it.  omniwheel's tables are read (and checked: a hand-edited value is an
error naming its key path) by :func:`~omniwheel.lock.tool_table.read_tool_tables`.

Pure: it takes the parsed lock and the probed interpreter and returns plain data
(:class:`~omniwheel.env.plan.Selection`).  It is the part of a sync that needs ``packaging``;
:mod:`omniwheel.env.selection_memo` remembers its answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import cast

from packaging.markers import Environment
from packaging.pylock import Package, PackageWheel, Pylock, PylockSelectError
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from omniwheel.env.plan import SelectedWheel, Selection
from omniwheel.errors import LockFileError
from omniwheel.lock.tool_table import LockToolTable, ToolTables, read_tool_tables
from omniwheel.platform.host import Interpreter
from omniwheel.platform.target import Target
from omniwheel.store.store import WheelSource


class LockNotForThisMachineError(LockFileError):
    """The lock has nothing installable for this machine and interpreter."""


def select_wheels(
    pylock: Pylock,
    *,
    lock_path: Path,
    interpreter: Interpreter,
    tables: ToolTables | None = None,
) -> Selection:
    """The wheels ``pylock`` selects for ``interpreter``; raises when it covers no such machine,
    or when omniwheel's tables in it hold values omniwheel does not write.  ``tables``: those
    tables, when the caller read them already."""
    if tables is None:
        tables = read_tool_tables(pylock, path=lock_path)
    try:
        chosen = list(
            pylock.select(
                environment=cast(Environment, dict(interpreter.marker_environment)),
                tags=interpreter.tags,
            )
        )
    except PylockSelectError as exc:
        raise _not_covered(lock_path, tables.lock, interpreter, str(exc)) from exc
    requested = _requested_names(pylock, tables.lock)
    wheels = tuple(_selected(package, source, lock_path, requested) for package, source in chosen)
    return Selection(wheels=wheels, warnings=_cross_check(pylock, tables, interpreter, wheels))


def _selected(
    package: Package, source: object, lock_path: Path, requested: Collection[str]
) -> SelectedWheel:
    version = str(package.version) if package.version is not None else None
    if not isinstance(source, PackageWheel):
        kind = type(source).__name__.removeprefix("Package").lower()
        raise LockFileError(
            f"{package.name} {version or ''} would be installed from a {kind}; omniwheel "
            "installs wheels only, so no package code runs at install time",
            hint="lock it from an index that has wheels for this machine",
        )
    filename = source.filename
    sha256 = source.hashes.get("sha256")
    if not sha256:
        raise LockFileError(
            f"{package.name}: the lock gives no sha256 for {filename}",
            hint="omniwheel verifies every file by sha256; relock with `omniwheel lock`",
        )
    version = version or str(parse_wheel_filename(filename)[1])
    path = None if source.path is None else (lock_path.parent / source.path).resolve()
    wheel = WheelSource(
        name=package.name,
        version=version,
        filename=filename,
        sha256=sha256.lower(),
        size=source.size,
        url=source.url,
        path=path,
    )
    return SelectedWheel(
        name=package.name, version=version, requested=package.name in requested, source=wheel
    )


def _requested_names(pylock: Pylock, tool: LockToolTable | None) -> frozenset[str]:
    """The direct requirements: omniwheel's recorded ones, else the dependency graph's roots."""
    if tool is not None and tool.inputs.requirements:
        return frozenset(
            canonicalize_name(Requirement(text).name) for text in tool.inputs.requirements
        )
    depended_on = {
        canonicalize_name(str(dep["name"]))
        for package in pylock.packages
        for dep in package.dependencies or ()
        if isinstance(dep, Mapping) and "name" in dep
    }
    return frozenset(p.name for p in pylock.packages if p.name not in depended_on)


def _this_machine(interpreter: Interpreter) -> str:
    return f"{interpreter.machine.name} with CPython {interpreter.full_version}"


def _not_covered(
    lock_path: Path, tool: LockToolTable | None, interpreter: Interpreter, reason: str
) -> LockNotForThisMachineError:
    targets = [target.name for target in tool.inputs.targets] if tool is not None else []
    listed = "; ".join(targets) if targets else "not recorded (not written by omniwheel)"
    platform = f"{interpreter.machine.suggested_platform().name}@{interpreter.python_version}"
    command = " ".join(f"--platform {name}" for name in [*targets, platform])
    return LockNotForThisMachineError(
        f"{lock_path.name} does not cover this machine ({_this_machine(interpreter)}): "
        f"{reason}.\nThe lock's targets: {listed}",
        hint=f"add this machine to the lock: `omniwheel lock {command}` (or add "
        f"`{interpreter.machine.suggested_platform().name}` to [tool.omniwheel] platforms "
        "and run `omniwheel lock`)",
    )


def covering_target(targets: Iterable[Target], interpreter: Interpreter) -> Target | None:
    """The lock target this machine satisfies with the highest floors, if any."""
    machine = interpreter.machine
    fitting = [
        target
        for target in targets
        if (target.os, target.arch, target.libc) == (machine.os, machine.arch, machine.libc)
        and target.python[:2] == interpreter.version[:2]
        and (len(target.python) == 2 or target.python[2] <= interpreter.version[2])
        and (target.libc_floor or (0, 0)) <= (machine.libc_version or (0, 0))
        and (target.macos_floor or (0, 0)) <= (machine.macos_version or (0, 0))
    ]
    return max(fitting, key=lambda t: t.sort_key(), default=None)


def _cross_check(
    pylock: Pylock,
    tables: ToolTables,
    interpreter: Interpreter,
    wheels: Sequence[SelectedWheel],
) -> tuple[str, ...]:
    """Warnings when this machine is none of the lock's targets, or the markers select other
    packages here than the lock recorded for the target it is."""
    targets = tables.lock.inputs.targets if tables.lock is not None else ()
    if not targets:
        return ()
    target = covering_target(targets, interpreter)
    if target is None:
        names = "; ".join(t.name for t in targets)
        return (
            f"this machine ({_this_machine(interpreter)}) is none of the lock's targets "
            f"({names}); installing what the lock's markers and wheel tags select here",
        )
    expected = {
        (package.name, str(package.version))
        for package, table in zip(pylock.packages, tables.packages, strict=True)
        if table is not None and target in table.targets
    }
    selected = {(wheel.name, wheel.version) for wheel in wheels}
    if expected == selected:
        return ()
    differences = ", ".join(
        [f"+{n} {v}" for n, v in sorted(selected - expected)]
        + [f"-{n} {v}" for n, v in sorted(expected - selected)]
    )
    return (
        f"the lock's markers select other packages here than it recorded for {target.name} "
        f"({differences}); installing what the markers select",
    )
