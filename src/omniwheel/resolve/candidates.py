"""Which versions of a project a group of targets may use, and which wheel each target would take.

Pure functions over an index page: the resolver's provider asks them, the error explainer asks them
again to say why nothing fitted.  A version is usable for a group of targets only if every target of
the group has a wheel for it (tags match, Requires-Python admits every patch release of the target's
Python), the files are not newer than ``exclude-newer``, and it is not yanked (unless pinned with
``==``).  Pre-releases follow PEP 440 (see :func:`iter_usable_versions`).  Within a version,
each target takes its best-ranked compatible wheel, exactly as a PEP 751 installer would.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import InvalidVersion, Version

from omniwheel.index.models import ProjectPage, Wheel
from omniwheel.platform.target import Target


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePolicy:
    """Rules that decide which files exist at all for this lock."""

    exclude_newer: datetime | None
    allow_prereleases: bool


def has_wheel(wheels: Iterable[Wheel], target: Target) -> bool:
    """Whether some wheel fits the target (``best_wheel(wheels, target) is not None``), without
    ranking them: the first that fits answers."""
    ranks = target.tag_ranks
    return any(
        not ranks.keys().isdisjoint(wheel.tags)
        and (wheel.requires_python is None or target.fits_requires_python(wheel.requires_python))
        for wheel in wheels
    )


def wheel_rank(wheel: Wheel, target: Target) -> int | None:
    """The wheel's best tag rank for the target (lower is better), None if it does not fit."""
    return _rank(wheel, target, _tag_set_ranks(target))


def _rank(wheel: Wheel, target: Target, known: _TagSetRanks) -> int | None:
    best = known.get(wheel.tags, _UNSEEN)
    if best == _UNSEEN:
        best = known[wheel.tags] = _best_tag_rank(wheel.tags, target.tag_ranks)
    if best is None:
        return None
    if wheel.requires_python is not None and not target.fits_requires_python(wheel.requires_python):
        return None
    return best


_UNSEEN = -1
_TagSetRanks = dict[frozenset[Tag], int | None]


def _best_tag_rank(tags: frozenset[Tag], ranks: Mapping[Tag, int]) -> int | None:
    found = [ranks[tag] for tag in tags if tag in ranks]
    return min(found) if found else None


@functools.cache
def _tag_set_ranks(target: Target) -> _TagSetRanks:
    """The best rank of each tag set ranked so far for the target (None: no tag fits).

    Kept per tag set: a page's wheels share a few dozen (one object per tag field, see
    :mod:`omniwheel.index.models`), and a matrix lock ranks tens of thousands of wheels.
    """
    return {}


def best_wheel(wheels: Iterable[Wheel], target: Target) -> Wheel | None:
    """The wheel a PEP 751 installer on ``target`` would take: best tag rank, then newest build
    (then the first filename, so that the choice never depends on page order)."""
    known = _tag_set_ranks(target)  # looked up once: the lookup hashes the target
    best: tuple[int, tuple[int, str], str] | None = None
    chosen: Wheel | None = None
    for wheel in wheels:  # _rank, inlined: a matrix lock ranks tens of thousands of wheels
        rank = known.get(wheel.tags, _UNSEEN)
        if rank == _UNSEEN:
            rank = known[wheel.tags] = _best_tag_rank(wheel.tags, target.tag_ranks)
        if rank is None:
            continue
        spec = wheel.requires_python
        if spec is not None and not target.fits_requires_python(spec):
            continue
        key = (rank, _negated_build(wheel.build), wheel.file.filename)
        if best is None or key < best:
            best, chosen = key, wheel
    return chosen


def _negated_build(build: tuple[int, str] | tuple[()]) -> tuple[int, str]:
    return (-build[0], build[1]) if build else (0, "")


def visible_wheels(wheels: Sequence[Wheel], policy: FilePolicy, *, pinned: bool) -> list[Wheel]:
    """Wheels that may be used at all: uploaded before the cutoff, not yanked unless pinned."""
    cutoff = policy.exclude_newer
    return [
        wheel
        for wheel in wheels
        if (
            cutoff is None
            or (wheel.file.upload_time is not None and wheel.file.upload_time <= cutoff)
        )
        and (pinned or not wheel.file.yanked)
    ]


def hidden_by_cutoff(page: ProjectPage, version: Version, policy: FilePolicy) -> bool:
    """Whether ``exclude-newer`` hides every file of the version (then :func:`visible_wheels`
    keeps none of its wheels), told from upload times alone, before any filename is parsed."""
    cutoff = policy.exclude_newer
    if cutoff is None:
        return False
    first = page.wheels_by_version.first_upload(version)
    return first is None or first > cutoff


# Operators that ask for the version they name (PEP 440's inclusive comparisons): naming a
# pre-release with one of them asks for pre-releases.  ``<``, ``>`` and ``!=`` bound or exclude a
# version; naming a pre-release there asks for nothing (packaging 26 counts ``<`` and ``>``;
# pip's packaging and uv do not).
_ASKING_OPERATORS = frozenset({"==", "===", ">=", "<=", "~="})


def asks_for_prerelease(specifiers: Iterable[SpecifierSet]) -> bool:
    """Whether a requirement names a pre-release with an inclusive operator (``>=2.0b1``,
    ``==2.0rc1``, ``~=2.0a1``, ``===2.0b1``); ``<2.0b5``, ``>2.0b1`` and ``!=2.0a1`` do not."""
    for specifier in specifiers:
        for spec in specifier:
            if spec.operator not in _ASKING_OPERATORS:
                continue
            if _names_prerelease(spec.version.removesuffix(".*")):
                return True
    return False


@functools.lru_cache(maxsize=4096)
def _names_prerelease(text: str) -> bool:
    """Whether a specifier's version text is a pre-release (asked on every look at a project:
    each text is parsed once)."""
    try:
        return Version(text).is_prerelease
    except InvalidVersion:  # ``===`` with a string that is no version
        return False


def admits(specifier: SpecifierSet, version: Version) -> bool:
    """``specifier.contains(version, prereleases=True)``: whether the version satisfies the
    specifier (pre-release rules are the callers' business).

    Kept per specifier object and version: every group of a matrix checks the same requirements
    against the same versions.  The object is held with its answers, so that its id is not
    reused.  A specifier with ``===`` compares version texts, which equal versions may spell
    differently (``1.0``, ``1.0.0``), so its answers are not kept.
    """
    known = _ADMITS.get(id(specifier))
    if known is None:
        if len(_ADMITS) >= _ADMITS_KEPT:
            _ADMITS.clear()
        kept: dict[Version, bool] | None = {}
        if any(spec.operator == "===" for spec in specifier):
            kept = None
        known = _ADMITS[id(specifier)] = (specifier, kept)
    answers = known[1]
    if answers is None:
        return specifier.contains(version, prereleases=True)
    answer = answers.get(version)
    if answer is None:
        answer = answers[version] = specifier.contains(version, prereleases=True)
    return answer


_ADMITS: dict[int, tuple[SpecifierSet, dict[Version, bool] | None]] = {}
_ADMITS_KEPT = 1 << 14


def allows_prerelease(specifiers: Iterable[SpecifierSet], policy: FilePolicy) -> bool:
    """Pre-releases admitted outright: with ``--prerelease``, or when a requirement on the
    project asks for one (:func:`asks_for_prerelease`).  Otherwise they are admitted only when
    no final release can be used (see :func:`iter_usable_versions`)."""
    return policy.allow_prereleases or asks_for_prerelease(specifiers)


def is_pinned(specifiers: Iterable[SpecifierSet], version: Version) -> bool:
    """True when a requirement pins exactly this version with ``==`` (no wildcard) or ``===``."""
    for specifier in specifiers:
        for spec in specifier:
            if spec.operator == "===" and spec.version == str(version):
                return True
            exact = spec.operator == "==" and not spec.version.endswith(".*")
            if exact and Version(spec.version) == version:
                return True
    return False


def iter_usable_versions(
    page: ProjectPage,
    specifiers: Sequence[SpecifierSet],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> Iterator[tuple[Version, dict[Target, Wheel]]]:
    """Versions (newest first) that satisfy every specifier and have a wheel for every target.

    Pre-releases come as PEP 440 says: all of them when :func:`allows_prerelease`; else final
    releases only, and pre-releases (newest first) only when no final release is usable — a
    project that published nothing else, or a requirement only a pre-release satisfies.

    Lazy: the resolver usually takes the first, and checking wheels of every old release of a big
    project for every target would dominate resolution time.
    """
    explicit = allows_prerelease(specifiers, policy)
    any_final = False
    for version in page.wheels_by_version.newest_first():
        if version.is_prerelease and not explicit:
            continue
        wheels = _usable(page, version, specifiers, targets, policy)
        if wheels is not None:
            any_final = any_final or not version.is_prerelease
            yield version, wheels
    if explicit or any_final:
        return
    for version in page.wheels_by_version.newest_first():
        if version.is_prerelease:
            wheels = _usable(page, version, specifiers, targets, policy)
            if wheels is not None:
                yield version, wheels


def newest_usable(
    page: ProjectPage,
    specifiers: Sequence[SpecifierSet],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> dict[Target, Version]:
    """Each target's newest usable version: what ``iter_usable_versions(page, specifiers,
    [target], policy)`` yields first, for every target at once (targets with none left out).

    One pass over the versions for all targets: a version's specifier check and visible files
    are worked out once, not once per target, and a target drops out once it has its version.
    """
    explicit = allows_prerelease(specifiers, policy)
    found: dict[Target, Version] = {}
    left = list(targets)
    # Finals first, then pre-releases for the targets no final fits (PEP 440, as above).
    for prereleases in (None,) if explicit else (False, True):
        for version in page.wheels_by_version.newest_first():
            if not left:
                return found
            if prereleases is not None and version.is_prerelease is not prereleases:
                continue
            if not all(admits(specifier, version) for specifier in specifiers):
                continue
            if hidden_by_cutoff(page, version, policy):
                continue
            pinned = is_pinned(specifiers, version)
            wheels = visible_wheels(page.wheels_by_version[version], policy, pinned=pinned)
            fitting = [target for target in left if has_wheel(wheels, target)]
            found.update((target, version) for target in fitting)
            left = [target for target in left if target not in found]
    return found


def prereleases_admitted(
    page: ProjectPage,
    specifiers: Sequence[SpecifierSet],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> bool:
    """Whether :func:`iter_usable_versions` would offer pre-releases under these specifiers."""
    if allows_prerelease(specifiers, policy):
        return True
    return not any(
        _usable(page, version, specifiers, targets, policy) is not None
        for version in page.wheels_by_version.newest_first()
        if not version.is_prerelease
    )


def usable_at(
    page: ProjectPage,
    version: Version,
    specifiers: Sequence[SpecifierSet],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> dict[Target, Wheel] | None:
    """Each target's wheel if this one version is usable (same rules as iter_usable_versions)."""
    if version not in page.wheels_by_version:
        return None
    if version.is_prerelease and not prereleases_admitted(page, specifiers, targets, policy):
        return None
    return _usable(page, version, specifiers, targets, policy)


def _usable(
    page: ProjectPage,
    version: Version,
    specifiers: Sequence[SpecifierSet],
    targets: Sequence[Target],
    policy: FilePolicy,
) -> dict[Target, Wheel] | None:
    """The version's wheels per target if it satisfies the specifiers (pre-releases are the
    callers' business) and every target has one it may use."""
    if not all(admits(specifier, version) for specifier in specifiers):
        return None
    if targets and hidden_by_cutoff(page, version, policy):
        return None
    wheels = visible_wheels(
        page.wheels_by_version[version], policy, pinned=is_pinned(specifiers, version)
    )
    chosen = {target: best_wheel(wheels, target) for target in targets}
    if any(wheel is None for wheel in chosen.values()):
        return None
    return {t: w for t, w in chosen.items() if w is not None}


def metadata_wheel(page: ProjectPage, version: Version, policy: FilePolicy) -> Wheel:
    """The one wheel whose METADATA stands for the version on every target.

    Wheels of one release carry the same dependency metadata in practice (platform differences are
    written as markers), so metadata is fetched once per version, not per target.  The choice is
    fixed (first filename) so that every run reads the same file.
    """
    key = (id(page), version, policy)
    known = _METADATA_WHEELS.get(key)
    if known is None:
        wheels = page.wheels_by_version[version]
        visible = visible_wheels(wheels, policy, pinned=True) or list(wheels)
        if len(_METADATA_WHEELS) >= _METADATA_WHEELS_KEPT:
            _METADATA_WHEELS.clear()
        known = _METADATA_WHEELS[key] = (page, min(visible, key=lambda wheel: wheel.file.filename))
    return known[1]


# metadata_wheel's answers: every group of a matrix, and the locker after them, ask for each
# pinned version's metadata.  Kept by the page's identity, the page held so that its id is not
# reused (a page never changes); bounded for long-lived processes.
_METADATA_WHEELS: dict[tuple[int, Version, FilePolicy], tuple[ProjectPage, Wheel]] = {}
_METADATA_WHEELS_KEPT = 1 << 14
