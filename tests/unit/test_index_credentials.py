"""Where an index's credentials come from, and to which origins they may be sent.

Netrc files are real files under ``tmp_path``; the keyring is a real executable ``keyring``
script put first on ``PATH``, which logs its arguments and knows one password.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from omniwheel.index.credentials import (
    DEFAULT_INDEX_NAME,
    CredentialError,
    CredentialSettings,
    IndexCredentials,
    credential_settings,
    environment_prefix,
    origin_of,
    split_userinfo,
)
from omniwheel.index.discovery import discover_index

SECRET = "s3cr3t-t0ken"
INDEX = "https://pkgs.example.com/simple/"


def netrc_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "netrc"
    path.write_text(text, encoding="utf-8")
    return path


def settings(
    tmp_path: Path, environ: dict[str, str] | None = None, *, name: str = DEFAULT_INDEX_NAME
) -> CredentialSettings:
    return credential_settings(name=name, environ=environ or {}, home=tmp_path / "home")


def sent(credentials: IndexCredentials, url: str) -> tuple[str, str, str] | None:
    found = credentials.for_url(url)
    return None if found is None else (found.username, found.password, found.source)


# -- names and URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("default", "OMNIWHEEL_INDEX_DEFAULT_"),
        ("pytorch-cpu", "OMNIWHEEL_INDEX_PYTORCH_CPU_"),
        ("corp.internal", "OMNIWHEEL_INDEX_CORP_INTERNAL_"),
    ],
)
def test_environment_variables_are_named_after_the_index(name: str, prefix: str) -> None:
    assert environment_prefix(name) == prefix


def test_discovery_names_the_index_default_and_reads_its_variables(tmp_path: Path) -> None:
    environ = {
        "OMNIWHEEL_INDEX_URL": INDEX,
        "OMNIWHEEL_INDEX_DEFAULT_USERNAME": "reader",
        "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": SECRET,
    }
    location = discover_index(
        cli_url=None, tool_url=None, environ=environ, home=tmp_path, config_files=[]
    )
    assert location.credentials.name == "default"
    assert location.credentials.environ_username == "reader"
    assert SECRET not in repr(location.credentials)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Host.Example/simple/", "https://host.example"),
        ("https://host.example:443/x", "https://host.example"),
        ("http://host.example:8080/x", "http://host.example:8080"),
        ("http://u:p@[::1]:9/simple/", "http://[::1]:9"),
    ],
)
def test_origin_is_scheme_host_and_port(url: str, origin: str) -> None:
    assert str(origin_of(url)) == origin


def test_split_userinfo_returns_the_url_without_it() -> None:
    url, found = split_userinfo(f"https://reader:{SECRET}@host.example/f.whl?x=1")
    assert url == "https://host.example/f.whl?x=1"
    assert found is not None
    assert (found.username, found.password) == ("reader", SECRET)
    assert SECRET not in repr(found)
    assert split_userinfo("https://host.example/f.whl") == ("https://host.example/f.whl", None)


# -- order of the sources ----------------------------------------------------------------


def test_the_url_wins_over_environment_and_netrc(tmp_path: Path) -> None:
    netrc = netrc_file(tmp_path, "machine pkgs.example.com login n password from-netrc\n")
    environ = {"OMNIWHEEL_INDEX_DEFAULT_PASSWORD": "from-env", "NETRC": str(netrc)}
    credentials = IndexCredentials(
        f"https://u:{SECRET}@pkgs.example.com/simple/", settings(tmp_path, environ)
    )
    assert sent(credentials, INDEX + "foo/") == ("u", SECRET, "the index URL")


def test_the_environment_wins_over_netrc(tmp_path: Path) -> None:
    netrc = netrc_file(tmp_path, "machine pkgs.example.com login n password from-netrc\n")
    environ = {
        "OMNIWHEEL_INDEX_DEFAULT_USERNAME": "e",
        "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": SECRET,
        "NETRC": str(netrc),
    }
    credentials = IndexCredentials(INDEX, settings(tmp_path, environ))
    assert sent(credentials, INDEX) == ("e", SECRET, "OMNIWHEEL_INDEX_DEFAULT_PASSWORD")


def test_a_named_index_reads_its_own_variables(tmp_path: Path) -> None:
    environ = {
        "OMNIWHEEL_INDEX_DEFAULT_PASSWORD": "not-this-one",
        "OMNIWHEEL_INDEX_PYTORCH_CPU_USERNAME": "e",
        "OMNIWHEEL_INDEX_PYTORCH_CPU_PASSWORD": SECRET,
    }
    credentials = IndexCredentials(INDEX, settings(tmp_path, environ, name="pytorch-cpu"))
    assert sent(credentials, INDEX) == ("e", SECRET, "OMNIWHEEL_INDEX_PYTORCH_CPU_PASSWORD")


def test_netrc_gives_the_index_hosts_entry(tmp_path: Path) -> None:
    netrc = netrc_file(
        tmp_path,
        "machine other.example login x password y\n"
        f"machine pkgs.example.com login reader password {SECRET}\n",
    )
    credentials = IndexCredentials(INDEX, settings(tmp_path, {"NETRC": str(netrc)}))
    assert sent(credentials, INDEX) == ("reader", SECRET, f"the netrc file {netrc}")


def test_home_netrc_is_read_without_netrc_variable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(f"machine pkgs.example.com login r password {SECRET}\n")
    credentials = IndexCredentials(
        INDEX, credential_settings(name="default", environ={}, home=home)
    )
    assert sent(credentials, INDEX) == ("r", SECRET, f"the netrc file {home / '.netrc'}")


def test_a_netrc_login_other_than_the_given_username_is_not_used(tmp_path: Path) -> None:
    netrc = netrc_file(tmp_path, f"machine pkgs.example.com login someone password {SECRET}\n")
    environ = {"NETRC": str(netrc), "OMNIWHEEL_INDEX_DEFAULT_USERNAME": "reader"}
    credentials = IndexCredentials(INDEX, settings(tmp_path, environ))
    # The username alone is sent (a token as username), with an empty password.
    assert sent(credentials, INDEX) == ("reader", "", "OMNIWHEEL_INDEX_DEFAULT_USERNAME")


def test_no_source_means_no_credentials(tmp_path: Path) -> None:
    assert IndexCredentials(INDEX, settings(tmp_path)).for_url(INDEX) is None


def test_a_missing_netrc_named_by_the_variable_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-netrc"
    credentials_settings = settings(tmp_path, {"NETRC": str(missing)})
    with pytest.raises(CredentialError, match="from NETRC") as error:
        IndexCredentials(INDEX, credentials_settings)
    assert str(missing) in str(error.value)
    assert error.value.hint is not None
    assert "NETRC" in error.value.hint


def test_a_broken_netrc_is_named_without_quoting_it(tmp_path: Path) -> None:
    netrc = netrc_file(tmp_path, f"machine pkgs.example.com login r password {SECRET}\n{SECRET}x\n")
    with pytest.raises(CredentialError, match=r"cannot be parsed \(line \d+\)") as error:
        IndexCredentials(INDEX, settings(tmp_path, {"NETRC": str(netrc)}))
    assert SECRET not in f"{error.value} {error.value.hint}"


# -- origins -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://pkgs.example.com/simple/foo/",  # another scheme
        "https://pkgs.example.com:8443/simple/foo/",  # another port
        "https://cdn.example.com/files/foo.whl",  # another host
        "https://pkgs.example.com.evil.example/simple/",  # a host that only starts the same
    ],
)
def test_index_credentials_go_to_its_origin_only(tmp_path: Path, url: str) -> None:
    credentials = IndexCredentials(
        f"https://r:{SECRET}@pkgs.example.com/simple/", settings(tmp_path)
    )
    assert credentials.for_url("https://pkgs.example.com/files/foo.whl") is not None
    assert credentials.for_url(url) is None


def test_another_host_gets_its_own_netrc_entry_but_not_the_default(tmp_path: Path) -> None:
    netrc = netrc_file(
        tmp_path,
        f"machine cdn.example.com login c password {SECRET}\ndefault login d password fallback\n",
    )
    credentials = IndexCredentials(INDEX, settings(tmp_path, {"NETRC": str(netrc)}))
    assert sent(credentials, "https://cdn.example.com/f.whl") == (
        "c",
        SECRET,
        f"the netrc file {netrc}",
    )
    assert credentials.for_url("https://elsewhere.example/f.whl") is None
    # The index's own host may use the default entry.
    assert sent(credentials, INDEX) == ("d", "fallback", f"the netrc file {netrc}")


def test_userinfo_learned_from_a_file_url_goes_to_that_origin_only(tmp_path: Path) -> None:
    credentials = IndexCredentials(INDEX, settings(tmp_path))
    stripped = credentials.learn(f"https://t:{SECRET}@cdn.example.com/files/f.whl")
    assert stripped == "https://cdn.example.com/files/f.whl"
    assert sent(credentials, stripped) == ("t", SECRET, "the URL")
    assert credentials.for_url("https://other.example/f.whl") is None


def test_a_file_url_does_not_replace_the_index_credentials(tmp_path: Path) -> None:
    credentials = IndexCredentials(
        f"https://r:{SECRET}@pkgs.example.com/simple/", settings(tmp_path)
    )
    credentials.learn("https://x:other@pkgs.example.com/files/f.whl")
    assert sent(credentials, INDEX) == ("r", SECRET, "the index URL")


def test_secrets_are_every_password_this_run_knows(tmp_path: Path) -> None:
    """What a file URL's query string must not keep (omniwheel.index.url_secrets)."""
    netrc = netrc_file(tmp_path, "machine cdn.example.com login c password cdn-pw\n")
    environ = {"OMNIWHEEL_INDEX_DEFAULT_PASSWORD": SECRET, "NETRC": str(netrc)}
    credentials = IndexCredentials(INDEX, settings(tmp_path, environ))
    credentials.learn("https://u:learned@files.example.org/f.whl")
    assert credentials.secrets(INDEX) == {SECRET, "learned"}
    assert credentials.secrets("https://cdn.example.com/f.whl") == {SECRET, "learned", "cdn-pw"}


def test_a_username_without_a_password_is_a_secret(tmp_path: Path) -> None:
    credentials = IndexCredentials(f"https://{SECRET}@pkgs.example.com/simple/", settings(tmp_path))
    assert credentials.secrets(INDEX) == {SECRET}
    assert IndexCredentials(INDEX, settings(tmp_path)).secrets(INDEX) == frozenset()


# -- the keyring command -----------------------------------------------------------------


@pytest.fixture
def keyring_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``keyring`` on PATH that knows one password: ``pkgs.example.com`` / ``reader``."""
    directory = tmp_path / "bin"
    directory.mkdir()
    log = tmp_path / "keyring.log"
    script = directory / "keyring"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'if [ "$1" = get ] && [ "$2" = pkgs.example.com ] && [ "$3" = reader ]; then\n'
        f"  echo '{SECRET}'\n"
        "  exit 0\n"
        "fi\n"
        "exit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return log


def keyring_settings(tmp_path: Path, environ: dict[str, str]) -> CredentialSettings:
    return credential_settings(
        name="default", environ=environ, home=tmp_path / "home", keyring_provider="subprocess"
    )


def test_keyring_is_asked_once_after_a_refusal_url_then_host(
    tmp_path: Path, keyring_log: Path
) -> None:
    credentials = IndexCredentials(
        "https://reader@pkgs.example.com/simple/", keyring_settings(tmp_path, {})
    )
    assert sent(credentials, INDEX) == ("reader", "", "the index URL")
    assert not keyring_log.exists()  # nothing asked before the index refused
    found = credentials.from_keyring(INDEX + "foo/")
    assert found is not None
    assert (found.username, found.password) == ("reader", SECRET)
    assert sent(credentials, INDEX) == ("reader", SECRET, "the keyring command")
    assert keyring_log.read_text().splitlines() == [
        f"get {INDEX} reader",
        "get pkgs.example.com reader",
    ]
    assert credentials.from_keyring(INDEX) is None  # asked once only
    assert len(keyring_log.read_text().splitlines()) == 2


def test_keyring_is_not_asked_for_another_origin(tmp_path: Path, keyring_log: Path) -> None:
    environ = {"OMNIWHEEL_INDEX_DEFAULT_USERNAME": "reader"}
    credentials = IndexCredentials(INDEX, keyring_settings(tmp_path, environ))
    assert credentials.from_keyring("https://cdn.example.com/f.whl") is None
    assert not keyring_log.exists()


def test_keyring_without_a_username_is_not_asked(tmp_path: Path, keyring_log: Path) -> None:
    credentials = IndexCredentials(INDEX, keyring_settings(tmp_path, {}))
    assert credentials.from_keyring(INDEX) is None
    assert not keyring_log.exists()


def test_keyring_disabled_is_never_asked(tmp_path: Path, keyring_log: Path) -> None:
    environ = {"OMNIWHEEL_INDEX_DEFAULT_USERNAME": "reader"}
    credentials = IndexCredentials(INDEX, settings(tmp_path, environ))
    assert credentials.from_keyring(INDEX) is None
    assert not keyring_log.exists()


def test_the_variable_turns_the_keyring_on_or_is_refused(tmp_path: Path) -> None:
    on = settings(tmp_path, {"OMNIWHEEL_KEYRING_PROVIDER": "subprocess"})
    assert on.keyring_provider == "subprocess"
    with pytest.raises(CredentialError, match="OMNIWHEEL_KEYRING_PROVIDER='import'"):
        settings(tmp_path, {"OMNIWHEEL_KEYRING_PROVIDER": "import"})


def test_a_missing_keyring_command_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    environ = {"OMNIWHEEL_INDEX_DEFAULT_USERNAME": "reader"}
    credentials = IndexCredentials(INDEX, keyring_settings(tmp_path, environ))
    with pytest.raises(CredentialError, match="no `keyring` command is on PATH"):
        credentials.from_keyring(INDEX)


def test_the_hint_names_every_source_and_no_secret(tmp_path: Path) -> None:
    netrc = netrc_file(tmp_path, f"machine pkgs.example.com login r password {SECRET}\n")
    environ = {"NETRC": str(netrc)}
    hint = IndexCredentials(
        f"https://r:{SECRET}@pkgs.example.com/simple/", settings(tmp_path, environ, name="corp")
    ).sources_hint()
    assert SECRET not in hint
    for expected in (
        "`corp` index (https://pkgs.example.com/simple/)",
        "`OMNIWHEEL_INDEX_CORP_USERNAME`",
        "`OMNIWHEEL_INDEX_CORP_PASSWORD`",
        f"`machine pkgs.example.com` entry of the netrc file {netrc}",
        'keyring-provider = "subprocess"',
    ):
        assert expected in hint
