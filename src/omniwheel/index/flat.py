"""Find-links sources: a local directory of wheels, or one HTML page of links to wheels.

Unlike a simple-API index, a flat source has no page per project: it is read once, and the page
of a project is the wheels whose file names name it (``packaging.utils.parse_wheel_filename``;
other files are ignored, as omniwheel never builds sdists).  A project with no wheel in the
source is "not listed" (the next index of the list is asked, as for a 404).

Every file is locked with its URL and sha256: a directory's files become ``file://`` URLs and
are hashed from their bytes; an HTML page's links keep the ``#sha256=`` the page gives, and a
link without one is downloaded once to hash it (only links of a project the resolver asks
about).  Nothing here is cached on disk: a directory is listed afresh on every run.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import InvalidWheelFilename, NormalizedName, parse_wheel_filename

from omniwheel.errors import IndexAccessError
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.models import DistFile, ProjectPage, parse_html_page

__all__ = ["FindLinksError", "FlatListing", "local_path"]

Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
"""GET a URL with the source's credentials: the body and the final URL (after redirects)."""


class FindLinksError(IndexAccessError):
    """A find-links source that cannot be read (a missing directory, a file that vanished)."""

    def __init__(self, message: str, *, source: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.source = source


def local_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL, else None (also for text that is no URL: the
    HTTP client says what is wrong with it)."""
    if url[:5].lower() != "file:":
        return None
    return Path(unquote(urlsplit(url).path))


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
        directory = local_path(self._location.url)
        if directory is not None:
            return _directory_files(directory, self._location.source)
        body, final_url = await self._fetch(self._location.url)
        page = parse_html_page(NormalizedName("find-links"), body, final_url)
        return tuple(dist for dist in page.files if _project(dist.filename) is not None)

    async def _hashed(self, dist: DistFile) -> DistFile:
        if dist.sha256 is not None:
            return dist
        path = local_path(dist.url)
        if path is not None:
            content = _read(path, self._location.source)
        else:
            content, _ = await self._fetch(dist.url)
        return DistFile(
            filename=dist.filename,
            url=dist.url,
            sha256=hashlib.sha256(content).hexdigest(),
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
