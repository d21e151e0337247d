"""What the resolver needs from an index: the seam between resolution and the index session.

The resolver asks for project pages and core metadata with blocking calls, and hints at what it
will ask next.  :class:`omniwheel.index.session.IndexSession` answers for a real index; tests
answer from in-memory data (``tests/support/memory_index.py``).  Hints decide nothing: a reader
may ignore them, and a resolution must not change when it does.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from packaging.utils import NormalizedName

if TYPE_CHECKING:
    from omniwheel.index.models import CoreMetadata, ProjectPage, Wheel
    from omniwheel.index.routing import AsyncIndex

Prefetch = Callable[["AsyncIndex"], Coroutine[Any, Any, object]]
"""Work to run ahead of the resolver on the async client (see :mod:`omniwheel.resolve.prefetch`)."""


class IndexReader(Protocol):
    """Pages and metadata for the resolver, by blocking calls; prefetches are only hints."""

    def page(self, name: NormalizedName) -> ProjectPage | None:
        """The project's page, or None when the index does not list the project."""
        ...

    def metadata(self, wheel: Wheel) -> CoreMetadata:
        """The core metadata of one wheel of a page this reader returned."""
        ...

    def prefetch(self, work: Prefetch) -> None:
        """Start ``work`` without waiting for it; its result and failure are not reported."""
        ...

    def prefetch_pages(self, names: Iterable[NormalizedName]) -> None:
        """Start fetching these pages without waiting."""
        ...

    def prefetch_metadata(self, wheel: Wheel) -> None:
        """Start fetching this wheel's core metadata without waiting."""
        ...
