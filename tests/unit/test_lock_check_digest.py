"""The stamp digest of ``sync``/``run``'s lock check covers pip's configuration files too (a
changed ``index-url`` there changes the lock's inputs), and no credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from omniwheel.cli import locking
from omniwheel.cli.locking import IndexOptions


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n', "utf-8")
    (root / "pylock.toml").write_text('lock-version = "1.0"\n', "utf-8")
    for name in ("OMNIWHEEL_INDEX_URL", "OMNIWHEEL_INDEX", "PIP_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    return root


def test_a_changed_pip_config_file_changes_the_digest(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:1/simple/\n", "utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    before = locking._digest(project, IndexOptions())
    assert locking._digest(project, IndexOptions()) == before
    config.write_text("[global]\nindex-url = http://127.0.0.1:2/simple/\n", "utf-8")
    assert locking._digest(project, IndexOptions()) != before


def test_a_user_pip_config_file_appearing_changes_the_digest(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)
    before = locking._digest(project, IndexOptions())
    user = tmp_path / "home" / ".config" / "pip" / "pip.conf"
    user.parent.mkdir(parents=True)
    user.write_text("[global]\nindex-url = http://127.0.0.1:3/simple/\n", "utf-8")
    assert locking._digest(project, IndexOptions()) != before


def test_credentials_are_no_part_of_the_digest(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pip.conf"
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    digests = set()
    for secret in ("one", "two"):
        config.write_text(f"[global]\nindex-url = http://u:{secret}@127.0.0.1/simple/\n", "utf-8")
        monkeypatch.setenv("OMNIWHEEL_INDEX_URL", f"http://u:{secret}@127.0.0.1/simple/")
        options = IndexOptions(index_url=f"http://u:{secret}@127.0.0.1/simple/")
        digests.add(locking._digest(project, options))
    assert len(digests) == 1
