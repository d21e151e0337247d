"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omniwheel.env.choice import ChoiceRequest


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """``--project DIR``, for commands that work from pylock.toml."""
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="the directory holding pylock.toml (default: the nearest one holding "
        "pylock.toml or pyproject.toml)",
    )


def add_upgrade_options(parser: argparse.ArgumentParser, *, relock: bool) -> None:
    """``--upgrade`` and ``--upgrade-package``; ``relock``: the command relocks on the way
    (sync, run) rather than being the lock itself."""
    verb = "relock taking" if relock else "take"
    parser.add_argument(
        "--upgrade",
        action="store_true",
        help=f"{verb} the newest allowed versions instead of "
        + ("the locked ones" if relock else "keeping those pylock.toml has"),
    )
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help=f"{verb} the newest allowed version of this package"
        + (" (repeatable)" if relock else " only (repeatable)"),
    )


def add_index_options(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """``--index NAME=URL`` and ``--find-links``: indexes asked before the default one when
    the command ``verb`` s (``lock``, or ``relock`` for the commands that relock on the way)."""
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="NAME=URL",
        help=f"an index to {verb} from, asked before the default one, in the order given "
        "(repeatable; default: OMNIWHEEL_INDEX, then [[tool.omniwheel.index]]); NAME selects "
        "its credentials (OMNIWHEEL_INDEX_<NAME>_USERNAME/_PASSWORD) and "
        "[tool.omniwheel.sources] entries",
    )
    parser.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="PATH_OR_URL",
        help=f"a directory of wheels, or an HTML page of links (a file or a URL), to {verb} "
        "from, asked after the named indexes and before the default one (repeatable; default: "
        "OMNIWHEEL_FIND_LINKS, then [tool.omniwheel] find-links)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: a report for machines on stdout (:mod:`omniwheel.cli.json_report`)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="write what was done as JSON on stdout, instead of the summary on stderr "
        "(warnings and errors stay on stderr)",
    )


def add_pin_python_options(parser: argparse.ArgumentParser) -> None:
    """``--pin-python`` / ``--no-pin-python``, ``--python-release TAG``, ``--python-mirror URL``.

    The first two are lock inputs a relock keeps (``options-from-cli``); the mirror is machine
    configuration, never recorded (``--python-mirror`` > ``OMNIWHEEL_PYTHON_MIRROR`` >
    ``[tool.omniwheel] python-mirror`` > the canonical host)."""
    parser.add_argument(
        "--pin-python",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pin, per target, a python-build-standalone interpreter build in the lock "
        "(default: [tool.omniwheel] pin-python, else what pylock.toml was locked with)",
    )
    parser.add_argument(
        "--python-release",
        metavar="TAG",
        help="the python-build-standalone release (YYYYMMDD) to pin from (default: "
        "[tool.omniwheel] python-release, else the lock's, else the one this omniwheel names)",
    )
    parser.add_argument(
        "--python-mirror",
        metavar="URL",
        help="read releases from URL/{tag}/{asset} (default: OMNIWHEEL_PYTHON_MIRROR, "
        "[tool.omniwheel] python-mirror, else the canonical host); never recorded in the lock",
    )


ARTIFACTS_SELECTION = (
    "default: what [tool.omniwheel] artifacts-extras and artifacts-groups record (written by the "
    "last of these commands given any of these options, which replace it), else the project's "
    "dependencies alone — what a Julia package's users need"
)


def add_selection_options(parser: argparse.ArgumentParser, *, artifacts: bool = False) -> None:
    """Which extras and dependency groups of the lock to install (uv's flags; see
    :mod:`omniwheel.env.choice`).  ``artifacts``: for ``artifacts write`` / ``pack``, whose
    default is the recorded choice else the project's dependencies alone, and which always hold
    the project's dependencies (no ``--only-group`` / ``--only-dev``)."""
    chosen = parser.add_argument_group(
        "extras and dependency groups",
        ARTIFACTS_SELECTION
        if artifacts
        else "default: the project's dependencies plus the `dev` group when declared "
        "([tool.omniwheel] default-groups changes which groups)",
    )
    chosen.add_argument(
        "--extra", action="append", default=[], metavar="NAME", help="add an extra (repeatable)"
    )
    chosen.add_argument("--all-extras", action="store_true", help="add every extra")
    chosen.add_argument(
        "--no-extra",
        action="append",
        default=[],
        metavar="NAME",
        help="leave out an extra (with --all-extras; repeatable)",
    )
    chosen.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="add a dependency group to the default ones (repeatable)",
    )
    if not artifacts:
        chosen.add_argument(
            "--only-group",
            action="append",
            default=[],
            metavar="NAME",
            help="install only this group: not the project's dependencies, not the default "
            "groups (repeatable)",
        )
    chosen.add_argument(
        "--no-group",
        action="append",
        default=[],
        metavar="NAME",
        help="leave out a group, even a default one (repeatable)",
    )
    chosen.add_argument("--all-groups", action="store_true", help="add every dependency group")
    chosen.add_argument(
        "--no-default-groups",
        action="store_true",
        help="leave out the default groups (the project's dependencies stay)",
    )
    dev = chosen.add_mutually_exclusive_group()
    dev.add_argument(
        "--dev", action="store_true", default=None, help="add the `dev` group (--group dev)"
    )
    dev.add_argument("--no-dev", dest="dev", action="store_false", help="leave out the `dev` group")
    if artifacts:
        parser.set_defaults(only_group=[], only_dev=False)
        return
    dev.add_argument(
        "--only-dev", action="store_true", help="install only the `dev` group (--only-group dev)"
    )


def choice_request(args: argparse.Namespace) -> ChoiceRequest:
    """The :class:`ChoiceRequest` that :func:`add_selection_options` parsed; the default
    install for a command without them."""
    from omniwheel.env.choice import ChoiceRequest

    if not hasattr(args, "all_extras"):
        return ChoiceRequest()
    return ChoiceRequest(
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        no_extras=tuple(args.no_extra),
        groups=tuple(args.group),
        only_groups=tuple(args.only_group),
        no_groups=tuple(args.no_group),
        all_groups=args.all_groups,
        no_default_groups=args.no_default_groups,
        dev=args.dev,
        only_dev=args.only_dev,
    )
