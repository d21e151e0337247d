"""``omniwheel lock`` on bad input and a misbehaving index, and the lock inputs it records.

Every failure must end as ``error: …`` (plus ``hint: …`` where there is something to do), exit
code 1 and no traceback, and must leave no lock file behind.  Index faults are scripted on the
local test index; retries are made instant so that the suite stays fast.
"""

from __future__ import annotations

import hashlib
import json
import socket
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from omniwheel.cli.main import main
from omniwheel.index import client
from omniwheel.index.models import JSON_CONTENT_TYPE
from tests.support.index_server import IndexServer
from tests.support.lock_runner import LockRun, run_lock, write_project
from tests.support.scenario_index import populate_index
from tests.support.wheelbuilder import build_wheel

LINUX = "linux-x86_64@3.12"
WINDOWS = "windows-x86_64@3.12"
PACKAGES: list[dict[str, Any]] = [
    {"name": "app", "version": "1.0", "requires-dist": ["lib>=1"], "provides-extra": []},
    {"name": "lib", "version": "1.0"},
    {"name": "lib", "version": "1.1", "upload-time": "2026-03-01T00:00:00Z"},
    {"name": "extra-lib", "version": "2.0"},
]


@dataclass(slots=True)
class Workspace:
    """A project directory, a cache and the local index it locks against."""

    server: IndexServer
    root: Path

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    def write(self, dependencies: Sequence[str] = ("app",), **tool: Any) -> None:
        project = {
            "name": "demo",
            "version": "0.1",
            "requires-python": ">=3.11",
            "dependencies": list(dependencies),
            "optional-dependencies": {"more": ["extra-lib"]},
        }
        write_project(self.project_dir, project, tool or None)

    def lock(self, *args: str, index_url: str | None = None) -> LockRun:
        return run_lock(
            self.project_dir,
            args,
            index_url=index_url or self.server.url,
            cache_dir=self.root / "cache",
        )

    def lock_data(self) -> dict[str, Any]:
        return tomllib.loads((self.project_dir / "pylock.toml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def workspace(index_server: IndexServer, tmp_path: Path) -> Iterator[Workspace]:
    populate_index(index_server, PACKAGES, tmp_path / "index-files")
    space = Workspace(server=index_server, root=tmp_path)
    space.write()
    yield space
    assert index_server.handler_errors == []


def assert_fails(run: LockRun, *fragments: str, hint: bool = True) -> None:
    """A clean failure: exit 1, ``error:`` first, every fragment said, no traceback."""
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith("error: "), run.output
    assert "Traceback" not in run.stderr, run.output
    assert ("\nhint: " in run.stderr) == hint, run.output
    for fragment in fragments:
        assert fragment in run.stderr, f"{fragment!r} not in stderr\n{run.output}"
    assert run.lock_text is None, "a failed lock must not write pylock.toml"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- the project and the command line --------------------------------------------------------


def test_missing_pyproject_is_an_error_with_a_hint(workspace: Workspace) -> None:
    empty = workspace.root / "empty"
    empty.mkdir()
    run = run_lock(empty, [], index_url=workspace.server.url, cache_dir=workspace.root / "c")
    assert_fails(run, f"no pyproject.toml at {empty}", "omniwheel init", "--project")


def test_malformed_pyproject_reports_every_problem_with_its_key_path(
    workspace: Workspace,
) -> None:
    (workspace.project_dir / "pyproject.toml").write_text(
        "[project]\n"
        'name = "demo"\n'
        'requires-python = "3.11+"\n'
        'dependencies = ["app", "lib >>= 2", 7]\n'
        "[project.optional-dependencies]\n"
        'docs = ["sphinx;;"]\n'
        "[tool.omniwheel]\n"
        'uniform = "yes"\n'
        'platfroms = ["linux-x86_64"]\n'
        'no-wheel = "build"\n',
        encoding="utf-8",
    )
    run = workspace.lock("--platform", LINUX)
    assert_fails(
        run,
        "7 problems",
        "project.requires-python: ",
        "project.dependencies[1]: ",
        "project.dependencies[2]: expected a string, got the integer 7",
        "project.optional-dependencies.docs[0]: ",
        "tool.omniwheel.uniform: expected true or false",
        "tool.omniwheel.platfroms",
        "tool.omniwheel.no-wheel",
        hint=False,
    )


def test_invalid_toml_names_line_and_column(workspace: Workspace) -> None:
    (workspace.project_dir / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndependencies = ["app"\n', encoding="utf-8"
    )
    run = workspace.lock("--platform", LINUX)
    assert_fails(run, "pyproject.toml:", "invalid TOML")


def test_unknown_platform_is_a_target_error(workspace: Workspace) -> None:
    run = workspace.lock("--platform", "linux-sparc64@3.12")
    assert_fails(run, "invalid target `linux-sparc64@3.12`", "known architectures")


@pytest.mark.parametrize(
    ("setting", "value"),
    [("platforms", ["linux-sparc64"]), ("python-versions", ["3"])],
)
def test_a_bad_target_setting_names_its_key(
    workspace: Workspace, setting: str, value: list[str]
) -> None:
    workspace.write(("app",), **{setting: value})
    run = workspace.lock()
    assert_fails(run, f"[tool.omniwheel] {setting}", f"`{value[0]}`")


def test_platform_outside_requires_python_is_refused(workspace: Workspace) -> None:
    run = workspace.lock("--platform", "linux-x86_64@3.10")
    assert_fails(run, "`linux-x86_64-glibc2.28@3.10` is outside requires-python `>=3.11`")


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-01-01T10:00:00"])
def test_bad_exclude_newer_says_what_is_accepted(workspace: Workspace, value: str) -> None:
    run = workspace.lock("--platform", LINUX, "--exclude-newer", value)
    assert_fails(run, f"invalid exclude-newer value {value!r}", "RFC 3339")


def test_unknown_option_is_a_usage_error(workspace: Workspace) -> None:
    run = workspace.lock("--frobnicate")
    assert run.exit_code == 2, run.output
    assert "unrecognized arguments: --frobnicate" in run.stderr
    assert run.lock_text is None


# -- index faults ----------------------------------------------------------------------------


def test_unreachable_index_names_the_url(workspace: Workspace) -> None:
    url = f"http://127.0.0.1:{closed_port()}/simple/"
    run = workspace.lock("--platform", LINUX, index_url=url)
    assert_fails(run, f"could not fetch {url}app/ after {client.ATTEMPTS} attempts")


def test_a_ca_bundle_that_is_no_pem_is_a_clear_error(workspace: Workspace) -> None:
    bundle = workspace.root / "not-a-bundle.pem"
    bundle.write_text("not a certificate\n", encoding="utf-8")
    run = run_lock(
        workspace.project_dir,
        ["--platform", LINUX],
        index_url=workspace.server.url,
        cache_dir=workspace.root / "cache",
        environ={"SSL_CERT_FILE": str(bundle)},
    )
    assert_fails(run, str(bundle), "SSL_CERT_FILE")


def test_project_missing_from_the_index(workspace: Workspace) -> None:
    workspace.write(["app", "ghost>=1"])
    run = workspace.lock("--platform", LINUX)
    # The project has an extra, so the chain names the root it starts from.
    assert_fails(
        run,
        f"`ghost` is not on the index `default` at {workspace.server.url}",
        "  - the project's dependencies require ghost>=1",
    )


def test_http_500_every_time_fails_after_retries_naming_the_url(workspace: Workspace) -> None:
    workspace.server.fail("/simple/lib/", 500)
    run = workspace.lock("--platform", LINUX)
    url = f"{workspace.server.url}lib/"
    assert_fails(run, f"could not fetch {url} after {client.ATTEMPTS} attempts (HTTP 500)")
    tries = [r for r in workspace.server.requests if r.path == "/simple/lib/"]
    assert len(tries) == client.ATTEMPTS


def test_http_500_once_is_retried(workspace: Workspace) -> None:
    workspace.server.fail("/simple/lib/", 500, times=1)
    workspace.server.fail("/files/app-1.0-py3-none-any.whl.metadata", 503, times=1)
    run = workspace.lock("--platform", LINUX)
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert 'name = "lib"' in run.lock_text


def test_garbage_json_page_is_a_clear_error(workspace: Workspace) -> None:
    workspace.server.serve_garbage(
        "/simple/app/", b'{"files": oops', "application/vnd.pypi.simple.v1+json"
    )
    run = workspace.lock("--platform", LINUX)
    assert_fails(run, f"the index page for `app` at {workspace.server.url}app/", "PEP 691 JSON")


def test_truncated_metadata_file_names_the_file(workspace: Workspace) -> None:
    workspace.server.truncate("/files/lib-*.metadata", 12)
    run = workspace.lock("--platform", LINUX)
    assert_fails(run, "could not fetch", "/files/lib-1.1-py3-none-any.whl.metadata")


def _incompressible(size: int) -> bytes:
    blocks = (hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def _requested_bytes(header: str, size: int) -> int:
    first, _, last = header.removeprefix("bytes=").partition("-")
    if not first:
        return min(int(last), size)
    return int(last) - int(first) + 1


def test_missing_metadata_of_a_large_wheel_is_read_with_small_ranges(
    workspace: Workspace, wheel_dir: Path
) -> None:
    wheel = build_wheel(
        wheel_dir, "bulky", "1.0", files={"bulky/blob.bin": _incompressible(400_000)}
    )
    workspace.server.add_file(wheel, metadata="missing")
    workspace.write(["bulky"])
    run = workspace.lock("--platform", LINUX)
    assert run.exit_code == 0, run.output
    assert "1 range reads, 0 downloads" in run.stderr
    size = wheel.stat().st_size
    gets = [r for r in workspace.server.requests if r.path == f"/files/{wheel.name}"]
    assert gets, "the wheel was never read"
    assert all("range" in r.headers for r in gets), "a full GET of the wheel happened"
    assert sum(_requested_bytes(r.headers["range"], size) for r in gets) < size // 2


def test_credentials_in_the_index_url_work_and_are_never_written(workspace: Workspace) -> None:
    workspace.server.require_auth("deploy", "s3cret-token")
    url = workspace.server.url.replace("http://", "http://deploy:s3cret-token@")
    run = workspace.lock("--platform", LINUX, index_url=url)
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert "s3cret" not in run.lock_text
    assert "deploy" not in run.lock_text
    assert "s3cret" not in run.stderr + run.stdout
    assert workspace.lock_data()["tool"]["omniwheel"]["index-url"] == workspace.server.url


def test_wrong_credentials_are_refused_without_echoing_them(workspace: Workspace) -> None:
    workspace.server.require_auth("deploy", "s3cret-token")
    url = workspace.server.url.replace("http://", "http://deploy:wrong-guess@")
    run = workspace.lock("--platform", LINUX, index_url=url)
    assert_fails(run, "answered HTTP 401", "credentials")
    assert "wrong-guess" not in run.stderr


def test_credentials_in_file_urls_are_never_written(workspace: Workspace, tmp_path: Path) -> None:
    # Some indexes list their files under URLs that carry the caller's credentials.
    wheel = build_wheel(tmp_path / "solo-files", "solo", "1.0")
    workspace.server.add_file(wheel)
    secret_url = workspace.server.file_url(wheel.name).replace("http://", "http://deploy:s3cret@")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    entry = {"filename": wheel.name, "url": secret_url, "hashes": {"sha256": digest}}
    page = {"meta": {"api-version": "1.1"}, "name": "solo", "files": [entry]}
    workspace.server.serve_garbage("/simple/solo/", json.dumps(page).encode(), JSON_CONTENT_TYPE)
    workspace.write(["solo"])
    run = workspace.lock("--platform", LINUX)
    assert run.exit_code == 0, run.output
    assert run.lock_text is not None
    assert "s3cret" not in run.lock_text
    assert "deploy" not in run.lock_text
    packages = workspace.lock_data()["packages"]
    wheels = [w for p in packages if p["name"] == "solo" for w in p["wheels"]]
    assert [w["url"] for w in wheels] == [workspace.server.file_url(wheel.name)]


# -- recorded inputs, --check and relocking --------------------------------------------------


def test_lock_records_its_inputs(workspace: Workspace) -> None:
    targets = ("--platform", LINUX, "--platform", WINDOWS)
    run = workspace.lock(*targets, "--exclude-newer", "2026-02-01")
    assert run.exit_code == 0, run.output
    recorded = workspace.lock_data()["tool"]["omniwheel"]
    assert recorded["targets"] == ["linux-x86_64-glibc2.28@3.12", "windows-x86_64@3.12"]
    assert recorded["targets-from-cli"] is True
    assert recorded["exclude-newer"].isoformat() == "2026-02-01T00:00:00+00:00"
    assert "extras" not in recorded  # chosen at sync time now
    assert recorded["optional-dependencies"] == {"more": ["extra-lib"]}
    assert recorded["requirements"] == ["app"]
    assert recorded["requires-python"] == ">=3.11"
    versions = {p["name"]: p["version"] for p in workspace.lock_data()["packages"]}
    assert versions == {"app": "1.0", "extra-lib": "2.0", "lib": "1.0"}  # 1.1 is newer


@pytest.mark.parametrize("option", [("--extra", "more"), ("--all-extras",)])
def test_extras_are_not_chosen_at_lock_time(workspace: Workspace, option: tuple[str, ...]) -> None:
    run = workspace.lock("--platform", LINUX, *option)
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith(f"error: `lock {' '.join(option)}`: the lock holds every extra")
    assert "hint: drop the option from `omniwheel lock`; choose at sync time" in run.stderr
    assert run.lock_text is None


def test_lock_help_no_longer_offers_extras(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["lock", "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--exclude-newer" in shown
    assert "--extra" not in shown
    assert "--all-extras" not in shown


def test_check_on_a_stale_lock_lists_what_changed(workspace: Workspace) -> None:
    assert workspace.lock("--platform", LINUX).exit_code == 0
    written = (workspace.project_dir / "pylock.toml").read_text(encoding="utf-8")
    workspace.write(["app", "extra-lib"])
    run = workspace.lock("--check")
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith("error: pylock.toml is out of date"), run.output
    assert "requirements: ['app'] → ['app', 'extra-lib']" in run.stderr
    assert "hint: run `omniwheel lock`" in run.stderr
    assert run.lock_text == written, "--check must not rewrite the lock"


def assert_refused_lock(run: LockRun, *fragments: str) -> None:
    """A clean failure over a broken pylock.toml: error, the fragments, a hint to relock."""
    assert run.exit_code == 1, run.output
    assert run.stderr.startswith("error: "), run.output
    assert "hint: delete it and run `omniwheel lock`" in run.stderr, run.output
    for fragment in fragments:
        assert fragment in run.stderr, f"{fragment!r} not in stderr\n{run.output}"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("targets", [1], "tool.omniwheel.targets: expected an array of target names"),
        ("targets", ["nowhere-x86_64@3.12"], "tool.omniwheel.targets[0]: invalid target"),
        ("extras", "more", "tool.omniwheel.extras: expected an array of extra names"),
        ("extras", [1], "tool.omniwheel.extras: expected an array of extra names"),
        ("targets-from-cli", "yes", "tool.omniwheel.targets-from-cli: expected true or false"),
        ("exclude-newer", "soon", "tool.omniwheel.exclude-newer: expected a date-time with"),
        (
            "exclude-newer",
            datetime(2026, 1, 1),  # a TOML local date-time: no offset
            "tool.omniwheel.exclude-newer: expected a date-time with",
        ),
    ],
)
def test_recorded_inputs_of_the_wrong_shape_are_refused(
    workspace: Workspace, key: str, value: object, fragment: str
) -> None:
    assert workspace.lock("--platform", LINUX, "--platform", WINDOWS).exit_code == 0
    path = workspace.project_dir / "pylock.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    document["tool"]["omniwheel"][key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    assert_refused_lock(workspace.lock(), "pylock.toml", fragment)


def test_check_without_a_lock_fails(workspace: Workspace) -> None:
    run = workspace.lock("--platform", LINUX, "--check")
    assert_fails(run, "pylock.toml is out of date", "no lock file yet")


def test_relock_without_platform_reuses_the_cli_targets(workspace: Workspace) -> None:
    first = workspace.lock("--platform", LINUX, "--platform", WINDOWS)
    assert first.exit_code == 0, first.output
    again = workspace.lock()
    assert again.exit_code == 0, again.output
    assert again.lock_text == first.lock_text
    assert "pylock.toml is up to date: 3 packages for 2 targets" in again.stderr
    assert workspace.lock("--check").exit_code == 0
    assert "pylock.toml unchanged" in workspace.lock("--refresh").stderr
    recorded = workspace.lock_data()["tool"]["omniwheel"]
    assert recorded["targets"] == ["linux-x86_64-glibc2.28@3.12", "windows-x86_64@3.12"]


@pytest.mark.parametrize("flag", ["--uniform", "--prerelease", "--exclude-newer=2026-02-01"])
def test_relock_keeps_what_the_command_line_asked_for(workspace: Workspace, flag: str) -> None:
    # `sync` and `run` relock without lock options: a lock made with --uniform must stay uniform.
    first = workspace.lock("--platform", LINUX, "--platform", WINDOWS, flag)
    assert first.exit_code == 0, first.output
    check = workspace.lock("--check")
    assert check.exit_code == 0, check.output
    again = workspace.lock()
    assert again.exit_code == 0, again.output
    assert again.lock_text == first.lock_text


@pytest.mark.parametrize(
    ("setting", "value"),
    [("uniform", True), ("prerelease", True), ("exclude-newer", "2026-02-01")],
)
def test_a_setting_removed_from_pyproject_no_longer_applies(
    workspace: Workspace, setting: str, value: object
) -> None:
    workspace.write(("app",), **{setting: value})
    assert workspace.lock("--platform", LINUX).exit_code == 0
    assert workspace.lock_data()["tool"]["omniwheel"][setting]
    workspace.write()
    run = workspace.lock("--check")
    assert run.exit_code == 1, run.output
    assert f"{setting}: " in run.stderr, run.output


def test_the_command_line_beats_a_setting_once_and_then_stays(workspace: Workspace) -> None:
    workspace.write(("app",), **{"exclude-newer": "2026-01-15"})
    run = workspace.lock("--platform", LINUX, "--exclude-newer", "2026-02-01")
    assert run.exit_code == 0, run.output
    recorded = workspace.lock_data()["tool"]["omniwheel"]
    assert recorded["exclude-newer"].isoformat() == "2026-02-01T00:00:00+00:00"
    assert workspace.lock("--check").exit_code == 0


def test_new_platforms_on_the_command_line_replace_the_recorded_ones(
    workspace: Workspace,
) -> None:
    assert workspace.lock("--platform", LINUX, "--platform", WINDOWS).exit_code == 0
    run = workspace.lock("--platform", "macos-arm64@3.13")
    assert run.exit_code == 0, run.output
    assert workspace.lock_data()["tool"]["omniwheel"]["targets"] == ["macos-arm64-13.0@3.13"]
    assert "targets: " in run.stderr
