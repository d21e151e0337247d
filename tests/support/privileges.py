"""File modes that bind root too, so that "cannot be read" and "cannot be written" tests hold.

Root (and CI runs the suite as root) opens any file whatever its mode: it holds the Linux
capabilities ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH``.  :func:`modes_enforced` takes
them out of the calling thread's effective set for the ``with`` block, so that ``open`` and
``os.access(..., effective_ids=True)`` answer by the mode bits, as for the file's unprivileged
owner; the capabilities stay permitted and come back when the block ends.  Other users need
nothing: the kernel already holds them to the modes.

Capabilities belong to a thread, so only code running on the calling thread is held to the
modes (``os.access`` without ``effective_ids`` checks the real user's full set, and sees
nothing of it).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# From <linux/capability.h>.
_CAPABILITY_VERSION_3 = 0x20080522
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
_FILE_OVERRIDES = (1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)


class _Header(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _Data(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


@contextmanager
def modes_enforced() -> Iterator[None]:
    """Hold the calling thread to file modes for the block, even when it runs as root."""
    if os.geteuid() != 0:
        yield
        return
    if sys.platform != "linux":
        raise RuntimeError("holding root to file modes needs Linux capabilities")
    header = _Header(version=_CAPABILITY_VERSION_3, pid=0)  # pid 0: the calling thread
    data = (_Data * 2)()  # version 3 splits each set over two 32-bit words
    _call("capget", header, data)
    held = data[0].effective
    data[0].effective = held & ~_FILE_OVERRIDES
    _call("capset", header, data)
    try:
        yield
    finally:
        data[0].effective = held
        _call("capset", header, data)


def _call(name: str, header: _Header, data: ctypes.Array[_Data]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(ctypes.byref(header), data) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{name}: {os.strerror(number)}")
