"""The pieces that let the no-op ``sync`` do without :mod:`pathlib`, :mod:`json`, :mod:`hashlib`
and :mod:`re` (:mod:`omniwheel.cli.unchanged_venv`) answer as those modules do, and as the
modules the usual way prints through."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from omniwheel import cachedir
from omniwheel._purepath import absolute
from omniwheel._sha256 import sha256
from omniwheel.cli import console, output
from omniwheel.cli.lock_stamp import stamp_path
from omniwheel.cli.plain_stderr import stderr_is_plain
from omniwheel.cli.unchanged_venv import audited_summary, nearest_project, project_directory
from omniwheel.env.layout import _load_json, venv_directory, venv_location
from omniwheel.index.pip_config_paths import pip_config_files, pip_config_paths

PATHS = ["a", "a/", "./a/./b/", "a/../b", "/x//y/", "//srv/x", "///srv/x", "/", ".", "/a/b/.."]


@pytest.mark.parametrize("path", PATHS)
def test_absolute_spells_a_path_as_pathlib_does(path: str) -> None:
    assert absolute(path) == str(Path(path).absolute())
    assert absolute(Path(path)) == str(Path(path).absolute())


@pytest.mark.parametrize("path", PATHS)
def test_the_stamp_of_a_project_is_the_same_for_its_string_and_its_path(
    tmp_path: Path, path: str
) -> None:
    assert stamp_path(str(tmp_path), path) == stamp_path(tmp_path, Path(path).absolute())


@pytest.mark.parametrize(
    ("cli", "configured"),
    [("v", None), ("a/../v/", None), ("/abs//v", None), (None, "~/envs/./v"), (None, None)],
)
def test_the_venv_directory_is_the_venv_location(
    tmp_path: Path, cli: str | None, configured: str | None
) -> None:
    environ = {} if configured is None else {"OMNIWHEEL_VENV": configured}
    location = venv_location(tmp_path, cli=None if cli is None else Path(cli), environ=environ)
    assert venv_directory(str(tmp_path), cli=cli, environ=environ) == str(location)
    expected = (
        Path(cli).absolute()
        if cli is not None
        else Path(configured).expanduser().absolute()
        if configured is not None
        else tmp_path / ".venv"
    )
    assert location == expected


def test_the_nearest_project_is_found_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert project_directory(None) == str(tmp_path)
    assert nearest_project(None) == tmp_path
    assert nearest_project(Path("c")) == inner / "c"


@pytest.mark.parametrize(
    "text",
    [
        '{"a":[1,2.5,true,false,null,"x\\u00e9"],"b":{"c":-3}}\n',
        '  \n{"version": 3}\t\r\n',
        "[]",
        '"text"',
        "[NaN]",
    ],
)
def test_the_state_reader_reads_json_as_json_does(text: str) -> None:
    assert repr(_load_json(text.encode())) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "  ", '{"a":1} x', '{"a":1}{}', '{"a":', "nul", b"\xff"])
def test_the_state_reader_refuses_what_json_refuses(text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(ValueError):  # noqa: PT011 - json's own errors are ValueErrors too
        json.loads(data)
    with pytest.raises(ValueError):  # noqa: PT011
        _load_json(data)


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 300])
def test_sha256_is_hashlibs(data: bytes) -> None:
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    incremental = sha256()
    incremental.update(data)
    assert incremental.digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(("packages", "seconds"), [(1, 0.0), (3, 0.0144), (111, 0.9996), (2, 1.25)])
def test_the_no_op_summary_is_the_usual_ways(packages: int, seconds: float) -> None:
    assert audited_summary(packages, seconds) == output.audited_summary(packages, seconds)


@pytest.mark.parametrize(
    ("environ", "plain"),
    [
        ({}, True),
        ({"FORCE_COLOR": ""}, False),
        ({"FORCE_COLOR": "1"}, False),
        ({"TTY_COMPATIBLE": "1"}, False),
    ],
)
def test_a_plain_stderr_is_one_no_variable_makes_a_terminal(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], plain: bool
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with redirect_stderr(io.StringIO()):
        assert stderr_is_plain() is plain
        written = io.StringIO()
    with redirect_stderr(written):
        console.reporter().plain("Audited 3 packages in 1ms")
    assert written.getvalue() == "Audited 3 packages in 1ms\n"


def test_the_console_answers_only_sync_and_run() -> None:
    assert console.quick_answer([]) is None
    assert console.quick_answer(["lock"]) is None
    assert console.quick_answer(["sync", "--help"]) is None


def test_pip_config_paths_are_pip_config_files(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_DIRS": "/etc/a:/etc/b/", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for platform in ("linux", "darwin", "win32"):
        paths = pip_config_paths(environ, tmp_path, platform=platform, prefix="/venv")
        files = pip_config_files(environ, tmp_path, platform=platform, prefix=Path("/venv"))
        assert [Path(path) for path in paths] == files
        assert [str(path) for path in files] == paths


def test_the_cache_directory_is_the_cache_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    environ = {"OMNIWHEEL_CACHE_DIR": str(tmp_path / "link" / ".." / "link")}
    assert cachedir.cache_directory(environ) == str(cachedir.cache_root(environ))
    assert cachedir.cache_root(environ) == Path(environ["OMNIWHEEL_CACHE_DIR"]).resolve()
    monkeypatch.chdir(tmp_path)
    relative = {"OMNIWHEEL_CACHE_DIR": "link"}
    assert cachedir.cache_directory(relative) == os.path.realpath(tmp_path / "real")


@pytest.mark.parametrize(
    ("arguments", "tuned"),
    [
        (["sync"], True),
        (["run", "--", "x"], True),
        (["instantiate"], True),
        (["lock", "--upgrade"], True),
        (["add", "attrs"], True),
        (["remove", "attrs"], True),
        (["cache", "prune"], False),
        (["artifacts"], False),
        ([], False),
    ],
)
def test_only_the_sync_and_lock_commands_collect_garbage_less_often(
    arguments: list[str], tuned: bool
) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        console.tune_collections(arguments)
        assert gc.get_threshold() == (console.SYNC_THRESHOLDS if tuned else (700, 10, 10))
    finally:
        gc.set_threshold(*before)
