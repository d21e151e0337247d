"""Julia's face of omniwheel: locked wheels as Julia artifacts.

A locked wheel becomes an *artifact tree* (:mod:`.tree`: the wheel as installed into a
site-packages directory), named by its ``git-tree-sha1`` (:mod:`.treehash`, exactly as Pkg
computes it), listed in an ``Artifacts.toml`` (:mod:`.artifacts_toml`) with the platform tags
Julia selects by (:mod:`.selection`), and shipped as a deterministic tarball (:mod:`.pack`).
The modules here are pure or touch only the paths they are given; downloading wheels, the
depot and the CLI live elsewhere.
"""

from __future__ import annotations

from omniwheel.errors import OmniwheelError


class ArtifactError(OmniwheelError):
    """A Julia artifact could not be built, read, written or packed."""
