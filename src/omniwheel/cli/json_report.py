"""``--json``: what ``lock`` and ``sync`` did, for machines, built from their outcome objects.

One JSON object is written to stdout, after the command succeeded; diagnostics (warnings, notes,
progress) stay on stderr, and a failure prints ``error:``/``hint:`` there, with no JSON and a
non-zero exit.  Every report carries ``"schema": SCHEMA`` and ``"command"``.  The keys are
spelled out by the ``TypedDict`` classes below (and in the README); a consumer should ignore
keys it does not know.  Package lists are sorted by name.

``lock`` (:class:`LockReport`): the lock file, whether it changed (always false with
``--check``, which fails when the lock is stale), the targets resolved and those skipped with
why, each target's packages (name → version, including packages needed only on some patch
releases of its Python), the packages whose version differs between targets, and the
interpreter builds the lock pins (``pythons``: version, release, triple, canonical URL, sha256
and the targets each serves; an empty list when the lock pins none).

``sync`` (:class:`SyncReport`): the lock, the venv and its interpreter (null when the sync was
a no-op and probed none), whether the venv was created, whether the sync changed nothing, and
the packages installed, removed, downloaded into the store (``fetched``) and left alone
(another installer's, with no RECORD), and the choice of extras and dependency groups the
environment holds (``choice``: whether the project's dependencies are in it, the extras and the
groups, as the lock names them).  With ``dry_run`` the lists say what a sync would do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from omniwheel.env.choice import Choice
    from omniwheel.env.sync import SyncOutcome
    from omniwheel.lock.locker import LockOutcome
    from omniwheel.platform.target import Target
    from omniwheel.store.store import WheelSource

SCHEMA = 1
# Bump when a key is removed, renamed or changes meaning; adding a key needs no bump.


class TargetEntry(TypedDict):
    name: str
    """The canonical target name, as ``--platform`` takes it: ``linux-x86_64-glibc2.28@3.12``."""
    platform: str
    python: str


class SkippedTarget(TypedDict):
    name: str
    reason: str


class DivergentVersion(TypedDict):
    version: str
    targets: list[str]
    reason: str | None
    """Why these targets did not get the newest version; null for the newest."""


class Divergence(TypedDict):
    name: str
    versions: list[DivergentVersion]
    """Newest first."""


class PinnedInterpreter(TypedDict):
    version: str
    release: str
    triple: str
    url: str
    """The canonical URL the lock records (never a mirror's)."""
    sha256: str
    targets: list[str]


class LockReport(TypedDict):
    schema: int
    command: Literal["lock"]
    lock: str
    changed: bool
    check: bool
    targets: list[TargetEntry]
    skipped: list[SkippedTarget]
    packages: dict[str, dict[str, str]]
    """Target name → package name → version."""
    divergences: list[Divergence]
    pythons: list[PinnedInterpreter]
    """The interpreter builds the lock pins (empty unless it pins them)."""
    seconds: float


class Package(TypedDict):
    name: str
    version: str


class SyncedPython(TypedDict):
    version: str
    release: str
    triple: str
    sha256: str
    fetched: bool
    """The build was downloaded by this sync (with ``dry_run``: would be)."""


class SyncChoice(TypedDict):
    dependencies: bool
    """The project's dependencies are installed (false with ``--only-group``/``--only-dev``)."""
    extras: list[str]
    """The extras installed, normalized, sorted."""
    groups: list[str]
    """The project's dependency groups installed (defaults included), normalized, sorted."""


class SyncReport(TypedDict):
    schema: int
    command: Literal["sync"]
    lock: str
    venv: str
    interpreter: str | None
    pinned_python: SyncedPython | None
    """The lock's pinned build the environment runs on; null when it runs on another
    interpreter, and, like ``interpreter``, when nothing changed (a no-op probes none)."""
    created_venv: bool
    no_op: bool
    """Nothing in the environment changed."""
    dry_run: bool
    packages: int
    """How many packages the lock selects for this machine."""
    installed: list[Package]
    removed: list[Package]
    fetched: list[Package]
    """Wheels downloaded into the store (a subset of ``installed``)."""
    left_alone: list[Package]
    drift: list[str]
    """What the audit found changed since the last sync (and the sync repaired), a line each."""
    warnings: list[str]
    seconds: float
    choice: SyncChoice
    """Which extras and groups of the lock the environment holds."""


def lock_report(outcome: LockOutcome, *, check: bool) -> LockReport:
    lock = outcome.lock
    packages: dict[str, dict[str, str]] = {target.name: {} for target in lock.targets}
    for package in lock.packages:
        for target in package.targets:
            packages[target.name][package.name] = str(package.version)
    return {
        "schema": SCHEMA,
        "command": "lock",
        "lock": str(outcome.path),
        "changed": outcome.changed,
        "check": check,
        "targets": [_target(target) for target in lock.targets],
        "skipped": [{"name": target.name, "reason": reason} for target, reason in lock.skipped],
        "packages": packages,
        "divergences": [
            {
                "name": divergence.name,
                "versions": [
                    {
                        "version": str(version),
                        "targets": [target.name for target in targets],
                        "reason": dict(divergence.reasons).get(version),
                    }
                    for version, targets in divergence.targets_by_version
                ],
            }
            for divergence in outcome.divergences
        ],
        "pythons": [
            {
                "version": str(entry.build.version),
                "release": entry.build.release,
                "triple": entry.build.triple,
                "url": entry.build.url,
                "sha256": entry.build.sha256,
                "targets": [target.name for target in entry.targets],
            }
            for entry in lock.pythons
        ],
        "seconds": round(outcome.seconds, 3),
    }


def _target(target: Target) -> TargetEntry:
    return {"name": target.name, "platform": target.platform_name, "python": target.python_version}


def sync_report(
    outcome: SyncOutcome, *, fetched: tuple[WheelSource, ...], choice: Choice
) -> SyncReport:
    """``fetched``: the wheels the sync downloaded (see :class:`FetchLog`); a dry run's come
    from its plan.  ``choice``: the extras and groups the sync installed (or would)."""
    plan = outcome.plan
    if plan is not None and outcome.dry_run:
        fetched = tuple(wheel.source for wheel in plan.fetch)
    return {
        "schema": SCHEMA,
        "command": "sync",
        "lock": str(outcome.lock_path),
        "venv": str(outcome.venv),
        "interpreter": outcome.interpreter or None,
        "pinned_python": _synced_python(outcome),
        "created_venv": outcome.created_venv,
        "no_op": not outcome.created_venv and (plan is None or plan.is_empty),
        "dry_run": outcome.dry_run,
        "packages": outcome.packages,
        "installed": _packages(plan.link if plan else ()),
        "removed": _packages(plan.remove if plan else ()),
        "fetched": _packages(fetched),
        "left_alone": _packages(plan.foreign if plan else ()),
        "drift": list(outcome.drift),
        "warnings": list(outcome.warnings),
        "seconds": round(outcome.seconds, 3),
        "choice": {
            "dependencies": choice.main,
            "extras": list(choice.extras),
            "groups": list(choice.groups),
        },
    }


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


def _packages(items: Iterable[_Named]) -> list[Package]:
    return sorted(
        ({"name": item.name, "version": item.version} for item in items),
        key=lambda package: (package["name"], package["version"]),
    )


class FetchLog:
    """The sync's ``on_fetched`` hook: records each wheel whose bytes were downloaded."""

    def __init__(self) -> None:
        self._wheels: list[WheelSource] = []

    def __call__(self, wheel: WheelSource, was_fetched: bool) -> None:
        if was_fetched:
            self._wheels.append(wheel)

    @property
    def wheels(self) -> tuple[WheelSource, ...]:
        return tuple(self._wheels)


def _synced_python(outcome: SyncOutcome) -> SyncedPython | None:
    build = outcome.python_build
    if build is None:
        return None
    return {
        "version": str(build.version),
        "release": build.release,
        "triple": build.triple,
        "sha256": build.sha256,
        "fetched": outcome.python_fetched,
    }


def write_report(report: LockReport | SyncReport) -> None:
    """The report on stdout, the one thing ``--json`` writes there."""
    sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
