"""SHA-256 without :mod:`hashlib`, for the modules a no-op ``sync`` imports.

:mod:`hashlib` loads OpenSSL's ``libcrypto`` when it is imported: a few milliseconds, a tenth
of a whole no-op ``sync`` (:mod:`omniwheel.cli.unchanged_venv`), which hashes two small files
and a path.  CPython also builds SHA-256 in (``_sha2`` from 3.12, ``_sha256`` before), with the
same object interface (``update``, ``digest``, ``hexdigest``) and the same digests; where neither
exists (another implementation) :mod:`hashlib` serves.  Everything hashing large data (wheels,
store trees) keeps using :mod:`hashlib`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha2 import sha256  # CPython >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.11
        except ImportError:
            from hashlib import sha256

__all__ = ["sha256"]
