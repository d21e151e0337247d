"""The no-op's reading of the command line (:func:`omniwheel.cli.unchanged_venv.quick_invocation`)
against the parser's: what it reads, it reads as ``argparse`` does; the rest it leaves to it.

The no-op itself (the real check, on real environments) is tested in
``tests/integration/test_sync_unchanged.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from omniwheel.cli.main import _GROUPS, _SYNC_MODULE, build_parser
from omniwheel.cli.unchanged_venv import COMMANDS, Invocation, quick_invocation
from omniwheel.env.choice import ChoiceRequest
from omniwheel.env.layout import choice_key

READ = [
    ["sync"],
    ["instantiate"],
    ["sync", "--venv", "v"],
    ["sync", "--venv=v", "--venv", "w"],
    ["sync", "--project", "p", "--python", "3.12", "--offline", "--compile-bytecode"],
    ["sync", "--link-mode", "copy", "--locked"],
    ["sync", "--link-mode=symlink", "--frozen", "--frozen"],
    ["sync", "--index-url", "http://u:p@host/simple", "--index", "a=http://a", "--index=b=x"],
    ["sync", "--find-links", "wheels", "--find-links=more", "--index-url=x=y"],
    ["run", "python", "-c", "pass"],
    ["run", "--", "python", "--venv", "x"],
    ["run", "--venv", "v", "--locked", "--", "-x"],
    ["run", "--python=3.11", "tool", "--", "--"],
    ["run", "--frozen", "python", "--frozen", "--locked"],
]
LEFT_TO_ARGPARSE = [
    ["sync", "--help"],
    ["sync", "-h"],
    ["sync", "--json"],
    ["sync", "--dry-run"],
    ["sync", "--upgrade"],
    ["sync", "--upgrade-package", "a"],
    ["sync", "--extra", "x"],
    ["sync", "--all-groups"],
    ["sync", "--no-dev"],
    ["sync", "--julia-depot", "d"],
    ["sync", "--ven", "v"],  # an abbreviation argparse expands
    ["sync", "--venv"],
    ["sync", "--venv", "-v"],
    ["sync", "--venv", "--offline"],
    ["sync", "--venv="],
    ["sync", "--venv", ""],
    ["sync", "--offline=1"],
    ["sync", "--link-mode", "move"],
    ["sync", "--locked", "--frozen"],
    ["sync", "extra"],
    ["sync", "--"],
    ["sync", "-"],
    ["run"],
    ["run", "--"],
    ["run", "--", "--", "python"],
    ["run", "--artifacts", "python"],
    ["run", "--locked", "--frozen", "python"],
    ["run", "-x", "python"],
    ["lock"],
    ["cache", "prune"],
]


def _as_parsed(invocation: Invocation) -> dict[str, object]:
    """What the no-op read, in the parser's terms."""
    flags = invocation.flags
    values = invocation.values
    return {
        "command": invocation.command,
        "project": Path(values["project"]) if "project" in values else None,
        "venv": Path(values["venv"]) if "venv" in values else None,
        "python": values.get("python"),
        "index_url": values.get("index_url"),
        "link_mode": values.get("link_mode"),
        "index": list(invocation.lists["index"]),
        "find_links": list(invocation.lists["find_links"]),
        "offline": "--offline" in flags,
        "compile_bytecode": "--compile-bytecode" in flags,
        "locked": "--locked" in flags,
        "frozen": "--frozen" in flags,
    }


def _parsed(args: argparse.Namespace) -> dict[str, object]:
    return {
        "command": args.command,
        **{
            key: getattr(args, key)
            for key in (
                "project",
                "venv",
                "python",
                "index_url",
                "link_mode",
                "index",
                "find_links",
                "offline",
                "compile_bytecode",
                "locked",
                "frozen",
            )
        },
    }


def _default_request(args: argparse.Namespace) -> bool:
    """Whether nothing but the default install (and no other work) was asked for."""
    from omniwheel.cli.options import choice_request

    others = ("json", "dry_run", "julia_depot", "all_targets", "artifacts")
    asked = any(getattr(args, name, None) for name in (*others, "upgrade", "upgrade_package"))
    return not asked and choice_request(args) == ChoiceRequest()


@pytest.mark.parametrize("argv", READ, ids=" ".join)
def test_what_the_no_op_reads_it_reads_as_the_parser(argv: list[str]) -> None:
    invocation = quick_invocation(argv)
    assert invocation is not None
    args = build_parser().parse_args(argv)
    assert _as_parsed(invocation) == _parsed(args)
    assert _default_request(args)
    if argv[0] == "run":
        command = list(args.argv)
        assert list(invocation.argv) == (command[1:] if command[:1] == ["--"] else command)
    else:
        assert invocation.argv == ()


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_is_left_to_the_parser(argv: list[str]) -> None:
    assert quick_invocation(argv) is None


def test_the_commands_are_those_of_sync_commands() -> None:
    assert set(_GROUPS[_SYNC_MODULE][1]) == COMMANDS


def test_every_option_read_is_one_of_the_parser() -> None:
    from omniwheel.cli import unchanged_venv

    parser = build_parser("sync")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in COMMANDS:
        spelt = {
            option
            for action in subparsers.choices[command]._actions
            for option in action.option_strings
        }
        read = {*unchanged_venv._VALUES, *unchanged_venv._LISTS, *unchanged_venv._FLAGS}
        assert read <= spelt


def test_the_no_op_asks_for_the_default_install() -> None:
    assert choice_key() == ChoiceRequest().key
