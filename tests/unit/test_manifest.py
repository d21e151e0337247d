"""Store tree manifests: derived once from the tree, read back from the cache, derived again
when the cache is damaged, of another version or cannot be written; pruned with their entry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from omniwheel.store.manifest import MANIFEST_VERSION, derive_manifest, load_manifest
from omniwheel.store.store import (
    MANIFESTS_DIR,
    STORE_DIR,
    Store,
    StoreError,
    WheelSource,
    remove_tree,
)
from omniwheel.store.unpack import unpack_wheel
from omniwheel.store.usage import prune
from tests.support.wheelbuilder import build_wheel

FILES = {
    "demo/__init__.py": b"",
    "demo/sub/mod.py": b"x = 1\n",
    "demo-1.0.data/scripts/tool": b"#!python\n",
    "demo-1.0.data/headers/demo.h": b"int x;\n",
}
ENTRY_POINTS = "[console_scripts]\ndemo = demo:main\n"


def _tree(tmp_path: Path) -> tuple[Path, WheelSource]:
    wheel = build_wheel(tmp_path / "wheels", "demo", "1.0", files=FILES, entry_points=ENTRY_POINTS)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    store = Store.in_cache(tmp_path / "cache")
    tree = store.tree(sha256)
    tree.parent.mkdir(parents=True)
    unpack_wheel(wheel, tree, filename=wheel.name)
    source = WheelSource(name="demo", version="1.0", filename=wheel.name, sha256=sha256)
    return tree, source


def test_a_manifest_lists_what_installing_needs(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path)
    manifest = derive_manifest(tree, label="demo 1.0")
    assert manifest.dist_info == "demo-1.0.dist-info"
    assert manifest.root_is_purelib is True
    assert manifest.entry_points == ENTRY_POINTS
    paths = [path for path, _, _ in manifest.files]
    dist_info = ["METADATA", "WHEEL", "entry_points.txt"]
    assert sorted(paths) == sorted([*FILES, *(f"demo-1.0.dist-info/{name}" for name in dist_info)])
    assert all(hash_field.startswith("sha256=") for _, hash_field, _ in manifest.files)
    assert manifest.directories == [
        "demo",
        "demo-1.0.data/headers",
        "demo-1.0.data/scripts",
        "demo-1.0.dist-info",
        "demo/sub",
    ]


def test_the_store_caches_it_and_reads_it_back(tmp_path: Path) -> None:
    _, source = _tree(tmp_path)
    store = Store.in_cache(tmp_path / "cache")
    first = store.manifest(source)
    cached = store.manifest_file(source.sha256)
    assert cached == tmp_path / "cache" / STORE_DIR / MANIFESTS_DIR / f"{source.sha256}.json"
    assert json.loads(cached.read_bytes())["version"] == MANIFEST_VERSION
    assert store.manifest(source) == first


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[]", b'{"version": 1}', b'{"version": 999, "files": []}', b"\xff\xfe"],
)
def test_a_damaged_or_foreign_manifest_is_derived_again(tmp_path: Path, content: bytes) -> None:
    tree, _ = _tree(tmp_path)
    cached = tmp_path / "manifest.json"
    cached.write_bytes(content)
    manifest = load_manifest(tree, cached, label="demo 1.0")
    assert manifest == derive_manifest(tree, label="demo 1.0")
    assert json.loads(cached.read_bytes())["version"] == MANIFEST_VERSION


def test_a_manifest_that_cannot_be_written_is_derived_each_time(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path)
    (tmp_path / "not-a-directory").write_bytes(b"")
    cached = tmp_path / "not-a-directory" / "manifest.json"
    assert load_manifest(tree, cached, label="demo 1.0").dist_info == "demo-1.0.dist-info"
    assert not cached.exists()


def test_a_tree_without_dist_info_is_named_as_damaged(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    with pytest.raises(StoreError, match=r"demo 1\.0: its store tree .* is damaged"):
        load_manifest(tmp_path / "tree", tmp_path / "manifest.json", label="demo 1.0")


def test_a_tree_that_lost_its_dist_info_since_is_damaged_despite_its_manifest(
    tmp_path: Path,
) -> None:
    tree, source = _tree(tmp_path)
    store = Store.in_cache(tmp_path / "cache")
    store.manifest(source)
    remove_tree(tree / "demo-1.0.dist-info")
    with pytest.raises(StoreError, match="is damaged"):
        store.manifest(source)


def test_prune_removes_manifests_with_their_entries_and_unfinished_writes(tmp_path: Path) -> None:
    _, source = _tree(tmp_path)
    store = Store.in_cache(tmp_path / "cache")
    store.manifest(source)
    manifests = store.root / MANIFESTS_DIR
    (manifests / f".{source.sha256}.json.abcd.tmp").write_bytes(b"{")
    result = prune(tmp_path / "cache")  # no environment records it: everything goes
    assert (result.removed, result.leftovers) == (1, 1)
    assert list(manifests.iterdir()) == []
    assert not store.has_tree(source.sha256)
