"""Which extras and dependency groups a sync installs from a multi-use lock.

The command line asks (:class:`ChoiceRequest`: ``--extra``, ``--all-extras``, ``--no-extra``,
``--group``, ``--only-group``, ``--no-group``, ``--all-groups``, ``--no-default-groups``,
``--dev``/``--no-dev``/``--only-dev``); :func:`resolve_choice` answers it against what the lock
declares (:class:`LockChoices`), the way uv does: the project's dependencies plus the default
groups (omniwheel's ``sync`` defaults, recorded in the lock; the lock's own ``default-groups``
stays the project's dependencies alone, for other installers), ``--group`` adding to them,
``--only-group`` dropping the project's dependencies and the defaults, ``--no-default-groups``
keeping the project's dependencies.  A name the lock does not declare is an error listing what
it does declare.  Pure: no I/O, no ``packaging``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omniwheel.env.layout import choice_key
from omniwheel.errors import LockFileError, OmniwheelError

DEV = "dev"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceRequest:
    """What the command line asked for; the defaults ask for the default install."""

    extras: tuple[str, ...] = ()
    all_extras: bool = False
    no_extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    no_groups: tuple[str, ...] = ()
    all_groups: bool = False
    no_default_groups: bool = False
    dev: bool | None = None
    """``--dev`` (True) / ``--no-dev`` (False); None: neither."""
    only_dev: bool = False

    def normalized(self) -> ChoiceRequest:
        """The same request with every name normalized, deduplicated and sorted."""

        def names(items: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({_normalized(item) for item in items}))

        return ChoiceRequest(
            extras=names(self.extras),
            all_extras=self.all_extras,
            no_extras=names(self.no_extras),
            groups=names(self.groups),
            only_groups=names(self.only_groups),
            no_groups=names(self.no_groups),
            all_groups=self.all_groups,
            no_default_groups=self.no_default_groups,
            dev=self.dev,
            only_dev=self.only_dev,
        )

    @property
    def key(self) -> str:
        """A stable text for this request: what the no-op check and the memo compare (the
        same lock bytes and the same request select the same packages)."""
        r = self.normalized()
        return choice_key(
            extras=r.extras,
            all_extras=r.all_extras,
            no_extras=r.no_extras,
            groups=r.groups,
            only_groups=r.only_groups,
            no_groups=r.no_groups,
            all_groups=r.all_groups,
            no_default_groups=r.no_default_groups,
            dev=r.dev,
            only_dev=r.only_dev,
        )

    @property
    def is_default(self) -> bool:
        return self.normalized() == ChoiceRequest()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockChoices:
    """What a lock lets an installer choose."""

    extras: tuple[str, ...]
    groups: tuple[str, ...]
    """``dependency-groups``: the selectable groups."""
    lock_default_groups: tuple[str, ...]
    """The lock's ``default-groups`` (omniwheel: ``default``, the project's dependencies)."""
    sync_default_groups: tuple[str, ...]
    """The groups omniwheel's sync adds by default (recorded by omniwheel; none otherwise)."""
    single_use_extras: tuple[str, ...] | None = None
    """Set for a lock omniwheel wrote before multi-use locks: it cannot honour a choice."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """The answer: what to pass ``Pylock.select``, and what it means."""

    main: bool
    """Whether the project's own dependencies are installed."""
    extras: tuple[str, ...]
    groups: tuple[str, ...]
    """The project's groups chosen (not the synthetic default group)."""
    select_groups: tuple[str, ...]
    """``dependency_groups`` for ``Pylock.select``: the lock's default groups when ``main``,
    plus :attr:`groups`."""

    def describe(self) -> str:
        parts = [] if self.main else ["without the project's dependencies"]
        if self.extras:
            parts.append(f"extras {', '.join(self.extras)}")
        if self.groups:
            parts.append(f"groups {', '.join(self.groups)}")
        return "; ".join(parts) or "the project's dependencies"


class UnknownChoiceError(LockFileError):
    """Extras or groups that the lock does not declare."""

    def __init__(self, kind: str, unknown: tuple[str, ...], choices: LockChoices) -> None:
        extras = ", ".join(choices.extras) or "none"
        groups = ", ".join(choices.groups) or "none"
        noun = kind if len(unknown) == 1 else f"{kind}s"
        super().__init__(
            f"the lock has no {noun} {', '.join(unknown)} (its extras: {extras}; its groups: "
            f"{groups})",
            hint="check the name; if pyproject.toml declares it, run `omniwheel lock` (a "
            "sync with --frozen uses the lock as it is)",
        )
        self.kind = kind
        self.unknown = unknown


class SingleUseLockError(LockFileError):
    """A choice of extras or groups asked of a lock that chose its extras at lock time."""

    def __init__(self, extras: tuple[str, ...], choice: ChoiceRequest) -> None:
        chosen = ", ".join(extras) if extras else "none"
        super().__init__(
            f"pylock.toml is a single-use lock (extras chosen at lock time: {chosen}), so it "
            f"cannot install another choice of extras or groups ({choice.key}); nothing was "
            "installed",
            hint="relock once with `omniwheel lock`: extras and groups are then chosen at sync",
        )
        self.extras = extras


class ConflictingChoiceError(OmniwheelError):
    """Options that contradict each other (``--only-group`` with ``--no-default-groups``...)."""


def resolve_choice(request: ChoiceRequest, choices: LockChoices) -> Choice:
    """What ``request`` installs from a lock offering ``choices`` (see the module docstring)."""
    r = request.normalized()
    if choices.single_use_extras is not None and not r.is_default:
        raise SingleUseLockError(choices.single_use_extras, r)
    _check_known("extra", (*r.extras, *r.no_extras), choices.extras, choices)
    only = {*r.only_groups, *((DEV,) if r.only_dev else ())}
    named = {*r.groups, *r.no_groups, *only, *((DEV,) if r.dev else ())}
    _check_known("group", tuple(sorted(named)), choices.groups, choices)
    if only and (r.groups or r.dev or r.all_groups or r.no_default_groups):
        raise ConflictingChoiceError(
            "--only-group/--only-dev install those groups alone, which contradicts --group, "
            "--dev, --all-groups and --no-default-groups",
            hint="use --only-group alone, or --group without it",
        )
    extras = set(choices.extras if r.all_extras else r.extras) - set(r.no_extras)
    if only:
        groups = set(only)
    else:
        groups = set() if r.no_default_groups else set(choices.sync_default_groups)
        groups |= set(choices.groups) if r.all_groups else set(r.groups)
        if r.dev:
            groups.add(DEV)
    groups -= set(r.no_groups)
    if r.dev is False:
        groups.discard(DEV)
    main = not only
    chosen_groups = tuple(sorted(groups))
    select = (*(choices.lock_default_groups if main else ()), *chosen_groups)
    return Choice(
        main=main,
        extras=tuple(sorted(extras)),
        groups=chosen_groups,
        select_groups=tuple(dict.fromkeys(select)),
    )


def _check_known(
    kind: str, names: tuple[str, ...], known: tuple[str, ...], choices: LockChoices
) -> None:
    unknown = tuple(sorted({name for name in names if name not in known}))
    if unknown:
        raise UnknownChoiceError(kind, unknown, choices)
