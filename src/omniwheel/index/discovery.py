"""Which package index the user wants, and where that choice came from.

Most users never configure omniwheel's index: they already told pip where their packages
live (a company mirror in ``/etc/pip.conf``, ``PIP_INDEX_URL`` in CI).  So omniwheel asks,
in order, and the first answer wins:

1. ``--index-url`` on the command line;
2. the ``OMNIWHEEL_INDEX_URL`` environment variable;
3. ``index-url`` in ``[tool.omniwheel]``;
4. pip's own configuration: ``PIP_INDEX_URL``, then ``index-url`` in pip's config files;
5. the default index of the pip installed beside omniwheel.

pip's files are read the way pip reads them (same files, same order, ``[install]`` over
``[global]``), so a machine set up for pip needs nothing more.  The TLS certificate bundle
comes from ``SSL_CERT_FILE``, else pip's ``cert``.  pip settings that would pull packages
from elsewhere (``extra-index-url``, ``find-links``, ``constraint``, ``no-index``) do not
apply; each one found becomes a note, not an error.  This module decides the *default* index,
the last one asked; the indexes asked before it are :mod:`omniwheel.index.indexes`'.

The chosen URL may carry credentials (``https://user:token@host/simple/``).  It is kept
as configured in :attr:`IndexLocation.url` for the HTTP client, and only
:attr:`IndexLocation.public_url` (credentials removed) may reach logs, messages or a lock.
The discovered index is named :data:`~omniwheel.index.credentials.DEFAULT_INDEX_NAME`; where
else its credentials may come from (environment variables named after it, the netrc file, a
keyring) is decided here as :attr:`IndexLocation.credentials` and looked up by
:mod:`omniwheel.index.credentials` when the index is used.
This module reads only the environment mapping it is given and pip's config files.
"""

from __future__ import annotations

import configparser
import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

from omniwheel.errors import IndexAccessError
from omniwheel.index.credentials import (
    DEFAULT_INDEX_NAME,
    CredentialSettings,
    KeyringProvider,
    credential_settings,
)
from omniwheel.index.network import NetworkPolicy, network_policy
from omniwheel.index.pip_config_paths import pip_config_files

__all__ = [
    "IndexDiscoveryError",
    "IndexLocation",
    "discover_index",
    "normalise_index_url",
    "pip_config_files",
    "strip_credentials",
]

PIP_DEFAULT_SOURCE = "pip default"

_CONFIG_HINT = (
    "fix the file, or set `PIP_CONFIG_FILE` to `{devnull}` to make omniwheel (and pip) skip"
    " pip's configuration files"
)

# pip settings omniwheel does not follow, and why each is left out.
_IGNORED_PIP_SETTINGS = {
    "extra-index-url": (
        "pip may take any project from any of its indexes; name each further index with"
        " `--index NAME=URL` or [[tool.omniwheel.index]] (asked in order, first match wins)"
    ),
    "find-links": (
        "give omniwheel's own: [tool.omniwheel] find-links or OMNIWHEEL_FIND_LINKS (asked after"
        " the named indexes, before the default one)"
    ),
    "constraint": "omniwheel locks what pyproject.toml asks for, without pip's constraints",
    "no-index": "omniwheel's own is [tool.omniwheel] no-index or OMNIWHEEL_NO_INDEX",
}
_PIP_TRUE = frozenset({"1", "y", "yes", "t", "true", "on"})


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexLocation:
    """The index to lock from, where that choice came from, and how to trust it."""

    url: str
    """As configured, ending in ``/``, WITH credentials if any: never log this."""
    source: str
    """Where the URL came from, for messages: ``--index-url``, ``PIP_INDEX_URL``, …"""
    cert: Path | None
    """CA bundle to verify TLS with, or None for the default trust store."""
    cert_source: str | None = None
    """Where :attr:`cert` came from, for messages: ``SSL_CERT_FILE``, ``PIP_CERT``, …"""
    notes: tuple[str, ...] = ()
    """Configuration found but deliberately not used, one sentence each (no credentials)."""
    credentials: CredentialSettings = field(default_factory=CredentialSettings)
    """The index's name and where its credentials may come from besides :attr:`url`; the
    default reads nothing else (what a caller that read no environment gets)."""
    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    """Timeouts and retries (``OMNIWHEEL_HTTP_TIMEOUT``) for the index and its files."""
    flat: bool = False
    """A find-links source (:mod:`omniwheel.index.flat`): a directory (``file://``) or one HTML
    page (``file://`` or ``http(s)``) listing wheels of any project, not a simple API with a
    page per project."""

    @property
    def public_url(self) -> str:
        """:attr:`url` without ``user:password@``: the form for logs, messages and the lock."""
        return strip_credentials(self.url)


class IndexDiscoveryError(IndexAccessError):
    """No usable index could be determined from the configuration.

    Messages never contain credentials; ``source`` says which setting was at fault.
    """

    def __init__(self, message: str, *, source: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.source = source


# --- the decision --------------------------------------------------------------------------


def discover_index(
    *,
    cli_url: str | None,
    tool_url: str | None,
    environ: Mapping[str, str],
    home: Path,
    config_files: Sequence[Path] | None = None,
    keyring_provider: KeyringProvider | None = None,
) -> IndexLocation:
    """Decide which index to use, in the order given in this module's docstring.

    ``config_files`` defaults to :func:`pip_config_files` of ``environ`` and ``home``;
    pass it explicitly (tests, or ``[]``) to keep the machine's pip configuration out.
    Environment variables set to an empty string count as unset.  ``keyring_provider`` is
    ``[tool.omniwheel] keyring-provider`` (``OMNIWHEEL_KEYRING_PROVIDER`` overrides it).
    """
    files = pip_config_files(environ, home) if config_files is None else config_files
    pip = _PipSettings(environ, _read_pip_config(files))
    url, source = _choose_url(cli_url, tool_url, environ, pip)
    cert, cert_source = _cert(environ, pip, home)
    return IndexLocation(
        url=_normalise_url(url, source),
        source=source,
        cert=cert,
        cert_source=cert_source,
        notes=tuple(_ignored_notes(pip)),
        credentials=credential_settings(
            name=DEFAULT_INDEX_NAME,
            environ=environ,
            home=home,
            keyring_provider=keyring_provider,
        ),
        network=network_policy(environ),
    )


def _choose_url(
    cli_url: str | None, tool_url: str | None, environ: Mapping[str, str], pip: _PipSettings
) -> tuple[str, str]:
    if cli_url is not None:
        return cli_url, "--index-url"
    if environ.get("OMNIWHEEL_INDEX_URL"):
        return environ["OMNIWHEEL_INDEX_URL"], "OMNIWHEEL_INDEX_URL"
    if tool_url is not None:
        return tool_url, "[tool.omniwheel] index-url"
    configured = pip.get("index-url")
    if configured is not None:
        return configured
    default = _pip_default_index()
    if default is not None:
        return default, PIP_DEFAULT_SOURCE
    raise IndexDiscoveryError(
        "no package index is configured, and pip (whose default omniwheel would use) is not"
        " installed beside omniwheel",
        hint="pass `--index-url URL` or set `OMNIWHEEL_INDEX_URL`",
    )


def _pip_default_index() -> str | None:
    """The default index of the pip installed beside omniwheel, if there is one."""
    try:
        # pip has no public API for this; its PyPI model is the one place it is defined.
        module = importlib.import_module("pip._internal.models.index")
    except ImportError:
        return None
    url = getattr(getattr(module, "PyPI", None), "simple_url", None)
    return url if isinstance(url, str) and url else None


def normalise_index_url(url: str, source: str) -> str:
    """``url`` (from ``source``, for the error) as an index URL: stripped of surrounding spaces,
    ending in ``/``; raises :class:`IndexDiscoveryError` unless it is an http(s) URL."""
    return _normalise_url(url, source)


def _normalise_url(url: str, source: str) -> str:
    """``url`` stripped of surrounding spaces and ending in ``/``; only http(s) is accepted."""
    text = url.strip()
    parts = _split_http_url(text)
    if parts is None:
        raise IndexDiscoveryError(
            f"index URL {_redacted(text)!r} (from {source}) is not an http(s) URL",
            source=source,
            hint="omniwheel reads package indexes over HTTP(S); give a URL like"
            " `https://host/simple/`",
        )
    if parts.path.endswith("/"):
        return text
    if not parts.query and not parts.fragment:
        return f"{text}/"
    return urlunsplit(parts._replace(path=f"{parts.path}/"))


def _split_http_url(text: str) -> SplitResult | None:
    """``text`` split into parts if it is an http(s) URL with a host (and a valid port)."""
    try:
        parts = urlsplit(text)
        has_host = parts.hostname is not None and (parts.port or 0) >= 0
    except ValueError:  # bad IPv6 brackets, non-numeric port
        return None
    return parts if has_host and parts.scheme.lower() in {"http", "https"} else None


def strip_credentials(url: str) -> str:
    """``url`` without the ``user:password@`` part of its authority, if it has one.

    Works on text that is not a valid URL too (a value quoted in an error message),
    since that text must not leak credentials either.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    ends = [index for index in (rest.find(mark) for mark in "/?#") if index >= 0]
    end = min(ends, default=len(rest))
    _, at, host = rest[:end].rpartition("@")
    if not at:
        return url
    return f"{scheme}{separator}{host}{rest[end:]}"


def url_authority(url: str) -> str:
    """The ``user:password@host:port`` part of ``url`` (of the whole text when it has no
    scheme); works on text that is not a valid URL too."""
    rest = url.partition("://")[2] or url
    ends = [index for index in (rest.find(mark) for mark in "/?#") if index >= 0]
    return rest[: min(ends, default=len(rest))]


def _redacted(text: str) -> str:
    """Configured text fit for an error message: credentials gone even if it is no URL.

    Text that still holds an ``@`` after :func:`strip_credentials` (``file:///u:p@/x``)
    loses everything between its scheme and its last ``@``.
    """
    public = strip_credentials(text)
    head, at, tail = public.rpartition("@")
    if not at:
        return public
    scheme, separator, _ = head.partition("://")
    return f"{scheme}{separator}…@{tail}" if separator else f"…@{tail}"


# --- TLS and the notes ---------------------------------------------------------------------


def _cert(
    environ: Mapping[str, str], pip: _PipSettings, home: Path
) -> tuple[Path | None, str | None]:
    """``SSL_CERT_FILE``, else pip's ``cert`` (env ``PIP_CERT``, then config files), with
    where it came from."""
    chosen = (
        (environ["SSL_CERT_FILE"], "SSL_CERT_FILE")
        if environ.get("SSL_CERT_FILE")
        else pip.get("cert")
    )
    if chosen is None:
        return None, None
    value, source = chosen
    path = _expand_home(value.strip(), home)
    if not path.is_file():
        raise IndexDiscoveryError(
            f"certificate bundle {path} (from {source}) is not a file",
            source=source,
            hint=f"point {source} at an existing PEM file, or unset it",
        )
    return path, source


def _expand_home(value: str, home: Path) -> Path:
    if value == "~":
        return home
    if value.startswith(("~/", "~\\")):
        return home / value[2:]
    return Path(value)


def _ignored_notes(pip: _PipSettings) -> Iterator[str]:
    for key, reason in _IGNORED_PIP_SETTINGS.items():
        found = pip.get(key)
        if found is None:
            continue
        value, source = found
        if key == "no-index":
            if value.strip().lower() in _PIP_TRUE:
                yield f"ignoring pip's no-index (from {source}): {reason}"
            continue
        shown = " ".join(strip_credentials(item) for item in value.split())
        yield f"ignoring pip's {key} ({shown}, from {source}): {reason}"


# --- pip's configuration -------------------------------------------------------------------


_SECTIONS = ("global", "install")  # pip's order: the command's own section overrides [global]


def _read_pip_config(files: Sequence[Path]) -> dict[str, tuple[str, Path]]:
    """Each setting's effective value and the file it came from, merged as pip merges.

    pip first merges every file (later ones win per section and key), then lets any
    ``[install]`` value override any ``[global]`` one.  Empty values do not count.
    """
    merged: dict[tuple[str, str], tuple[str, Path]] = {}
    for path in files:
        parser = _parse_config_file(path)
        if parser is not None:
            merged.update(_section_values(parser, path))
    effective: dict[str, tuple[str, Path]] = {}
    for wanted in _SECTIONS:
        effective.update(
            (key, found) for (section, key), found in merged.items() if section == wanted
        )
    return effective


def _section_values(
    parser: configparser.RawConfigParser, path: Path
) -> Iterator[tuple[tuple[str, str], tuple[str, Path]]]:
    """``((section, key), (value, path))`` for pip's sections; keys spelt with ``-``."""
    for section in _SECTIONS:
        if parser.has_section(section):
            for key, value in parser.items(section):
                if value:
                    yield (section, key.replace("_", "-")), (value, path)


def _parse_config_file(path: Path) -> configparser.RawConfigParser | None:
    """The parsed file, or None when it cannot be opened (pip skips those too)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _config_error(path, "not UTF-8 text") from None
    except OSError:
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        raise _config_error(path, _config_problem(error)) from None
    return parser


def _config_problem(error: configparser.Error) -> str:
    """Where the file is broken, without quoting its lines: they may hold credentials."""
    if isinstance(error, configparser.MissingSectionHeaderError):
        return f"line {error.lineno}: a setting before any [section] header"
    if isinstance(error, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _ in error.errors)
        return f"cannot parse line {lines}"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"line {error.lineno}: {error.option!r} set twice in [{error.section}]"
    if isinstance(error, configparser.DuplicateSectionError):
        return f"line {error.lineno}: section [{error.section}] appears twice"
    return type(error).__name__


def _config_error(path: Path, problem: str) -> IndexDiscoveryError:
    source = f"pip config {path}"
    return IndexDiscoveryError(
        f"cannot read pip's configuration file {path}: {problem}",
        source=source,
        hint=_CONFIG_HINT.format(devnull=os.devnull),
    )


class _PipSettings:
    """pip's effective settings: ``PIP_<KEY>`` in the environment over its config files."""

    def __init__(self, environ: Mapping[str, str], config: Mapping[str, tuple[str, Path]]) -> None:
        self._environ = environ
        self._config = config

    def get(self, key: str) -> tuple[str, str] | None:
        """``(value, source)`` of one setting (``index-url``, ``cert``, …), or None."""
        variable = "PIP_" + key.upper().replace("-", "_")
        if self._environ.get(variable):
            return self._environ[variable], variable
        found = self._config.get(key)
        if found is None:
            return None
        value, path = found
        return value, f"pip config {path}"
