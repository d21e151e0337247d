"""The TLS trust both HTTP clients use: the configured CA bundle, or a clear error.

The index client and the store's wheel fetcher verify TLS against the bundle the index
configuration names (:attr:`IndexLocation.cert`).  A bundle that is missing, unreadable or
holds no PEM certificates must stop the command with an error that names the file, the setting
it came from and the fix, not with a traceback; each caller raises it in its own family.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

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


def _unusable(location: IndexLocation, problem: str, error: type[OmniwheelError]) -> OmniwheelError:
    source = location.cert_source or "the configuration"
    return error(
        f"the certificate bundle {location.cert} (from {source}) {problem}",
        hint=f"point {source} at a PEM file of CA certificates, or unset it",
    )
