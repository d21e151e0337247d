"""Credentials for an index: where they come from, and the one origin each may be sent to.

An index's credentials are looked up in this order, the first password found wins:

1. the index URL's userinfo (``https://user:token@host/simple/``);
2. ``OMNIWHEEL_INDEX_<NAME>_USERNAME`` / ``OMNIWHEEL_INDEX_<NAME>_PASSWORD``, where ``<NAME>`` is
   the index's name upper-cased with every character other than ``A-Z0-9`` made ``_`` (the index
   omniwheel discovers today is named :data:`DEFAULT_INDEX_NAME`, so ``OMNIWHEEL_INDEX_DEFAULT_…``);
3. the netrc file (``NETRC``, else ``~/.netrc``, else ``~/_netrc``): the ``machine`` entry for the
   index's host name (or ``default``), when its login agrees with a username given above;
4. with ``keyring-provider = "subprocess"``, and only after the index answered 401 or 403: the
   ``keyring`` command, ``keyring get <index URL> <username>`` then ``keyring get <host>
   <username>``, as pip does; it needs a username from 1 or 2 (the command cannot give one).

A username found without any password is sent with an empty password (a token as username).

Credentials belong to an *origin* (scheme, host, port).  The index's are sent to its own origin
only: to its pages and to file URLs on that origin, never to a CDN on another host.  A file URL on
another host gets that host's netrc entry if there is one, or the userinfo an index page gave in
the file URL itself (learned when the page is read; the URL is then stored without it).  Nothing
here is ever put into a message: :meth:`IndexCredentials.where` and
:meth:`IndexCredentials.sources_hint` say where credentials came from or may be given, never what
they are.
"""

from __future__ import annotations

import netrc
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from omniwheel.errors import IndexAccessError
from omniwheel.project.pyproject import KeyringProvider

__all__ = [
    "DEFAULT_INDEX_NAME",
    "KEYRING_PROVIDERS",
    "CredentialError",
    "CredentialSettings",
    "Credentials",
    "IndexCredentials",
    "KeyringProvider",
    "Origin",
    "credential_settings",
    "environment_prefix",
    "origin_of",
    "split_userinfo",
]

DEFAULT_INDEX_NAME = "default"
"""The name of the index omniwheel discovers (``--index-url`` … pip's default)."""

KEYRING_PROVIDERS: tuple[KeyringProvider, ...] = ("disabled", "subprocess")
KEYRING_VARIABLE = "OMNIWHEEL_KEYRING_PROVIDER"
KEYRING_TIMEOUT_SECONDS = 30.0

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


class CredentialError(IndexAccessError):
    """A credential source that is configured but cannot be used (a broken netrc file, a
    keyring command that is missing).  Never quotes a secret."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where credentials may go: scheme, lower-cased host (IPv6 without brackets), port."""

    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS.get(self.scheme)
        port = "" if self.port is None or self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def origin_of(url: str) -> Origin | None:
    """The origin of ``url``, or None when it has no host or cannot be parsed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return Origin(scheme, parts.hostname.lower(), port or _DEFAULT_PORTS.get(scheme))


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password for HTTP basic auth, and where they came from (for messages)."""

    username: str
    password: str = field(repr=False)
    source: str
    """``the index URL``, ``OMNIWHEEL_INDEX_DEFAULT_PASSWORD``, ``netrc file /home/u/.netrc``…"""


def split_userinfo(url: str) -> tuple[str, Credentials | None]:
    """``url`` without its ``user:password@``, and the credentials it carried (source: the URL).

    A URL that cannot be parsed is returned as it is, with no credentials.
    """
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return url, None
    if username is None and "@" not in parts.netloc:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    stripped = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    if not username and not password:
        return stripped, None
    found = Credentials(unquote(username or ""), unquote(password or ""), "the URL")
    return stripped, found


def environment_prefix(name: str) -> str:
    """``OMNIWHEEL_INDEX_<NAME>_`` for an index name (``pytorch-cpu`` → ``…_PYTORCH_CPU_``)."""
    return f"OMNIWHEEL_INDEX_{_NOT_ALNUM.sub('_', name.upper())}_"


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialSettings:
    """Where an index's credentials may come from, read from the environment (no lookups yet).

    The default (no environment credentials, no netrc file, no keyring) uses only the URL's
    userinfo: what a test or a caller that read no environment gets.
    """

    name: str = DEFAULT_INDEX_NAME
    environ_username: str | None = None
    environ_password: str | None = field(default=None, repr=False)
    netrc: Path | None = None
    """The netrc file to read (it may not exist), or None to read none."""
    netrc_source: str | None = None
    """``NETRC`` when that variable named the file (then it must exist), else None."""
    keyring_provider: KeyringProvider = "disabled"

    @property
    def environ_prefix(self) -> str:
        return environment_prefix(self.name)


def credential_settings(
    *,
    name: str,
    environ: Mapping[str, str],
    home: Path,
    keyring_provider: KeyringProvider | None = None,
) -> CredentialSettings:
    """The credential sources of index ``name``, from ``environ`` and the user's ``home``.

    ``keyring_provider`` is the project's setting; ``OMNIWHEEL_KEYRING_PROVIDER`` overrides it.
    """
    prefix = environment_prefix(name)
    netrc_path, netrc_source = _netrc_file(environ, home)
    return CredentialSettings(
        name=name,
        environ_username=environ.get(f"{prefix}USERNAME") or None,
        environ_password=environ.get(f"{prefix}PASSWORD") or None,
        netrc=netrc_path,
        netrc_source=netrc_source,
        keyring_provider=_keyring_provider(environ.get(KEYRING_VARIABLE), keyring_provider),
    )


def _netrc_file(environ: Mapping[str, str], home: Path) -> tuple[Path, str | None]:
    if environ.get("NETRC"):
        return Path(environ["NETRC"]).expanduser(), "NETRC"
    default = home / ".netrc"
    windows = home / "_netrc"
    return (windows if not default.exists() and windows.exists() else default), None


def _keyring_provider(variable: str | None, configured: KeyringProvider | None) -> KeyringProvider:
    if not variable:
        return configured or "disabled"
    for provider in KEYRING_PROVIDERS:
        if variable.strip().lower() == provider:
            return provider
    raise CredentialError(
        f"{KEYRING_VARIABLE}={variable!r} is not a keyring provider",
        hint=f"set it to one of {', '.join(KEYRING_PROVIDERS)}, or unset it",
    )


class IndexCredentials:
    """The credentials of one index and of the hosts its pages send the client to.

    Thread-safe: the async client calls it from its loop, the wheel fetcher from worker threads.
    """

    def __init__(self, url: str, settings: CredentialSettings) -> None:
        stripped, from_url = split_userinfo(url)
        self.public_url = stripped
        self._settings = settings
        self._origin = origin_of(stripped)
        self._lock = threading.Lock()
        self._netrc: netrc.netrc | None = None
        self._netrc_read = False
        self._learned: dict[Origin, Credentials] = {}
        self._secrets: dict[str, frozenset[str]] = {}
        self._keyring_asked = False
        self._index = self._index_credentials(from_url)

    def for_url(self, url: str) -> Credentials | None:
        """The credentials that may be sent to ``url``'s origin, or None."""
        origin = origin_of(url)
        if origin is None:
            return None
        with self._lock:
            if origin == self._origin:
                return self._index
            learned = self._learned.get(origin)
        if learned is not None:
            return learned
        return self._netrc_entry(origin.host, username=None, default=False)

    def learn(self, url: str) -> str:
        """``url`` without userinfo; credentials it carried are kept for its origin.

        An index may list file URLs with credentials in them; the URL is stored and locked
        without them, and they are sent to that origin again when the file is fetched (unless
        credentials for that origin are already known, which win).
        """
        stripped, found = split_userinfo(url)
        origin = origin_of(stripped)
        if found is not None and origin is not None:
            with self._lock:
                if origin != self._origin or self._index is None:
                    self._learned.setdefault(origin, found)
                    self._secrets.clear()
        return stripped

    def secrets(self, url: str) -> frozenset[str]:
        """Every secret this run knows that a URL on ``url``'s origin must not keep in its
        query string (:mod:`omniwheel.index.url_secrets`): the index's password, passwords
        learned from file URLs, the netrc entry of ``url``'s host; a username given without a
        password is a token, so it counts too.  Not only ``url``'s own origin's: an index may
        put its token into the URLs of files it sends to a CDN.

        Kept per scheme and authority until credentials change (a page lists up to 10⁵ files,
        and parsing each URL's origin cost more than the rest of reading it).
        """
        authority = _scheme_and_authority(url)
        with self._lock:
            cached = self._secrets.get(authority)
            if cached is not None:
                return cached
            known = [self._index, *self._learned.values()]
        origin = origin_of(url)
        if origin is not None:
            known.append(self._netrc_entry(origin.host, username=None, default=False))
        found = frozenset(
            secret
            for credentials in known
            if credentials is not None
            for secret in (credentials.password or credentials.username,)
            if secret
        )
        with self._lock:
            self._secrets[authority] = found
        return found

    def from_keyring(self, url: str) -> Credentials | None:
        """After a 401/403 from ``url``: the keyring's password for the index, asked once.

        Returns the new credentials when the keyring gave a password for the index's origin
        (the caller then tries again), else None.
        """
        if self._settings.keyring_provider == "disabled" or origin_of(url) != self._origin:
            return None
        with self._lock:
            if self._keyring_asked:
                return None
            self._keyring_asked = True
            username = self._index.username if self._index is not None else None
            if username is None or (self._index is not None and self._index.password):
                return None
            password = self._keyring_password(username)
            if password is None:
                return None
            self._index = Credentials(username, password, "the keyring command")
            self._secrets.clear()
            return self._index

    def where(self, url: str) -> str | None:
        """Where the credentials sent to ``url`` came from, for a 401/403 message."""
        found = self.for_url(url)
        return None if found is None else found.source

    def sources_hint(self) -> str:
        """Every place credentials for this index may be given, in the order they are read."""
        settings = self._settings
        prefix = settings.environ_prefix
        netrc_file = settings.netrc or "~/.netrc"
        host = self._origin.host if self._origin is not None else "the index host"
        keyring = (
            f"then `keyring get {self.public_url} <username>` (keyring-provider is subprocess)"
            if settings.keyring_provider == "subprocess"
            else 'or a keyring (`[tool.omniwheel] keyring-provider = "subprocess"`)'
        )
        return (
            f"give credentials for the `{settings.name}` index ({self.public_url}) in its URL "
            f"(https://user:token@…), in `{prefix}USERNAME` and `{prefix}PASSWORD`, in a "
            f"`machine {host}` entry of the netrc file {netrc_file}, {keyring}"
        )

    # -- lookups -----------------------------------------------------------------------------

    def _index_credentials(self, from_url: Credentials | None) -> Credentials | None:
        settings = self._settings
        if from_url is not None and from_url.password:
            return Credentials(from_url.username, from_url.password, "the index URL")
        username = from_url.username if from_url is not None else settings.environ_username
        source = "the index URL" if from_url is not None else f"{settings.environ_prefix}USERNAME"
        if settings.environ_password is not None:
            variables = f"{settings.environ_prefix}PASSWORD"
            return Credentials(username or "", settings.environ_password, variables)
        if self._origin is not None:
            entry = self._netrc_entry(self._origin.host, username=username, default=True)
            if entry is not None:
                return entry
        return None if username is None else Credentials(username, "", source)

    def _netrc_entry(self, host: str, *, username: str | None, default: bool) -> Credentials | None:
        """The netrc entry for ``host``; its ``default`` entry only for the index's own host
        (``default`` would otherwise send the same password to every CDN a page names)."""
        data = self._read_netrc()
        if data is None:
            return None
        found = data.authenticators(host) if default else data.hosts.get(host)
        if found is None:
            return None
        login, _, password = found
        if not password or (username is not None and login and login != username):
            return None
        source = f"the netrc file {self._settings.netrc}"
        return Credentials(login or username or "", password, source)

    def _read_netrc(self) -> netrc.netrc | None:
        if self._netrc_read:
            return self._netrc
        self._netrc_read = True
        path, source = self._settings.netrc, self._settings.netrc_source
        if path is None or (source is None and not path.is_file()):
            return None
        try:
            # An explicit file: the standard library then skips its permission check, which
            # only guards the default ~/.netrc; omniwheel reads the file it was pointed at.
            self._netrc = netrc.netrc(str(path))
        except netrc.NetrcParseError as exc:
            # The parser's message may quote a token of the file (a password): only the line.
            raise CredentialError(
                f"the netrc file {path} cannot be parsed (line {exc.lineno})",
                hint=_netrc_hint(source),
            ) from None
        except OSError as exc:
            raise CredentialError(
                f"the netrc file {path} (from {source or 'the home directory'}) cannot be read "
                f"({exc.strerror or type(exc).__name__})",
                hint=_netrc_hint(source),
            ) from None
        return self._netrc

    def _keyring_password(self, username: str) -> str | None:
        command = shutil.which("keyring")
        if command is None:
            raise CredentialError(
                "keyring-provider is subprocess, but no `keyring` command is on PATH",
                hint="install keyring where PATH finds it (e.g. `pipx install keyring`), or "
                "give the credentials another way",
            )
        for service in (self.public_url, self._origin.host if self._origin else None):
            if service is None:
                continue
            password = _run_keyring(command, service, username)
            if password:
                return password
        return None


def _scheme_and_authority(url: str) -> str:
    """``scheme://authority`` of ``url`` as written (the whole text when it has no path)."""
    start = url.find("://") + 3
    end = url.find("/", start)
    return url if end < 0 else url[:end]


def _run_keyring(command: str, service: str, username: str) -> str | None:
    """``keyring get SERVICE USERNAME``: its password, or None when it has none (exit ≠ 0)."""
    try:
        done = subprocess.run(
            [command, "get", service, username],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=KEYRING_TIMEOUT_SECONDS,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CredentialError(
            f"`keyring get {service} {username}` did not finish within "
            f"{KEYRING_TIMEOUT_SECONDS:.0f} s",
            hint="unlock the keyring (it may be waiting for a password), or give the "
            "credentials another way",
        ) from None
    except OSError as exc:
        raise CredentialError(
            f"`keyring` could not be run ({exc.strerror or type(exc).__name__})",
            hint="check the keyring installation, or give the credentials another way",
        ) from None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace").rstrip("\r\n") or None


def _netrc_hint(source: str | None) -> str:
    if source is None:
        return "fix the file (see `man netrc`), or set `NETRC` to another file"
    return "fix the file (see `man netrc`), or point `NETRC` at another file, or unset it"
