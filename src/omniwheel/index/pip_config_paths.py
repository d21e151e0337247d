"""Where pip keeps its configuration files, as pip looks for them.

Apart from :mod:`omniwheel.index.discovery` (which reads them) so that a command asking only
whether they changed (:mod:`omniwheel.cli.unchanged_lock`) imports nothing but the standard
library.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["pip_config_files"]


def pip_config_files(
    environ: Mapping[str, str],
    home: Path,
    *,
    platform: str = sys.platform,
    prefix: Path = Path(sys.prefix),
) -> list[Path]:
    """pip's configuration files, lowest priority first (later files override earlier ones).

    As pip does: site-wide files, then the user's files, then ``<prefix>/pip.conf`` of
    the running interpreter, then ``PIP_CONFIG_FILE``.  When ``PIP_CONFIG_FILE`` names an
    existing file the user's files are skipped; when it is ``os.devnull`` no file is read.
    """
    override = environ.get("PIP_CONFIG_FILE")
    if override == os.devnull:
        return []
    name = "pip.ini" if platform == "win32" else "pip.conf"
    files = [*_site_wide_files(environ, platform, name)]
    if not (override and Path(override).exists()):
        files += _user_files(environ, home, platform, name)
    files.append(prefix / name)
    if override:
        files.append(Path(override))
    return files


def _site_wide_files(environ: Mapping[str, str], platform: str, name: str) -> list[Path]:
    if platform == "darwin":
        return [Path("/Library/Application Support/pip") / name]
    if platform == "win32":
        program_data = environ.get("ProgramData") or "C:\\ProgramData"
        return [Path(program_data) / "pip" / name]
    dirs = environ.get("XDG_CONFIG_DIRS", "").strip() or "/etc/xdg"
    return [*(Path(d) / "pip" / name for d in dirs.split(os.pathsep) if d), Path("/etc") / name]


def _user_files(environ: Mapping[str, str], home: Path, platform: str, name: str) -> list[Path]:
    if platform == "win32":
        app_data = environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return [home / "pip" / name, Path(app_data) / "pip" / name]
    if platform == "darwin":
        library = home / "Library" / "Application Support" / "pip"
        current = library if library.is_dir() else home / ".config" / "pip"
    else:
        config_home = environ.get("XDG_CONFIG_HOME", "").strip()
        current = (Path(config_home) if config_home else home / ".config") / "pip"
    return [home / ".pip" / name, current / name]
