"""``omniwheel python list``: the interpreters the lock pins, and which of them the store holds.

One entry per ``[[tool.omniwheel.python]]`` record of ``pylock.toml`` (targets sharing a build
share it): the build (version, release, triple), its sha256, canonical URL and targets, whether
its tree is in the store, and whether it is the build a sync on this machine would use
(:func:`omniwheel.python.provision.choose_build`, ``--python`` not given).  Data on stdout (a
table, or ``--json``); a lock that pins nothing says so on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omniwheel.cachedir import cache_root
from omniwheel.cli.options import add_json_option, add_project_option
from omniwheel.cli.output import Output

if TYPE_CHECKING:
    from pathlib import Path

    from omniwheel.lock.tool_table import LockedPython

SHORT_SHA = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedRow:
    """One pinned build as ``python list`` shows it."""

    entry: LockedPython
    stored: bool
    tree: Path
    this_machine: bool

    def as_json(self) -> dict[str, Any]:
        build = self.entry.build
        return {
            "targets": [target.name for target in self.entry.targets],
            "implementation": build.implementation,
            "version": str(build.version),
            "release": build.release,
            "triple": build.triple,
            "flavor": build.flavor.value,
            "url": build.url,
            "sha256": build.sha256,
            "executable": build.executable,
            "libpython": build.libpython,
            "stored": self.stored,
            "tree": str(self.tree) if self.stored else None,
            "this-machine": self.this_machine,
        }

    def lines(self) -> list[str]:
        build = self.entry.build
        marks = ["in store" if self.stored else "not in store"]
        if self.this_machine:
            marks.append("this machine")
        return [
            f"CPython {build.version}  release {build.release}  {build.triple}  "
            f"sha256 {build.sha256[:SHORT_SHA]}  ({', '.join(marks)})",
            f"  targets: {', '.join(target.name for target in self.entry.targets)}",
            f"  url: {build.url}",
        ]


def add_python_command(commands: Any) -> None:
    """Register ``python`` and its sub-command on ``main``'s sub-parsers."""
    python = commands.add_parser(
        "python",
        help="the interpreters pylock.toml pins",
        description="Interpreters a lock made with --pin-python pins per target "
        "(python-build-standalone builds), and what the store holds.",
    )
    actions = python.add_subparsers(dest="python_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="list the pinned builds, whether the store holds them, and this machine's",
        description="For each build pylock.toml pins: its version, release, triple, sha256 "
        "(short), canonical URL and targets; whether its tree is in the store; and whether a "
        "sync on this machine would use it.",
    )
    add_project_option(listing)
    add_json_option(listing)


def run_python(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.cli.sync_commands import project_dir
    from omniwheel.env.sync import read_pylock
    from omniwheel.lock import LOCK_FILENAME
    from omniwheel.lock.tool_table import read_tool_tables
    from omniwheel.store.store import STORE_DIR

    lock_path = project_dir(args) / LOCK_FILENAME
    tables = read_tool_tables(read_pylock(lock_path), path=lock_path)
    pythons = tables.lock.pythons if tables.lock is not None else ()
    rows = pinned_rows(pythons, store_root=cache_root() / STORE_DIR)
    if args.json:
        sys.stdout.write(json.dumps({"pythons": [row.as_json() for row in rows]}, indent=2))
        sys.stdout.write("\n")
    elif not rows:
        output.note(f"{lock_path} pins no interpreters (lock with `omniwheel lock --pin-python`)")
    for row in rows if not args.json else ():
        sys.stdout.write("".join(f"{line}\n" for line in row.lines()))
    return 0


def pinned_rows(pythons: tuple[LockedPython, ...], *, store_root: Path) -> list[PinnedRow]:
    """The rows of ``pythons``, each looked up in the store at ``store_root``."""
    from omniwheel.python.provision import NoPinnedPythonError, choose_build, this_machine
    from omniwheel.store.python_archive import python_tree

    if not pythons:
        return []
    try:
        mine = choose_build(pythons, this_machine())
    except NoPinnedPythonError:
        mine = None
    rows = []
    for entry in pythons:
        tree = python_tree(store_root, entry.build.sha256)
        rows.append(
            PinnedRow(entry=entry, stored=tree.is_dir(), tree=tree, this_machine=entry is mine)
        )
    return rows
