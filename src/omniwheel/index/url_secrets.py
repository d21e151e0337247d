"""Secrets in the query strings of file URLs: taken out before a URL is stored, shown or locked.

Some private indexes, and the signed-URL CDNs many put in front of their files, list each file
under a URL that carries a credential in its query string (``…/x.whl?token=…``,
``…/x.whl?X-Amz-Signature=…``).  Such a URL must not reach the page cache, its digest, the lock,
Artifacts.toml or a message.  :func:`scrub_url` returns the URL without those query parameters;
the URL as the index gave it lives in memory only (:class:`GivenUrls`), for the fetches of the
run that read the page.  A later run that needs the file again reads the page again
(:mod:`omniwheel.store.refind`).

A query parameter is dropped when

* its value equals a secret this run knows (a password or token from the index URL, the
  ``OMNIWHEEL_INDEX_<NAME>_…`` variables, the netrc file or the keyring: whatever name the index
  gives the parameter); or
* its name, compared case-insensitively with ``-`` read as ``_``, is one that carries a
  credential by convention (:data:`SECRET_NAMES`): bearer tokens and API keys
  (``token``, ``access_token``, ``private_token``, ``api_key``, ``key`` …), passwords,
  signatures (``sig``, ``signature``); or it starts with ``x_amz_`` or ``x_goog_`` (AWS S3 and
  Google Cloud Storage signed URLs put nothing else there); or
* the URL is signed (one of :data:`SIGNATURE_NAMES` was dropped) and the name is one of the
  parameters that only mean something beside that signature (:data:`SIGNED_COMPANIONS`:
  CloudFront's ``Expires``/``Policy``/``Key-Pair-Id``, Cloud Storage's ``GoogleAccessId``,
  Azure SAS ``sv``, ``se``, ``sp``…).  Left without its signature, such a URL would neither
  work nor name the file any better, and its expiry would make the lock differ run to run.

Everything else is kept byte for byte, in order: parameters some indexes need to name the
file's content (``?version=2``, ``?download=1``), and the fragment (``#sha256=…``, which PEP 503
pages carry), which is never touched.  A URL without a query string, or with nothing to drop, is
returned as the same string, so locks from other indexes do not change by a byte.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable
from urllib.parse import quote, unquote, unquote_plus

__all__ = [
    "REFIND_STATUSES",
    "SECRET_NAMES",
    "SIGNATURE_NAMES",
    "SIGNED_COMPANIONS",
    "GivenUrls",
    "redact",
    "scrub_url",
    "secret_values",
]

REFIND_STATUSES = frozenset({401, 403, 404, 410})
"""What a file's public URL may answer when the index gave it with a token that was not kept
(refused, or gone once a signed URL expired): the caller then reads the project's page again,
for the URL the index gives now (the index client at lock time, :mod:`omniwheel.store.refind`
at sync)."""

SECRET_NAMES = frozenset(
    {
        # bearer tokens and API keys (GitLab's private_token / job_token, OAuth's access_token)
        "token",
        "access_token",
        "auth_token",
        "id_token",
        "refresh_token",
        "private_token",
        "job_token",
        "deploy_token",
        "bearer",
        "auth",
        "authorization",
        "api_key",
        "apikey",
        "key",
        "access_key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        # signatures (Azure SAS ``sig``, CloudFront and Cloud Storage v2 ``Signature``)
        "sig",
        "signature",
    }
)
"""Query parameter names (lower-case, ``-`` read as ``_``) that always carry a credential."""

SECRET_PREFIXES = ("x_amz_", "x_goog_")
"""Name prefixes of the query parameters of S3 and Cloud Storage signed URLs (all dropped)."""

SIGNATURE_NAMES = frozenset({"sig", "signature", "x_amz_signature", "x_goog_signature"})
"""The names whose presence says the URL is signed (see :data:`SIGNED_COMPANIONS`)."""

SIGNED_COMPANIONS = frozenset(
    {
        # CloudFront, Cloud Storage v2
        "expires",
        "policy",
        "key_pair_id",
        "googleaccessid",
        # Azure shared access signatures
        "sv",
        "ss",
        "srt",
        "sp",
        "se",
        "st",
        "spr",
        "sr",
        "si",
        "sdd",
        "skoid",
        "sktid",
        "skt",
        "ske",
        "sks",
        "skv",
    }
)
"""Names dropped only beside a dropped signature: parts of the signed URL, not content."""


def _names_pattern() -> re.Pattern[str]:
    """A query parameter named in :data:`SECRET_NAMES` or by :data:`SECRET_PREFIXES`, written
    plainly (``-`` or ``_`` between words, any case)."""
    names = "|".join(re.escape(name).replace("_", "[-_]") for name in sorted(SECRET_NAMES))
    prefixes = "|".join(re.escape(p).replace("_", "[-_]") for p in SECRET_PREFIXES)
    return re.compile(rf"(?:^|&)(?:(?:{names})(?:[=&]|$)|(?:{prefixes}))", re.IGNORECASE)


_PLAIN_SECRET_NAME = _names_pattern()


def scrub_url(url: str, secrets: Collection[str] = ()) -> str:
    """``url`` without the query parameters that carry a secret (see the module docstring).

    ``secrets`` are values known to be credentials (empty strings are ignored).  A URL with
    nothing to drop is returned unchanged (the same string); when every parameter goes, so does
    the ``?``.
    """
    if "?" not in url:
        return url
    before_fragment, hash_mark, fragment = url.partition("#")
    head, _, query = before_fragment.partition("?")
    if _plainly_harmless(query, secrets):
        return url
    kept = _kept(query.split("&"), secrets)
    if kept is None:
        return url
    rest = "&".join(kept)
    return f"{head}{'?' if rest else ''}{rest}{hash_mark}{fragment}"


def secret_values(url: str, secrets: Collection[str] = ()) -> frozenset[str]:
    """The values of the query parameters :func:`scrub_url` drops from ``url``, as written and
    decoded: what a message about ``url`` must not show."""
    query = url.partition("#")[0].partition("?")[2]
    params = query.split("&") if query else []
    kept = _kept(params, secrets)
    if kept is None:
        return frozenset()
    dropped = (param.partition("=")[2] for param in params if param not in kept)
    return frozenset(form for raw in dropped if raw for form in (raw, unquote_plus(raw)))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (as given, and percent-encoded) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, "***")
    return text


def _plainly_harmless(query: str, secrets: Collection[str]) -> bool:
    """Whether a query with nothing encoded (no ``%``, ``+`` or space) names no credential
    and holds no secret: the fast answer for pages of 10⁵ files with harmless queries."""
    if "%" in query or "+" in query or " " in query:
        return False
    if _PLAIN_SECRET_NAME.search(query):
        return False
    return not any(secret and secret in query for secret in secrets)


def _kept(params: list[str], secrets: Collection[str]) -> list[str] | None:
    """The parameters to keep, as written, in order; None when nothing is dropped."""
    names = [_name(param) for param in params]
    dropped = [_is_secret(name, param, secrets) for name, param in zip(names, params, strict=True)]
    if not any(dropped):
        return None
    if any(d and name in SIGNATURE_NAMES for d, name in zip(dropped, names, strict=True)):
        dropped = [d or name in SIGNED_COMPANIONS for d, name in zip(dropped, names, strict=True)]
    return [param for param, d in zip(params, dropped, strict=True) if not d]


def _name(param: str) -> str:
    return unquote_plus(param.partition("=")[0]).strip().lower().replace("-", "_")


def _is_secret(name: str, param: str, secrets: Collection[str]) -> bool:
    if name in SECRET_NAMES or name.startswith(SECRET_PREFIXES):
        return True
    raw = param.partition("=")[2]
    return bool(raw) and any(form in secrets for form in (raw, unquote(raw), unquote_plus(raw)))


class GivenUrls:
    """File URLs as the index gave them, by the public form that pages, the cache and the lock
    hold: what this run fetches a file by.  Held in memory only, never written anywhere.

    Thread-safe: the index client fills it from its loop, the wheel fetcher from worker threads.
    """

    def __init__(self, secrets: Callable[[str], Collection[str]] = lambda url: ()) -> None:
        """``secrets(url)``: the secrets known for the URL's origin (asked only for URLs with a
        query string)."""
        self._secrets = secrets
        self._given: dict[str, str] = {}
        self._lock = threading.Lock()

    def public(self, url: str) -> str:
        """``url`` scrubbed (:func:`scrub_url`); the given form is kept to fetch it by."""
        if "?" not in url:
            return url
        public = scrub_url(url, self._secrets(url))
        if public != url:
            with self._lock:
                self._given[public] = url
        return public

    def given(self, public: str) -> str:
        """The URL to fetch ``public`` by: as the index gave it this run, else ``public``."""
        with self._lock:
            return self._given.get(public, public)

    def knows(self, public: str) -> bool:
        """Whether this run read a page that gave ``public`` with a secret."""
        with self._lock:
            return public in self._given

    def shown(self, url: str) -> str:
        """``url`` (a given or public one) fit for a message."""
        return scrub_url(url, self._secrets(url)) if "?" in url else url
