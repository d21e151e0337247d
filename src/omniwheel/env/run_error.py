"""The error of :func:`omniwheel.env.run.run_in_venv`, apart from it.

``omniwheel run`` on an environment already in sync imports :mod:`omniwheel.env.run` to start
the command; this module (and :mod:`omniwheel.errors`, which imports :mod:`dataclasses`) is
imported only when the command cannot be found.
"""

from __future__ import annotations

from omniwheel.errors import OmniwheelError


class CommandNotFoundError(OmniwheelError):
    """The command to run exists neither in the environment nor on ``PATH``."""
