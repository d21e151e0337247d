"""``[tool.omniwheel] find-links``: flat sources of wheels, for sites that keep wheels in a folder.

Each item is a local directory of wheels, or an HTML page of links to wheels (pip's
``--find-links``): a local file or an ``http(s)`` URL::

    [tool.omniwheel]
    find-links = ["./wheels", "./links.html", "https://host/links.html"]

A path is taken relative to the project directory and becomes a ``file://`` URL: of the file
when it names an existing file, else of a directory, ending in ``/`` (whether the directory
exists is checked when it is read, with the source named).  A URL is kept as written (an
``http(s)`` one may carry credentials: never show it as it is).  Where the sources sit among the
indexes, and how a project is matched to them, is decided with the rest of the list:
:mod:`omniwheel.index.indexes`.

A lock must stay valid when the project moves (a clone, a copy, a CI checkout): it records a
local wheel by its path relative to the lock file when it is inside the lock's directory
(:func:`recorded_path`, PEP 751 ``path``), and a local source there by its relative path
among its inputs (:func:`recorded_source`); outside, both stay absolute.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from omniwheel.errors import Problem

__all__ = [
    "FIND_LINKS_PREFIX",
    "find_links_entries",
    "find_links_name",
    "find_links_url",
    "local_path",
    "recorded_path",
    "recorded_source",
]

FIND_LINKS_PREFIX = "find-links"
"""The n-th source is named ``find-links-<n>`` (1-based) in summaries, sources and the lock."""


def find_links_name(position: int) -> str:
    """The index name of the source at ``position`` (0-based) of the find-links list."""
    return f"{FIND_LINKS_PREFIX}-{position + 1}"


def find_links_url(text: str, base: Path) -> str:
    """``text`` as a find-links URL: a URL as written, else a path (relative to ``base``) as a
    ``file://`` URL: of the file (a page of links) when it is an existing file, else of the
    directory, ending in ``/``."""
    stripped = text.strip()
    scheme = urlsplit(stripped).scheme.lower()
    if scheme in ("http", "https", "file"):
        return stripped
    path = _absolute(base / Path(stripped).expanduser())
    uri = path.as_uri()
    return uri if path.is_file() or uri.endswith("/") else f"{uri}/"


def find_links_entries(
    value: object, where: str, problems: list[Problem], *, root: Path
) -> tuple[str, ...]:
    """``find-links`` (``where``): a list of non-empty strings, as URLs (:func:`find_links_url`)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(where=where, message="expected a list of paths or URLs"))
        return ()
    urls: list[str] = []
    for position, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.append(
                Problem(where=f"{where}[{position}]", message="expected a path or a URL")
            )
            continue
        urls.append(find_links_url(item, root))
    return tuple(urls)


def local_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL, else None (also for text that is no URL: the
    HTTP client says what is wrong with it)."""
    if url[:5].lower() != "file:":
        return None
    return Path(unquote(urlsplit(url).path))


def recorded_path(path: Path, directory: Path) -> str:
    """The local file ``path`` as a lock in ``directory`` records it (PEP 751 ``path``): relative
    to ``directory``, with POSIX separators, when it is inside it (the lock and the folder then
    move together); else absolute, usable only where the file is."""
    relative = _relative(path, directory)
    return relative if relative is not None else _absolute(path).as_posix()


def recorded_source(url: str, directory: Path) -> str:
    """A find-links source's URL (no credentials) as a lock in ``directory`` records it among its
    inputs: a local directory or page inside ``directory`` as its path relative to it
    (``wheels/``, ``links.html``), which does not change when the project moves; any other
    source as it is."""
    path = local_path(url)
    relative = None if path is None else _relative(path, directory)
    if relative is None:
        return url
    return f"{relative}/" if url.endswith("/") else relative


def _relative(path: Path, directory: Path) -> str | None:
    """``path`` relative to ``directory`` (POSIX separators), or None when it is outside.

    Inside as written first (a ``wheels`` link in the project to a shared folder stays
    ``wheels/…``, and comes along with a clone), else once both are resolved (a project reached
    through a link, as macOS's ``/tmp``, and a file named by its real path)."""
    written = _absolute(path), _absolute(directory)
    resolved = path.parent.resolve() / path.name, directory.resolve()
    for located, base in (written, resolved):
        with contextlib.suppress(ValueError):
            return located.relative_to(base).as_posix()
    return None


def _absolute(path: Path) -> Path:
    """``path`` absolute and without ``.`` or ``..``, symbolic links kept (not resolved): a
    ``wheels`` link inside the project stays inside it."""
    return Path(os.path.normpath(path.absolute()))
