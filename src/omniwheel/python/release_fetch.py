"""Fetching a python-build-standalone release's ``SHA256SUMS``: the one I/O edge of pinning.

:func:`fetch_release` reads ``{base}/{tag}/SHA256SUMS`` — ``base`` is the canonical release
download prefix, or a mirror (``http(s)://`` or ``file://``, uv's ``UV_PYTHON_INSTALL_MIRROR``
layout) — and hands the text to :func:`omniwheel.python.pbs.parse_release`.  TLS is verified as
for the index (:mod:`omniwheel.index.tls`: the configured CA bundle, else the default trust).
Credentials in a mirror URL (``https://user:pass@host/…``) are sent as basic auth to that host
and never appear in a message.

A release tag names a fixed set of assets, so a ``SHA256SUMS`` read over HTTP(S) is kept in the
cache (:data:`omniwheel.cachedir.RELEASES_DIR`, one file per URL without credentials) and read
from there by the next lock: a warm pinned lock asks the network nothing.  ``refresh`` (``lock
--refresh``) reads it again; a kept copy that no longer parses is read again too.  ``file://``
mirrors are read directly.

Failures are :class:`ReleaseFetchError` naming the URL: a missing release (404), refused
credentials, a body that is not UTF-8 or is implausibly large, and — after :data:`ATTEMPTS`
tries with back-off — server errors (5xx, 408, 429), timeouts and connection trouble.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from omniwheel import __version__
from omniwheel._atomic import write_atomic
from omniwheel.cachedir import RELEASES_DIR
from omniwheel.index.discovery import strip_credentials, url_authority
from omniwheel.python.pbs import (
    ChecksumsError,
    InterpreterError,
    PbsRelease,
    checksums_url,
    parse_release,
)

if TYPE_CHECKING:
    import httpx

    from omniwheel.index.discovery import IndexLocation

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_BYTES = 16 * 1024 * 1024
"""A release's SHA256SUMS lists about a thousand assets (~150 KB); more is not a SHA256SUMS."""

_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


class ReleaseFetchError(InterpreterError):
    """A release's ``SHA256SUMS`` could not be fetched; names the URL (without credentials)."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        hint: str | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.url = None if url is None else strip_credentials(url)
        self.transient = transient


def fetch_release(
    tag: str,
    *,
    mirror: str | None = None,
    index: IndexLocation | None = None,
    timeout: float = 30.0,
    cache_root: Path | None = None,
    refresh: bool = False,
) -> PbsRelease:
    """Release ``tag`` as its ``SHA256SUMS`` describes it, from ``mirror`` or the canonical host.

    ``mirror`` is a base URL already checked by :func:`omniwheel.python.pbs.check_mirror`;
    ``index`` lends its CA bundle.  With ``cache_root``, an HTTP(S) ``SHA256SUMS`` is kept there
    and read from there unless ``refresh``.  Raises :class:`ReleaseFetchError` or, for a file that
    is not a usable list, :class:`omniwheel.python.pbs.ChecksumsError`.
    """
    url = checksums_url(tag, mirror=mirror)
    kept = None if cache_root is None or _is_file(url) else _kept_path(cache_root, url)
    if kept is not None and not refresh:
        release = _read_kept(kept, tag=tag, url=url)
        if release is not None:
            return release
    text = fetch_text(url, index=index, timeout=timeout)
    release = parse_release(text, tag=tag, url=url)
    if kept is not None:
        _keep(kept, text)
    return release


def _is_file(url: str) -> bool:
    return urlsplit(url).scheme == "file"


def _kept_path(cache_root: Path, url: str) -> Path:
    """Where the ``SHA256SUMS`` at ``url`` is kept: named by its URL without credentials (the
    same file whoever fetched it)."""
    digest = hashlib.sha256(strip_credentials(url).encode()).hexdigest()
    return cache_root / RELEASES_DIR / f"{digest}.txt"


def _read_kept(path: Path, *, tag: str, url: str) -> PbsRelease | None:
    """The release kept at ``path``; None when there is none, or it cannot be read or parsed
    (then it is fetched again and replaced)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return parse_release(text, tag=tag, url=url)
    except ChecksumsError:
        return None


def _keep(path: Path, text: str) -> None:
    """Keep a fetched ``SHA256SUMS``; a cache that cannot be written only costs a fetch."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    except OSError:
        pass


def fetch_text(url: str, *, index: IndexLocation | None = None, timeout: float = 30.0) -> str:
    """The UTF-8 text at ``url`` (``http(s)://`` or ``file://``), with retries for HTTP."""
    if _is_file(url):
        return _decoded(url, _read_file(url))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _decoded(url, _get(url, index=index, timeout=timeout))
        except ReleaseFetchError as error:
            if not error.transient or attempt == ATTEMPTS:
                raise
            time.sleep(BACKOFF_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _read_file(url: str) -> bytes:
    path = Path(unquote(urlsplit(url).path))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_big(url)
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ReleaseFetchError(
            f"{url} does not exist",
            url=url,
            hint="check the release tag (`python-release`) and that the mirror holds that "
            "release as {mirror}/{tag}/SHA256SUMS",
        ) from exc
    except OSError as exc:
        raise ReleaseFetchError(f"cannot read {url}: {exc.strerror or exc}", url=url) from exc


def _get(url: str, *, index: IndexLocation | None, timeout: float) -> bytes:
    import httpx

    from omniwheel.index.tls import tls_verification

    verify = tls_verification(index, error=ReleaseFetchError)
    try:
        with (
            httpx.Client(
                verify=verify,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                follow_redirects=True,
                headers={"User-Agent": f"omniwheel/{__version__}"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            _check_status(url, response)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise _too_big(url)
            return bytes(body)
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise _http_error(url, exc, index) from exc
    except OSError as exc:  # a CA bundle httpx itself reads from SSL_CERT_FILE
        raise ReleaseFetchError(
            f"cannot set up TLS to fetch {strip_credentials(url)} ({exc.strerror or exc})",
            url=url,
            hint="point SSL_CERT_FILE at a PEM file of CA certificates, or unset it",
        ) from exc


def _check_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    public = strip_credentials(url)
    message = f"{public} answered HTTP {status}"
    if status in _TRANSIENT:
        raise ReleaseFetchError(
            message,
            url=url,
            transient=True,
            hint="this may be a passing server problem: run the command again",
        )
    hints = {
        401: "give the mirror's credentials in its URL (https://user:password@host/…)",
        403: "give the mirror's credentials in its URL (https://user:password@host/…)",
        404: "check the release tag (`python-release`) and the mirror: the release must be "
        "there as {base}/{tag}/SHA256SUMS",
    }
    raise ReleaseFetchError(message, url=url, hint=hints.get(status))


def _http_error(url: str, exc: Exception, index: IndexLocation | None) -> ReleaseFetchError:
    import httpx

    from omniwheel.index.tls import untrusted_certificate

    public = strip_credentials(url)
    untrusted = untrusted_certificate(exc, url=public, location=index)
    if untrusted is not None:
        return ReleaseFetchError(
            f"fetching {public}: {untrusted.message}", url=url, hint=untrusted.hint
        )
    transient = isinstance(
        exc,
        httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError,
    )
    host = url_authority(public) or public
    return ReleaseFetchError(
        f"fetching {public} failed ({_reason(url, exc)})",
        url=url,
        transient=transient,
        hint=f"check the network connection to {host} (or set a mirror), then run the command "
        "again",
    )


def _reason(url: str, exc: Exception) -> str:
    """The exception's type and text, the text left out when it might show credentials."""
    text = str(exc)
    userinfo = url_authority(url).rpartition("@")[0]
    secrets = {s for raw in userinfo.split(":") if raw for s in (raw, unquote(raw))}
    if not text or any(secret in text for secret in secrets):
        return type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _decoded(url: str, body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReleaseFetchError(
            f"{strip_credentials(url)} is not UTF-8 text (byte {exc.start} is not UTF-8), so it "
            "is no SHA256SUMS file",
            url=url,
            hint="check that the mirror serves the release's own SHA256SUMS",
        ) from exc


def _too_big(url: str) -> ReleaseFetchError:
    return ReleaseFetchError(
        f"{strip_credentials(url)} is larger than {MAX_BYTES} bytes, so it is no SHA256SUMS file",
        url=url,
        hint="check that the mirror serves the release's own SHA256SUMS",
    )
