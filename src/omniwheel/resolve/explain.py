"""Turning a failed resolution into words: the conflicting chain, or the missing wheels.

resolvelib reports failure as data (the requirements that could not be met, each with the candidate
that asked for it).  This module asks the index page again why nothing fitted and writes what a user
needs: who required what (as a chain back to the project), whether versions exist at all, and, when
they exist but have no wheel for a target, which wheel tags do exist and what to do about it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.errors import ResolutionError
from omniwheel.index.models import Wheel
from omniwheel.project.timestamp import format_timestamp
from omniwheel.resolve.candidates import (
    FilePolicy,
    allows_prerelease,
    best_wheel,
    is_pinned,
    visible_wheels,
)
from omniwheel.resolve.provider import PYTHON, Candidate, GroupProvider, RequirementInfo
from omniwheel.resolve.resolution import MissingWheel

ROOT = "your project"


class NoCompatibleWheelError(ResolutionError):
    """Versions of a package exist, but none has a wheel that a target can install."""

    def __init__(self, message: str, *, missing: MissingWheel, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.missing = missing


class ConflictError(ResolutionError):
    """Requirements that no version satisfies together."""


def explain_failure(
    causes: Sequence[RequirementInfo], provider: GroupProvider, policy: FilePolicy
) -> ResolutionError:
    """The most useful error for resolvelib's ``causes`` in this provider's group."""
    by_name: dict[NormalizedName, list[RequirementInfo]] = {}
    for cause in causes:
        by_name.setdefault(cause.requirement.name, []).append(cause)
    where = ", ".join(target.name for target in provider.targets)
    for name, infos in sorted(by_name.items()):
        error = _explain_project(name, infos, provider, policy, where)
        if error is not None:
            return error
    return ConflictError(
        f"cannot resolve the requirements for {where}:\n{_chains(causes, provider)}",
        hint="loosen one of these requirements, or pin versions that agree",
    )


def _explain_project(
    name: NormalizedName,
    infos: list[RequirementInfo],
    provider: GroupProvider,
    policy: FilePolicy,
    where: str,
) -> ResolutionError | None:
    chains = _chains(infos, provider)
    if name == PYTHON:
        versions = ", ".join(sorted({t.python_full_version for t in provider.targets}))
        return ConflictError(
            f"a dependency does not support Python {versions} ({where}):\n{chains}",
            hint="pin an older version of that dependency, or drop the target's Python version",
        )
    page = provider.page(name)
    if page is None:
        return ResolutionError(
            f"`{name}` is not on the index ({where}):\n{chains}",
            hint="check the spelling of the requirement and the index URL",
        )
    # The --uniform cap is a requirement too: without it, a cap would read as a missing wheel.
    specifiers = provider.capped(name, [info.requirement.specifier for info in infos])
    satisfying = [
        version
        for version in page.wheels_by_version.newest_first()
        if all(s.contains(version, prereleases=True) for s in specifiers)
    ]
    if not satisfying:
        return _no_version(name, specifiers, page.sdist_versions, chains, where)
    # The same files the resolver could see: pre-releases only when asked for, nothing newer
    # than the cut-off, yanked files only when pinned.
    prereleases = allows_prerelease(specifiers, policy)
    visible = {
        version: visible_wheels(
            page.wheels_by_version[version], policy, pinned=is_pinned(specifiers, version)
        )
        for version in satisfying
        if prereleases or not version.is_prerelease
    }
    matching = [version for version in satisfying if visible.get(version)]
    if not matching:
        hidden = [(v, page.wheels_by_version[v]) for v in satisfying]
        return _all_hidden(
            name, specifiers, hidden=hidden, policy=policy, chains=chains, where=where
        )
    return _no_wheel(name, matching=matching, visible=visible, provider=provider, chains=chains)


def _no_version(
    name: NormalizedName,
    specifiers: list[SpecifierSet],
    sdist_versions: frozenset[Version],
    chains: str,
    where: str,
) -> ResolutionError:
    wanted = " and ".join(str(s) or "any version" for s in specifiers)
    if len(specifiers) > 1:
        return ConflictError(
            f"no version of `{name}` satisfies {wanted} ({where}):\n{chains}",
            hint="these requirements conflict: loosen one of them or pin versions that agree",
        )
    only_sdists = " (only source distributions exist for it)" if sdist_versions else ""
    return ResolutionError(
        f"no wheel of `{name}` matches {wanted}{only_sdists} ({where}):\n{chains}",
        hint="omniwheel never builds packages; relax the requirement or choose a version with "
        "wheels (check --exclude-newer too)",
    )


def _all_hidden(
    name: NormalizedName,
    specifiers: list[SpecifierSet],
    *,
    hidden: list[tuple[Version, tuple[Wheel, ...]]],
    policy: FilePolicy,
    chains: str,
    where: str,
) -> ResolutionError:
    """Versions match, but the lock's rules hide every one: say which rule hid each."""
    wanted = " and ".join(str(s) or "any version" for s in specifiers)
    prereleases = allows_prerelease(specifiers, policy)
    reasons = [_why_hidden(v, wheels, policy, prereleases=prereleases) for v, wheels in hidden]
    shown = "; ".join(text for text, _ in reasons[:3]) + ("; …" if len(reasons) > 3 else "")
    newest, (_, rule) = hidden[0][0], reasons[0]
    hints = {
        "pre-release": "pass --prerelease, or name a pre-release in the requirement "
        f"(e.g. `{name}>={newest}`)",
        "cut-off": "move the exclude-newer cut-off later (--exclude-newer or "
        "[tool.omniwheel] exclude-newer), or relax the requirement",
        "yanked": f"relax the requirement, or pin the yanked release (`{name}=={newest}`) to "
        "use it anyway",
    }
    return ResolutionError(
        f"no usable version of `{name}` matches {wanted} ({where}): {shown}\n{chains}",
        hint=hints[rule],
    )


def _why_hidden(
    version: Version, wheels: tuple[Wheel, ...], policy: FilePolicy, *, prereleases: bool
) -> tuple[str, Literal["pre-release", "cut-off", "yanked"]]:
    """Why the resolver could not see this version, in words and as the rule that hid it."""
    if version.is_prerelease and not prereleases:
        return f"{version} is a pre-release", "pre-release"
    cutoff = policy.exclude_newer
    if cutoff is not None and not any(
        w.file.upload_time is not None and w.file.upload_time <= cutoff for w in wheels
    ):
        when = format_timestamp(cutoff)
        if any(w.file.upload_time is not None for w in wheels):
            return f"{version} was uploaded after the exclude-newer cut-off {when}", "cut-off"
        return f"{version} gives no upload time to check against the cut-off {when}", "cut-off"
    reason = next((w.file.yanked_reason for w in wheels if w.file.yanked_reason), None)
    return f"{version} is yanked" + (f" ({reason})" if reason else ""), "yanked"


def _no_wheel(
    name: NormalizedName,
    *,
    matching: list[Version],
    visible: Mapping[Version, list[Wheel]],
    provider: GroupProvider,
    chains: str,
) -> NoCompatibleWheelError:
    lacking = [
        target
        for target in provider.targets
        if not any(best_wheel(visible[v], target) for v in matching)
    ]
    newest = matching[0]
    tags = sorted({str(tag) for wheel in visible[newest] for tag in wheel.tags})
    missing = MissingWheel(
        package=name, targets=tuple(lacking or provider.targets), versions_tried=tuple(matching[:8])
    )
    more = " …" if len(matching) > 8 else ""
    message = (
        f"{missing.describe()}:\n{chains}\n"
        f"  versions tried: {', '.join(map(str, missing.versions_tried))}{more}\n"
        f"  wheel tags of {name} {newest}: {', '.join(tags[:12])}{' …' if len(tags) > 12 else ''}"
    )
    hint = (
        f"drop the target (--platform), pin a version of `{name}` that has a wheel for it, or set "
        '`[tool.omniwheel] no-wheel = "skip-target"` to leave such targets out of the lock'
    )
    return NoCompatibleWheelError(message, missing=missing, hint=hint)


def _chains(infos: Sequence[RequirementInfo], provider: GroupProvider) -> str:
    """One line per requirement: ``a 1.0 (required by your project) requires b>=2``."""
    lines = []
    for info in infos:
        asker = str(info.parent) if info.parent is not None else ROOT
        via = _via(info.parent.name, provider) if info.parent is not None else ""
        lines.append(f"  - {asker}{via} requires {info.requirement.text}")
    return "\n".join(dict.fromkeys(lines))


def _via(name: NormalizedName, provider: GroupProvider) -> str:
    """`` (required by x 1.0 ← your project)``: the first asker of each link, back to the root."""
    path: list[Candidate] = []
    seen = {name}
    current = name
    while askers := _askers(current, provider):
        asker = askers[0]
        path.append(asker)
        if asker.name in seen:
            return f" (required by {' ← '.join(map(str, path))})"
        seen.add(asker.name)
        current = asker.name
    return f" (required by {' ← '.join([*map(str, path), ROOT])})"


def _askers(name: NormalizedName, provider: GroupProvider) -> list[Candidate]:
    """Who required the project, leaving out the project itself (``a[x]`` requires ``a``)."""
    return [asker for asker in provider.required_by.get(name, ()) if asker.name != name]
