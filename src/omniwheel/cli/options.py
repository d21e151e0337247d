"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

import argparse
from pathlib import Path


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
