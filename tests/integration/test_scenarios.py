"""Declarative ``omniwheel lock`` scenarios: a synthetic index, a project, and what must happen.

Each ``tests/scenarios/<name>.toml`` holds::

    description = "what the scenario shows"
    args = ["--platform", "linux-x86_64@3.12"]   # extra `omniwheel lock` arguments

    [project]                                    # written as pyproject.toml
    [dependency-groups]                          # optional, written beside [project]
    [tool.omniwheel]                             # optional, written beside [project]
    [[index.packages]]                           # see tests/support/scenario_index.py
    [index]
    hide-requires-python = ["a==2.0"]            # optional: these releases' pages list no
                                                 # Requires-Python (their metadata still does)

    [expect]
    exit-code = 0                                # default 0
    stderr-contains = ["…"]                      # substrings, in any order
    stderr-excludes = ["…"]
    stdout-contains = ["…"]
    targets = ["linux-x86_64-glibc2.28@3.12"]    # the lock's targets, in order
    versions = { a = ["1.0"] }                   # every version of a package in the lock
    markers = { c = "sys_platform == \"win32\"" }  # "" for no marker; key `name==version`
                                                 # when a package has several entries
    wheels = { a = ["a-1.0-py3-none-any.whl"] }  # filenames listed for a package (all versions)

    [[expect.select]]                            # what packaging's Pylock.select (pip's and
    target = "linux-x86_64@3.12"                 # any PEP 751 installer's choice) installs
    extras = ["web"]                             # optional; default none
    groups = ["dev"]                             # optional; default: the lock's default-groups
    packages = ["a 1.0", "b 2.0"]                # exactly these, sorted by name

    [[expect.requests]]                          # counts in the server's request log (first run)
    path = "/files/*.whl"                        # fnmatch glob on the path
    range = false                                # optional: only with (true) / without a Range
    count = 0                                    # exact; or `min = 1`

A successful scenario also compares the lock with the snapshot ``<name>.pylock.toml`` (the server
URL written as ``{index}``), checks that locking again (warm cache, no lock on disk) gives the
same bytes and that ``lock --check`` then passes, and checks that on every target at most one
entry per package applies with every extra and group selected.
``OMNIWHEEL_UPDATE_SNAPSHOTS=1`` rewrites snapshots instead.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import pytest
from packaging.markers import Environment, Marker
from packaging.pylock import Pylock
from packaging.utils import canonicalize_name
from packaging.version import Version

from omniwheel.platform.target import target_from_name
from tests.support.index_server import DEFAULT_UPLOAD_TIME, IndexServer, MetadataMode
from tests.support.lock_runner import LockRun, redact_index, run_lock, write_project
from tests.support.scenario_index import populate_index
from tests.support.wheelbuilder import distribution_name

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SNAPSHOT_SUFFIX = ".pylock.toml"
UPDATE_SNAPSHOTS = os.environ.get("OMNIWHEEL_UPDATE_SNAPSHOTS") == "1"

_TOP_KEYS = frozenset(
    {"description", "args", "project", "dependency-groups", "tool", "index", "expect"}
)
_INDEX_KEYS = frozenset({"packages", "hide-requires-python"})
_EXPECT_KEYS = frozenset(
    {
        "exit-code",
        "stderr-contains",
        "stderr-excludes",
        "stdout-contains",
        "targets",
        "versions",
        "markers",
        "wheels",
        "requests",
        "select",
    }
)
_SELECT_KEYS = frozenset({"target", "extras", "groups", "packages"})
_REQUEST_KEYS = frozenset({"path", "range", "count", "min"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCount:
    """How many requests of the first run matched a path glob (and Range presence)."""

    path: str
    range: bool | None
    count: int | None
    min: int | None

    def check(self, server: IndexServer) -> None:
        found = sum(
            1
            for request in server.requests
            if fnmatchcase(urlsplit(request.path).path, self.path)
            and (self.range is None or ("range" in request.headers) == self.range)
        )
        label = f"requests for {self.path}" + ("" if self.range is None else f" range={self.range}")
        if self.count is not None:
            assert found == self.count, f"{label}: {found}, expected {self.count}"
        if self.min is not None:
            assert found >= self.min, f"{label}: {found}, expected at least {self.min}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectCheck:
    """What ``Pylock.select`` must install on a target for a choice of extras and groups."""

    target: str
    extras: tuple[str, ...]
    groups: tuple[str, ...] | None
    packages: tuple[str, ...]

    def check(self, lock: Mapping[str, Any]) -> None:
        target = target_from_name(self.target)
        pylock = Pylock.from_dict(lock)
        chosen = sorted(
            f"{package.name} {package.version}"
            for package, _ in pylock.select(
                environment=cast(Environment, target.marker_environment()),
                tags=target.tags,
                extras=self.extras,
                dependency_groups=self.groups,
            )
        )
        assert tuple(chosen) == self.packages, (
            f"{self.target} extras={self.extras} groups={self.groups}: {chosen}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    exit_code: int = 0
    stderr_contains: tuple[str, ...] = ()
    stderr_excludes: tuple[str, ...] = ()
    stdout_contains: tuple[str, ...] = ()
    targets: tuple[str, ...] | None = None
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    markers: Mapping[str, str] = field(default_factory=dict)
    wheels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requests: tuple[RequestCount, ...] = ()
    select: tuple[SelectCheck, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    name: str
    description: str
    args: tuple[str, ...]
    project: Mapping[str, Any]
    tool: Mapping[str, Any] | None
    groups: Mapping[str, Any] | None
    packages: Sequence[Mapping[str, Any]]
    hide_requires_python: tuple[str, ...]
    expect: Expectation

    @property
    def snapshot(self) -> Path:
        return SCENARIOS / f"{self.name}{SNAPSHOT_SUFFIX}"


# -- loading ---------------------------------------------------------------------------------


def scenario_files() -> list[Path]:
    return sorted(p for p in SCENARIOS.glob("*.toml") if not p.name.endswith(SNAPSHOT_SUFFIX))


def load_scenario(path: Path) -> Scenario:
    """Read and check one scenario file; unknown keys are errors, so typos cannot hide."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _no_unknown(data, _TOP_KEYS, path.name)
    index = data.get("index", {})
    _no_unknown(index, _INDEX_KEYS, f"{path.name} [index]")
    tool = data.get("tool")
    if tool is not None:
        _no_unknown(tool, frozenset({"omniwheel"}), f"{path.name} [tool]")
    assert isinstance(data.get("description"), str), f"{path.name}: `description` is required"
    assert isinstance(data.get("project"), dict), f"{path.name}: [project] is required"
    return Scenario(
        name=path.name.removesuffix(".toml"),
        description=data["description"],
        args=tuple(data.get("args", ())),
        project=data["project"],
        tool=tool["omniwheel"] if tool is not None else None,
        groups=data.get("dependency-groups"),
        packages=index.get("packages", []),
        hide_requires_python=tuple(index.get("hide-requires-python", ())),
        expect=_expectation(data.get("expect", {}), path.name),
    )


def _expectation(table: Mapping[str, Any], where: str) -> Expectation:
    _no_unknown(table, _EXPECT_KEYS, f"{where} [expect]")
    requests = []
    for entry in table.get("requests", []):
        _no_unknown(entry, _REQUEST_KEYS, f"{where} [[expect.requests]]")
        assert "count" in entry or "min" in entry, f"{where}: a request check needs count or min"
        requests.append(
            RequestCount(
                path=entry["path"],
                range=entry.get("range"),
                count=entry.get("count"),
                min=entry.get("min"),
            )
        )
    selects = []
    for entry in table.get("select", []):
        _no_unknown(entry, _SELECT_KEYS, f"{where} [[expect.select]]")
        groups = entry.get("groups")
        selects.append(
            SelectCheck(
                target=entry["target"],
                extras=tuple(entry.get("extras", ())),
                groups=None if groups is None else tuple(groups),
                packages=tuple(entry["packages"]),
            )
        )
    targets = table.get("targets")
    return Expectation(
        exit_code=table.get("exit-code", 0),
        stderr_contains=tuple(table.get("stderr-contains", ())),
        stderr_excludes=tuple(table.get("stderr-excludes", ())),
        stdout_contains=tuple(table.get("stdout-contains", ())),
        targets=tuple(targets) if targets is not None else None,
        versions={k: tuple(v) for k, v in table.get("versions", {}).items()},
        markers=dict(table.get("markers", {})),
        wheels={k: tuple(v) for k, v in table.get("wheels", {}).items()},
        requests=tuple(requests),
        select=tuple(selects),
    )


def _no_unknown(table: object, known: frozenset[str], where: str) -> None:
    assert isinstance(table, dict), f"{where} must be a table"
    unknown = sorted(set(table) - known)
    assert not unknown, f"{where}: unknown keys {unknown} (known: {sorted(known)})"


# -- the index -------------------------------------------------------------------------------


def publish(scenario: Scenario, server: IndexServer, workdir: Path) -> None:
    populate_index(server, scenario.packages, workdir)
    for release in scenario.hide_requires_python:
        _hide_requires_python(scenario, release, server, workdir)


def _hide_requires_python(
    scenario: Scenario, release: str, server: IndexServer, workdir: Path
) -> None:
    """Republish a release's wheels with an empty Requires-Python on the page."""
    name, _, version = release.partition("==")
    package = next(
        p
        for p in scenario.packages
        if canonicalize_name(p["name"]) == canonicalize_name(name)
        and Version(p["version"]) == Version(version)
    )
    wheels = sorted(workdir.glob(f"{distribution_name(name)}-{Version(version)}-*.whl"))
    assert wheels, f"{scenario.name}: hide-requires-python names {release}, which has no wheels"
    for wheel in wheels:
        server.add_file(
            wheel,
            requires_python="",
            upload_time=_upload_time(package.get("upload-time")),
            yanked=package.get("yanked", False),
            metadata=cast(MetadataMode, package.get("metadata", "advertised")),
        )


def _upload_time(value: object) -> datetime | Literal["omit"]:
    if value is None:
        return DEFAULT_UPLOAD_TIME
    if value == "omit":
        return "omit"
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# -- checks ----------------------------------------------------------------------------------


def check_output(run: LockRun, expect: Expectation) -> None:
    assert run.exit_code == expect.exit_code, run.output
    assert "Traceback" not in run.stderr, run.output
    for text in expect.stderr_contains:
        assert text in run.stderr, f"{text!r} not in stderr\n{run.output}"
    for text in expect.stderr_excludes:
        assert text not in run.stderr, f"{text!r} in stderr\n{run.output}"
    for text in expect.stdout_contains:
        assert text in run.stdout, f"{text!r} not in stdout\n{run.output}"


def check_lock(lock: Mapping[str, Any], expect: Expectation) -> None:
    packages: list[Mapping[str, Any]] = lock["packages"]
    if expect.targets is not None:
        assert tuple(lock["tool"]["omniwheel"]["targets"]) == expect.targets
    for name, versions in expect.versions.items():
        found = sorted((p["version"] for p in packages if p["name"] == name), key=Version)
        assert tuple(found) == versions, f"versions of {name}: {found}"
    for key, marker in expect.markers.items():
        name, _, version = key.partition("==")
        entries = [p for p in packages if p["name"] == name and version in ("", p["version"])]
        assert len(entries) == 1, f"{key}: {len(entries)} lock entries"
        assert entries[0].get("marker", "") == marker, f"marker of {key}"
    for name, filenames in expect.wheels.items():
        found = sorted(
            wheel["url"].rsplit("/", 1)[1]
            for p in packages
            if p["name"] == name
            for wheel in p.get("wheels", [])
        )
        assert tuple(found) == tuple(sorted(filenames)), f"wheels of {name}: {found}"


def check_one_entry_per_target(lock: Mapping[str, Any]) -> None:
    """On each locked target, markers must select at most one entry of every package, with
    every extra and group selected (markers only test membership, so this is the most)."""
    selected: dict[str, str | frozenset[str]] = {
        "extras": frozenset(lock["extras"]),
        "dependency_groups": frozenset([*lock["dependency-groups"], *lock["default-groups"]]),
    }
    for name in lock["tool"]["omniwheel"]["targets"]:
        environment = {**target_from_name(name).marker_environment(), **selected}
        applying = [
            p["name"]
            for p in lock["packages"]
            if "marker" not in p
            or Marker(p["marker"]).evaluate(cast(dict[str, str], environment), context="lock_file")
        ]
        duplicates = sorted({n for n in applying if applying.count(n) > 1})
        assert not duplicates, f"{name}: several entries apply for {duplicates}"


def check_snapshot(scenario: Scenario, text: str) -> None:
    if UPDATE_SNAPSHOTS:
        scenario.snapshot.write_text(text, encoding="utf-8")
        return
    assert scenario.snapshot.is_file(), (
        f"no snapshot {scenario.snapshot.name}; run with OMNIWHEEL_UPDATE_SNAPSHOTS=1 to write it"
    )
    assert text == scenario.snapshot.read_text(encoding="utf-8"), (
        f"{scenario.snapshot.name} differs; rerun with OMNIWHEEL_UPDATE_SNAPSHOTS=1 if intended"
    )


# -- the test --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", scenario_files(), ids=lambda path: path.stem)
def test_scenario(path: Path, tmp_path: Path, index_server: IndexServer) -> None:
    scenario = load_scenario(path)
    publish(scenario, index_server, tmp_path / "wheels")
    project_dir = tmp_path / "project"
    write_project(project_dir, scenario.project, scenario.tool, scenario.groups)
    cache = tmp_path / "cache"

    def lock(*extra: str) -> LockRun:
        args = [*scenario.args, *extra]
        return run_lock(project_dir, args, index_url=index_server.url, cache_dir=cache)

    first = lock()
    check_output(first, scenario.expect)
    for request_count in scenario.expect.requests:
        request_count.check(index_server)
    assert index_server.handler_errors == []
    if scenario.expect.exit_code != 0:
        assert first.lock_text is None, "a failed lock must not write pylock.toml"
        return
    assert first.lock_text is not None, first.output
    text = redact_index(first.lock_text, index_server.base_url)
    lock_data = tomllib.loads(text)
    check_lock(lock_data, scenario.expect)
    check_one_entry_per_target(lock_data)
    for select in scenario.expect.select:
        select.check(lock_data)
    check_snapshot(scenario, text)

    (project_dir / "pylock.toml").unlink()
    second = lock()
    assert second.exit_code == 0, second.output
    assert second.lock_text == first.lock_text, "locking twice gave different files"
    checked = lock("--check")
    assert checked.exit_code == 0, checked.output
    assert "up to date" in checked.stderr, checked.output
