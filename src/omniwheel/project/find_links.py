"""``[tool.omniwheel] find-links``: flat sources of wheels, for sites that keep wheels in a folder.

Each item is a local directory of wheels or the URL of an HTML page of links to wheels (pip's
``--find-links``)::

    [tool.omniwheel]
    find-links = ["./wheels", "https://host/links.html"]

A path is taken relative to the project directory and becomes a ``file://`` URL ending in ``/``;
an ``http(s)`` URL is kept as written (it may carry credentials: never show it as it is).  Where
the sources sit among the indexes, and how a project is matched to them, is decided with the
rest of the list: :mod:`omniwheel.index.indexes`.  Whether a directory exists is checked when it
is read, with the source named.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from omniwheel.errors import Problem

__all__ = ["FIND_LINKS_PREFIX", "find_links_entries", "find_links_name", "find_links_url"]

FIND_LINKS_PREFIX = "find-links"
"""The n-th source is named ``find-links-<n>`` (1-based) in summaries, sources and the lock."""


def find_links_name(position: int) -> str:
    """The index name of the source at ``position`` (0-based) of the find-links list."""
    return f"{FIND_LINKS_PREFIX}-{position + 1}"


def find_links_url(text: str, base: Path) -> str:
    """``text`` as a find-links URL: an http(s) URL as written, else a path (relative to
    ``base``) as a ``file://`` URL of the directory, ending in ``/``."""
    stripped = text.strip()
    scheme = urlsplit(stripped).scheme.lower()
    if scheme in ("http", "https", "file"):
        return stripped
    uri = (base / Path(stripped).expanduser()).resolve().as_uri()
    return uri if uri.endswith("/") else f"{uri}/"


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
