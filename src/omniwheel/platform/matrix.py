"""The target matrix: which (platform, CPython) pairs one lock covers.

Users name platforms (``--platform``, ``[tool.omniwheel] platforms``), optionally pinned to a
Python with ``@X.Y``, and Python versions (``--python-version``); whatever they leave out comes
from the embedded defaults here, filtered by the project's ``requires-python``.
:func:`expand_targets` turns that into one sorted tuple of :class:`Target` values, so every
later step (resolution, lock, Julia artifacts) walks the targets in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from packaging.specifiers import SpecifierSet

from omniwheel.errors import TargetError
from omniwheel.platform.target import (
    Arch,
    Os,
    PlatformSpec,
    PythonVersion,
    Target,
    format_python,
    parse_python_version,
    parse_target,
    releases_of,
)

# CPython minors supported upstream when this omniwheel was released: 3.10 reached end of life
# in October 2026.  Bump with each release (add the new minor, drop the one past end of life).
SUPPORTED_PYTHONS: tuple[tuple[int, int], ...] = ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15))

_Parsed = TypeVar("_Parsed")

# The platforms most projects ship to, each with the default floors (see target.py).
DEFAULT_PLATFORMS: tuple[PlatformSpec, ...] = (
    PlatformSpec(os=Os.LINUX, arch=Arch.X86_64),
    PlatformSpec(os=Os.LINUX, arch=Arch.AARCH64),
    PlatformSpec(os=Os.MACOS, arch=Arch.X86_64),
    PlatformSpec(os=Os.MACOS, arch=Arch.AARCH64),
    PlatformSpec(os=Os.WINDOWS, arch=Arch.X86_64),
)


def admitted_python(
    requires_python: SpecifierSet | None, minor: tuple[int, int]
) -> PythonVersion | None:
    """The target Python for ``minor`` that ``requires_python`` admits entirely, if any.

    The bare minor when every ``3.X.y`` is admitted; else the minor with the lowest patch
    floor from which every later patch is admitted (``>=3.11.5`` → ``(3, 11, 5)``,
    ``!=3.12.3`` → ``(3, 12, 4)``); ``None`` when no such floor exists: no ``3.X.y`` is
    admitted, or the admitted ones are capped (``<3.11.8``), which no target can express.
    """
    if requires_python is None:
        return minor
    floor: int | None = None
    for release in reversed(releases_of(minor)):
        if not requires_python.contains(release, prereleases=False):
            break
        floor = release.micro
    if floor is None:
        return None
    return minor if floor == 0 else (minor[0], minor[1], floor)


def expand_targets(
    platforms: Sequence[str],
    python_versions: Sequence[str],
    requires_python: SpecifierSet | None,
    *,
    platforms_from: str | None = None,
    versions_from: str | None = None,
) -> tuple[Target, ...]:
    """Every target to lock for, deduplicated and sorted by :meth:`Target.sort_key`.

    A platform with ``@X.Y`` is exactly that target.  One without combines with each of
    ``python_versions``, or, when none is given, with each :data:`SUPPORTED_PYTHONS` minor
    that ``requires_python`` admits (see :func:`admitted_python`).  No platforms means
    :data:`DEFAULT_PLATFORMS`.  Raises :class:`TargetError` for a bad name, for a target
    ``requires_python`` does not admit entirely, and when nothing is left to lock.
    ``platforms_from`` / ``versions_from`` say where the names came from (``--platform``,
    ``[tool.omniwheel] platforms``), for the message when one does not parse.
    """
    parsed = [_read(parse_target, text, platforms_from) for text in platforms]
    specs = parsed or [(spec, None) for spec in DEFAULT_PLATFORMS]
    given = [_read(parse_python_version, text, versions_from) for text in python_versions]
    defaults = _default_pythons(requires_python)
    targets: set[Target] = set()
    for spec, python in specs:
        if python is not None:
            targets.add(_admitted(spec.at(python), requires_python))
        elif given:
            targets.update(_admitted(spec.at(version), requires_python) for version in given)
        else:
            targets.update(spec.at(version) for version in defaults)
    if not targets:
        raise _nothing_to_lock(requires_python)
    return tuple(sorted(targets, key=Target.sort_key))


def _read(parse: Callable[[str], _Parsed], text: str, where: str | None) -> _Parsed:
    """``parse(text)``; a TargetError also says where ``text`` was written."""
    try:
        return parse(text)
    except TargetError as error:
        if where is None:
            raise
        raise TargetError(f"{error.message} (in {where})", hint=error.hint) from None


def _default_pythons(requires_python: SpecifierSet | None) -> list[PythonVersion]:
    admitted = (admitted_python(requires_python, minor) for minor in SUPPORTED_PYTHONS)
    return [python for python in admitted if python is not None]


def _admitted(target: Target, requires_python: SpecifierSet | None) -> Target:
    """``target`` itself, if ``requires_python`` admits every release it stands for."""
    if requires_python is None or target.fits_requires_python(requires_python):
        return target
    minor = (target.python[0], target.python[1])
    fitting = admitted_python(requires_python, minor)
    if fitting is not None and fitting > target.python:
        hint = f"pin a patch floor it admits: `{target.platform_name}@{format_python(fitting)}`"
    else:
        hint = "drop this target, or widen requires-python in pyproject.toml"
    releases = releases_of(target.python)
    some = any(requires_python.contains(release, prereleases=False) for release in releases)
    raise TargetError(
        f"target `{target.name}` is outside requires-python `{requires_python}`: "
        f"{_stands_for(target.python)}, and it excludes {'some' if some else 'all'} of them",
        hint=hint,
    )


def _stands_for(python: PythonVersion) -> str:
    minor = f"{python[0]}.{python[1]}"
    if len(python) == 3:
        return f"Python {format_python(python)} stands for it and every later {minor}.y"
    return f"Python {minor} stands for every {minor}.y"


def _nothing_to_lock(requires_python: SpecifierSet | None) -> TargetError:
    first, last = SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]
    return TargetError(
        f"requires-python `{requires_python}` admits none of the default Python versions "
        f"{format_python(first)}–{format_python(last)}",
        hint="pass the versions to lock for with --python-version (or pin them on a "
        "platform, e.g. linux-x86_64@3.10)",
    )
