"""Find-links sources: a local directory of wheels, or one HTML page of links to wheels.

Unlike a simple-API index, a flat source has no page per project: it is read once, and the page
of a project is the wheels whose file names name it (``packaging.utils.parse_wheel_filename``;
other files are ignored, as omniwheel never builds sdists).  A project with no wheel in the
source is "not listed" (the next index of the list is asked, as for a 404).

The HTML page may be a local file (``file://``, from a path to a file): its relative links
resolve against the file's location.  Every file is found with its URL and sha256: a local file
(a directory's, or a local page's link to one) has a ``file://`` URL and is hashed from its
bytes; an HTTP page's links keep the ``#sha256=`` the page gives, and a link without one is
downloaded once to hash it (only links of a project the resolver asks about).  Nothing here is
cached on disk: a source is read afresh on every run.

A lock records local files by path, not URL, and a local source by its path relative to the
lock (:mod:`omniwheel.project.find_links`), so that a project moved or cloned with its
``wheels/`` folder keeps a lock that is valid, and current, where it lands.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from packaging.utils import InvalidWheelFilename, NormalizedName, parse_wheel_filename

from omniwheel.errors import IndexAccessError
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.models import DistFile, ProjectPage, parse_html_page
from omniwheel.project.find_links import local_path

__all__ = ["FindLinksError", "FlatListing", "local_path"]

Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
"""GET a URL with the source's credentials: the body and the final URL (after redirects)."""


class FindLinksError(IndexAccessError):
    """A find-links source that cannot be read (a missing directory, a file that vanished)."""

    def __init__(self, message: str, *, source: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.source = source


class FlatListing:
    """One find-links source, read at most once per run (on the client's event loop)."""

    def __init__(self, location: IndexLocation, fetch: Fetch) -> None:
        self._location = location
        self._fetch = fetch
        self._files: asyncio.Future[tuple[DistFile, ...]] | None = None

    async def page(self, name: NormalizedName) -> ProjectPage | None:
        """The wheels of ``name`` in this source, each with its sha256; None when it has none."""
        if self._files is None:
            self._files = asyncio.ensure_future(self._list())
        files = [dist for dist in await self._files if _project(dist.filename) == name]
        if not files:
            return None
        hashed = await asyncio.gather(*(self._hashed(dist) for dist in files))
        return ProjectPage.from_files(name, tuple(hashed))

    async def _list(self) -> tuple[DistFile, ...]:
        local = local_path(self._location.url)
        if local is not None and local.is_file():  # a local page of links
            body, final_url = _read(local, self._location.source), self._location.url
        elif local is not None:
            return _directory_files(local, self._location.source)
        else:
            body, final_url = await self._fetch(self._location.url)
        page = parse_html_page(NormalizedName("find-links"), body, final_url)
        return tuple(dist for dist in page.files if _project(dist.filename) is not None)

    async def _hashed(self, dist: DistFile) -> DistFile:
        """``dist`` with its sha256 and size: a local file is always read (its bytes are what
        sync installs, and must match a ``#sha256=`` its page gives); a remote file keeps the
        sha256 its page gives, else is downloaded to hash it."""
        path = local_path(dist.url)
        if path is None and dist.sha256 is not None:
            return dist
        if path is not None:
            content = _read(path, self._location.source)
        else:
            content, _ = await self._fetch(dist.url)
        sha256 = hashlib.sha256(content).hexdigest()
        if dist.sha256 is not None and dist.sha256 != sha256:
            raise FindLinksError(
                f"{path} (linked from {self._location.source}) does not match the sha256 "
                f"its link gives: {dist.sha256}, the file's is {sha256}",
                source=self._location.source,
                hint="correct the link's #sha256= fragment, or put the right file there",
            )
        return DistFile(
            filename=dist.filename,
            url=dist.url,
            sha256=sha256,
            size=len(content),
            requires_python=dist.requires_python,
            yanked=dist.yanked,
            yanked_reason=dist.yanked_reason,
            upload_time=dist.upload_time,
        )


def _project(filename: str) -> NormalizedName | None:
    if not filename.endswith(".whl"):
        return None
    try:
        return parse_wheel_filename(filename)[0]
    except InvalidWheelFilename:
        return None


def _directory_files(directory: Path, source: str) -> tuple[DistFile, ...]:
    """The wheels of ``directory`` (not its subdirectories), by name, unhashed: hashing waits
    until a project is asked for."""
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        raise FindLinksError(
            f"the find-links directory {directory} (from {source}) does not exist",
            source=source,
            hint="create it and put the wheels there, or correct the path",
        ) from None
    except OSError as exc:
        raise FindLinksError(
            f"cannot list the find-links directory {directory} (from {source}): {exc.strerror}",
            source=source,
            hint="check that it is a directory and readable",
        ) from exc
    return tuple(
        DistFile(filename=path.name, url=path.as_uri(), sha256=None, size=None)
        for path in entries
        if _project(path.name) is not None and path.is_file()
    )


def _read(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FindLinksError(
            f"cannot read {path} (from {source}): {exc.strerror}",
            source=source,
            hint="check the file's permissions, or remove it from the directory",
        ) from exc
