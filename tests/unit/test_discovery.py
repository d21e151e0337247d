"""Choosing the index: precedence, pip's configuration files, TLS, notes, and secrecy.

Every test passes an explicit ``environ`` and explicit ``config_files`` (files written
into ``tmp_path``), so the machine's own pip configuration never leaks in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from omniwheel.errors import IndexAccessError
from omniwheel.index.discovery import (
    IndexDiscoveryError,
    IndexLocation,
    discover_index,
    pip_config_files,
    strip_credentials,
)

SECRET = "s3cr3t-t0ken"
MIRROR = "https://mirror.example/simple/"


def conf(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def discover(
    tmp_path: Path,
    *,
    cli_url: str | None = None,
    tool_url: str | None = None,
    environ: dict[str, str] | None = None,
    files: list[Path] | None = None,
) -> IndexLocation:
    return discover_index(
        cli_url=cli_url,
        tool_url=tool_url,
        environ=environ or {},
        home=tmp_path / "home",
        config_files=files or [],
    )


# --- precedence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "url", "source"),
    [
        pytest.param({"cli", "env", "tool", "pip-env", "pip-conf"}, "https://cli/", "--index-url"),
        pytest.param({"env", "tool", "pip-env", "pip-conf"}, "https://env/", "OMNIWHEEL_INDEX_URL"),
        pytest.param(
            {"tool", "pip-env", "pip-conf"}, "https://tool/", "[tool.omniwheel] index-url"
        ),
        pytest.param({"pip-env", "pip-conf"}, "https://pip-env/", "PIP_INDEX_URL"),
        pytest.param({"pip-conf"}, "https://pip-conf/", "pip config {conf}"),
    ],
)
def test_first_configured_source_wins(
    tmp_path: Path, given: set[str], url: str, source: str
) -> None:
    pip_conf = conf(tmp_path, "pip.conf", "[global]\nindex-url = https://pip-conf/\n")
    environ = {}
    if "env" in given:
        environ["OMNIWHEEL_INDEX_URL"] = "https://env/"
    if "pip-env" in given:
        environ["PIP_INDEX_URL"] = "https://pip-env/"
    location = discover(
        tmp_path,
        cli_url="https://cli/" if "cli" in given else None,
        tool_url="https://tool/" if "tool" in given else None,
        environ=environ,
        files=[pip_conf] if "pip-conf" in given else [],
    )
    assert location.url == url
    assert location.source == source.format(conf=pip_conf)


def test_empty_environment_values_count_as_unset(tmp_path: Path) -> None:
    environ = {"OMNIWHEEL_INDEX_URL": "", "PIP_INDEX_URL": "", "SSL_CERT_FILE": ""}
    location = discover(tmp_path, tool_url=MIRROR, environ=environ)
    assert location.source == "[tool.omniwheel] index-url"
    assert location.cert is None


def test_pip_default_is_the_last_resort(tmp_path: Path) -> None:
    pytest.importorskip("pip", reason="the default comes from the pip installed beside omniwheel")
    location = discover_index(
        cli_url=None, tool_url=None, environ={}, home=tmp_path, config_files=[]
    )
    assert location.source == "pip default"
    assert location.url.startswith("https://")
    assert location.url.endswith("/simple/")


def test_no_pip_and_nothing_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pip._internal.models.index", None)
    with pytest.raises(IndexDiscoveryError) as caught:
        discover(tmp_path)
    assert isinstance(caught.value, IndexAccessError)
    assert caught.value.hint is not None
    assert "--index-url" in caught.value.hint
    assert "OMNIWHEEL_INDEX_URL" in caught.value.hint


# --- pip's configuration files -------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"a": "[global]\nindex-url = https://a/\n", "b": "[global]\nindex-url = https://b/\n"},
            ("https://b/", "b"),
            id="later-file-wins",
        ),
        pytest.param(
            {"a": "[global]\nindex-url = https://a/\n[install]\nindex-url = https://ai/\n"},
            ("https://ai/", "a"),
            id="install-over-global",
        ),
        pytest.param(
            {
                "a": "[install]\nindex-url = https://ai/\n",
                "b": "[global]\nindex-url = https://b/\n",
            },
            ("https://ai/", "a"),
            id="install-in-earlier-file-beats-later-global",
        ),
        pytest.param(
            {"a": "[global]\nindex_url = https://underscore/\n"},
            ("https://underscore/", "a"),
            id="underscore-key",
        ),
        pytest.param(
            {"a": "[global]\nindex-url = https://a/\n", "b": "[global]\nindex-url =\n"},
            ("https://a/", "a"),
            id="empty-value-ignored",
        ),
        pytest.param(
            {"a": "[freeze]\nindex-url = https://other-command/\n"},
            None,
            id="other-sections-ignored",
        ),
    ],
)
def test_pip_config_merging(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    expected: tuple[str, str] | None,
) -> None:
    monkeypatch.setitem(sys.modules, "pip._internal.models.index", None)
    paths = [conf(tmp_path, name, text) for name, text in files.items()]
    missing = tmp_path / "does-not-exist.conf"
    if expected is None:
        with pytest.raises(IndexDiscoveryError):
            discover(tmp_path, files=[missing, *paths])
        return
    location = discover(tmp_path, files=[missing, *paths])
    assert (location.url, location.source) == (expected[0], f"pip config {tmp_path / expected[1]}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(f"index-url = https://u:{SECRET}@h/\n", "line 1: a setting before any"),
        pytest.param(f"[global]\nindex-url {SECRET}\n", "cannot parse line 2"),
        pytest.param(
            f"[global]\nindex-url = https://u:{SECRET}@h/\nindex-url = x\n",
            "line 3: 'index-url' set twice in [global]",
        ),
        pytest.param("[global]\n[global]\n", "line 2: section [global] appears twice"),
    ],
)
def test_broken_pip_config_is_an_error_without_secrets(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = conf(tmp_path, "pip.conf", text)
    with pytest.raises(IndexDiscoveryError) as caught:
        discover(tmp_path, cli_url=MIRROR, files=[path])
    error = caught.value
    assert fragment in error.message
    assert str(path) in error.message
    assert SECRET not in str(error)
    assert error.hint is not None
    assert os.devnull in error.hint


def test_pip_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pip.conf"
    path.write_bytes(b"[global]\nindex-url = https://caf\xe9/\n")
    with pytest.raises(IndexDiscoveryError, match="not UTF-8"):
        discover(tmp_path, files=[path])


def test_pip_env_overrides_pip_config(tmp_path: Path) -> None:
    path = conf(tmp_path, "pip.conf", "[install]\nindex-url = https://conf/\n")
    location = discover(tmp_path, environ={"PIP_INDEX_URL": "https://env/"}, files=[path])
    assert (location.url, location.source) == ("https://env/", "PIP_INDEX_URL")


# --- which files pip reads -----------------------------------------------------------------


def test_pip_config_files_linux_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = pip_config_files({}, home, platform="linux", prefix=Path("/venv"))
    assert files == [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        home / ".config" / "pip" / "pip.conf",
        Path("/venv/pip.conf"),
    ]


def test_pip_config_files_honour_xdg(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {
        "XDG_CONFIG_DIRS": os.pathsep.join(["/opt/xdg1", "/opt/xdg2"]),
        "XDG_CONFIG_HOME": "/cfg",
    }
    files = pip_config_files(environ, home, platform="linux", prefix=Path("/venv"))
    assert files == [
        Path("/opt/xdg1/pip/pip.conf"),
        Path("/opt/xdg2/pip/pip.conf"),
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        Path("/cfg/pip/pip.conf"),
        Path("/venv/pip.conf"),
    ]


def test_pip_config_file_devnull_means_none(tmp_path: Path) -> None:
    assert pip_config_files({"PIP_CONFIG_FILE": os.devnull}, tmp_path) == []


def test_existing_pip_config_file_replaces_user_files(tmp_path: Path) -> None:
    chosen = conf(tmp_path, "chosen.conf", "[global]\n")
    environ = {"PIP_CONFIG_FILE": str(chosen)}
    files = pip_config_files(environ, tmp_path / "home", platform="linux", prefix=Path("/venv"))
    assert files == [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        Path("/venv/pip.conf"),
        chosen,
    ]


def test_missing_pip_config_file_keeps_user_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {"PIP_CONFIG_FILE": str(tmp_path / "absent.conf")}
    files = pip_config_files(environ, home, platform="linux", prefix=Path("/venv"))
    assert home / ".config" / "pip" / "pip.conf" in files
    assert files[-1] == tmp_path / "absent.conf"


def test_pip_config_files_macos(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = pip_config_files({}, home, platform="darwin", prefix=Path("/venv"))
    assert files == [
        Path("/Library/Application Support/pip/pip.conf"),
        home / ".pip" / "pip.conf",
        home / ".config" / "pip" / "pip.conf",
        Path("/venv/pip.conf"),
    ]
    (home / "Library" / "Application Support" / "pip").mkdir(parents=True)
    files = pip_config_files({}, home, platform="darwin", prefix=Path("/venv"))
    assert files[2] == home / "Library" / "Application Support" / "pip" / "pip.conf"


def test_pip_config_files_windows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {"ProgramData": "/pd", "APPDATA": "/appdata"}
    files = pip_config_files(environ, home, platform="win32", prefix=Path("/venv"))
    assert files == [
        Path("/pd/pip/pip.ini"),
        home / "pip" / "pip.ini",
        Path("/appdata/pip/pip.ini"),
        Path("/venv/pip.ini"),
    ]


# --- URL shape -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "url"),
    [
        pytest.param("https://mirror.example/simple", MIRROR, id="slash-added"),
        pytest.param(MIRROR, MIRROR, id="slash-kept"),
        pytest.param("  https://mirror.example/simple \n", MIRROR, id="spaces-stripped"),
        pytest.param("http://localhost:8080", "http://localhost:8080/", id="bare-host"),
        pytest.param("HTTPS://mirror.example/simple", "HTTPS://mirror.example/simple/", id="case"),
        pytest.param("https://h/simple?x=1", "https://h/simple/?x=1", id="query-kept"),
    ],
)
def test_url_normalised(tmp_path: Path, given: str, url: str) -> None:
    assert discover(tmp_path, cli_url=given).url == url


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(f"file:///u:{SECRET}@/wheels", id="file"),
        pytest.param(f"ftp://u:{SECRET}@mirror.example/simple", id="ftp"),
        pytest.param(f"u:{SECRET}@mirror.example/simple", id="no-scheme"),
        pytest.param(f"https://u:{SECRET}@", id="no-host"),
        pytest.param(f"https://u:{SECRET}@[::1/simple", id="unparseable"),
        pytest.param(f"https://u:{SECRET}@h:port/simple", id="bad-port"),
        pytest.param("", id="empty"),
    ],
)
def test_non_http_url_refused_with_source_and_no_secret(tmp_path: Path, given: str) -> None:
    with pytest.raises(IndexDiscoveryError) as caught:
        discover(
            tmp_path,
            environ={"OMNIWHEEL_INDEX_URL": given} if given else {},
            cli_url=None if given else "",
        )
    error = caught.value
    assert "is not an http(s) URL" in error.message
    assert error.source in {"OMNIWHEEL_INDEX_URL", "--index-url"}
    assert f"(from {error.source})" in error.message
    assert SECRET not in str(error)
    assert SECRET not in (error.hint or "")


# --- TLS -----------------------------------------------------------------------------------


def test_cert_precedence(tmp_path: Path) -> None:
    ssl_file = conf(tmp_path, "ssl.pem", "")
    pip_cert = conf(tmp_path, "pip.pem", "")
    conf_cert = conf(tmp_path, "conf.pem", "")
    pip_conf = conf(tmp_path, "pip.conf", f"[global]\ncert = {conf_cert}\n")
    environ = {"SSL_CERT_FILE": str(ssl_file), "PIP_CERT": str(pip_cert)}
    assert discover(tmp_path, cli_url=MIRROR, environ=environ, files=[pip_conf]).cert == ssl_file
    del environ["SSL_CERT_FILE"]
    assert discover(tmp_path, cli_url=MIRROR, environ=environ, files=[pip_conf]).cert == pip_cert
    assert discover(tmp_path, cli_url=MIRROR, files=[pip_conf]).cert == conf_cert
    assert discover(tmp_path, cli_url=MIRROR).cert is None


def test_cert_expands_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bundle = conf(home, "ca.pem", "")
    pip_conf = conf(tmp_path, "pip.conf", "[global]\ncert = ~/ca.pem\n")
    location = discover(tmp_path, cli_url=MIRROR, files=[pip_conf])
    assert location.cert == bundle


def test_missing_cert_names_file_and_source(tmp_path: Path) -> None:
    environ = {"PIP_CERT": str(tmp_path / "absent.pem")}
    with pytest.raises(IndexDiscoveryError) as caught:
        discover(tmp_path, cli_url=MIRROR, environ=environ)
    assert str(tmp_path / "absent.pem") in caught.value.message
    assert "(from PIP_CERT)" in caught.value.message
    assert caught.value.source == "PIP_CERT"


# --- notes about pip settings omniwheel leaves out -----------------------------------------


def test_ignored_pip_settings_become_one_note_each(tmp_path: Path) -> None:
    pip_conf = conf(
        tmp_path,
        "pip.conf",
        "[global]\nfind-links = /opt/wheels\nextra-index-url = https://conf-extra/simple\n"
        "no-index = true\n[install]\nconstraint = /etc/constraints.txt\n",
    )
    environ = {"PIP_EXTRA_INDEX_URL": "https://env-extra/simple https://second/simple"}
    notes = discover(tmp_path, cli_url=MIRROR, environ=environ, files=[pip_conf]).notes
    assert notes == (
        "ignoring pip's extra-index-url (https://env-extra/simple https://second/simple,"
        " from PIP_EXTRA_INDEX_URL): pip may take any project from any of its indexes; name"
        " each further index with `--index NAME=URL` or [[tool.omniwheel.index]] (asked in"
        " order, first match wins)",
        f"ignoring pip's find-links (/opt/wheels, from pip config {pip_conf}): give"
        " omniwheel's own: [tool.omniwheel] find-links or OMNIWHEEL_FIND_LINKS (asked after"
        " the named indexes, before the default one)",
        "ignoring pip's constraint (/etc/constraints.txt, from pip config"
        f" {pip_conf}): omniwheel locks what pyproject.toml asks for, without pip's constraints",
        f"ignoring pip's no-index (from pip config {pip_conf}): omniwheel's own is"
        " [tool.omniwheel] no-index or OMNIWHEEL_NO_INDEX",
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({"PIP_FIND_LINKS": "/opt/wheels"}, "find-links (/opt/wheels", id="find-links"),
        pytest.param({"PIP_CONSTRAINT": "c.txt"}, "constraint (c.txt", id="constraint"),
        pytest.param({"PIP_NO_INDEX": "1"}, "no-index (from PIP_NO_INDEX)", id="no-index"),
        pytest.param({"PIP_NO_INDEX": "false"}, None, id="no-index-false"),
        pytest.param({}, None, id="nothing"),
    ],
)
def test_each_env_form_noted(tmp_path: Path, environ: dict[str, str], expected: str | None) -> None:
    notes = discover(tmp_path, cli_url=MIRROR, environ=environ).notes
    if expected is None:
        assert notes == ()
    else:
        assert len(notes) == 1
        assert expected in notes[0]


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "public"),
    [
        pytest.param(f"https://user:{SECRET}@mirror.example/simple/", MIRROR, id="user-password"),
        pytest.param(f"https://{SECRET}@mirror.example/simple/", MIRROR, id="token-only"),
        pytest.param(
            f"https://u:{SECRET}@mirror.example:8443/simple/",
            "https://mirror.example:8443/simple/",
            id="port",
        ),
        pytest.param(f"https://u:p%40{SECRET}@h/x@y", "https://h/x@y", id="at-in-path"),
        pytest.param(f"u:{SECRET}@h/simple", "h/simple", id="no-scheme"),
        pytest.param(MIRROR, MIRROR, id="none"),
        pytest.param("", "", id="empty"),
    ],
)
def test_strip_credentials(url: str, public: str) -> None:
    assert strip_credentials(url) == public


def test_credentials_kept_for_client_but_never_shown(tmp_path: Path) -> None:
    secret_url = f"https://user:{SECRET}@mirror.example/simple"
    pip_conf = conf(
        tmp_path,
        "pip.conf",
        f"[global]\nextra-index-url = https://other:{SECRET}@extra.example/simple\n"
        f"find-links = https://{SECRET}@links.example/\n",
    )
    location = discover(tmp_path, cli_url=secret_url, files=[pip_conf])
    assert location.url == f"{secret_url}/"
    assert location.public_url == MIRROR
    assert len(location.notes) == 2
    for note in location.notes:
        assert SECRET not in note
    assert "https://extra.example/simple" in location.notes[0]
    assert SECRET not in location.source
