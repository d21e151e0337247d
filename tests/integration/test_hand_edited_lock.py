"""A pylock.toml whose omniwheel tables were edited by hand: every command that reads it stops
with ``error:`` naming the key path and a ``hint:``, never a traceback, and installs nothing."""

from __future__ import annotations

import pytest

from tests.support.sync_space import Workspace

PRERELEASE = ("prerelease = false\n", 'prerelease = "no"\n', "tool.omniwheel.prerelease")
PACKAGE_TARGETS = (
    '[packages.tool.omniwheel]\ntargets = ["',
    '[packages.tool.omniwheel]\ntargets = ["x',
    "packages[0].tool.omniwheel.targets[0]",
)


def _edit(space: Workspace, old: str, new: str) -> None:
    path = space.project / "pylock.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _assert_refused(space: Workspace, command: tuple[str, ...], key_path: str) -> None:
    run = space.cli(*command)
    assert run.exit_code == 1, run.stderr
    assert run.stderr.startswith("error: "), run.stderr
    assert f"{space.project / 'pylock.toml'} has 1 problem:\n  - {key_path}" in run.stderr
    assert "hint: delete it and run `omniwheel lock` to write a new one" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("edit", [PRERELEASE, PACKAGE_TARGETS], ids=["lock", "package"])
@pytest.mark.parametrize(
    "command", [("lock", "--check"), ("sync",), ("sync", "--frozen")], ids=" ".join
)
def test_a_hand_edited_value_is_an_error_without_traceback(
    space: Workspace, edit: tuple[str, str, str], command: tuple[str, ...]
) -> None:
    old, new, key_path = edit
    _edit(space, old, new)
    _assert_refused(space, command, key_path)
    assert not space.venv.exists()  # refused before a venv was made


def test_an_edit_after_a_remembered_sync_is_still_refused(space: Workspace) -> None:
    # The selection remembered for the lock as it was must not stand for the edited lock.
    first = space.cli("sync", "--frozen")
    assert first.exit_code == 0, first.stderr
    _edit(space, *PRERELEASE[:2])
    _assert_refused(space, ("sync", "--frozen"), PRERELEASE[2])
    assert space.versions()["alpha"] == "1.0"  # the environment is left as it was
