"""What a lock asks for on this machine: the wheels it selects for one interpreter.

*Selection* is the standard one — ``packaging.pylock.Pylock.select`` with the interpreter's
marker environment and tags, and the extras and dependency groups chosen
(:mod:`omniwheel.env.choice`, checked against the names the lock declares) — so any valid PEP 751
lock works, whoever wrote it.  For locks omniwheel wrote, the result is cross-checked against the
target recorded under ``[tool.omniwheel]`` that this machine satisfies with the highest floor, and
the roots each entry records for it: a disagreement becomes a warning.  A machine the lock
does not cover is an error naming the lock's targets, this machine
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

from omniwheel.env.choice import Choice, ChoiceRequest, LockChoices, resolve_choice
from omniwheel.env.plan import SelectedWheel, Selection
from omniwheel.errors import LockFileError
from omniwheel.lock.tool_table import LockToolTable, ToolTables, read_tool_tables
from omniwheel.platform.host import Interpreter
from omniwheel.platform.target import Target
from omniwheel.project.roots import MAIN, Root
from omniwheel.store.store import WheelSource


class LockNotForThisMachineError(LockFileError):
    """The lock has nothing installable for this machine and interpreter."""


def select_wheels(
    pylock: Pylock,
    *,
    lock_path: Path,
    interpreter: Interpreter,
    tables: ToolTables | None = None,
    request: ChoiceRequest | None = None,
) -> Selection:
    """The wheels ``pylock`` selects for ``interpreter`` and the extras and groups ``request``
    asks for (None: the default install); raises when it covers no such machine, when the
    request names extras or groups the lock does not declare, or when omniwheel's tables in it
    hold values omniwheel does not write.  ``tables``: those tables, when the caller read them
    already."""
    if tables is None:
        tables = read_tool_tables(pylock, path=lock_path)
    choice = resolve_choice(request or ChoiceRequest(), lock_choices(pylock, tables.lock))
    try:
        chosen = list(
            pylock.select(
                environment=cast(Environment, dict(interpreter.marker_environment)),
                tags=interpreter.tags,
                extras=choice.extras,
                dependency_groups=choice.select_groups,
            )
        )
    except PylockSelectError as exc:
        if "Multiple packages" in str(exc):
            raise _ambiguous(lock_path, choice, str(exc)) from exc
        raise _not_covered(lock_path, tables.lock, interpreter, str(exc)) from exc
    requested = _requested_names(pylock, tables.lock, choice)
    wheels = tuple(_selected(package, source, lock_path, requested) for package, source in chosen)
    warnings = _cross_check(pylock, tables, interpreter, wheels, chosen_roots(choice))
    if tables.lock is not None and tables.lock.single_use_extras is not None:
        warnings = (
            "pylock.toml is a single-use lock (extras chosen at lock time: "
            f"{', '.join(tables.lock.single_use_extras) or 'none'}); installing it as it is — "
            "relock once with `omniwheel lock` to choose extras and groups at sync",
            *warnings,
        )
    return Selection(wheels=wheels, warnings=warnings)


def lock_choices(pylock: Pylock, tool: LockToolTable | None) -> LockChoices:
    """What ``pylock`` lets an installer choose: its declared extras and groups, and the
    groups omniwheel's sync adds by default (recorded by omniwheel; none for another tool's)."""
    return LockChoices(
        extras=tuple(canonicalize_name(extra) for extra in pylock.extras or ()),
        groups=tuple(canonicalize_name(group) for group in pylock.dependency_groups or ()),
        lock_default_groups=tuple(pylock.default_groups or ()),
        sync_default_groups=tool.inputs.default_groups if tool is not None else (),
        single_use_extras=tool.single_use_extras if tool is not None else None,
    )


def lock_choice(lock_path: Path, request: ChoiceRequest) -> Choice:
    """What ``request`` chooses from the lock at ``lock_path``: the lock is read and parsed
    again (a no-op sync and a remembered selection never parse it), so only what reports the
    choice calls this."""
    from omniwheel.env.sync import read_pylock

    pylock = read_pylock(lock_path)
    tables = read_tool_tables(pylock, path=lock_path)
    return resolve_choice(request, lock_choices(pylock, tables.lock))


def chosen_roots(choice: Choice) -> frozenset[Root]:
    """The roots a choice installs: the project's dependencies (unless left out), each extra
    and each group chosen."""
    roots = {MAIN} if choice.main else set()
    roots.update(Root(kind="extra", name=canonicalize_name(e)) for e in choice.extras)
    roots.update(Root(kind="group", name=canonicalize_name(g)) for g in choice.groups)
    return frozenset(roots)


class AmbiguousSelectionError(LockFileError):
    """The choice selects two entries of one package (extras or groups that conflict)."""


def _ambiguous(lock_path: Path, choice: Choice, reason: str) -> AmbiguousSelectionError:
    return AmbiguousSelectionError(
        f"{lock_path.name} selects two versions of one package for {choice.describe()}: {reason}",
        hint="these extras or groups cannot be installed together; choose fewer",
    )


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


def _requested_names(pylock: Pylock, tool: LockToolTable | None, choice: Choice) -> frozenset[str]:
    """The direct requirements of the chosen roots: omniwheel's recorded ones, else the
    dependency graph's roots."""
    if tool is not None:
        inputs = tool.inputs
        texts = [
            *(inputs.requirements if choice.main else ()),
            *(
                text
                for extra in choice.extras
                for text in inputs.optional_dependencies.get(extra, ())
            ),
            *(text for group in choice.groups for text in inputs.dependency_groups.get(group, ())),
        ]
        if texts or inputs.requirements:
            return frozenset(canonicalize_name(Requirement(text).name) for text in texts)
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
    roots: frozenset[Root],
) -> tuple[str, ...]:
    """Warnings when this machine is none of the lock's targets, or the markers select other
    packages here than the lock recorded for the target it is and the chosen ``roots``."""
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
        if table is not None and table.roots_on(target) & roots
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
