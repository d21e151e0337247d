"""Whether stderr is surely no terminal for ``rich``: then text goes to it as it is.

Its own module, importing only :mod:`os` and :mod:`sys`, so that the console's early answer to a
no-op sync (:mod:`omniwheel.cli.console`) and :mod:`omniwheel.cli.output` decide alike without
the first importing the second (which imports :mod:`re`).
"""

from __future__ import annotations

import os
import sys


def stderr_is_plain() -> bool:
    """No variable forces a terminal (``TTY_COMPATIBLE``, ``FORCE_COLOR``), and ``isatty()`` is
    False."""
    if os.environ.get("TTY_COMPATIBLE") or os.environ.get("FORCE_COLOR") is not None:
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
