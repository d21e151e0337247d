"""The roots of a multi-use lock: the project's dependencies, each extra, each dependency group.

A lock resolves every root together (one version per package per target, whatever is selected)
and marks each package with the roots that need it, so that an installer choosing extras and
groups (PEP 751 ``extras`` / ``dependency_groups`` markers) installs exactly their closure.

A root's requirements are the project's, with references to the project itself expanded here
(``all = ["demo[plot,socks]"]``, ``dev = ["demo[test]"]``): the project is not on the index, and
``demo[plot]`` means "its dependencies and those of its extra ``plot``".  A marker on such a
reference is joined (``and``) to each requirement it brings in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.errors import ProjectError
from omniwheel.project.pyproject import DEFAULT_GROUP, Project

RootKind = Literal["main", "extra", "group"]
_ORDER: Mapping[RootKind, int] = {"main": 0, "extra": 1, "group": 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class Root:
    """One selectable part of the project: ``main`` (``[project].dependencies``), an extra or a
    dependency group, by normalized name."""

    kind: RootKind
    name: NormalizedName

    @classmethod
    def parse(cls, text: str) -> Root:
        """``main``, ``extra:NAME`` or ``group:NAME`` (as the lock records it); ValueError else."""
        if text == "main":
            return MAIN
        kind, sep, name = text.partition(":")
        if not sep or kind not in ("extra", "group") or not name:
            raise ValueError(f"`{text}` is none of main, extra:NAME, group:NAME")
        canonical = canonicalize_name(name)
        if canonical != name:
            raise ValueError(f"`{text}`: the name is not normalized (`{canonical}`)")
        return cls(kind="extra" if kind == "extra" else "group", name=canonical)

    def __str__(self) -> str:
        return "main" if self.kind == "main" else f"{self.kind}:{self.name}"

    def sort_key(self) -> tuple[int, str]:
        return (_ORDER[self.kind], self.name)

    def describe(self) -> str:
        """How messages name it: ``the project's dependencies``, ``extra `x```, ``group `g```."""
        return "the project's dependencies" if self.kind == "main" else f"{self.kind} `{self.name}`"

    def marker(self, *, has_groups: bool) -> str | None:
        """The lock-file marker that selects this root; None for the project's dependencies in a
        lock without groups (always installed then)."""
        if self.kind == "extra":
            return f'"{self.name}" in extras'
        if self.kind == "group":
            return f'"{self.name}" in dependency_groups'
        return f'"{DEFAULT_GROUP}" in dependency_groups' if has_groups else None


MAIN = Root(kind="main", name=NormalizedName(""))


class SelfReferenceError(ProjectError):
    """A requirement on the project itself names an extra the project does not have."""

    def __init__(self, root: Root, requirement: str, unknown: tuple[str, ...]) -> None:
        super().__init__(
            f"{root.describe()} requires `{requirement}`, the project itself with extras it "
            f"does not declare: {', '.join(unknown)}",
            hint="declare them under [project.optional-dependencies], or fix the requirement",
        )
        self.root = root
        self.requirement = requirement
        self.unknown = unknown


def project_roots(project: Project) -> dict[Root, tuple[Requirement, ...]]:
    """Every root of the project in lock order (main, extras, groups; each sorted) with its
    requirements, references to the project itself expanded."""
    declared: dict[Root, tuple[Requirement, ...]] = {MAIN: project.dependencies}
    for extra in sorted(project.optional_dependencies):
        declared[Root(kind="extra", name=extra)] = project.optional_dependencies[extra]
    for group in sorted(project.dependency_groups):
        declared[Root(kind="group", name=group)] = project.dependency_groups[group]
    return {
        root: tuple(_expanded(project, root, requirements, _being_expanded(root)))
        for root, requirements in declared.items()
    }


def _being_expanded(root: Root) -> frozenset[NormalizedName | None]:
    """What a root's own expansion must not bring in again: itself."""
    if root.kind == "main":
        return frozenset({None})
    return frozenset({root.name}) if root.kind == "extra" else frozenset()


def all_requirements(roots: Mapping[Root, tuple[Requirement, ...]]) -> tuple[Requirement, ...]:
    """Every root's requirements, once each (by text), in root order: what is resolved."""
    seen: dict[str, Requirement] = {}
    for requirements in roots.values():
        for requirement in requirements:
            seen.setdefault(str(requirement), requirement)
    return tuple(seen.values())


def requirement_origins(
    roots: Mapping[Root, tuple[Requirement, ...]],
) -> dict[str, tuple[Root, ...]]:
    """The roots asking for each requirement of :func:`all_requirements`, by its text, in root
    order: what a failed resolution names as the start of each requirement chain."""
    origins: dict[str, list[Root]] = {}
    for root, requirements in roots.items():
        for requirement in requirements:
            asking = origins.setdefault(str(requirement), [])
            if root not in asking:
                asking.append(root)
    return {text: tuple(asking) for text, asking in origins.items()}


def _expanded(
    project: Project,
    root: Root,
    requirements: Iterable[Requirement],
    visiting: frozenset[NormalizedName | None],
) -> list[Requirement]:
    """``requirements`` with each requirement on the project replaced by what it brings in."""
    result: list[Requirement] = []
    for requirement in requirements:
        if project.name is None or canonicalize_name(requirement.name) != project.name:
            result.append(requirement)
            continue
        extras = sorted(canonicalize_name(extra) for extra in requirement.extras)
        unknown = tuple(e for e in extras if e not in project.optional_dependencies)
        if unknown:
            raise SelfReferenceError(root, str(requirement), unknown)
        brought: list[Requirement] = []
        parts: list[tuple[NormalizedName | None, tuple[Requirement, ...]]] = [
            (None, project.dependencies)
        ]
        parts.extend((extra, project.optional_dependencies[extra]) for extra in extras)
        for part, inner in parts:
            if part in visiting:
                continue  # `all = ["demo[all]"]`: already being expanded
            brought.extend(_expanded(project, root, inner, visiting | {part}))
        result.extend(_with_marker(inner, requirement.marker) for inner in brought)
    return result


def _with_marker(requirement: Requirement, outer: Marker | None) -> Requirement:
    """``requirement`` needed only where ``outer`` holds too."""
    if outer is None:
        return requirement
    joined = Requirement(str(requirement))
    joined.marker = (
        outer if requirement.marker is None else Marker(f"({requirement.marker}) and ({outer})")
    )
    return joined
