"""Environment markers evaluated once per text, environment and extra.

A matrix lock asks whether a dependency's marker holds far more often than there are distinct
questions: the same texts recur across packages (``extra == "test"``, ``python_version <
"3.11"``), every group and then the locker's closure walk ask again, and the resolver revisits
the same metadata.  On the bench workload's 20 targets a warm lock asked 69,274 times for 6,940
distinct (text, environment) pairs, and ``Marker.evaluate`` was the largest single cost of the
resolution.  :class:`MarkerAnswers` keeps each answer; ``packaging`` still decides every one.

Markers are recognised by identity for their text (a marker's text is its normalised form, so
equal texts evaluate alike).  An answer depends only on the variables the marker names, so it is
kept per text, extra, and the environment's values of the variables whose names appear in the
text (a name inside a quoted value only makes that key finer): ``extra == "test"`` is evaluated
once for all 40 environments of a 20-target lock, ``sys_platform == "win32"`` once per
``sys_platform``.  ``holds_somewhere`` also keeps its answers per group of environments, which
it knows by identity, so each target's environments come from
:meth:`MarkerAnswers.environments_of` and must not be changed.  Markers and environments are
kept alive with the answers, so that no identity is reused.  One instance serves one lock run
on one thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.markers import Marker

from omniwheel.platform.releases import environments_of
from omniwheel.platform.target import Target

__all__ = ["MarkerAnswers"]

Environment = Mapping[str, str]


class MarkerAnswers:
    """Answers of ``Marker.evaluate``, kept per marker text, environment and extra."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Marker, str]] = {}
        self._environments: dict[Target, tuple[Environment, Environment]] = {}
        self._answers: dict[tuple[str, tuple[str | None, ...], str], bool] = {}
        self._names: dict[str, tuple[str, ...]] = {}
        self._somewhere: dict[tuple[str, tuple[int, ...], tuple[str, ...]], bool] = {}

    def environments_of(self, target: Target) -> tuple[Environment, Environment]:
        """The target's lowest and highest patch-release environments
        (:func:`omniwheel.platform.releases.environments_of`), the same objects every time."""
        known = self._environments.get(target)
        if known is None:
            known = self._environments[target] = environments_of(target)
        return known

    def all_environments(self, targets: Iterable[Target]) -> list[Environment]:
        """Both environments of every target, in order."""
        return [env for target in targets for env in self.environments_of(target)]

    def holds(self, marker: Marker, environment: Environment, extra: str) -> bool:
        """``marker.evaluate`` in ``environment`` (one of :meth:`environments_of`'s) with
        ``extra`` set."""
        text = self.text_of(marker)
        names = self._names.get(text)
        if names is None:
            names = self._names[text] = tuple(sorted(name for name in environment if name in text))
        key = (text, tuple(environment.get(name) for name in names), extra)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = marker.evaluate({**environment, "extra": extra})
        return answer

    def holds_somewhere(
        self, marker: Marker | None, environments: Sequence[Environment], extras: Iterable[str]
    ) -> bool:
        """True when there is no marker, or it holds in one of ``environments`` for one of
        ``extras``."""
        if marker is None:
            return True
        wanted = tuple(extras)
        # Every group asks about the same few hundred texts for each of its packages' markers:
        # the answer is kept for the group's environments as a whole.
        key = (self.text_of(marker), tuple(map(id, environments)), wanted)
        answer = self._somewhere.get(key)
        if answer is None:
            answer = any(self.holds(marker, env, extra) for env in environments for extra in wanted)
            self._somewhere[key] = answer
        return answer

    def text_of(self, marker: Marker) -> str:
        """``str(marker)``, the key its answers are kept under (made once per marker)."""
        known = self._texts.get(id(marker))
        if known is None:
            known = self._texts[id(marker)] = (marker, str(marker))
        return known[1]
