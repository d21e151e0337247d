"""An unpacking job for worker processes that kills its worker: a pool that breaks mid-sync."""

from __future__ import annotations

import os
from pathlib import Path

from omniwheel.store.unpack import UnpackLimits


def die(wheel: Path, dest: Path, filename: str, limits: UnpackLimits | None) -> None:
    """Leave half a tree behind, then end the worker process as an OOM kill would."""
    dest.mkdir()
    (dest / "half-written").write_bytes(b"")
    os._exit(1)
