"""What the user asked for: their ``pyproject.toml`` and the ``exclude-newer`` cut-off.

This package reads files and turns them into validated values; it knows nothing of
indexes, targets or resolution.  The names most callers need are re-exported here.
"""

from __future__ import annotations

from omniwheel.project.pyproject import (
    Project,
    ProjectNotFoundError,
    ProjectSyntaxError,
    ProjectValidationError,
    Settings,
    find_project,
    load_project,
)
from omniwheel.project.timestamp import TimestampError, format_timestamp, parse_exclude_newer

__all__ = [
    "Project",
    "ProjectNotFoundError",
    "ProjectSyntaxError",
    "ProjectValidationError",
    "Settings",
    "TimestampError",
    "find_project",
    "format_timestamp",
    "load_project",
    "parse_exclude_newer",
]
