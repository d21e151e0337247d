"""Finding a locked wheel again on its index, when the lock's URL does not serve it.

An index that puts a token in its file URLs (``…/x.whl?token=…``, a signed CDN URL) gives a URL
that omniwheel never writes down: the lock holds it without the token
(:mod:`omniwheel.index.url_secrets`), and that URL is refused (401/403), or gone (404/410) once a
signed URL's expiry has passed.  PEP 751 lets an installer use the package's ``index`` "to fetch
that same file": :func:`refind` reads the project's page on that index again, with the index's
credentials, takes the entry with the lock's filename *and* sha256, and returns the URL the page
gives for it now, token included.  That URL is used for this download only, in memory; it is
never shown (messages name the lock's URL) or stored.

It is never another file: a page that lists the filename only with another sha256, or does not
list it, is a :class:`~omniwheel.store.store.StoreError` that names the package, the file and
the index, and says what to do (an entry that gives no sha256 is downloaded: the store checks
its bytes against the lock's sha256, as for any download).  A page that cannot be read is a
:class:`PageUnreadableError`: the caller says what the lock's URL answered first (missing
credentials, most often), then why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from packaging.utils import canonicalize_name

from omniwheel.store.store import StoreError, WheelSource

if TYPE_CHECKING:
    import httpx

    from omniwheel.index.credentials import IndexCredentials
    from omniwheel.index.models import DistFile
    from omniwheel.index.url_secrets import GivenUrls

__all__ = ["PageUnreadableError", "refind"]

_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


class PageUnreadableError(StoreError):
    """The project's page on the index could not be read (its URL, and why: no secrets)."""

    def __init__(self, wheel: WheelSource, page_url: str, reason: str) -> None:
        super().__init__(
            f"{wheel.describe()}: the lock's URL {wheel.origin} did not serve it, and reading "
            f"{page_url} to find it again failed ({reason})",
            hint="check the index's credentials and that the index is reachable, then run the "
            "command again",
        )
        self.page_url = page_url
        self.reason = reason


def refind(
    http: httpx.Client,
    wheel: WheelSource,
    *,
    index: str,
    credentials: IndexCredentials | None,
    given: GivenUrls,
) -> str:
    """The URL to download ``wheel`` by, as ``index``'s page for its project lists it now.

    ``credentials`` are sent to the page's origin only (as to any file); ``given`` keeps what
    the page's URLs hold in secret.  Raises :class:`StoreError` when the page cannot be read
    or does not list this very file.
    """
    base = index if index.endswith("/") else f"{index}/"
    page_url = urljoin(base, f"{canonicalize_name(wheel.name)}/")
    dist = _listed(_read_page(http, wheel, page_url, credentials, given), wheel, index)
    return given.given(dist.url)


def _read_page(
    http: httpx.Client,
    wheel: WheelSource,
    page_url: str,
    credentials: IndexCredentials | None,
    given: GivenUrls,
) -> tuple[DistFile, ...]:
    import httpx

    from omniwheel.index.models import (
        JSON_CONTENT_TYPE,
        PageFormatError,
        parse_html_page,
        parse_json_page,
    )

    found = None if credentials is None else credentials.for_url(page_url)
    auth = None if found is None else httpx.BasicAuth(found.username, found.password)
    try:
        response = http.get(page_url, headers={"Accept": _ACCEPT}, auth=auth)
    except httpx.HTTPError as exc:
        raise PageUnreadableError(wheel, page_url, type(exc).__name__) from exc
    if response.status_code != 200:
        raise PageUnreadableError(wheel, page_url, f"HTTP {response.status_code}")

    def public(url: str) -> str:
        return given.public(url if credentials is None else credentials.learn(url))

    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in (JSON_CONTENT_TYPE, "application/json"):
        parse = parse_json_page
    elif kind in ("text/html", "application/vnd.pypi.simple.v1+html"):
        parse = parse_html_page
    else:
        raise PageUnreadableError(wheel, page_url, f"{kind or 'untyped'}, not a simple-API page")
    name = canonicalize_name(wheel.name)
    try:
        page = parse(name, response.content, str(response.url), public_url=public)
    except PageFormatError as exc:
        raise PageUnreadableError(wheel, page_url, "not a simple-API page") from exc
    return page.files


def _listed(files: tuple[DistFile, ...], wheel: WheelSource, index: str) -> DistFile:
    """The page's entry for ``wheel``: same filename, same sha256 (an entry that gives no
    sha256 will do: the store checks the bytes it sends against the lock's)."""
    named = [dist for dist in files if dist.filename == wheel.filename]
    for dist in sorted(named, key=lambda dist: dist.sha256 is None):
        if dist.sha256 in (wheel.sha256, None):
            return dist
    where = f"{wheel.describe()}: the lock's URL {wheel.origin} did not serve it, and"
    if named:
        other = f"sha256 {named[0].sha256}"
        raise StoreError(
            f"{where} the index {index} now lists {wheel.filename} with {other}, not the "
            f"lock's sha256 {wheel.sha256}; a different file is never installed in its place",
            hint="if the package was re-published on purpose, run `omniwheel lock` again; "
            "otherwise ask the index's operators why the file changed",
        )
    raise StoreError(
        f"{where} the index {index} no longer lists {wheel.filename}",
        hint="the file was removed (or yanked from view) on the index: run `omniwheel lock` "
        "again to choose another file, or restore the file on the index",
    )
