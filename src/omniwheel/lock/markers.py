"""PEP 508 markers that select a set of locked targets, and nothing else the lock covers.

A standard installer decides what to install from markers alone, so every package entry that is
not needed on every target carries a marker true exactly on the environments that need it.
Markers can only see ``sys_platform``, ``platform_machine`` and the Python version, so targets
are described by that key.  Markers only need to be right within the lock's ``environments`` (an
installer refuses any other environment), which lets them be short: ``sys_platform == "win32"``
rather than listing every Windows machine and Python version of the lock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from packaging.version import Version

from omniwheel.platform.target import Target

EnvKey = tuple[str, str, str]  # sys_platform, platform_machine, python_version


def environment_marker(target: Target) -> str:
    """The ``environments`` entry for a target."""
    env = target.marker_environment()
    clauses = [
        f'sys_platform == "{env["sys_platform"]}"',
        f'platform_machine == "{env["platform_machine"]}"',
        f'python_version == "{env["python_version"]}"',
    ]
    if len(target.python) == 3:
        clauses.append(f'python_full_version >= "{env["python_full_version"]}"')
    return " and ".join(clauses)


def selecting_marker(needed: Collection[EnvKey], everything: Collection[EnvKey]) -> str | None:
    """A marker true on ``needed`` and false on the rest of ``everything``; None if all needed."""
    needed_set, all_set = set(needed), set(everything)
    if needed_set >= all_set:
        return None
    by_pythons: dict[frozenset[str], set[tuple[str, str]]] = {}
    platforms: dict[tuple[str, str], set[str]] = {}
    for platform, machine, python in needed_set:
        platforms.setdefault((platform, machine), set()).add(python)
    for platform_key, pythons in platforms.items():
        by_pythons.setdefault(frozenset(pythons), set()).add(platform_key)
    clauses = [
        _and(_platform_clause(plats, all_set), _python_clause(pythons, plats, all_set))
        for pythons, plats in by_pythons.items()
    ]
    clauses.sort()
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" if " and " in clause else clause for clause in clauses)


def _platform_clause(plats: set[tuple[str, str]], everything: set[EnvKey]) -> str:
    if plats >= {(p, m) for p, m, _ in everything}:
        return ""  # every platform of the lock: naming them adds nothing
    parts: list[str] = []
    for platform in sorted({p for p, _ in plats}):
        machines = {m for p, m in plats if p == platform}
        all_machines = {m for p, m, _ in everything if p == platform}
        if machines >= all_machines:
            parts.append(f'sys_platform == "{platform}"')
        else:
            parts.extend(
                f'(sys_platform == "{platform}" and platform_machine == "{machine}")'
                for machine in sorted(machines)
            )
    return _or(parts)


def _python_clause(
    pythons: frozenset[str], plats: set[tuple[str, str]], everything: set[EnvKey]
) -> str:
    available = sorted({py for p, m, py in everything if (p, m) in plats}, key=Version)
    chosen = sorted(pythons, key=Version)
    if chosen == available:
        return ""
    if chosen == available[available.index(chosen[0]) :]:
        return f'python_version >= "{chosen[0]}"'
    if chosen == available[: len(chosen)]:
        return f'python_version <= "{chosen[-1]}"'
    return _or(f'python_version == "{python}"' for python in chosen)


def _or(parts: Iterable[str]) -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return "(" + " or ".join(items) + ")"


def _and(left: str, right: str) -> str:
    return " and ".join(part for part in (left, right) if part) or _always()


def _always() -> str:
    # Reached only when a subset of environments equals the whole lock, which the caller excludes;
    # keep a valid marker rather than an empty string should that ever change.
    return 'python_version >= "0"'
