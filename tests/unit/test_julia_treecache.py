"""The tree-hash cache: by wheel sha256, forever, recomputed only when an entry is unusable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from omniwheel.julia import ArtifactError
from omniwheel.julia import treecache as treecache_module
from omniwheel.julia.tree import git_tree_sha1_of_wheel
from omniwheel.julia.treecache import TREES_DIR, TreeHashCache
from tests.support.wheelbuilder import build_wheel


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return build_wheel(tmp_path / "wheels", "demo", "1.0", files={"demo/x.py": b"X = 1\n"})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_hash_is_computed_once_then_read_back(
    tmp_path: Path, wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TreeHashCache.in_cache(tmp_path / "cache")
    sha256 = _sha256(wheel)
    expected = git_tree_sha1_of_wheel(wheel)
    assert cache.get(sha256) is None
    assert cache.tree_sha1(sha256, wheel, filename=wheel.name) == expected
    entry = tmp_path / "cache" / TREES_DIR / sha256[:2] / sha256
    assert entry.read_text() == f"{expected}\n"

    def must_not_run(*args: object, **kwargs: object) -> str:
        raise AssertionError("the cached hash should have been used")

    monkeypatch.setattr(treecache_module, "git_tree_sha1_of_wheel", must_not_run)
    assert cache.tree_sha1(sha256, wheel, filename=wheel.name) == expected


def test_an_unusable_entry_is_recomputed(tmp_path: Path, wheel: Path) -> None:
    cache = TreeHashCache.in_cache(tmp_path)
    sha256 = _sha256(wheel)
    entry = tmp_path / TREES_DIR / sha256[:2] / sha256
    entry.parent.mkdir(parents=True)
    entry.write_text("garbage\n")
    assert cache.get(sha256) is None
    assert cache.tree_sha1(sha256, wheel, filename=wheel.name) == git_tree_sha1_of_wheel(wheel)
    assert cache.get(sha256) == git_tree_sha1_of_wheel(wheel)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "ab" * 31])
def test_only_sha256_digests_become_paths(tmp_path: Path, bad: str) -> None:
    cache = TreeHashCache.in_cache(tmp_path)
    with pytest.raises(ArtifactError, match="is not a sha256 hex digest"):
        cache.get(bad)


def test_only_tree_hashes_are_stored(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="is not a git-tree-sha1"):
        TreeHashCache.in_cache(tmp_path).put("a" * 64, "not-a-hash")
