"""``str(Path(path).absolute())`` without importing :mod:`pathlib` (on POSIX).

The no-op ``sync`` (:mod:`omniwheel.cli.unchanged_venv`) works on string paths: importing
:mod:`pathlib` imports :mod:`re`, :mod:`fnmatch`, :mod:`urllib.parse` and more, a large part of
the whole check.  Where it must spell a path exactly as the usual way spells it with
:class:`~pathlib.Path` (the key of the lock-check stamp is a hash of the lock's path), it spells
it with :func:`absolute`.
"""

# Read by the no-op sync, which imports no pathlib (see omniwheel._purepath): os functions.
# ruff: noqa: PTH109

from __future__ import annotations

import os

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]


def absolute(path: StrPath) -> str:
    """``str(Path(path).absolute())``: relative to the working directory, empty and ``.`` parts
    dropped, ``..`` kept, and a leading ``//`` (but not ``///``) kept, as :mod:`pathlib` spells a
    POSIX path.  Elsewhere (Windows' drives and separators) :mod:`pathlib` itself answers."""
    if os.name != "posix":
        from pathlib import Path

        return str(Path(path).absolute())
    text = os.fspath(path)
    if not text.startswith("/"):
        text = f"{os.getcwd()}/{text}"
    root = "//" if text.startswith("//") and not text.startswith("///") else "/"
    return root + "/".join(part for part in text.split("/") if part and part != ".")
