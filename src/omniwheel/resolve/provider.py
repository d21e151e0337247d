"""The resolvelib provider: answers the backtracking resolver's questions for one group of targets.

A group is one target, or several targets that markers cannot tell apart (same ``sys_platform``,
``platform_machine`` and Python minor: glibc and musl, or two glibc floors).  They must share one
version per package, so a candidate is usable only if every target of the group has a wheel for it,
and a dependency applies when its marker holds on any target of the group.

Extras follow the usual pattern: ``name[x]`` is its own identifier whose candidates depend on the
plain ``name`` at the same version plus the dependencies that the extra adds.  A dependency's
``Requires-Python`` (from the wheel's metadata, when the page did not give it) that excludes a
target of the group becomes a requirement on the pseudo-project ``<python>``, which then has no
candidate: resolvelib backtracks from that version, and a failure names the Requires-Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider
from resolvelib.structs import RequirementInformation

from omniwheel.index.models import CoreMetadata, ProjectPage, Wheel
from omniwheel.platform.target import Target
from omniwheel.project.roots import Root
from omniwheel.resolve.candidates import (
    FilePolicy,
    iter_usable_versions,
    metadata_wheel,
    usable_at,
)
from omniwheel.resolve.index_reader import IndexReader
from omniwheel.resolve.marker_answers import MarkerAnswers

PYTHON = "<python>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Req:
    """A requirement as the resolver sees it: markers already evaluated for the group."""

    name: NormalizedName
    extras: frozenset[NormalizedName] = frozenset()
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    text: str

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A version of a project (with extras, when asked with extras) and each target's wheel."""

    name: NormalizedName
    extras: frozenset[NormalizedName]
    version: Version
    wheels: Mapping[Target, Wheel] = field(hash=False, compare=False)

    @property
    def identifier(self) -> str:
        return _identifier(self.name, self.extras)

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras} {self.version}"


def _identifier(name: str, extras: frozenset[NormalizedName]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


RequirementInfo = RequirementInformation[Req, Candidate]


class GroupProvider(AbstractProvider[Req, Candidate, str]):
    """Provider for one group of targets over a shared index reader."""

    def __init__(
        self,
        *,
        targets: Sequence[Target],
        index: IndexReader,
        policy: FilePolicy,
        preferred: Mapping[NormalizedName, Version],
        caps: Mapping[NormalizedName, Version],
        locked: Mapping[NormalizedName, Version] | None = None,
        origins: Mapping[str, tuple[Root, ...]] | None = None,
        answers: MarkerAnswers | None = None,
    ) -> None:
        self.targets = tuple(targets)
        self._index = index
        self.policy = policy
        self._preferred = preferred
        self._caps = caps
        self._locked = locked or {}
        self._answers = answers or MarkerAnswers()
        self._env_pairs = [self._answers.environments_of(target) for target in targets]
        self._environments = [environment for pair in self._env_pairs for environment in pair]
        self.metadata: dict[tuple[NormalizedName, Version], CoreMetadata] = {}
        # Who asked for each project (first asker first), to explain failures as chains.
        self.required_by: dict[NormalizedName, list[Candidate]] = {}
        # The roots of the project asking for each root requirement (by its text), and the root
        # requirements that apply to the group (set by the caller): failures name the roots.
        self.origins: Mapping[str, tuple[Root, ...]] = origins or {}
        self.root_requests: tuple[Req, ...] = ()
        self._satisfied: dict[tuple[str, Version], bool] = {}
        self._marker_answers: dict[tuple[str, tuple[str, ...]], bool] = {}
        # Keyed by identity, holding the metadata so that its id is not reused.
        self._dependencies: dict[
            tuple[int, tuple[str, ...]], tuple[CoreMetadata, tuple[RequirementView, ...]]
        ] = {}
        self._patch_dependent: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._exact: dict[int, tuple[Req, bool]] = {}
        self._first_choices: dict[
            tuple[NormalizedName, frozenset[SpecifierSet]],
            tuple[Version, dict[Target, Wheel]] | None,
        ] = {}

    # -- resolvelib interface ------------------------------------------------------------------

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInfo]],
        backtrack_causes: Sequence[RequirementInfo],
    ) -> tuple[bool, bool, bool, str]:
        """Decide pinned and conflicting projects first, then the rest by name (deterministic)."""
        requirements = [info.requirement for info in information[identifier]]
        pinned = any(self._pins_exactly(requirement) for requirement in requirements)
        conflicting = False
        if backtrack_causes:
            causes = {info.requirement.name for info in backtrack_causes}
            conflicting = any(requirement.name in causes for requirement in requirements)
        return (identifier != PYTHON, not conflicting, not pinned, identifier)

    def _pins_exactly(self, requirement: Req) -> bool:
        """Whether the requirement has an ``==`` or ``===`` clause (kept per requirement object,
        held so that its id is not reused: resolvelib asks on every round)."""
        known = self._exact.get(id(requirement))
        if known is None:
            exact = any(spec.operator in ("==", "===") for spec in requirement.specifier)
            known = self._exact[id(requirement)] = (requirement, exact)
        return known[1]

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]] | list[Candidate]:
        asked = list(requirements[identifier])
        if identifier == PYTHON:
            return [
                candidate
                for candidate in self._python_candidates(asked)
                if candidate not in set(incompatibilities[identifier])
            ]
        name, extras = asked[0].name, asked[0].extras
        page = self._index.page(name)
        if page is None:
            return []
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        specifiers = self.capped(name, [r.specifier for r in asked])

        def generate() -> Iterator[Candidate]:
            kept = self._kept(page, specifiers, excluded)
            found: Iterator[Candidate] = (
                Candidate(name=name, extras=extras, version=version, wheels=wheels)
                for version, wheels in iter_usable_versions(
                    page, specifiers, self.targets, self.policy
                )
                if version not in excluded and (kept is None or version != kept[0])
            )
            if kept is not None:
                first = Candidate(name=name, extras=extras, version=kept[0], wheels=kept[1])
                found = itertools.chain([first], found)
            for position, candidate in enumerate(_prefer(found, self._preferred.get(name))):
                if position == 0:
                    self._prefetch_metadata(page, candidate)
                yield candidate

        return generate

    def first_choice(
        self, name: NormalizedName, specifiers: Sequence[SpecifierSet]
    ) -> tuple[Version, dict[Target, Wheel]] | None:
        """What find_matches would offer first under these requirements (and the cap): the
        locked version if still usable, else the newest usable one; None if there is none.

        Reusing a resolution asks this again for the same requirements on every round, so the
        answers are kept (they depend on nothing else that changes within the group)."""
        key = (name, frozenset(specifiers))
        if key in self._first_choices:
            return self._first_choices[key]
        choice = self._first_choice(name, specifiers)
        self._first_choices[key] = choice
        return choice

    def _first_choice(
        self, name: NormalizedName, specifiers: Sequence[SpecifierSet]
    ) -> tuple[Version, dict[Target, Wheel]] | None:
        page = self._index.page(name)
        if page is None:
            return None
        capped = self.capped(name, specifiers)
        kept = self._kept(page, capped, set())
        if kept is not None:
            return kept
        return next(iter_usable_versions(page, capped, self.targets, self.policy), None)

    def capped(
        self, name: NormalizedName, specifiers: Iterable[SpecifierSet]
    ) -> list[SpecifierSet]:
        """The specifiers plus the ``--uniform`` cap on this project, if it has one."""
        cap = self._caps.get(name)
        return [*specifiers, *([SpecifierSet(f"<={cap}")] if cap is not None else [])]

    def _kept(
        self, page: ProjectPage, specifiers: Sequence[SpecifierSet], excluded: set[Version]
    ) -> tuple[Version, dict[Target, Wheel]] | None:
        locked = self._locked.get(page.name)
        if locked is None or locked in excluded:
            return None
        wheels = usable_at(page, locked, specifiers, self.targets, self.policy)
        return None if wheels is None else (locked, wheels)

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        # resolvelib re-asks this for every pin on every round: answers are memoised.
        key = (requirement.text, candidate.version)
        answer = self._satisfied.get(key)
        if answer is None:
            if requirement.name == PYTHON:
                answer = self.python_fits(requirement.specifier)
            else:
                answer = requirement.specifier.contains(candidate.version, prereleases=True)
            self._satisfied[key] = answer
        return answer

    def get_dependencies(self, candidate: Candidate) -> Iterable[Req]:
        if candidate.name == PYTHON:
            return []
        metadata = self._metadata_of(candidate)
        dependencies: list[Req] = []
        if candidate.extras:
            base = Req(
                name=candidate.name,
                specifier=SpecifierSet(f"=={candidate.version}"),
                text=f"{candidate.name}=={candidate.version}",
            )
            dependencies.append(base)
        elif metadata.requires_python is not None and not self.python_fits(
            metadata.requires_python
        ):
            # Only a Requires-Python that excludes the group becomes a requirement (one that no
            # candidate meets): one that fits constrains nothing, and as a pinned node it gave
            # resolvelib something to backtrack through, forever (see _python_candidates).
            spec = metadata.requires_python
            dependencies.append(Req(name=NormalizedName(PYTHON), specifier=spec, text=str(spec)))
        active = candidate.extras or frozenset({NormalizedName("")})
        dependencies.extend(self.dependencies_of(metadata, active))
        for dep in dependencies:
            askers = self.required_by.setdefault(dep.name, [])
            if candidate not in askers:
                askers.append(candidate)
        self._index.prefetch_pages(dep.name for dep in dependencies if dep.name != PYTHON)
        return dependencies

    # -- helpers -------------------------------------------------------------------------------

    def applies(self, marker: Marker | None, extras: Iterable[str]) -> bool:
        """True when the marker holds on some target of the group for one of the extras."""
        if marker is None:
            return True
        wanted = tuple(extras)
        text = self._answers.text_of(marker)
        answer = self._marker_answers.get((text, wanted))
        return self._holds_somewhere(text, marker, wanted) if answer is None else answer

    def _holds_somewhere(self, text: str, marker: Marker, wanted: tuple[str, ...]) -> bool:
        """:meth:`applies` for a marker of this text, asked of the shared answers and kept."""
        answer = self._answers.holds_somewhere(marker, self._environments, wanted)
        self._marker_answers[text, wanted] = answer
        return answer

    def patch_dependent(self, marker: Marker, extras: Iterable[str]) -> bool:
        """Whether the marker's answer differs between the lowest and highest patch release of
        some target of the group (``python_full_version >= "3.12.4"`` on target 3.12)."""
        wanted = tuple(extras)
        key = (self._answers.text_of(marker), wanted)
        known = self._patch_dependent.get(key)
        if known is None:
            known = self._patch_dependent[key] = self._differs_by_patch(marker, wanted)
        return known

    def _differs_by_patch(self, marker: Marker, wanted: tuple[str, ...]) -> bool:
        for lowest, highest in self._env_pairs:
            low = any(self._answers.holds(marker, lowest, extra) for extra in wanted)
            high = any(self._answers.holds(marker, highest, extra) for extra in wanted)
            if low != high:
                return True
        return False

    def page(self, name: NormalizedName) -> ProjectPage | None:
        return self._index.page(name)

    def _metadata_of(self, candidate: Candidate) -> CoreMetadata:
        return self.metadata_for(candidate.name, candidate.version)

    def metadata_for(self, name: NormalizedName, version: Version) -> CoreMetadata:
        """The metadata standing for this version on every target (one wheel's METADATA)."""
        key = (name, version)
        if key not in self.metadata:
            page = self._index.page(name)
            assert page is not None  # a version is only asked about for a listed project
            self.metadata[key] = self._index.metadata(metadata_wheel(page, version, self.policy))
        return self.metadata[key]

    def dependencies_of(self, metadata: CoreMetadata, extras: Iterable[str]) -> list[Req]:
        """Requires-Dist entries whose markers hold on the group for one of the extras (a new
        list each time, the caller's to change)."""
        return [view[0] for view in self.applicable(metadata, extras)]

    def applicable(
        self, metadata: CoreMetadata, extras: Iterable[str]
    ) -> tuple[RequirementView, ...]:
        """:meth:`dependencies_of` with each one's marker and its text, in metadata order.

        Memoised: reusing a resolution walks the same metadata on every round, and the patch
        conditions walk it again (see :mod:`omniwheel.resolve.conditions`)."""
        wanted = tuple(extras)
        key = (id(metadata), wanted)
        known = self._dependencies.get(key)
        if known is None:
            answers = self._marker_answers
            found: list[RequirementView] = []
            for view in _requirements_of(metadata):
                _, marker, text = view
                if marker is not None:
                    answer = answers.get((text, wanted))
                    if answer is None:
                        answer = self._holds_somewhere(text, marker, wanted)
                    if not answer:
                        continue
                found.append(view)
            known = self._dependencies[key] = (metadata, tuple(found))
        return known[1]

    def python_fits(self, specifier: SpecifierSet) -> bool:
        """Whether a Requires-Python admits every release of every target of the group."""
        return all(target.fits_requires_python(specifier) for target in self.targets)

    def _python_candidates(self, asked: Sequence[Req]) -> list[Candidate]:
        if not all(self.python_fits(requirement.specifier) for requirement in asked):
            return []
        return [
            Candidate(
                name=NormalizedName(PYTHON),
                extras=frozenset(),
                version=Version(self.targets[0].python_version),
                wheels={},
            )
        ]

    def _prefetch_metadata(self, page: ProjectPage, candidate: Candidate) -> None:
        wheel = metadata_wheel(page, candidate.version, self.policy)
        self._index.prefetch_metadata(wheel)


RequirementView = tuple[Req, Marker | None, str]
"""A Requires-Dist entry as the resolver's value, its marker, and the marker's text ("" when
it has none)."""

_VIEWS: dict[int, tuple[CoreMetadata, tuple[RequirementView, ...]]] = {}
_VIEWS_KEPT = 1 << 14


def _requirements_of(metadata: CoreMetadata) -> tuple[RequirementView, ...]:
    """Each Requires-Dist entry as the resolver's value, with its marker and the marker's text.

    Made once per metadata for every group of a lock (``str`` of a requirement and of a marker
    costs more than the rest of a group's look at it).  Kept by identity, the metadata held so
    that its id is not reused; bounded for long-lived processes.
    """
    known = _VIEWS.get(id(metadata))
    if known is None:
        if len(_VIEWS) >= _VIEWS_KEPT:
            _VIEWS.clear()
        views = tuple(
            (as_req(r), r.marker, "" if r.marker is None else str(r.marker))
            for r in metadata.requires_dist
        )
        known = _VIEWS[id(metadata)] = (metadata, views)
    return known[1]


def as_req(requirement: Requirement) -> Req:
    """A PEP 508 requirement whose marker has been evaluated, as the resolver's value."""
    return Req(
        name=canonicalize_name(requirement.name),
        extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
        specifier=requirement.specifier,
        text=str(requirement),
    )


def _prefer(candidates: Iterator[Candidate], preferred: Version | None) -> Iterator[Candidate]:
    """Newest first; a version other targets already chose is tried right after the newest."""
    first = next(candidates, None)
    if first is None:
        return
    yield first
    if preferred is None or first.version == preferred:
        yield from candidates
        return
    rest = list(candidates)  # only reached when the resolver backtracks past the newest
    yield from (c for c in rest if c.version == preferred)
    yield from (c for c in rest if c.version != preferred)
