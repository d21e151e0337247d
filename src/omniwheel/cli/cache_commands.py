"""``omniwheel cache dir | clean | prune``: where the cache is, and emptying it safely.

The work is :mod:`omniwheel.store.usage`; ``dir`` prints the path on stdout (data), the others
report on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from omniwheel.cachedir import cache_root
from omniwheel.cli.output import Output


def add_cache_command(commands: Any) -> None:
    """Register ``cache`` and its three sub-commands on ``main``'s sub-parsers."""
    cache = commands.add_parser(
        "cache",
        help="show, clean or prune omniwheel's cache",
        description="The cache (OMNIWHEEL_CACHE_DIR, else the user cache directory) holds "
        "index pages, metadata and the store of verified, unpacked wheels and pinned "
        "interpreters.",
    )
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    actions.add_parser("dir", help="print the cache directory")
    actions.add_parser(
        "clean",
        help="remove the whole cache",
        description="Remove everything in the cache.  Refused while another omniwheel process "
        "uses it.  Environments made with --link-mode symlink need their store entries and "
        "break; hardlinked and copied ones keep working.",
    )
    actions.add_parser(
        "prune",
        help="remove store entries no existing environment's lock needs",
        description="Keep the store entries and pinned interpreter builds that environments "
        "synced from a lock still use (both the lock file and the environment must still "
        "exist); remove the rest, and leftovers of interrupted downloads and unpacks.  Also "
        "forget remembered selections and lock checks (the next run redoes them) and remove "
        "directories an earlier omniwheel's cache layout left.  Refused while another "
        "omniwheel process uses the cache.",
    )


def run_cache(args: argparse.Namespace, output: Output) -> int:
    from omniwheel.store.usage import clean, prune

    root = cache_root()
    if args.cache_command == "dir":
        sys.stdout.write(f"{root}\n")
    elif args.cache_command == "clean":
        freed = clean(root)
        output.plain(f"Removed {root} ({_size(freed)})")
    else:
        result = prune(root, current_dirs=_current_dirs(), check_dirs=_check_dirs())
        output.plain(
            f"Removed {result.removed} store entries ({_size(result.freed_bytes)}), "
            f"kept {result.kept} in use"
        )
        if result.removed_pythons or result.kept_pythons:
            output.plain(
                f"Removed {result.removed_pythons} interpreter builds, kept "
                f"{result.kept_pythons} in use"
            )
        if result.leftovers:
            output.plain(f"Removed {result.leftovers} leftovers of interrupted syncs")
        if result.dropped_records:
            output.plain(f"Forgot {result.dropped_records} environments whose lock or venv is gone")
        if result.forgotten_selections:
            output.plain(f"Forgot {result.forgotten_selections} remembered selections")
        if result.forgotten_checks:
            output.plain(f"Forgot {result.forgotten_checks} remembered lock checks")
        if result.retired:
            output.plain(
                f"Removed {len(result.retired)} directories of earlier cache layouts "
                f"({', '.join(result.retired)}; {_size(result.retired_bytes)})"
            )
    return 0


def _check_dirs() -> tuple[str, ...]:
    """Stamps that only let a later run skip a check: one file per lock text or project."""
    from omniwheel.cli.locking import STAMP_DIR
    from omniwheel.cli.unchanged_lock import UNCHANGED_DIR
    from omniwheel.lock.resolved_stamp import RESOLVED_DIR

    return (RESOLVED_DIR, UNCHANGED_DIR, STAMP_DIR)


def _current_dirs() -> frozenset[str]:
    """Every versioned directory this omniwheel keeps in the cache."""
    from omniwheel.cachedir import RELEASES_DIR, SELECTIONS_DIR
    from omniwheel.index.cache import LAYOUT
    from omniwheel.julia.treecache import PYTHON_TREES_DIR, TREES_DIR
    from omniwheel.store.store import STORE_DIR

    checks = _check_dirs()
    others = (LAYOUT, RELEASES_DIR, SELECTIONS_DIR, STORE_DIR, TREES_DIR, PYTHON_TREES_DIR)
    return frozenset((*checks, *others))


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
