"""Remembered selections: keyed by everything selecting depends on and nothing else, and an
entry that cannot be read is a miss, never a wrong answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from omniwheel.env.plan import SelectedWheel, Selection
from omniwheel.env.selection_memo import MEMO_VERSION, SelectionMemo
from omniwheel.platform.probe import ProbeFacts
from omniwheel.store.store import WheelSource

LOCK = Path("/project/pylock.toml")
SHA = "a" * 64


def _facts(venv: str = "/venv", **changes: Any) -> ProbeFacts:
    data: dict[str, Any] = {
        "executable": f"{venv}/bin/python",
        "version": [3, 12, 4],
        "implementation": "cpython",
        "free_threaded": False,
        "pointer_bits": 64,
        "glibc": "2.36",
        "mac_version": "",
        "paths": {"purelib": f"{venv}/lib/python3.12/site-packages"},
        "markers": {"sys_platform": "linux", "platform_machine": "x86_64"},
    }
    data.update(changes)
    return ProbeFacts.from_data(Path(f"{venv}/bin/python"), data)


def _selection() -> Selection:
    wheels = (
        SelectedWheel(
            name=canonicalize_name("App"),
            version="1.0",
            requested=True,
            source=WheelSource(
                name="app",
                version="1.0",
                filename="app-1.0-py3-none-any.whl",
                sha256="b" * 64,
                size=123,
                url="https://files.example.invalid/app-1.0-py3-none-any.whl",
            ),
        ),
        SelectedWheel(
            name=canonicalize_name("lib"),
            version="2.0",
            requested=False,
            source=WheelSource(
                name="lib",
                version="2.0",
                filename="lib-2.0-py3-none-any.whl",
                sha256="c" * 64,
                path=Path("/wheels/lib-2.0-py3-none-any.whl"),
            ),
        ),
    )
    return Selection(wheels=wheels, warnings=("this machine is none of the lock's targets",))


def _key(memo: SelectionMemo, facts: ProbeFacts, sha: str = SHA, lock: Path = LOCK) -> str:
    return memo.key(lock_sha256=sha, lock_path=lock, facts=facts)


def test_a_remembered_selection_comes_back_as_it_was(tmp_path: Path) -> None:
    memo = SelectionMemo.in_cache(tmp_path)
    key = _key(memo, _facts())
    assert memo.get(key) is None
    memo.put(key, _selection())
    assert memo.get(key) == _selection()
    assert (tmp_path / "selections-v1" / f"{key}.json").is_file()


def test_the_key_ignores_the_venv_and_follows_everything_else(tmp_path: Path) -> None:
    memo = SelectionMemo.in_cache(tmp_path)
    key = _key(memo, _facts())
    assert _key(memo, _facts(venv="/elsewhere/.venv")) == key
    others = {
        _key(memo, _facts(version=[3, 12, 5])),
        _key(memo, _facts(glibc="2.17")),
        _key(memo, _facts(markers={"sys_platform": "linux", "platform_machine": "aarch64"})),
        _key(memo, _facts(), sha="d" * 64),
        _key(memo, _facts(), lock=Path("/other/pylock.toml")),
    }
    assert key not in others
    assert len(others) == 5


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[]",
        json.dumps({"version": MEMO_VERSION + 1, "wheels": [], "warnings": []}).encode(),
        json.dumps({"version": MEMO_VERSION, "wheels": [{"name": "app"}], "warnings": []}).encode(),
        json.dumps({"version": MEMO_VERSION, "wheels": [], "warnings": [1]}).encode(),
    ],
    ids=["empty", "not-json", "a-list", "other-version", "short-wheel", "bad-warning"],
)
def test_an_entry_that_cannot_be_used_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    memo = SelectionMemo.in_cache(tmp_path)
    key = _key(memo, _facts())
    memo.put(key, _selection())
    (tmp_path / "selections-v1" / f"{key}.json").write_bytes(damage)
    assert memo.get(key) is None


def test_a_wheel_entry_with_a_wrong_type_is_a_miss(tmp_path: Path) -> None:
    memo = SelectionMemo.in_cache(tmp_path)
    key = _key(memo, _facts())
    memo.put(key, _selection())
    entry = tmp_path / "selections-v1" / f"{key}.json"
    data = json.loads(entry.read_bytes())
    for field, wrong in (("requested", "yes"), ("size", "123"), ("url", 5), ("sha256", None)):
        changed = json.loads(json.dumps(data))
        changed["wheels"][0][field] = wrong
        entry.write_text(json.dumps(changed))
        assert memo.get(key) is None, field


def test_a_cache_that_is_a_file_just_never_remembers(tmp_path: Path) -> None:
    (tmp_path / "selections-v1").write_bytes(b"")  # cannot be written into, even by root
    memo = SelectionMemo.in_cache(tmp_path)
    key = _key(memo, _facts())
    memo.put(key, _selection())
    assert memo.get(key) is None
