"""Lock through the real ``omniwheel lock`` with cross-target reuse on or off, and see what it did.

The CLI has no switch for reuse: :func:`omniwheel.resolve.matrix.resolve_matrix` takes it as a
keyword.  :func:`record_resolutions` puts a :class:`Recorder` where the locker calls the resolver;
it passes its ``reuse`` setting on and keeps every resolution, so a test can compare locks made
both ways and check that reuse really happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from omniwheel.resolve import matrix
from omniwheel.resolve.index_reader import IndexReader
from omniwheel.resolve.marker_answers import MarkerAnswers
from omniwheel.resolve.matrix import resolve_matrix
from omniwheel.resolve.resolution import MatrixResolution, ResolvedBy, ResolveRequest


@dataclass(slots=True)
class Recorder:
    """Stands in for ``resolve_matrix`` in the locker, with reuse on or off; keeps the results."""

    reuse: bool = True
    results: list[MatrixResolution] = field(default_factory=list)

    def __call__(
        self, request: ResolveRequest, index: IndexReader, *, answers: MarkerAnswers | None = None
    ) -> MatrixResolution:
        result = resolve_matrix(request, index, reuse=self.reuse, answers=answers)
        self.results.append(result)
        return result

    def count(self, resolved_by: ResolvedBy) -> int:
        """Groups of the recorded resolutions that were resolved this way."""
        return sum(1 for r in self.results for g in r.groups if g.resolved_by == resolved_by)

    def groups(self) -> int:
        return sum(len(result.groups) for result in self.results)


def record_resolutions(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """A Recorder in place of the resolver the locker imports when it resolves (from
    :mod:`omniwheel.resolve.matrix`, at call time), for the test that owns ``monkeypatch``."""
    recorder = Recorder()
    monkeypatch.setattr(matrix, "resolve_matrix", recorder)
    return recorder
