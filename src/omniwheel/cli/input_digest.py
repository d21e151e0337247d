"""Pieces of the digests that let a command skip a check it did before with the same inputs.

``sync``/``run``'s lock-check stamp (:mod:`omniwheel.cli.locking`) and ``lock``'s early answer
(:mod:`omniwheel.cli.unchanged_lock`) both digest files and the index settings; what they cover
must be read the same way in both.  Only the standard library is imported here, and not
:mod:`pathlib`, :mod:`hashlib` or :mod:`re` (see :mod:`omniwheel.cli.unchanged_venv`): both run
before a command knows it has work to do.  Paths may be given as strings or path objects.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH123

from __future__ import annotations

import os

from omniwheel._sha256 import sha256
from omniwheel.index.pip_config_paths import pip_config_paths

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from collections.abc import Mapping

    StrPath = str | os.PathLike[str]

__all__ = ["file_fingerprint", "pip_configuration", "public_text", "read_or_none"]

_USERINFO = r"//[^/@\s]*@"
"""A URL's ``//user:password@``, compiled only for a text holding an ``@``."""


def read_or_none(path: StrPath) -> bytes | None:
    """The file's bytes, or None when it cannot be read (missing, a directory, no permission)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def file_fingerprint(path: StrPath) -> bytes:
    """The sha256 of the file's bytes, or of a marker no file's sha256 equals when it cannot be
    read."""
    content = read_or_none(path)
    return sha256(b"\0missing" if content is None else content).digest()


def pip_configuration(environ: Mapping[str, str], home: StrPath) -> str:
    """Every configuration file pip would read, by path, with its contents (``\\0missing`` for
    one that is absent), URL credentials cut out: what a digest of the index settings covers."""
    parts = []
    for path in pip_config_paths(environ, home):
        content = read_or_none(path)
        text = "\0missing" if content is None else content.decode("utf-8", "replace")
        parts.append(public_text(f"{path}\0{text}\0"))
    return "".join(parts)


def public_text(text: str) -> str:
    """``text`` with the userinfo of any URL in it cut out."""
    if "@" not in text:
        return text
    import re  # cached by re itself after the first call

    return re.sub(_USERINFO, "//", text)
