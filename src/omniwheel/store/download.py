"""Downloading wheels for the store: the :class:`~omniwheel.store.store.Fetcher` it is given.

:class:`WheelFetcher` streams a wheel from the lock's URL (HTTP(S) through one shared httpx
client, or ``file:``) or local path; :class:`OfflineFetcher` allows local files only.  The store
checks size and hash and retries a :class:`~omniwheel.store.store.TransientFetchError`; this
module decides which failures are worth retrying and turns every httpx error into a
:class:`~omniwheel.store.store.StoreError` with a hint, never a traceback.

httpx is imported when a fetcher is opened: a sync with nothing to fetch never opens one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from omniwheel import __version__
from omniwheel.index.url_secrets import REFIND_STATUSES
from omniwheel.store.store import CHUNK, WORKERS, StoreError, TransientFetchError, WheelSource

if TYPE_CHECKING:
    import httpx

    from omniwheel.index.discovery import IndexLocation
    from omniwheel.index.network import NetworkPolicy

_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try."""


class WheelFetcher:
    """Fetches wheels by the lock's URLs (HTTP(S), ``file:``) or local paths.

    Credentials of the configured index (its URL, environment variables, the netrc file, a
    keyring after a 401/403: :mod:`omniwheel.index.credentials`) are sent only to that index's
    own origin (scheme, host, port); a file on another host gets that host's netrc entry, if
    any.  They never appear in messages.  Every failure, from a CA bundle that cannot be loaded to
    any httpx error while streaming, is a :class:`StoreError` with a hint (a
    :class:`TransientFetchError`, which the store retries, when trying again may help).

    A wheel whose lock URL answers 401, 403, 404 or 410, of a package the lock names an index
    for, is looked up again on that index's page (:mod:`omniwheel.store.refind`: the same
    filename and sha256) and downloaded by the URL the page gives now: an index that puts a
    token in its file URLs gave one that the lock does not keep.
    """

    def __init__(
        self,
        *,
        index: IndexLocation | None,
        network: NetworkPolicy | None = None,
        locked_indexes: Mapping[NormalizedName, str] | None = None,
    ) -> None:
        """``network`` defaults to the index's policy (``OMNIWHEEL_HTTP_TIMEOUT``), else the
        default one.  ``locked_indexes``: package name → the index URL the lock gives for it
        (PEP 751 ``index``), where a wheel its URL does not serve is looked up again."""
        import httpx

        from omniwheel.index.coalesced_reads import coalesce_reads
        from omniwheel.index.credentials import IndexCredentials
        from omniwheel.index.network import NetworkPolicy
        from omniwheel.index.tls import tls_verification
        from omniwheel.index.url_secrets import GivenUrls

        self._index = index
        self._network = network or (index.network if index is not None else NetworkPolicy())
        self._credentials = (
            None if index is None else IndexCredentials(index.url, index.credentials)
        )
        self._given = GivenUrls(self._credentials.secrets if self._credentials else _no_secrets)
        self._locked = dict(locked_indexes or {})
        verify = tls_verification(index, error=StoreError)
        try:
            self._http = httpx.Client(
                # HTTP/1.1 on up to WORKERS connections: wheels are few large bodies, and
                # HTTP/2's framing in pure Python cost twice the CPU and wall time (the sync
                # bench's 156 MB on 8 threads: 2.1 s CPU, 2.3-2.5 s wall; HTTP/1.1 1.1-1.3 s,
                # 1.2-1.4 s), CPU that a cold sync's unpacking needs.
                http2=False,
                verify=verify,
                timeout=httpx.Timeout(
                    self._network.timeout, connect=self._network.connect_timeout, pool=None
                ),
                follow_redirects=True,
                headers={"User-Agent": f"omniwheel/{__version__}"},
                limits=httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS),
            )
        except OSError as exc:
            raise _environment_bundle_error(exc) from exc
        coalesce_reads(self._http)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WheelFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        if wheel.path is not None:
            return _file_chunks(wheel, wheel.path)
        if wheel.url is None:
            raise StoreError(f"{wheel.describe()}: the lock gives neither a URL nor a path")
        try:
            parts = urlsplit(wheel.url)
        except ValueError as exc:  # e.g. an IPv6 host without its "]"
            raise _download_error(wheel, exc, index=self._index, network=self._network) from exc
        if parts.scheme == "file":
            return _file_chunks(wheel, Path(unquote(parts.path)))
        return self._http_chunks(wheel, wheel.url)

    def _http_chunks(self, wheel: WheelSource, url: str) -> Iterator[bytes]:
        import httpx

        # Tried again once with the keyring's password, once by the URL the index gives now.
        index = self._locked.get(canonicalize_name(wheel.name))
        try:
            while True:
                with self._http.stream("GET", url, auth=self._auth_for(url)) as response:
                    status = response.status_code
                    if status in (401, 403) and self._keyring_helps(url):
                        continue
                    if not (index and status in REFIND_STATUSES):
                        if status != 200:
                            raise self._status_error(wheel, status)
                        yield from _body(response)
                        return
                url = self._refind(wheel, index, status)
                index = None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise _download_error(
                wheel, exc, index=self._index, network=self._network, url=url
            ) from exc

    def _refind(self, wheel: WheelSource, index: str, status: int) -> str:
        """The URL ``index``'s page gives for ``wheel`` now.  When the page cannot be read
        either, the error is the lock's URL's answer (``status``), and why the page could not
        be read."""
        from omniwheel.store.refind import PageUnreadableError, refind

        try:
            return refind(
                self._http, wheel, index=index, credentials=self._credentials, given=self._given
            )
        except PageUnreadableError as unread:
            error = self._status_error(wheel, status)
            raise StoreError(
                f"{error.message}; reading {unread.page_url} to find it again failed "
                f"({unread.reason})",
                hint=error.hint,
            ) from None

    def _auth_for(self, url: str) -> httpx.BasicAuth | None:
        import httpx

        found = None if self._credentials is None else self._credentials.for_url(url)
        return None if found is None else httpx.BasicAuth(found.username, found.password)

    def _keyring_helps(self, url: str) -> bool:
        return self._credentials is not None and self._credentials.from_keyring(url) is not None

    def _status_error(self, wheel: WheelSource, status: int) -> StoreError:
        """The error for a download answered ``status`` (not 200)."""
        message = f"{wheel.describe()}: {wheel.origin} answered HTTP {status}"
        if status in _TRANSIENT:
            return TransientFetchError(message)
        hint = None
        if status in (401, 403):
            message, hint = self._refused(message, wheel.url or "")
        elif status == 404:
            hint = "the file is gone from the index; run `omniwheel lock` again"
        return StoreError(message, hint=hint)

    def _refused(self, message: str, url: str) -> tuple[str, str]:
        """A 401/403's message (which credentials were sent) and where to give them."""
        from omniwheel.index.credentials import split_userinfo

        # httpx sends a URL's own userinfo when no other credentials are given.
        in_url = split_userinfo(url)[1] is not None
        if self._credentials is None:
            told = "sent the credentials in the lock's URL" if in_url else "sent no credentials"
            return f"{message} ({told})", (
                "no index is configured, so no credentials were looked up: set "
                "`OMNIWHEEL_INDEX_URL` (or `--index-url`) to the index that serves the file, "
                "with its credentials in the URL, `OMNIWHEEL_INDEX_DEFAULT_USERNAME` and "
                "`OMNIWHEEL_INDEX_DEFAULT_PASSWORD`, or the netrc file"
            )
        sent = self._credentials.where(url)
        if sent is not None:
            told = f"sent the credentials from {sent}"
        else:
            told = "sent the credentials in the lock's URL" if in_url else "sent no credentials"
        return f"{message} ({told})", self._credentials.sources_hint()


def _body(response: httpx.Response) -> Iterator[bytes]:
    """The response's body, decoded: as it arrives when it is not encoded (a wheel never is,
    but a server may still compress it), else through httpx's decoders, :data:`CHUNK` bytes at
    a time (which copies every byte once more)."""
    if response.headers.get("content-encoding", "identity").strip().lower() == "identity":
        return response.iter_raw()
    return response.iter_bytes(CHUNK)


def _no_secrets(url: str) -> frozenset[str]:
    return frozenset()


class OfflineFetcher:
    """A fetcher for ``--offline``: local files only; anything remote is an error."""

    def close(self) -> None:
        """Nothing to release."""

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        if wheel.path is not None:
            return _file_chunks(wheel, wheel.path)
        raise StoreError(
            f"{wheel.describe()} is not in the store, and --offline forbids downloading "
            f"{wheel.origin}",
            hint="run `omniwheel sync` once with network access",
        )


def _download_error(
    wheel: WheelSource,
    exc: Exception,
    *,
    index: IndexLocation | None,
    network: NetworkPolicy | None = None,
    url: str | None = None,
) -> StoreError:
    """The store's error for an httpx failure while downloading ``wheel``.

    Trouble on the way (a connection not made, refused, dropped or cut off, a proxy) is
    transient and retried.  A read timeout is final: the server is up but slower than
    ``network``'s timeout, and another try would wait as long.  A certificate that the CA
    bundle (``index``'s, else the default) does not verify, a redirect loop, a body that does
    not decode, a URL that cannot be fetched or a client-side protocol error would fail the
    same way again, so it is final too.  ``url`` is the URL fetched, when it is not the
    lock's (one the index gave with a token): the message never quotes its secrets.
    """
    import httpx

    from omniwheel.index.discovery import url_authority
    from omniwheel.index.network import NetworkPolicy
    from omniwheel.index.tls import untrusted_certificate

    untrusted = untrusted_certificate(exc, url=wheel.origin, location=index)
    if untrusted is not None:
        return StoreError(f"{wheel.describe()}: {untrusted.message}", hint=untrusted.hint)
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        policy = network or NetworkPolicy()
        return StoreError(
            f"{wheel.describe()}: {wheel.origin} sent nothing for "
            f"{policy.describe_timeout()}; not asked again, since another try would wait as long",
            hint=policy.timeout_hint(),
        )
    reason = _reason(wheel, exc, url or wheel.url or "")
    message = f"{wheel.describe()}: downloading {wheel.origin} failed ({reason})"
    host = url_authority(wheel.origin) or wheel.origin
    on_the_way = (
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.NetworkError,
        httpx.RemoteProtocolError,
        httpx.ProxyError,
    )
    if isinstance(exc, on_the_way):
        return TransientFetchError(
            message, hint=f"check the network connection to {host}, then run the command again"
        )
    if isinstance(exc, httpx.TooManyRedirects):
        hint = f"{host} redirects in a loop; check the index URL, or tell the index's operators"
    elif isinstance(exc, httpx.DecodingError):
        hint = (
            f"{host} (or a proxy on the way) sent a body that does not match its "
            "Content-Encoding; tell the index's operators, or try another network"
        )
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | ValueError):
        hint = (
            "the lock (or a redirect) names a URL that cannot be downloaded over http(s); "
            "run `omniwheel lock` again"
        )
    else:
        hint = "run the command again; if it keeps failing, report it with this message"
    return StoreError(message, hint=hint)


def _reason(wheel: WheelSource, exc: Exception, url: str) -> str:
    """The exception's type and text, the text left out when it might show credentials (of
    the lock's URL, or of ``url``, the URL fetched)."""
    from omniwheel.index.discovery import url_authority
    from omniwheel.index.url_secrets import secret_values

    text = str(exc)
    secrets: set[str] = set(secret_values(url))
    for fetched in {wheel.url or "", url}:
        userinfo = url_authority(fetched).rpartition("@")[0]
        secrets |= {s for raw in userinfo.split(":") if raw for s in (raw, unquote(raw))}
    if not text or any(secret in text for secret in secrets):
        return type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _environment_bundle_error(exc: OSError) -> StoreError:
    # With no bundle configured, httpx itself loads SSL_CERT_FILE (else SSL_CERT_DIR) and
    # lets the error out.  The index's discovery rejects a bad SSL_CERT_FILE, but a fetcher may
    # be built without an index (none configured, or discovery failed).
    reason = exc.strerror or str(exc)
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if bundle := os.environ.get(variable):
            return StoreError(
                f"the certificate bundle {bundle} (from {variable}) cannot be used for "
                f"downloading wheels ({reason})",
                hint=f"point {variable} at a PEM file of CA certificates, or unset it",
            )
    return StoreError(
        f"cannot set up TLS for downloading wheels ({reason})",
        hint="reinstall omniwheel: the default CA bundle it ships with cannot be read",
    )


def _file_chunks(wheel: WheelSource, path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    except OSError as exc:
        raise StoreError(
            f"{wheel.describe()}: cannot read {path}: {exc.strerror}",
            hint="the lock takes this wheel from a local folder (a find-links source; a relative "
            "path is read from the directory of pylock.toml): put the folder back there, or "
            "relock with `omniwheel lock` from where the wheels are now",
        ) from exc
