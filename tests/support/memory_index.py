"""An in-memory index for resolver unit tests: plain data in, pages and metadata out.

It implements :class:`omniwheel.resolve.index_reader.IndexReader`, so the resolver runs on it
exactly as on an index session, with no server, thread or cache::

    index = MemoryIndex(
        {
            "app": [Release("1.0", requires_dist=("lib>=1", "win; sys_platform == 'win32'"))],
            "lib": [
                Release("2.0", wheels=("cp312-cp312-manylinux_2_17_x86_64",)),
                Release("1.0"),  # one py3-none-any wheel
            ],
            "win": [Release("1.0")],
        }
    )

Every release of a project lists one wheel per tag string (compressed tags allowed); each wheel's
metadata carries the release's Requires-Dist and Requires-Python.  Pages list Requires-Python
too, unless ``page_requires_python=False`` (an index that gives it only in the metadata).
Prefetch hints are ignored: a resolution must not depend on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from omniwheel.index.models import CoreMetadata, DistFile, ProjectPage, Wheel
from omniwheel.platform.target import target_from_name
from omniwheel.resolve.candidates import FilePolicy
from omniwheel.resolve.index_reader import Prefetch
from omniwheel.resolve.resolution import ResolveRequest

DEFAULT_UPLOAD_TIME = datetime(2025, 1, 1, tzinfo=UTC)

# Wheel tags for any CPython 3 on one platform.
LINUX = "py3-none-manylinux_2_17_x86_64"
MUSL = "py3-none-musllinux_1_2_x86_64"
WINDOWS = "py3-none-win_amd64"


@dataclass(frozen=True, slots=True)
class Release:
    """One version of a project: its wheels' tags and what their metadata says."""

    version: str
    _: KW_ONLY
    wheels: tuple[str, ...] = ("py3-none-any",)
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    page_requires_python: bool = True
    provides_extra: tuple[str, ...] = ()
    yanked: bool | str = False
    upload_time: datetime = DEFAULT_UPLOAD_TIME


class MemoryIndex:
    """Pages and metadata built once from ``{project: [Release, …]}``."""

    def __init__(self, projects: Mapping[str, Sequence[Release]]) -> None:
        self._pages: dict[NormalizedName, ProjectPage] = {}
        self._metadata: dict[str, CoreMetadata] = {}
        for project, releases in projects.items():
            name = canonicalize_name(project, validate=True)
            files = [self._add(name, release) for release in releases]
            self._pages[name] = ProjectPage.from_files(name, tuple(f for fs in files for f in fs))

    def page(self, name: NormalizedName) -> ProjectPage | None:
        return self._pages.get(name)

    def metadata(self, wheel: Wheel) -> CoreMetadata:
        return self._metadata[wheel.file.url]

    def prefetch(self, work: Prefetch) -> None:
        """Ignored: prefetching is a hint, and the resolver must not need it."""

    def prefetch_pages(self, names: Iterable[NormalizedName]) -> None:
        """Ignored, like :meth:`prefetch`."""

    def prefetch_metadata(self, wheel: Wheel) -> None:
        """Ignored, like :meth:`prefetch`."""

    def _add(self, name: NormalizedName, release: Release) -> list[DistFile]:
        version = Version(release.version)
        metadata = CoreMetadata(
            name=name,
            version=version,
            requires_dist=tuple(Requirement(text) for text in release.requires_dist),
            requires_python=(
                SpecifierSet(release.requires_python) if release.requires_python else None
            ),
            provides_extra=frozenset(canonicalize_name(e) for e in release.provides_extra),
        )
        files = []
        for tag in release.wheels:
            filename = f"{name.replace('-', '_')}-{version}-{tag}.whl"
            url = f"memory://files/{filename}"
            self._metadata[url] = metadata
            files.append(
                DistFile(
                    filename=filename,
                    url=url,
                    sha256=hashlib.sha256(filename.encode()).hexdigest(),
                    requires_python=release.requires_python
                    if release.page_requires_python
                    else None,
                    yanked=bool(release.yanked),
                    yanked_reason=release.yanked if isinstance(release.yanked, str) else None,
                    upload_time=release.upload_time,
                )
            )
        return files


def resolve_request(
    requirements: Sequence[str],
    targets: Sequence[str],
    *,
    uniform: bool = False,
    skip_targets_without_wheels: bool = False,
    locked: Mapping[str, Mapping[str, str]] | None = None,
) -> ResolveRequest:
    """A request for target names like ``linux-x86_64@3.12``; ``locked`` is by target name."""
    return ResolveRequest(
        requirements=tuple(Requirement(text) for text in requirements),
        targets=tuple(target_from_name(name) for name in targets),
        policy=FilePolicy(exclude_newer=None, allow_prereleases=False),
        uniform=uniform,
        skip_targets_without_wheels=skip_targets_without_wheels,
        locked={
            target_from_name(target): {
                canonicalize_name(name): Version(version) for name, version in versions.items()
            }
            for target, versions in (locked or {}).items()
        },
    )
