"""``run``/``sync`` keep the lock current (or not: ``--locked``, ``--frozen``), link modes,
bytecode compilation, and ``omniwheel cache dir | clean | prune``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from omniwheel.store.usage import USAGE_DIR, USAGE_FILE, read_usage, shared_lease
from tests.support.sync_space import PYTHON, Workspace
from tests.support.wheelbuilder import build_wheel

PYC = f"cpython-{PYTHON.replace('.', '')}.pyc"


def _locked(space: Workspace) -> dict[str, str]:
    data = tomllib.loads((space.project / "pylock.toml").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in data["packages"]}


# --- keeping the lock current --------------------------------------------------------------


def test_run_relocks_when_pyproject_changed(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    space.write(["alpha"])
    run = space.cli("run", "--", "python", "-c", "pass")
    assert run.exit_code == 0, run.stderr
    assert "updated pylock.toml" in run.stderr
    assert "removed gamma 1.0" in run.stderr
    assert "gamma" not in _locked(space)
    assert space.versions() == {"alpha": "1.0", "beta": "1.0"}


def test_locked_fails_saying_what_changed(space: Workspace) -> None:
    lock = (space.project / "pylock.toml").read_bytes()
    space.write(["alpha"])
    run = space.cli("run", "--locked", "--", "python", "-c", "pass")
    assert run.exit_code == 1
    assert "error: pylock.toml is out of date:" in run.stderr
    assert "  - requirements: ['alpha', 'gamma'] → ['alpha']" in run.stderr
    assert "--frozen uses the lock as it is" in run.stderr
    assert (space.project / "pylock.toml").read_bytes() == lock
    assert not space.venv.exists()


def test_frozen_uses_the_lock_as_it_is(space: Workspace) -> None:
    space.write(["alpha"])
    space.server.clear_requests()
    run = space.cli("sync", "--frozen", "--offline")
    assert run.exit_code == 1  # the store is empty, but no index page was asked for
    assert all(not r.path.startswith("/simple/") for r in space.server.requests)
    run = space.cli("sync", "--frozen")
    assert run.exit_code == 0, run.stderr
    assert "gamma" in space.versions()


def test_an_up_to_date_lock_is_checked_without_the_index(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    space.server.clear_requests()
    for _ in range(2):  # the first checks the inputs, the second only a stamp
        run = space.cli("run", "--locked", "--", "python", "-c", "pass")
        assert run.exit_code == 0, run.stderr
        assert run.stderr == ""
    assert space.server.requests == []


def test_upgrade_package_moves_one_package(space: Workspace, tmp_path: Path) -> None:
    for name in ("beta", "gamma"):
        space.server.add_file(build_wheel(tmp_path / "v2", name, "2.0"))
    assert space.cli("sync").exit_code == 0
    assert _locked(space)["alpha"] == "1.0"  # a plain relock keeps the locked versions
    run = space.cli("sync", "--upgrade-package", "gamma")
    assert run.exit_code == 0, run.stderr
    assert _locked(space) == {"alpha": "1.0", "beta": "1.0", "gamma": "2.0"}
    assert space.versions()["gamma"] == "2.0"
    refused = space.cli("sync", "--locked", "--upgrade")
    assert refused.exit_code == 1
    assert "--upgrade and --upgrade-package relock, which --locked forbids" in refused.stderr


def test_a_dry_run_reports_a_stale_lock_and_writes_nothing(space: Workspace) -> None:
    lock = (space.project / "pylock.toml").read_bytes()
    space.write(["alpha"])
    run = space.cli("sync", "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert "note: pylock.toml is out of date with pyproject.toml (requirements:" in run.stderr
    assert "+ gamma 1.0" in run.stdout
    assert (space.project / "pylock.toml").read_bytes() == lock
    refused = space.cli("sync", "--dry-run", "--upgrade")
    assert refused.exit_code == 1
    assert "which --dry-run does not do" in refused.stderr


def test_locked_and_frozen_exclude_each_other(space: Workspace) -> None:
    run = space.cli("sync", "--locked", "--frozen")
    assert run.exit_code == 2
    assert "not allowed with argument" in run.stderr


# --- link modes and bytecode ---------------------------------------------------------------


def test_symlink_mode_links_into_the_store_and_removal_keeps_the_store(
    space: Workspace,
) -> None:
    run = space.cli("sync", "--link-mode", "symlink")
    assert run.exit_code == 0, run.stderr
    module = space.site_packages() / "gamma" / "__init__.py"
    assert module.is_symlink()
    target = module.resolve()
    assert target.is_relative_to(space.store.resolve())
    assert space.python("import gamma; print(gamma.__version__)") == "1.0\n"
    space.write(["alpha"])
    assert space.cli("sync").exit_code == 0
    assert not module.exists()
    assert not module.is_symlink()
    assert target.is_file()  # the link went, not the store's file


def test_copy_mode_from_the_environment_variable_makes_writable_copies(space: Workspace) -> None:
    run = space.cli("sync", environ={"OMNIWHEEL_LINK_MODE": "copy"})
    assert run.exit_code == 0, run.stderr
    module = space.site_packages() / "alpha" / "__init__.py"
    assert module.stat().st_nlink == 1
    assert module.stat().st_mode & 0o200
    bad = space.cli("sync", environ={"OMNIWHEEL_LINK_MODE": "reflink"})
    assert bad.exit_code == 1
    assert "OMNIWHEEL_LINK_MODE='reflink' is not a link mode" in bad.stderr


def test_compile_bytecode_records_the_pyc_files(space: Workspace) -> None:
    run = space.cli("sync", "--compile-bytecode")
    assert run.exit_code == 0, run.stderr
    compiled = space.site_packages() / "alpha" / "__pycache__" / f"__init__.{PYC}"
    assert compiled.is_file()
    record = (space.site_packages() / "alpha-1.0.dist-info" / "RECORD").read_text()
    assert f"alpha/__pycache__/__init__.{PYC},sha256=" in record
    assert "share/alpha/notes.txt" in record  # data files are recorded, not compiled
    assert "__pycache__" not in str(list((space.venv / "share").rglob("*")))
    space.write(["gamma"])
    assert space.cli("sync").exit_code == 0
    assert not (space.site_packages() / "alpha").exists()


# --- the cache -----------------------------------------------------------------------------


def test_cache_dir_prints_the_cache_root(space: Workspace) -> None:
    run = space.omniwheel("cache", "dir")
    assert run.exit_code == 0
    assert run.stdout == f"{space.cache}\n"


def test_sync_records_usage_and_prune_keeps_what_is_used(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    (records,) = read_usage(space.cache)
    assert records.lock == space.project / "pylock.toml"
    assert records.venv == space.venv
    assert len(records.entries) == 3
    leftover = space.store / "tmp" / "0123456789abcdef-junk.part"
    leftover.write_bytes(b"half a wheel")
    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "Removed 0 store entries (0 B), kept 3 in use" in run.stderr
    assert "Removed 1 leftovers of interrupted syncs" in run.stderr
    assert not leftover.exists()
    assert sorted(p.name for p in (space.store / "trees").iterdir()) == sorted(records.entries)


def test_prune_removes_entries_of_environments_that_are_gone(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    other = space.root / "other-venv"
    space.write(["gamma"])
    assert space.cli("sync", "--venv", str(other)).exit_code == 0
    space.venv.rename(space.root / "moved-away")
    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "Removed 2 store entries" in run.stderr  # alpha and beta; gamma is still used
    assert "Forgot 1 environments whose lock or venv is gone" in run.stderr
    assert len(list((space.store / "trees").iterdir())) == 1
    assert len(list((space.store / "wheels").iterdir())) == 1
    assert [r.venv for r in read_usage(space.cache)] == [other]


def test_prune_keeps_what_the_single_record_file_of_earlier_versions_records(
    space: Workspace,
) -> None:
    """A cache from before one file per environment: its records still keep their entries,
    and prune moves them into files of their own."""
    assert space.cli("sync").exit_code == 0
    (own,) = (space.cache / USAGE_DIR).iterdir()
    (space.cache / USAGE_FILE).write_bytes(own.read_bytes())
    own.unlink()
    (records,) = read_usage(space.cache)
    run = space.omniwheel("cache", "prune")
    assert run.exit_code == 0, run.stderr
    assert "Removed 0 store entries (0 B), kept 3 in use" in run.stderr
    assert not (space.cache / USAGE_FILE).exists()
    assert [path.name for path in (space.cache / USAGE_DIR).iterdir()] == [own.name]
    assert read_usage(space.cache) == [records]


def test_clean_refuses_while_the_cache_is_in_use(space: Workspace) -> None:
    assert space.cli("sync").exit_code == 0
    with shared_lease(space.cache):
        busy = space.omniwheel("cache", "clean")
        pruning = space.omniwheel("cache", "prune")
    assert busy.exit_code == 1
    assert "cannot clean the cache: another omniwheel process" in busy.stderr
    assert "hint: try again when it has finished" in busy.stderr
    assert pruning.exit_code == 1
    assert space.store.is_dir()
    cleaned = space.omniwheel("cache", "clean")
    assert cleaned.exit_code == 0, cleaned.stderr
    assert sorted(p.name for p in space.cache.iterdir()) == [".omniwheel-cache.lock"]
    assert not (space.cache / USAGE_FILE).exists()
    assert space.python("import alpha; print(alpha.CODE)") == "3\n"  # hardlinks survive


@pytest.mark.parametrize("mode", ["hardlink", "copy"])
def test_environments_survive_a_clean(space: Workspace, mode: str) -> None:
    assert space.cli("sync", "--link-mode", mode).exit_code == 0
    assert space.omniwheel("cache", "clean").exit_code == 0
    assert space.python("import beta; print(beta.__version__)") == "1.0\n"
