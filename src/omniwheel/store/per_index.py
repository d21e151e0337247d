"""One fetcher per index: each wheel downloaded with the credentials of its package's index.

A lock made from several indexes names each package's index (PEP 751 ``index``).
:class:`PerIndexFetcher` sends a wheel to the fetcher of that index (a
:class:`~omniwheel.store.download.WheelFetcher` holding that index's credentials, which it
sends only to that index's origin), and a wheel whose package names no known index to the
default one.  It decides nothing else: URL, size and hash checks stay with the fetcher and the
store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from packaging.utils import NormalizedName, canonicalize_name

from omniwheel.store.store import WheelSource

__all__ = ["ClosingFetcher", "PerIndexFetcher"]


class ClosingFetcher(Protocol):
    """A fetcher that holds connections until closed."""

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class PerIndexFetcher:
    """Routes each wheel to the fetcher of its package's index."""

    def __init__(
        self,
        *,
        by_index: Mapping[str, ClosingFetcher],
        package_index: Mapping[NormalizedName, str],
        default: ClosingFetcher,
    ) -> None:
        """``by_index``: index URL → its fetcher; ``package_index``: package → its index URL
        (the lock's); ``default``: for packages of any other index."""
        self._by_index = dict(by_index)
        self._package_index = dict(package_index)
        self._default = default

    def fetcher_for(self, wheel: WheelSource) -> ClosingFetcher:
        """The fetcher of ``wheel``'s package's index, else the default one."""
        index = self._package_index.get(canonicalize_name(wheel.name))
        return self._by_index.get(index, self._default) if index else self._default

    def chunks(self, wheel: WheelSource) -> Iterator[bytes]:
        return self.fetcher_for(wheel).chunks(wheel)

    def close(self) -> None:
        for fetcher in {id(f): f for f in (*self._by_index.values(), self._default)}.values():
            fetcher.close()
