"""Where omniwheel keeps its caches: ``OMNIWHEEL_CACHE_DIR`` or the platform's user cache dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SELECTIONS_DIR = "selections-v1"
"""Remembered selections (:mod:`omniwheel.env.selection_memo`); dropped by ``cache prune``."""

RELEASES_DIR = "python-releases-v1"
"""python-build-standalone ``SHA256SUMS`` files read from an HTTP(S) host
(:mod:`omniwheel.python.release_fetch`), one per URL."""


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """The cache root; each part keeps its data in a versioned subdirectory of it."""
    env = os.environ if environ is None else environ
    configured = env.get("OMNIWHEEL_CACHE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    import platformdirs  # only when needed: every command starts here, `run` must start fast

    return Path(platformdirs.user_cache_dir("omniwheel", appauthor=False))
