"""Where pip keeps its configuration files, as pip looks for them.

Apart from :mod:`omniwheel.index.discovery` (which reads them) so that a command asking only
whether they changed (:mod:`omniwheel.cli.unchanged_lock`, the no-op ``sync``'s
:mod:`omniwheel.cli.lock_stamp`) imports nothing but the standard library: the paths are
worked out as strings (:func:`pip_config_paths`), and :mod:`pathlib` is imported only by
:func:`pip_config_files`, for the readers that want :class:`~pathlib.Path` objects.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH110, PTH112, PTH118

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    StrPath = str | os.PathLike[str]

__all__ = ["pip_config_files", "pip_config_paths"]


def pip_config_files(
    environ: Mapping[str, str],
    home: StrPath,
    *,
    platform: str = sys.platform,
    prefix: StrPath | None = None,
) -> list[Path]:
    """pip's configuration files, lowest priority first (later files override earlier ones).

    As pip does: site-wide files, then the user's files, then ``<prefix>/pip.conf`` of
    the running interpreter (``prefix``: default ``sys.prefix``), then ``PIP_CONFIG_FILE``.
    When ``PIP_CONFIG_FILE`` names an existing file the user's files are skipped; when it is
    ``os.devnull`` no file is read.
    """
    from pathlib import Path

    return [
        Path(path) for path in pip_config_paths(environ, home, platform=platform, prefix=prefix)
    ]


def pip_config_paths(
    environ: Mapping[str, str],
    home: StrPath,
    *,
    platform: str = sys.platform,
    prefix: StrPath | None = None,
) -> list[str]:
    """:func:`pip_config_files` as strings (joined with the platform's separator)."""
    override = environ.get("PIP_CONFIG_FILE")
    if override == os.devnull:
        return []
    name = "pip.ini" if platform == "win32" else "pip.conf"
    home = os.fspath(home)
    files = [*_site_wide_files(environ, platform, name)]
    if not (override and os.path.exists(override)):
        files += _user_files(environ, home, platform, name)
    files.append(os.path.join(sys.prefix if prefix is None else prefix, name))
    if override:
        files.append(override)
    return files


def _site_wide_files(environ: Mapping[str, str], platform: str, name: str) -> list[str]:
    if platform == "darwin":
        return [os.path.join("/Library/Application Support/pip", name)]
    if platform == "win32":
        program_data = environ.get("ProgramData") or "C:\\ProgramData"
        return [os.path.join(program_data, "pip", name)]
    dirs = environ.get("XDG_CONFIG_DIRS", "").strip() or "/etc/xdg"
    found = [os.path.join(d, "pip", name) for d in dirs.split(os.pathsep) if d]
    return [*found, os.path.join("/etc", name)]


def _user_files(environ: Mapping[str, str], home: str, platform: str, name: str) -> list[str]:
    if platform == "win32":
        app_data = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        return [os.path.join(home, "pip", name), os.path.join(app_data, "pip", name)]
    if platform == "darwin":
        library = os.path.join(home, "Library", "Application Support", "pip")
        current = library if os.path.isdir(library) else os.path.join(home, ".config", "pip")
    else:
        config_home = environ.get("XDG_CONFIG_HOME", "").strip()
        current = os.path.join(config_home or os.path.join(home, ".config"), "pip")
    return [os.path.join(home, ".pip", name), os.path.join(current, name)]
