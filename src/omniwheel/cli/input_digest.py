"""Pieces of the digests that let a command skip a check it did before with the same inputs.

``sync``/``run``'s lock-check stamp (:mod:`omniwheel.cli.locking`) and ``lock``'s early answer
(:mod:`omniwheel.cli.unchanged_lock`) both digest files and the index settings; what they cover
must be read the same way in both.  Only the standard library is imported here: both run before
a command knows it has work to do.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from omniwheel.index.pip_config_paths import pip_config_files

__all__ = ["file_fingerprint", "pip_configuration", "public_text", "read_or_none"]

_USERINFO = re.compile(r"//[^/@\s]*@")


def read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it cannot be read (missing, a directory, no permission)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def file_fingerprint(path: Path) -> bytes:
    """The sha256 of the file's bytes, or of a marker no file's sha256 equals when it cannot be
    read."""
    content = read_or_none(path)
    return hashlib.sha256(b"\0missing" if content is None else content).digest()


def pip_configuration(environ: Mapping[str, str], home: Path) -> str:
    """Every configuration file pip would read, by path, with its contents (``\\0missing`` for
    one that is absent), URL credentials cut out: what a digest of the index settings covers."""
    parts = []
    for path in pip_config_files(environ, home):
        content = read_or_none(path)
        text = "\0missing" if content is None else content.decode("utf-8", "replace")
        parts.append(public_text(f"{path}\0{text}\0"))
    return "".join(parts)


def public_text(text: str) -> str:
    """``text`` with the userinfo of any URL in it cut out."""
    return _USERINFO.sub("//", text) if "@" in text else text
