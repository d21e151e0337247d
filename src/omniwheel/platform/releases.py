"""The marker environments that stand for every patch release of a target's Python.

Target ``3.X`` stands for ``3.X.0`` (or its patch floor) up to ``3.X.99``: markers are evaluated at
both ends, so a dependency needed from some patch release on is seen, and a lock is verified on
both ends too.  A target resolved at a pinned interpreter release stands for that release alone:
both ends are it.
"""

from __future__ import annotations

from omniwheel.platform.target import Target


def environments_of(target: Target) -> tuple[dict[str, str], dict[str, str]]:
    """Marker environments standing for every patch release of the target's Python.

    Target 3.X stands for 3.X.0 to 3.X.99 (or from its patch floor): a dependency whose marker
    holds only on some patch releases (``python_full_version >= "3.12.4"``) is needed there, so
    markers are evaluated at the lowest and the highest release the target stands for.
    """
    lowest = target.marker_environment()
    highest = dict(lowest)
    last = str(target.releases[-1])
    highest["python_full_version"] = highest["implementation_version"] = last
    return lowest, highest
