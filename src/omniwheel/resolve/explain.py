"""Turning a failed resolution into words: the conflicting chain, or the missing wheels.

resolvelib reports failure as data (the requirements that could not be met, each with the candidate
that asked for it).  This module asks the index page again why nothing fitted and writes what a user
needs: who required what (as a chain back to the root of the project that asked: its dependencies,
an extra or a dependency group), whether versions exist at all, and, when they exist but have no
wheel for a target, which wheel tags do exist and what to do about it.  Requirements that conflict
and start from different roots (extra ``cpu`` and extra ``gpu``) are said to be exactly that: the
lock holds every root together, so such roots cannot both be locked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from omniwheel.errors import ResolutionError
from omniwheel.index.models import Wheel
from omniwheel.platform.target import Target
from omniwheel.project.roots import MAIN, Root
from omniwheel.project.timestamp import format_timestamp
from omniwheel.resolve.candidates import (
    FilePolicy,
    best_wheel,
    is_pinned,
    prereleases_admitted,
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


class ProjectNotListedError(ResolutionError):
    """A required project that no index asked lists.

    The resolver knows no index list, so the message first says "the index"; the locker, which
    knows which indexes were asked for the project, names them (:meth:`looked_in`)."""

    def __init__(self, project: NormalizedName, *, where: str, chains: str) -> None:
        self.project = project
        self.where = where
        self.chains = chains
        super().__init__(
            f"`{project}` is not on the index ({where}):\n{chains}",
            hint="check the spelling of the requirement and the index URL",
        )

    def looked_in(
        self, asked: tuple[str, ...], *, explicit: tuple[str, ...] = ()
    ) -> ProjectNotListedError:
        """This error naming the indexes ``asked`` for the project (each a backquoted name, " at ",
        the URL without credentials, in the order asked) and the ``explicit`` ones not asked."""
        error = ProjectNotListedError(self.project, where=self.where, chains=self.chains)
        if len(asked) == 1:
            error.message = f"`{self.project}` is not on the index {asked[0]} ({self.where})"
        else:
            error.message = (
                f"`{self.project}` is on none of the indexes asked for it, in this order: "
                f"{'; '.join(asked)} ({self.where})"
            )
        error.message += f":\n{self.chains}"
        error.args = (error.message,)
        if explicit:
            names = ", ".join(f"`{name}`" for name in explicit)
            error.hint = (
                f"check the spelling of the requirement; the explicit index {names} serves only "
                f"the packages [tool.omniwheel.sources] pins to it: add `{self.project} = "
                '{ index = "NAME" }` there if it comes from one'
            )
        return error


class ConflictError(ResolutionError):
    """Requirements that no version satisfies together."""


class RootConflictError(ConflictError):
    """Conflicting requirements that start from different roots of the project (two extras, a
    group and the project's dependencies, …): they cannot be locked together."""

    def __init__(self, roots: tuple[Root, Root], targets: tuple[Target, ...], cause: str) -> None:
        first, second = (root.describe() for root in roots)
        super().__init__(
            f"{first} and {second} cannot be installed together: {cause}",
            hint="omniwheel locks the project's dependencies, every extra and every dependency "
            "group together, one version of each package per target, so these must agree: change "
            "the requirements of one of them, or give it an environment marker that keeps it off "
            "these targets; conflicting extras or groups cannot be declared (omniwheel has no "
            "setting like uv's `conflicts`)",
        )
        self.roots = roots
        self.targets = targets


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
            return _between_roots(error, infos, provider) if name != PYTHON else error
    error = ConflictError(
        f"cannot resolve the requirements for {where}:\n{_chains(causes, provider)}",
        hint="loosen one of these requirements, or pin versions that agree",
    )
    return _between_roots(error, causes, provider)


def _between_roots(
    error: ResolutionError, infos: Sequence[RequirementInfo], provider: GroupProvider
) -> ResolutionError:
    """A conflict whose requirements start from roots that share none (extra ``cpu`` and extra
    ``gpu``) as a :class:`RootConflictError` naming the first two such roots; else ``error``."""
    if not isinstance(error, ConflictError):
        return error
    behind = [_roots_behind(info, provider) for info in infos]
    pairs = [
        tuple(sorted((min(a, key=Root.sort_key), min(b, key=Root.sort_key)), key=Root.sort_key))
        for a in behind
        for b in behind
        if a and b and not a & b
    ]
    if not pairs:
        return error
    first, second = min(pairs, key=lambda pair: (pair[0].sort_key(), pair[1].sort_key()))
    return RootConflictError((first, second), provider.targets, error.message)


def _roots_behind(info: RequirementInfo, provider: GroupProvider) -> frozenset[Root]:
    """The roots a requirement's chains start from: the roots asking for it, for one the project
    asks for itself; else those behind every project that asked for its parent, upwards."""
    if info.parent is None:
        return frozenset(provider.origins.get(info.requirement.text, ()))
    return _roots_of(info.parent.name, provider)


def _roots_of(name: NormalizedName, provider: GroupProvider) -> frozenset[Root]:
    """The roots whose requirements lead to ``name``, through everything that asked for it."""
    asked = _root_names(provider)
    roots: set[Root] = set()
    seen = {name}
    pending = [name]
    while pending:
        current = pending.pop()
        roots.update(asked.get(current, ()))
        for asker in provider.required_by.get(current, ()):
            if asker.name not in seen:
                seen.add(asker.name)
                pending.append(asker.name)
    return frozenset(roots)


def _root_names(provider: GroupProvider) -> dict[NormalizedName, list[Root]]:
    """The roots asking for each project the group's root requirements name."""
    asked: dict[NormalizedName, list[Root]] = {}
    for request in provider.root_requests:
        for root in provider.origins.get(request.text, ()):
            roots = asked.setdefault(request.name, [])
            if root not in roots:
                roots.append(root)
    return asked


def _root_label(roots: Iterable[Root], provider: GroupProvider) -> tuple[str, bool]:
    """How a chain names the roots it starts from, and whether that takes a plural verb
    (``the project's dependencies require``, ``extra `a` and group `b` require``): ``your project``
    for the project's dependencies of a project without extras or groups (or when nothing says
    which root asked); else ``the project's dependencies``, ``extra `cpu```, ``group `dev```."""
    ordered = sorted(set(roots), key=Root.sort_key)
    only_main = all(root == MAIN for asking in provider.origins.values() for root in asking)
    if not ordered or only_main:
        return ROOT, False
    return " and ".join(root.describe() for root in ordered), len(ordered) > 1 or ordered == [MAIN]


def _explain_project(
    name: NormalizedName,
    infos: list[RequirementInfo],
    provider: GroupProvider,
    policy: FilePolicy,
    where: str,
) -> ResolutionError | None:
    chains = _chains(infos, provider)
    if name == PYTHON:
        pythons = ", ".join(sorted({_python_of(target) for target in provider.targets}))
        return ConflictError(
            f"Requires-Python (in the wheels' metadata) excludes Python {pythons} ({where}) for "
            f"every version the requirements allow:\n{chains}",
            hint="lock for a Python these versions support (--platform …@3.X, or "
            "requires-python), or pin a version whose Requires-Python admits it",
        )
    page = provider.page(name)
    if page is None:
        return ProjectNotListedError(name, where=where, chains=chains)
    # The --uniform cap is a requirement too: without it, a cap would read as a missing wheel.
    specifiers = provider.capped(name, [info.requirement.specifier for info in infos])
    published = sorted({*page.wheels_by_version, *page.sdist_versions}, reverse=True)
    satisfying = [
        version
        for version in page.wheels_by_version.newest_first()
        if all(s.contains(version, prereleases=True) for s in specifiers)
    ]
    if not satisfying:
        return _no_version(
            name,
            specifiers,
            sdist_versions=page.sdist_versions,
            published=published,
            chains=chains,
            where=where,
        )
    # The same files the resolver could see: pre-releases only when PEP 440 admits them,
    # nothing newer than the cut-off, yanked files only when pinned.
    prereleases = prereleases_admitted(page, specifiers, provider.targets, policy)
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
            name,
            specifiers,
            hidden=hidden,
            prereleases=prereleases,
            policy=policy,
            chains=chains,
            where=where,
        )
    return _no_wheel(name, matching=matching, visible=visible, provider=provider, chains=chains)


def _no_version(
    name: NormalizedName,
    specifiers: list[SpecifierSet],
    *,
    sdist_versions: frozenset[Version],
    published: list[Version],
    chains: str,
    where: str,
) -> ResolutionError:
    """No version with a wheel satisfies the specifiers: say whether any version does at all
    (only as a source distribution) and which versions exist."""
    wanted = _wanted(specifiers)
    sdists_only = sorted(
        (v for v in sdist_versions if all(s.contains(v, prereleases=True) for s in specifiers)),
        reverse=True,
    )
    if sdists_only:
        return ResolutionError(
            f"no wheel of `{name}` matches {wanted} ({where}): only source distributions exist "
            f"for the {_some(sdists_only, 'version')} that {_verb(sdists_only)} it:\n{chains}",
            hint="omniwheel never builds packages; relax the requirement or choose a version "
            "with wheels",
        )
    exist = f"`{name}` has {_some(published, 'version')}" if published else "it lists no files"
    if len(specifiers) > 1:
        return ConflictError(
            f"no version of `{name}` satisfies {wanted} ({where}); {exist}:\n{chains}",
            hint="these requirements conflict: loosen one of them or pin versions that agree",
        )
    return ResolutionError(
        f"no version of `{name}` satisfies {wanted} ({where}); {exist}:\n{chains}",
        hint=f"relax the requirement to a version that exists (newest: {published[0]})"
        if published
        else f"`{name}` lists no files on the index: check the spelling and the index URL",
    )


def _wanted(specifiers: Sequence[SpecifierSet]) -> str:
    """``<2 and >=3``: each distinct specifier once, in the order asked."""
    return " and ".join(dict.fromkeys(str(s) or "any version" for s in specifiers))


def _some(versions: Sequence[Version], noun: str, *, shown: int = 5) -> str:
    """``3 versions (2.1, 2.0, 1.0)`` or ``40 versions (newest 2.1, 2.0, 1.9, 1.8, 1.7)``."""
    count = f"{len(versions)} {noun}" + ("" if len(versions) == 1 else "s")
    listed = ", ".join(map(str, versions[:shown]))
    return f"{count} ({'newest ' if len(versions) > shown else ''}{listed})"


def _verb(versions: Sequence[Version]) -> str:
    return "satisfies" if len(versions) == 1 else "satisfy"


def _all_hidden(
    name: NormalizedName,
    specifiers: list[SpecifierSet],
    *,
    hidden: list[tuple[Version, tuple[Wheel, ...]]],
    prereleases: bool,
    policy: FilePolicy,
    chains: str,
    where: str,
) -> ResolutionError:
    """Versions match, but the lock's rules hide every one: say which rule hid each."""
    wanted = _wanted(specifiers)
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
    missing = MissingWheel(
        package=name, targets=tuple(lacking or provider.targets), versions_tried=tuple(matching[:8])
    )
    excluded = _excluded_by_requires_python(matching, visible, missing.targets)
    if excluded:
        return _requires_python_excludes(name, excluded, matching, missing, chains)
    newest = matching[0]
    tags = sorted({str(tag) for wheel in visible[newest] for tag in wheel.tags})
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


def _excluded_by_requires_python(
    matching: list[Version], visible: Mapping[Version, list[Wheel]], lacking: Sequence[Target]
) -> dict[Version, set[str]]:
    """Versions with wheels whose tags fit a lacking target but whose ``Requires-Python``
    excludes it, each with the ``Requires-Python`` texts that did."""
    excluded: dict[Version, set[str]] = {}
    for version in matching:
        for wheel in visible[version]:
            spec = wheel.requires_python
            if spec is None:
                continue
            for target in lacking:
                fits_tags = any(tag in target.tag_ranks for tag in wheel.tags)
                if fits_tags and not target.fits_requires_python(spec):
                    excluded.setdefault(version, set()).add(str(spec))
    return excluded


class RequiresPythonExcludedError(NoCompatibleWheelError):
    """Versions have wheels for the target's platform, but their ``Requires-Python`` excludes
    the target's Python."""


def _requires_python_excludes(
    name: NormalizedName,
    excluded: Mapping[Version, set[str]],
    matching: list[Version],
    missing: MissingWheel,
    chains: str,
) -> RequiresPythonExcludedError:
    missing = dataclasses.replace(
        missing, excluded_by=tuple(sorted(set().union(*excluded.values())))
    )
    targets = ", ".join(target.name for target in missing.targets)
    pythons = ", ".join(sorted({_python_of(target) for target in missing.targets}))
    shown = [f"{v} (Requires-Python {' / '.join(sorted(excluded[v]))})" for v in list(excluded)[:8]]
    more = " …" if len(excluded) > 8 else ""
    lines = [
        f"no version of `{name}` that the requirements allow supports Python {pythons} "
        f"({targets}): Requires-Python excludes it:",
        chains,
        f"  excluded by Requires-Python: {', '.join(shown)}{more}",
    ]
    others = [v for v in matching if v not in excluded]
    if others:
        lines.append(f"  without a wheel for the target: {', '.join(map(str, others[:8]))}")
    hint = (
        f"lock for a Python that `{name}` supports (--platform …@3.X, or requires-python), pin "
        f"a version of `{name}` whose Requires-Python admits {pythons}, or set "
        '`[tool.omniwheel] no-wheel = "skip-target"` to leave such targets out of the lock'
    )
    return RequiresPythonExcludedError("\n".join(lines), missing=missing, hint=hint)


def _python_of(target: Target) -> str:
    """``3.12`` for a target that stands for every 3.12.y, ``3.11.5+`` for one with a patch
    floor, ``3.12.4`` for one resolved at a pinned release."""
    if target.pinned_release is not None:
        return str(target.pinned_release)
    lowest = target.python_full_version
    return target.python_version if lowest.endswith(".0") else f"{lowest}+"


def _chains(infos: Sequence[RequirementInfo], provider: GroupProvider) -> str:
    """One line per requirement and asking project: ``a 1.0 (required by your project) requires
    b>=2``; the versions of one project that ask the same are one line (``b 3.0, 2.0, 1.0
    (required by …) requires a>=3``), and a Requires-Python reads as one."""
    grouped: dict[tuple[str, str], list[Version]] = {}
    for info in infos:
        parent, requirement = info.parent, info.requirement
        verb = "has Requires-Python" if requirement.name == PYTHON else "requires"
        if parent is None:
            asking = provider.origins.get(requirement.text, ())
            label, several = _root_label(asking, provider)
            verb = "require" if several and verb == "requires" else verb
            grouped.setdefault((label, f" {verb} {requirement.text}"), [])
            continue
        via = _via(parent.name, provider)
        key = (_identifier_of(parent), f"{via} {verb} {requirement.text}")
        versions = grouped.setdefault(key, [])
        if parent.version not in versions:
            versions.append(parent.version)
    lines = []
    for (asker, rest), versions in grouped.items():
        newest = sorted(versions, reverse=True)
        shown = ", ".join(map(str, newest[:4]))
        more = f" and {len(newest) - 4} more" if len(newest) > 4 else ""
        lines.append(f"  - {asker}{f' {shown}{more}' if newest else ''}{rest}")
    return "\n".join(lines)


def _identifier_of(candidate: Candidate) -> str:
    extras = f"[{','.join(sorted(candidate.extras))}]" if candidate.extras else ""
    return f"{candidate.name}{extras}"


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
    label, _ = _root_label(_root_names(provider).get(current, ()), provider)
    return f" (required by {' ← '.join([*map(str, path), label])})"


def _askers(name: NormalizedName, provider: GroupProvider) -> list[Candidate]:
    """Who required the project, leaving out the project itself (``a[x]`` requires ``a``)."""
    return [asker for asker in provider.required_by.get(name, ()) if asker.name != name]
