"""Where omniwheel keeps its caches: ``OMNIWHEEL_CACHE_DIR`` or the platform's user cache dir."""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH111

from __future__ import annotations

import os

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

SELECTIONS_DIR = "selections-v1"
"""Remembered selections (:mod:`omniwheel.env.selection_memo`); dropped by ``cache prune``."""

RELEASES_DIR = "python-releases-v1"
"""python-build-standalone ``SHA256SUMS`` files read from an HTTP(S) host
(:mod:`omniwheel.python.release_fetch`), one per URL."""


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """The cache root; each part keeps its data in a versioned subdirectory of it."""
    from pathlib import Path

    return Path(cache_directory(environ))


def cache_directory(environ: Mapping[str, str] | None = None) -> str:
    """:func:`cache_root` as a string, for the no-op ``sync``, which imports no :mod:`pathlib`
    (:mod:`omniwheel.cli.unchanged_venv`): ``OMNIWHEEL_CACHE_DIR`` made absolute with its
    symlinks resolved (what ``Path.resolve`` does), else the platform's user cache dir."""
    env = os.environ if environ is None else environ
    configured = env.get("OMNIWHEEL_CACHE_DIR")
    if configured:
        return os.path.realpath(os.path.expanduser(configured))
    import platformdirs  # only when needed: every command starts here, `run` must start fast

    directory: str = platformdirs.user_cache_dir("omniwheel", appauthor=False)
    return directory
