"""A frozen value class for the modules the no-op ``sync`` imports, without :mod:`dataclasses`.

``@dataclass(frozen=True, slots=True, kw_only=True)`` is how omniwheel writes its values, but
importing :mod:`dataclasses` imports :mod:`inspect` (and :mod:`ast`, :mod:`dis`, :mod:`tokenize`
…), and every decorated class ``exec``\\ s its generated methods: together more than the whole
check of an environment already in sync.  The state file's model (:mod:`omniwheel.env.layout`)
and the audit's answer (:mod:`omniwheel.env.audit`) therefore subclass :class:`Value`: each
declares its ``__slots__`` and a keyword-only ``__init__``, its fields annotated ``Final`` (mypy,
strict on ``src`` and ``tests``, refuses any assignment after ``__init__``; nothing checks that
at run time, which would slow the reading of a state file), and gets from here what the
decorator would have generated: equality and hashing on the fields, and a readable ``repr``;
and :meth:`Value._with`, what ``dataclasses.replace`` gives.

The installer's own results (:mod:`omniwheel.env.install`) are values of this kind too: every
warm sync imports that module, and ``@dataclass`` cost 1 to 2 ms per class there (its methods
are compiled when the module is imported), for values that only carry work between functions.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy reads this as typing.TYPE_CHECKING, which is not imported here
if TYPE_CHECKING:
    from typing import Any, Self


class Value:
    """Equality, hash and ``repr`` over ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{self.__class__.__qualname__}({fields})"

    def _with(self, **changes: object) -> Self:
        """A copy with ``changes`` and every other field as it is.  Derived from ``__slots__``,
        so a field added later is copied too (a subclass's ``__init__`` takes each field by its
        slot's name)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        make: Any = type(self)
        copy: Self = make(**(fields | changes))
        return copy
