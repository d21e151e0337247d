"""The TLS trust both HTTP clients use: the configured CA bundle, or a clear error.

The index client and the store's wheel fetcher verify TLS against the bundle the index
configuration names (:attr:`IndexLocation.cert`).  A bundle that is missing, unreadable or
holds no PEM certificates must stop the command with an error that names the file, the setting
it came from and the fix, not with a traceback; each caller raises it in its own family.

A server whose certificate that trust does not verify (self-signed, unknown issuer, another
host's name) fails the same way on every try: :func:`certificate_failure` recognises it behind
an httpx error, and :func:`untrusted_certificate` words it, so that neither client
retries it and both say which bundle to change.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omniwheel.index.discovery import strip_credentials, url_authority

if TYPE_CHECKING:
    from omniwheel.errors import OmniwheelError
    from omniwheel.index.discovery import IndexLocation


def tls_verification(
    location: IndexLocation | None, *, error: type[OmniwheelError]
) -> ssl.SSLContext | bool:
    """The configured CA bundle as a TLS context, or True for the default trust store.

    A bundle that cannot be used raises ``error`` (the caller's error family) naming it.
    """
    if location is None or location.cert is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(location.cert))
    except (ssl.SSLError, ValueError) as exc:
        raise _unusable(location, f"holds no usable CA certificates ({exc})", error) from exc
    except OSError as exc:  # missing, a directory, unreadable
        raise _unusable(location, f"cannot be read ({exc.strerror or exc})", error) from exc


class DeferredTrust:
    """The configured CA bundle, checked at once but loaded into a TLS context only when the first
    connection needs it.

    Loading a system bundle (a hundred and more certificates) costs about 0.1 s, which a lock or
    sync served entirely by the cache never needs.  The check made at once catches what a user
    gets wrong — a bundle that is missing, a directory, unreadable, or holds no PEM certificate —
    so that such a bundle still stops the command before any work starts; a bundle that passes
    it yet fails to load fails with the same error on the first connection.
    """

    def __init__(self, location: IndexLocation | None, *, error: type[OmniwheelError]) -> None:
        self._location = location
        self._error = error
        self._context: ssl.SSLContext | bool | None = None
        if location is not None and location.cert is not None:
            _check_bundle(location, error)

    def verification(self) -> ssl.SSLContext | bool:
        """What :func:`tls_verification` gives, made on the first call and kept."""
        if self._context is None:
            self._context = tls_verification(self._location, error=self._error)
        return self._context


_PEM_BEGIN = b"-----BEGIN "


def _check_bundle(location: IndexLocation, error: type[OmniwheelError]) -> None:
    """Raise ``error`` when the bundle cannot be read or holds no PEM block at all."""
    assert location.cert is not None
    try:
        content = location.cert.read_bytes()
    except OSError as exc:  # missing, a directory, unreadable
        raise _unusable(location, f"cannot be read ({exc.strerror or exc})", error) from exc
    if _PEM_BEGIN not in content:
        raise _unusable(location, "holds no usable CA certificates (no PEM block in it)", error)


def _unusable(location: IndexLocation, problem: str, error: type[OmniwheelError]) -> OmniwheelError:
    source = location.cert_source or "the configuration"
    return error(
        f"the certificate bundle {location.cert} (from {source}) {problem}",
        hint=f"point {source} at a PEM file of CA certificates, or unset it",
    )


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (its cause chain), if one is.

    httpx reports it as a ConnectError caused (through httpcore) by the SSL library's error:
    trying again would fail the same way, so callers make it final at once.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class UntrustedCertificate:
    """A server certificate the CA bundle in use did not verify, worded for an error."""

    host: str
    """``host[:port]`` the failed request went to, without credentials."""
    reason: str
    """The SSL library's reason: ``self-signed certificate``, ``Hostname mismatch, …``."""
    hint: str
    """Which CA bundle the check used and which setting to point at the right one."""

    @property
    def message(self) -> str:
        return f"the certificate of {self.host} could not be verified ({self.reason})"


def untrusted_certificate(
    exc: BaseException, *, url: str, location: IndexLocation | None
) -> UntrustedCertificate | None:
    """What to tell about ``exc`` when it is a certificate verification failure, else None.

    The host is the one the failed request went to (a redirect's target, else ``url``'s);
    ``location`` names the configured CA bundle, if any.  Nothing carries credentials.
    """
    failure = certificate_failure(exc)
    if failure is None:
        return None
    host = _host(_requested_url(exc) or url)
    return UntrustedCertificate(
        host=host,
        reason=(failure.verify_message or failure.reason or str(failure)).rstrip("."),
        hint=_bundle_hint(host, location),
    )


def _requested_url(exc: BaseException) -> str | None:
    try:  # httpx's RequestError.request raises when the error carries none
        request = getattr(exc, "request", None)
    except RuntimeError:
        return None
    url = getattr(request, "url", None)
    return None if url is None else str(url)


def _host(url: str) -> str:
    """``host[:port]`` of ``url``, without credentials (also for text urlsplit rejects)."""
    return url_authority(strip_credentials(url))


def _bundle_hint(host: str, location: IndexLocation | None) -> str:
    fix = f"the CA bundle that signed {host}'s certificate"
    if location is not None and location.cert is not None:
        source = location.cert_source or "the configured `cert`"
        return f"it was checked against {location.cert} (from {source}); point {source} at {fix}"
    # With no bundle configured, httpx reads SSL_CERT_FILE (then SSL_CERT_DIR) itself.
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if bundle := os.environ.get(variable):
            return f"it was checked against {bundle} (from {variable}); point {variable} at {fix}"
    return (
        "it was checked against the default CA bundle; point SSL_CERT_FILE (or pip's `cert` "
        f"setting) at {fix}"
    )
