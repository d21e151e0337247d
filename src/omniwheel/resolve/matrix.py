"""Resolving a project for a whole matrix of targets.

Targets are grouped by what markers can see (``sys_platform``, ``platform_machine``, Python minor);
each group is resolved once, in a fixed order, so every target gets the newest versions its
requirements and wheels allow — a per-platform resolution — while groups resolved later prefer,
among equally valid choices, versions that earlier groups took.  Metadata is shared across groups
through the index session, so most of the work is done once.

``uniform`` asks for one version per package everywhere: versions that diverge are capped at the
oldest chosen version and the matrix is resolved again until it agrees, or a target cannot go that
low, which is an error naming it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver
from resolvelib.structs import DirectedGraph

from omniwheel.errors import ResolutionError
from omniwheel.platform.target import Target
from omniwheel.project.roots import MAIN, Root
from omniwheel.resolve.candidates import FilePolicy
from omniwheel.resolve.conditions import root_conditions
from omniwheel.resolve.explain import NoCompatibleWheelError, explain_failure
from omniwheel.resolve.index_reader import IndexReader
from omniwheel.resolve.marker_answers import MarkerAnswers
from omniwheel.resolve.prefetch import crawl_once_fetching
from omniwheel.resolve.provider import PYTHON, Candidate, GroupProvider, Req, as_req
from omniwheel.resolve.resolution import (
    GroupResolution,
    MatrixResolution,
    ResolveRequest,
    SkippedTarget,
    group_resolution,
)
from omniwheel.resolve.reuse import reuse_resolution

MAX_ROUNDS = 20_000


def group_targets(targets: Iterable[Target]) -> list[tuple[Target, ...]]:
    """Targets with equal marker keys, in the order of their first member."""
    groups: dict[tuple[str, str, str], list[Target]] = {}
    for target in sorted(targets, key=Target.sort_key):
        groups.setdefault(target.marker_key, []).append(target)
    return [tuple(members) for members in groups.values()]


def resolve_matrix(
    request: ResolveRequest,
    index: IndexReader,
    *,
    reuse: bool = True,
    answers: MarkerAnswers | None = None,
) -> MatrixResolution:
    """Resolve every group; with ``uniform``, repeat with caps until versions agree.

    ``reuse=False`` runs resolvelib for every group instead of first trying an earlier group's
    pins: slower, and the lock must be the same (tests compare the two).  ``answers`` keeps
    marker answers for every group (and for the caller, after).
    """
    answers = answers or MarkerAnswers()
    index.prefetch(
        lambda client: crawl_once_fetching(
            client, request.requirements, request.targets, request.policy
        )
    )
    caps: dict[NormalizedName, Version] = {}
    while True:
        result = _resolve_all(request, index, caps, reuse=reuse, answers=answers)
        if not request.uniform:
            return result
        lowered = _uniform_caps(result, caps)
        if not lowered:
            return result
        caps.update(lowered)


def _resolve_all(
    request: ResolveRequest,
    index: IndexReader,
    caps: Mapping[NormalizedName, Version],
    *,
    reuse: bool,
    answers: MarkerAnswers,
) -> MatrixResolution:
    groups: list[GroupResolution] = []
    skipped: list[SkippedTarget] = []
    preferred: dict[NormalizedName, Version] = {}
    for members in group_targets(request.targets):
        try:
            earlier = groups if reuse else ()
            group = resolve_group(
                members,
                request,
                index,
                preferred=preferred,
                caps=caps,
                earlier=earlier,
                answers=answers,
            )
        except ResolutionError as exc:
            if isinstance(exc, NoCompatibleWheelError) and request.skip_targets_without_wheels:
                skipped.extend(SkippedTarget(target=t, missing=exc.missing) for t in members)
                continue
            if caps:
                raise _uniform_error(exc, members, caps) from exc
            raise
        groups.append(group)
        for name, pin in group.pins.items():
            preferred.setdefault(name, pin.version)
    if not groups:
        raise ResolutionError(
            "no target of the lock can be resolved: every one lacks wheels",
            hint="see the warnings above; pin versions with wheels or choose other targets",
        )
    return MatrixResolution(groups=tuple(groups), skipped=tuple(skipped))


def resolve_group(
    members: Sequence[Target],
    request: ResolveRequest,
    index: IndexReader,
    *,
    preferred: Mapping[NormalizedName, Version],
    caps: Mapping[NormalizedName, Version],
    earlier: Sequence[GroupResolution] = (),
    answers: MarkerAnswers | None = None,
) -> GroupResolution:
    """Resolve one group of indistinguishable targets: reuse an earlier group's result when it
    provably holds here (see :mod:`omniwheel.resolve.reuse`), else run resolvelib; then find
    the packages each root needs only on some patch releases (see
    :mod:`omniwheel.resolve.conditions`).  With no ``earlier`` groups, resolvelib decides."""
    provider = GroupProvider(
        targets=members,
        index=index,
        policy=request.policy,
        preferred=preferred,
        caps=caps,
        locked=_locked_for(members, request),
        origins=request.origins,
        answers=answers,
    )
    group = _pins_for_group(request, index, provider, earlier=earlier)
    conditions = root_conditions(group.pins, provider, _requirements_by_root(request))
    return dataclasses.replace(group, conditions=conditions) if conditions else group


def _requirements_by_root(request: ResolveRequest) -> dict[Root, list[Requirement]]:
    """Each root's requirements, from :attr:`ResolveRequest.origins` (a requirement it does not
    name is the project's own)."""
    by_root: dict[Root, list[Requirement]] = {}
    for requirement in request.requirements:
        for root in request.origins.get(str(requirement), (MAIN,)):
            by_root.setdefault(root, []).append(requirement)
    return by_root


def _pins_for_group(
    request: ResolveRequest,
    index: IndexReader,
    provider: GroupProvider,
    *,
    earlier: Sequence[GroupResolution],
) -> GroupResolution:
    members = provider.targets
    roots = [as_req(r) for r in request.requirements if provider.applies(r.marker, [""])]
    provider.root_requests = tuple(roots)
    index.prefetch_pages(root.name for root in roots)
    for previous in _reuse_candidates(earlier, members):
        reused = reuse_resolution(previous, provider, roots)
        if reused is not None:
            return reused
    return _backtrack(provider, roots, request.policy)


def _backtrack(
    provider: GroupProvider, roots: Sequence[Req], policy: FilePolicy
) -> GroupResolution:
    """Resolve the group with resolvelib; a failure becomes an explained ResolutionError."""
    reporter = _Rejections()
    resolver: Resolver[Req, Candidate, str] = Resolver(provider, reporter)
    try:
        result = resolver.resolve(roots, max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as exc:
        raise explain_failure(list(exc.causes), provider, policy) from None
    except ResolutionTooDeep:
        where = ", ".join(target.name for target in provider.targets)
        raise ResolutionError(
            f"gave up resolving for {where} after {MAX_ROUNDS} rounds of backtracking; this is "
            "not a proof that no solution exists (versions rejected most often: "
            f"{reporter.most_rejected()})",
            hint="pin or narrow the versions of the packages named above, so the search is smaller",
        ) from None
    chosen = {
        candidate.name: (candidate.version, candidate.wheels)
        for key, candidate in result.mapping.items()
        if key != PYTHON and not candidate.extras
    }
    return group_resolution(
        provider.targets,
        chosen,
        children=_children(result.graph, result.mapping),
        requires_python={
            name: _requires_python(provider, name, v) for name, (v, _) in chosen.items()
        },
        roots=(root.name for root in roots),
        resolved_by="resolvelib",
    )


class _Rejections(BaseReporter[Req, Candidate, str]):
    """Counts the candidates resolvelib rejected per project, to say where a search went."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def rejecting_candidate(self, criterion: object, candidate: Candidate) -> None:
        self.counts[candidate.identifier] = self.counts.get(candidate.identifier, 0) + 1

    def most_rejected(self, shown: int = 5) -> str:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:shown]
        return ", ".join(f"`{name}` {count} times" for name, count in ranked) or "none"


def _children(
    graph: DirectedGraph[str | None], mapping: Mapping[str, Candidate]
) -> dict[NormalizedName, set[NormalizedName]]:
    """Each project's dependencies from resolvelib's graph, extras folded into their project."""
    children: dict[NormalizedName, set[NormalizedName]] = {}
    for key in graph:
        if key is None or key == PYTHON:
            continue
        base = mapping[key].name
        for child in graph.iter_children(key):
            if child is None or child == PYTHON:
                continue
            child_name = mapping[child].name
            if child_name != base:
                children.setdefault(base, set()).add(child_name)
    return children


def _locked_for(
    members: Sequence[Target], request: ResolveRequest
) -> dict[NormalizedName, Version]:
    """The existing lock's versions for a group (its first member with a record wins)."""
    kept: dict[NormalizedName, Version] = {}
    for target in reversed(members):
        kept.update(request.locked.get(target, {}))
    return kept


def _reuse_candidates(
    earlier: Sequence[GroupResolution], members: Sequence[Target]
) -> list[GroupResolution]:
    """The latest earlier group with the same Python minor, then the latest group."""
    python = members[0].python_version
    same_python = [g for g in earlier if g.targets[0].python_version == python]
    chosen = [*same_python[-1:], *earlier[-1:]]
    return list({id(group): group for group in chosen}.values())


def _requires_python(provider: GroupProvider, name: NormalizedName, version: Version) -> str | None:
    metadata = provider.metadata.get((name, version))
    if metadata is None or metadata.requires_python is None:
        return None
    return str(metadata.requires_python)


def _uniform_caps(
    result: MatrixResolution, caps: Mapping[NormalizedName, Version]
) -> dict[NormalizedName, Version]:
    """Packages whose versions differ across groups, capped at the oldest chosen version."""
    lowered: dict[NormalizedName, Version] = {}
    names = {name for group in result.groups for name in group.pins}
    for name in sorted(names):
        versions = set(result.versions(name).values())
        if len(versions) > 1:
            oldest = min(versions)
            if caps.get(name) != oldest:
                lowered[name] = oldest
    return lowered


def _uniform_error(
    exc: ResolutionError, members: Sequence[Target], caps: Mapping[NormalizedName, Version]
) -> ResolutionError:
    capped = ", ".join(f"{name}<={version}" for name, version in sorted(caps.items()))
    return ResolutionError(
        f"--uniform: {members[0].name} cannot use the versions the other targets need "
        f"({capped}):\n{exc.message}",
        hint=f"drop --uniform, or drop target {members[0].name}",
    )
