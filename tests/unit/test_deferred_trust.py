"""The CA bundle checked at once and loaded for the first connection (:class:`DeferredTrust`)."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest

from omniwheel.errors import IndexAccessError
from omniwheel.index.discovery import IndexLocation
from omniwheel.index.tls import DeferredTrust


def _location(cert: Path | None) -> IndexLocation:
    return IndexLocation(
        url="https://example.invalid/simple/", source="--index-url", cert=cert, cert_source="X"
    )


def test_without_a_configured_bundle_the_default_trust_is_used() -> None:
    assert DeferredTrust(_location(None), error=IndexAccessError).verification() is True
    assert DeferredTrust(None, error=IndexAccessError).verification() is True


def test_a_readable_bundle_is_loaded_once() -> None:
    trust = DeferredTrust(_location(Path(certifi.where())), error=IndexAccessError)
    context = trust.verification()
    assert isinstance(context, ssl.SSLContext)
    assert context.cert_store_stats()["x509_ca"] > 0
    assert trust.verification() is context


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "holds no usable CA certificates (no PEM block in it)"),
        (b"just some text\n", "holds no usable CA certificates (no PEM block in it)"),
    ],
)
def test_a_bundle_without_pem_is_refused_at_once(
    content: bytes, problem: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(content)
    with pytest.raises(IndexAccessError) as error:
        DeferredTrust(_location(bundle), error=IndexAccessError)
    assert str(error.value).endswith(f"the certificate bundle {bundle} (from X) {problem}")


def test_a_pem_bundle_that_does_not_load_fails_when_first_needed(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    trust = DeferredTrust(_location(bundle), error=IndexAccessError)  # passes the quick check
    with pytest.raises(IndexAccessError, match="holds no usable CA certificates"):
        trust.verification()
