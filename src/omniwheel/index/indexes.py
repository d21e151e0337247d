"""The indexes a lock reads, in the order they are asked, and which packages each may serve.

The list, first asked first:

1. ``--index NAME=URL`` on the command line (repeatable), or, when none is given, the
   ``OMNIWHEEL_INDEX`` environment variable: ``NAME=URL`` items separated by white space;
2. ``[[tool.omniwheel.index]]`` entries of ``pyproject.toml``, in file order (an entry whose name
   the command line or ``OMNIWHEEL_INDEX`` also gives takes that URL and place, and keeps its
   ``explicit``);
3. the find-links sources (:mod:`omniwheel.project.find_links`), named ``find-links-1``, … in
   order: the ``find_links`` given to :func:`decide_indexes` (a command line's), or, when none
   is given, ``OMNIWHEEL_FIND_LINKS`` (items separated by white space, paths relative to the
   working directory); then ``[tool.omniwheel] find-links`` (paths relative to the project);
4. the default index, named :data:`DEFAULT_INDEX_NAME`, found as it always was
   (:func:`omniwheel.index.discovery.discover_index`); with ``no-index`` (``[tool.omniwheel]
   no-index = true`` or ``OMNIWHEEL_NO_INDEX=1``) it is explicit: it serves only packages pinned
   to it, and is not asked otherwise, so a lock from find-links alone needs no network.

Find-links sources come after the named indexes, which a user ranked on purpose, and before the
default one: a wheel kept on the site (a patched build, an air-gapped mirror) is preferred to the
public index, and a project found in a folder is never taken from the public index either, as
for any index (first match per project name, no mixing of versions across sources).

A package pinned by ``[tool.omniwheel.sources]`` comes from its index alone, on every target.
Any other package comes from the first index of the list, ``explicit`` ones left out, that lists
it: a name found on an earlier index is never taken from a later one, so a public project cannot
shadow a private one of the same name (dependency confusion).  An index that fails is an error,
never a reason to ask the next one.  Each index keeps its own name for credentials
(``OMNIWHEEL_INDEX_<NAME>_USERNAME`` …), and shares the default's TLS settings and network
policy.  Only :meth:`IndexList.recorded` (no credentials) may reach a lock.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from packaging.utils import NormalizedName

from omniwheel.index.credentials import credential_settings
from omniwheel.index.discovery import (
    IndexDiscoveryError,
    IndexLocation,
    normalise_index_url,
    strip_credentials,
)
from omniwheel.project.find_links import find_links_name, find_links_url, recorded_source
from omniwheel.project.indexes import DEFAULT_INDEX_NAME, IndexEntry, check_index_name
from omniwheel.project.pyproject import Settings

__all__ = [
    "FIND_LINKS_VARIABLE",
    "INDEX_VARIABLE",
    "NO_INDEX_VARIABLE",
    "Index",
    "IndexList",
    "IndexOptionError",
    "NoIndexForPackageError",
    "UnknownSourceIndexError",
    "decide_indexes",
    "single_index",
]

INDEX_VARIABLE = "OMNIWHEEL_INDEX"
"""``NAME=URL`` items separated by white space; used when no ``--index`` is given."""
FIND_LINKS_VARIABLE = "OMNIWHEEL_FIND_LINKS"
"""Paths or URLs separated by white space; used when no ``--find-links`` is given."""
NO_INDEX_VARIABLE = "OMNIWHEEL_NO_INDEX"
"""``1`` (or ``true``, ``yes``): as ``[tool.omniwheel] no-index = true``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    """One index of the list: its name, where it is (with credential settings), explicit or not."""

    name: str
    location: IndexLocation
    explicit: bool = False

    def describe(self) -> str:
        """``name (source)`` or ``name (source, explicit)``, for messages: no credentials."""
        explicit = ", explicit" if self.explicit else ""
        return f"{self.name} ({self.location.source}{explicit})"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexList:
    """The indexes in the order they are asked (the default last) and the packages pinned."""

    indexes: tuple[Index, ...]
    sources: Mapping[NormalizedName, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    """Package → the name of the one index it comes from (checked: every name is listed)."""

    @property
    def default(self) -> IndexLocation:
        """The discovered index (the last one)."""
        return self.indexes[-1].location

    @property
    def no_index(self) -> bool:
        """Whether the default index serves only packages pinned to it (``no-index``)."""
        return self.indexes[-1].explicit

    @property
    def several(self) -> bool:
        """Whether more than the default index is configured, or the default is explicit
        (``no-index``): then a router applies the list's rules."""
        return len(self.indexes) > 1 or self.no_index

    def named(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(name)

    def candidates(self, package: NormalizedName) -> tuple[Index, ...]:
        """The indexes asked for ``package``, in order: its pinned index alone, else every
        index that is not explicit."""
        pinned = self.sources.get(package)
        if pinned is not None:
            return (self.named(pinned),)
        return tuple(index for index in self.indexes if not index.explicit)

    def by_url(self, public_url: str) -> Index | None:
        """The index whose URL (credentials removed) is ``public_url``, if any."""
        for index in self.indexes:
            if index.location.public_url == public_url:
                return index
        return None

    def recorded(self, directory: Path) -> tuple[IndexEntry, ...]:
        """The indexes before the default, as a lock in ``directory`` records them: URLs without
        credentials, a local find-links source inside ``directory`` as its path relative to it
        (:func:`~omniwheel.project.find_links.recorded_source`), so the record holds wherever
        the project is moved."""
        return tuple(
            IndexEntry(
                name=index.name,
                url=recorded_source(index.location.public_url, directory)
                if index.location.flat
                else index.location.public_url,
                explicit=index.explicit,
            )
            for index in self.indexes[:-1]
        )

    def describe(self) -> str:
        """Every index with where it came from, in order: for the lock summary."""
        return ", ".join(index.describe() for index in self.indexes)


class IndexOptionError(IndexDiscoveryError):
    """A ``--index`` / ``OMNIWHEEL_INDEX`` item that is not ``NAME=URL`` with a usable name,
    or a name given twice."""

    def __init__(self, message: str, *, source: str, hint: str) -> None:
        super().__init__(message, source=source, hint=hint)


class NoIndexForPackageError(IndexDiscoveryError):
    """A package no index of the list may serve: every index is explicit (``no-index`` with no
    find-links source or other index) and no source pins the package."""

    def __init__(self, package: NormalizedName) -> None:
        super().__init__(
            f"no index may serve `{package}`: no-index keeps the default index for packages "
            "pinned to it, and no find-links source or index that is not explicit is configured",
            source="no-index",
            hint="add `find-links` (or an index) to [tool.omniwheel], pin the package in "
            "[tool.omniwheel.sources], or drop no-index",
        )
        self.package = package


class UnknownSourceIndexError(IndexDiscoveryError):
    """``[tool.omniwheel.sources]`` pins a package to an index the list does not have."""

    def __init__(self, package: NormalizedName, index: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"[tool.omniwheel.sources] takes {package} from the index {index!r}, which is not "
            f"configured (known indexes: {', '.join(known)})",
            source="[tool.omniwheel.sources]",
            hint="add it as [[tool.omniwheel.index]] (or `--index NAME=URL`), or correct the name",
        )
        self.package = package
        self.index = index
        self.known = known


def single_index(location: IndexLocation) -> IndexList:
    """The list of a run that configures no index but the default."""
    return IndexList(indexes=(Index(name=DEFAULT_INDEX_NAME, location=location),))


def decide_indexes(
    default: IndexLocation,
    *,
    cli: Sequence[str],
    settings: Settings,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
    find_links: Sequence[str] = (),
    cwd: Path | None = None,
) -> IndexList:
    """The index list, in the order given in this module's docstring, ``default`` last.

    ``cli`` holds the ``--index`` values as typed, ``find_links`` the ``--find-links`` ones
    (paths relative to ``cwd``, by default the working directory).  Raises
    :class:`IndexOptionError` for a bad item or a name taken twice, and
    :class:`UnknownSourceIndexError` for a source naming no listed index.
    """
    given = _given(cli, environ)
    configured = {entry.name: entry for entry in settings.indexes}
    entries: list[tuple[IndexEntry, str]] = []
    for entry, source in given:
        kept = configured.get(entry.name)
        entries.append((replace(entry, explicit=kept.explicit) if kept else entry, source))
    named = {entry.name for entry, _ in given}
    entries += [
        (entry, f"[[tool.omniwheel.index]] {entry.name}")
        for entry in settings.indexes
        if entry.name not in named
    ]
    user_home = Path.home() if home is None else home
    indexes = [
        _index(
            entry,
            source=source,
            default=default,
            environ=environ,
            home=user_home,
            settings=settings,
        )
        for entry, source in entries
    ]
    indexes += _find_links(
        find_links, settings, default=default, environ=environ, home=user_home, cwd=cwd
    )
    no_index = settings.no_index or _flag(environ.get(NO_INDEX_VARIABLE, ""))
    indexes.append(Index(name=DEFAULT_INDEX_NAME, location=default, explicit=no_index))
    known = tuple(index.name for index in indexes)
    for name in known:
        if known.count(name) > 1:
            raise IndexOptionError(
                f"the index name {name!r} is also the name of a find-links source",
                source="[[tool.omniwheel.index]]",
                hint="rename the index: `find-links-<n>` names the n-th find-links source",
            )
    for package, index_name in settings.sources.items():
        if index_name not in known:
            raise UnknownSourceIndexError(package, index_name, known)
    return IndexList(indexes=tuple(indexes), sources=settings.sources)


def _given(cli: Sequence[str], environ: Mapping[str, str]) -> list[tuple[IndexEntry, str]]:
    """The ``--index`` items, else ``OMNIWHEEL_INDEX``'s, parsed, each with its source."""
    if cli:
        items = [(text, "--index") for text in cli]
    else:
        items = [(text, INDEX_VARIABLE) for text in environ.get(INDEX_VARIABLE, "").split()]
    given: list[tuple[IndexEntry, str]] = []
    for text, source in items:
        entry = _parse_item(text, source)
        if any(earlier.name == entry.name for earlier, _ in given):
            raise IndexOptionError(
                f"{source} names the index {entry.name!r} twice",
                source=source,
                hint="give each index once, with its own name",
            )
        given.append((entry, f"{source} {entry.name}"))
    return given


def _parse_item(text: str, source: str) -> IndexEntry:
    name, equals, url = text.partition("=")
    shown = strip_credentials(url) if equals else strip_credentials(text)
    if not equals or not name or not url:
        raise IndexOptionError(
            f"{source} {shown!r} is not NAME=URL",
            source=source,
            hint="name each index: `--index corp=https://host/simple/` (the name selects its "
            "credentials, OMNIWHEEL_INDEX_CORP_USERNAME/_PASSWORD, and [tool.omniwheel.sources])",
        )
    reason = check_index_name(name)
    if reason is not None:
        raise IndexOptionError(
            f"{source} {name}=…: {reason}", source=source, hint="rename the index"
        )
    return IndexEntry(name=name, url=normalise_index_url(url, f"{source} {name}"))


def _index(
    entry: IndexEntry,
    *,
    source: str,
    default: IndexLocation,
    environ: Mapping[str, str],
    home: Path,
    settings: Settings,
) -> Index:
    location = IndexLocation(
        url=normalise_index_url(entry.url, source),
        source=source,
        cert=default.cert,
        cert_source=default.cert_source,
        credentials=credential_settings(
            name=entry.name,
            environ=environ,
            home=home,
            keyring_provider=settings.keyring_provider,
        ),
        network=default.network,
    )
    return Index(name=entry.name, location=location, explicit=entry.explicit)


def _flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _find_links(
    cli: Sequence[str],
    settings: Settings,
    *,
    default: IndexLocation,
    environ: Mapping[str, str],
    home: Path,
    cwd: Path | None,
) -> list[Index]:
    """The find-links sources, in order, each a flat :class:`Index` named by its position."""
    base = Path.cwd() if cwd is None else cwd
    if cli:
        given = [(find_links_url(text, base), "--find-links") for text in cli]
    else:
        items = environ.get(FIND_LINKS_VARIABLE, "").split()
        given = [(find_links_url(text, base), FIND_LINKS_VARIABLE) for text in items]
    given += [(url, "[tool.omniwheel] find-links") for url in settings.find_links]
    found: list[Index] = []
    for position, (url, source) in enumerate(given):
        name = find_links_name(position)
        location = IndexLocation(
            url=url,
            source=f"{source} {strip_credentials(url)}",
            cert=default.cert,
            cert_source=default.cert_source,
            credentials=credential_settings(
                name=name, environ=environ, home=home, keyring_provider=settings.keyring_provider
            ),
            network=default.network,
            flat=True,
        )
        found.append(Index(name=name, location=location))
    return found
