"""omniwheel's own tables in ``pylock.toml``: one frozen model, read and written in one place.

A lock records under ``[tool.omniwheel]`` what it was made from (:class:`LockInputs`: every
root's requirements among them, so that a changed extra or group is noticed without the index)
and the targets it skipped, and under each entry's ``[packages.tool.omniwheel]`` the targets that
need that entry and, in a lock with extras or groups, the roots that need it (``roots``, with
``root-targets`` for a root that needs it on fewer targets).

A lock written before locks became multi-use records ``extras`` (chosen at lock time): it reads
with :attr:`LockToolTable.single_use_extras` set, and callers ask for one relock.

:func:`read_tool_tables` checks every value a person may have edited — types, target
names, requirements, the cutoff — and reports all problems at once, each with its TOML key path;
the writer (:mod:`omniwheel.lock.pylock_text`, from :func:`recorded_inputs`) renders the same
model, so what is written reads back equal.

A lock without ``[tool.omniwheel]`` (another tool's) reads as ``None``: each reader decides what
that means.  Keys omniwheel always writes may be missing (an older or hand-trimmed table); they
read as the value a fresh lock would record for "not given".  A key omniwheel does not write is a
problem: it is a typo, or a newer omniwheel's lock that this one would misread.

Reading needs neither ``tomlkit`` nor the lock model (a sync reads these tables on its way to
selecting wheels).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from omniwheel.errors import LockFileError, Problem, TargetError, ValidationError
from omniwheel.platform.target import Target, target_from_name
from omniwheel.project.indexes import IndexEntry, check_index_name
from omniwheel.project.roots import MAIN, Root

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from omniwheel.lock.model import Lock, LockedPackage
    from omniwheel.project.pyproject import NoWheelPolicy
    from omniwheel.python.pbs import PinnedPython

TOOL = "omniwheel"
RELOCK_HINT = "delete it and run `omniwheel lock` to write a new one"
OPTIONS_FROM_CLI = ("exclude-newer", "prerelease", "uniform", "pin-python", "python-release")
"""The lock options a command line can set and relocks then keep (``options-from-cli``)."""
_NO_WHEEL_POLICIES: tuple[NoWheelPolicy, ...] = ("error", "skip-target")


@dataclass(frozen=True, slots=True, kw_only=True)
class LockInputs:
    """What the lock was made from, recorded under ``[tool.omniwheel]``."""

    targets: tuple[Target, ...]
    targets_from_cli: bool
    index_url: str
    """The default index (the last one asked), without credentials."""
    indexes: tuple[IndexEntry, ...] = ()
    """The indexes asked before the default, in order (``--index``, ``OMNIWHEEL_INDEX``,
    ``[[tool.omniwheel.index]]``), URLs without credentials; empty with the default alone."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """``[tool.omniwheel.sources]``: package (normalized) → index name, sorted."""
    no_index: bool = False
    """``no-index``: the default index served only packages pinned to it (written only when
    true, so locks made without it keep their bytes)."""
    options_from_cli: tuple[str, ...] = ()
    """Which of :data:`OPTIONS_FROM_CLI` came from the command line (now or for an earlier
    lock): relocks keep those; the others follow ``[tool.omniwheel]``."""
    exclude_newer: datetime | None
    prerelease: bool
    uniform: bool
    no_wheel: NoWheelPolicy
    requirements: tuple[str, ...]
    """``[project].dependencies``, each a valid PEP 508 requirement as ``str(Requirement)``
    spells it, references to the project itself expanded; sorted."""
    requires_python: str | None
    optional_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each extra (normalized, sorted) and its requirements, like :attr:`requirements`."""
    dependency_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each PEP 735 group (normalized, sorted) and its requirements, includes expanded."""
    default_groups: tuple[str, ...] = ()
    """The groups omniwheel's ``sync`` installs by default (``[tool.omniwheel]
    default-groups``, else ``dev`` when declared); the lock's own ``default-groups`` stays the
    project's dependencies alone, so other installers install for production."""
    pin_python: bool = False
    """Whether the lock pins an interpreter build per target (``[[tool.omniwheel.python]]``)."""
    python_release: str | None = None
    """The python-build-standalone release the pins come from (recorded with ``pin_python``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPython:
    """One ``[[tool.omniwheel.python]]`` entry: an interpreter build and the targets it serves.

    Targets sharing a build (glibc floors of one architecture, say) share one entry."""

    targets: tuple[Target, ...]
    build: PinnedPython


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedTarget:
    """One ``skipped-targets`` entry: a target the lock has no packages for, and why."""

    target: Target
    reason: str
    """One line: the first line of the resolver's explanation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockToolTable:
    """``[tool.omniwheel]``: the lock's inputs and the targets it skipped."""

    inputs: LockInputs
    skipped: tuple[SkippedTarget, ...] = ()
    pythons: tuple[LockedPython, ...] = ()
    """The pinned interpreters, when :attr:`LockInputs.pin_python`; in the order written."""
    single_use_extras: tuple[str, ...] | None = None
    """The extras a lock written before multi-use locks chose at lock time (its ``extras``
    key); None for a multi-use lock.  Such a lock must be relocked once before use."""

    @classmethod
    def of(cls, lock: Lock) -> LockToolTable:
        """The table a lock is written with."""
        skipped = tuple(
            SkippedTarget(target=target, reason=reason.splitlines()[0])
            for target, reason in lock.skipped
        )
        return cls(inputs=lock.inputs, skipped=skipped, pythons=lock.pythons)

    def python_for(self, target: Target) -> LockedPython | None:
        """The interpreter pinned for ``target``, if the lock pins one."""
        for entry in self.pythons:
            if target in entry.targets:
                return entry
        return None

    @property
    def locked_targets(self) -> tuple[Target, ...]:
        """The targets the lock has packages for: its targets but the skipped ones, sorted."""
        skipped = {entry.target for entry in self.skipped}
        kept = dict.fromkeys(t for t in self.inputs.targets if t not in skipped)
        return tuple(sorted(kept, key=Target.sort_key))


SINGLE_USE_HINT = "relock once with `omniwheel lock`: extras and groups are then chosen at sync"


def single_use_change(extras: tuple[str, ...]) -> str:
    """How ``--check`` and ``sync`` name a lock written before locks became multi-use."""
    chosen = ", ".join(extras) if extras else "none"
    return f"single-use lock (extras chosen at lock time: {chosen}); relock once"


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageToolTable:
    """``[packages.tool.omniwheel]``: the targets that need this package entry, and which roots
    need it on which of them."""

    targets: tuple[Target, ...]
    roots: Mapping[Root, tuple[Target, ...]] = field(default_factory=dict)
    """Root → targets; empty means the project's dependencies on every one of ``targets``."""

    @classmethod
    def of(cls, package: LockedPackage) -> PackageToolTable:
        roots = {} if set(package.roots) <= {MAIN} else dict(package.roots)
        return cls(targets=package.targets, roots=roots)

    def roots_on(self, target: Target) -> frozenset[Root]:
        """The roots that need this entry on ``target`` (none where it is not needed)."""
        if target not in self.targets:
            return frozenset()
        if not self.roots:
            return frozenset({MAIN})
        return frozenset(root for root, targets in self.roots.items() if target in targets)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolTables:
    """omniwheel's tables of one lock; ``None`` where a table is absent."""

    lock: LockToolTable | None
    packages: tuple[PackageToolTable | None, ...]
    """One per ``[[packages]]`` entry, in the file's order."""


class ToolTableError(ValidationError, LockFileError):
    """``[tool.omniwheel]`` or a ``[packages.tool.omniwheel]`` holds values omniwheel does not
    write; every problem is listed with its key path."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(str(path), problems, hint=RELOCK_HINT)
        self.path = path


# -- reading -----------------------------------------------------------------------------------


def read_tool_tables(pylock: Pylock, *, path: Path) -> ToolTables:
    """omniwheel's tables of ``pylock`` (read from ``path``), checked; raises
    :class:`ToolTableError` listing every problem."""
    problems: list[Problem] = []
    lock = _lock_table(_ours(pylock.tool), problems)
    targets_where = f"tool.{TOOL}.targets"
    unsound = any(
        p.where == targets_where or p.where.startswith(f"{targets_where}[") for p in problems
    )
    # Package targets are checked against the lock's only when those could be read.
    known = None if lock is None or unsound else frozenset(lock.inputs.targets)
    packages = tuple(
        _package_table(_ours(package.tool), f"packages[{index}]", known, problems)
        for index, package in enumerate(pylock.packages)
    )
    if problems:
        raise ToolTableError(path, problems)
    return ToolTables(lock=lock, packages=packages)


def read_lock_table(data: Mapping[str, Any], *, path: Path) -> LockToolTable | None:
    """The top-level ``[tool.omniwheel]`` of a parsed document (a whole lock, or just that
    table), checked; None when absent.  Raises :class:`ToolTableError` listing every problem."""
    problems: list[Problem] = []
    tool = data.get("tool")
    lock = _lock_table(_ours(tool) if isinstance(tool, Mapping) else None, problems)
    if problems:
        raise ToolTableError(path, problems)
    return lock


def _ours(tool: Mapping[str, Any] | None) -> object:
    return None if tool is None else tool.get(TOOL)


_T = TypeVar("_T")


class _Fields:
    """The keys of one table, read one by one; what is wrong goes to ``problems``, and keys
    left unread are reported by :meth:`unknown_keys`."""

    def __init__(self, table: Mapping[str, object], where: str, problems: list[Problem]) -> None:
        self.table = table
        self.where = where
        self.problems = problems
        self._read: set[str] = set()

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(where=f"{self.where}.{key}", message=message))

    def value(self, key: str, default: _T, check: Callable[[object], bool], expected: str) -> _T:
        """The value of ``key`` if ``check`` accepts it; else ``default`` (a problem when given)."""
        self._read.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        if not check(value):
            self.problem(key, f"expected {expected}, not {_shown(value)}")
            return default
        return value  # type: ignore[return-value]  # what check accepted

    def flag(self, key: str) -> bool:
        return self.value(key, False, lambda v: isinstance(v, bool), "true or false")

    def text(self, key: str) -> str | None:
        return self.value(key, None, lambda v: isinstance(v, str), "a string")

    def strings(self, key: str, noun: str) -> tuple[str, ...]:
        items: list[str] = self.value(key, [], _is_string_list, f"an array of {noun}")
        return tuple(items)

    def items(self, key: str, noun: str, parse: Callable[[str], _T]) -> tuple[_T, ...]:
        """Each string of the array ``key`` parsed; ``parse`` raises ValueError with the reason."""
        parsed = []
        for index, text in enumerate(self.strings(key, noun)):
            try:
                parsed.append(parse(text))
            except ValueError as exc:
                self.problem(f"{key}[{index}]", str(exc))
        return tuple(parsed)

    def unknown_keys(self, expected: Sequence[str]) -> None:
        for key in self.table:
            if key not in self._read:
                known = ", ".join(expected)
                self.problem(key, f"not a key omniwheel writes here (it writes: {known})")


def _shown(value: object) -> str:
    """A TOML value as a message quotes it: its TOML type and its value (strings quoted)."""
    if isinstance(value, list):
        kinds = sorted({_toml_type(item) for item in value})
        return f"an array of {' and '.join(kinds)}" if kinds else "an empty array"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "a table"
    return f"{_toml_type(value)} {value}"


def _toml_type(value: object) -> str:
    if isinstance(value, datetime):
        return "date-time" if value.tzinfo is not None else "local date-time"
    names = {str: "string", bool: "boolean", int: "integer", float: "float", list: "array"}
    return "table" if isinstance(value, Mapping) else names.get(type(value), type(value).__name__)


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _table(value: object, where: str, problems: list[Problem]) -> Mapping[str, object] | None:
    """``value`` if it is a table; else None, and a problem."""
    if isinstance(value, Mapping):
        return value
    problems.append(Problem(where=where, message=f"expected a table, not {_shown(value)}"))
    return None


_LOCK_KEYS = (
    "targets",
    "targets-from-cli",
    "options-from-cli",
    "index-url",
    "indexes",
    "sources",
    "no-index",
    "exclude-newer",
    "prerelease",
    "uniform",
    "no-wheel",
    "requires-python",
    "requirements",
    "optional-dependencies",
    "dependency-groups",
    "default-groups",
    "skipped-targets",
    "pin-python",
    "python-release",
    "python",
)
_PYTHON_KEYS = (
    "targets",
    "implementation",
    "version",
    "release",
    "triple",
    "flavor",
    "url",
    "hashes",
    "executable",
    "libpython",
)


def _lock_table(value: object, problems: list[Problem]) -> LockToolTable | None:
    table = None if value is None else _table(value, f"tool.{TOOL}", problems)
    if table is None:
        return None
    fields = _Fields(table, f"tool.{TOOL}", problems)
    inputs = LockInputs(
        targets=fields.items("targets", "target names", _target),
        targets_from_cli=fields.flag("targets-from-cli"),
        options_from_cli=fields.items("options-from-cli", "input names", _option_from_cli),
        index_url=fields.text("index-url") or "",
        indexes=_indexes(fields),
        sources=_sources(fields),
        no_index=fields.flag("no-index"),
        exclude_newer=fields.value("exclude-newer", None, _is_utc_datetime, _DATETIME),
        prerelease=fields.flag("prerelease"),
        uniform=fields.flag("uniform"),
        no_wheel=fields.value("no-wheel", "error", _is_no_wheel_policy, _NO_WHEEL),
        requires_python=fields.value("requires-python", None, _is_specifier_set, _SPECIFIERS),
        requirements=fields.items("requirements", "requirements", _requirement),
        optional_dependencies=_named_requirements(fields, "optional-dependencies", "extra"),
        dependency_groups=_named_requirements(fields, "dependency-groups", "group"),
        default_groups=fields.strings("default-groups", "group names"),
        pin_python=fields.flag("pin-python"),
        python_release=fields.value("python-release", None, _is_release_tag, _RELEASE),
    )
    entries: list[Mapping[str, object]] = fields.value(
        "skipped-targets", [], _is_table_list, "an array of tables"
    )
    where = f"tool.{TOOL}.skipped-targets"
    skipped = tuple(_skipped(entry, f"{where}[{i}]", problems) for i, entry in enumerate(entries))
    builds: list[Mapping[str, object]] = fields.value(
        "python", [], _is_table_list, "an array of tables"
    )
    where = f"tool.{TOOL}.python"
    pythons = tuple(_python(entry, f"{where}[{i}]", problems) for i, entry in enumerate(builds))
    # Written before locks were multi-use: read, so that callers can ask for one relock.
    single_use = fields.strings("extras", "extra names") if "extras" in table else None
    fields.unknown_keys(_LOCK_KEYS)
    return LockToolTable(
        inputs=inputs,
        skipped=tuple(s for s in skipped if s is not None),
        pythons=tuple(p for p in pythons if p is not None),
        single_use_extras=single_use,
    )


_INDEX_KEYS = ("name", "url", "explicit")


def _indexes(fields: _Fields) -> tuple[IndexEntry, ...]:
    """``indexes``: an array of ``{ name, url, explicit }`` tables, names unique."""
    entries: list[Mapping[str, object]] = fields.value(
        "indexes", [], _is_table_list, "an array of tables"
    )
    indexes: list[IndexEntry] = []
    for position, entry in enumerate(entries):
        inner = _Fields(entry, f"{fields.where}.indexes[{position}]", fields.problems)
        before = len(fields.problems)
        name = inner.text("name") or ""
        url = inner.text("url") or ""
        explicit = inner.flag("explicit")
        inner.unknown_keys(_INDEX_KEYS)
        reason = check_index_name(name)
        if reason is not None:
            inner.problem("name", reason)
        elif any(index.name == name for index in indexes):
            inner.problem("name", f"{name!r} is an earlier index's name too")
        if not url:
            inner.problem("url", "missing")
        if len(fields.problems) == before:
            indexes.append(IndexEntry(name=name, url=url, explicit=explicit))
    return tuple(indexes)


def _sources(fields: _Fields) -> dict[str, str]:
    """``sources``: package → index name, both strings."""
    table: Mapping[str, object] = fields.value(
        "sources", {}, lambda v: isinstance(v, Mapping), "a table"
    )
    sources: dict[str, str] = {}
    for package, index in table.items():
        if not _is_normalized(package):
            fields.problem(f"sources.{package}", "not a normalized package name")
        elif not isinstance(index, str):
            fields.problem(f"sources.{package}", f"expected an index name, not {_shown(index)}")
        else:
            sources[package] = index
    return dict(sorted(sources.items()))


def _named_requirements(fields: _Fields, key: str, noun: str) -> dict[str, tuple[str, ...]]:
    """A table of ``name = [requirements]`` (``optional-dependencies``, ``dependency-groups``)."""
    table: Mapping[str, object] = fields.value(key, {}, lambda v: isinstance(v, Mapping), "a table")
    named: dict[str, tuple[str, ...]] = {}
    for name in table:
        inner = _Fields(table, f"{fields.where}.{key}", fields.problems)
        named[name] = inner.items(name, "requirements", _requirement)
        if not _is_normalized(name):
            inner.problem(name, f"not a normalized {noun} name")
    return named


def _is_normalized(name: str) -> bool:
    from packaging.utils import InvalidName, canonicalize_name

    try:
        return canonicalize_name(name, validate=True) == name
    except InvalidName:
        return False


_RELEASE = 'a python-build-standalone release tag such as "20250311"'


def _is_release_tag(value: object) -> bool:
    return isinstance(value, str) and len(value) == 8 and value.isascii() and value.isdigit()


def _python(
    entry: Mapping[str, object], where: str, problems: list[Problem]
) -> LockedPython | None:
    """One ``[[tool.omniwheel.python]]`` entry, checked: its asset name (from the URL) must
    agree with its version, release, triple and flavor, so a hand edit cannot mix two builds."""
    from omniwheel.python.pbs import Flavor, PinnedPython  # only locks that pin interpreters

    before = len(problems)
    fields = _Fields(entry, where, problems)
    targets = fields.items("targets", "target names", _target)
    fields.value("implementation", "cpython", lambda v: v == "cpython", '"cpython"')
    version = fields.value("version", "", _is_release_version, "a version such as 3.12.1")
    release = fields.value("release", "", _is_release_tag, _RELEASE)
    triple = fields.text("triple") or ""
    flavor = fields.value("flavor", "", lambda v: v in set(Flavor), "install_only(_stripped)")
    url = fields.text("url") or ""
    hashes: Mapping[str, object] = fields.value("hashes", {}, _is_sha256_table, _HASHES)
    executable = fields.text("executable") or ""
    libpython = fields.text("libpython") or ""
    fields.unknown_keys(_PYTHON_KEYS)
    for key in _PYTHON_KEYS:
        if key not in entry:
            fields.problem(key, "missing")
    if len(problems) > before:
        return None
    build = PinnedPython(
        version=Version(version),
        release=release,
        triple=triple,
        flavor=Flavor(flavor),
        url=url,
        sha256=str(hashes["sha256"]),
        executable=executable,
        libpython=libpython,
    )
    if unquote(url.rpartition("/")[2]) != build.filename:
        fields.problem("url", f"does not end in this entry's asset name, {build.filename}")
        return None
    return LockedPython(targets=targets, build=build)


_HASHES = 'a table { sha256 = "<64 hex digits>" }'


def _is_release_version(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return len(Version(value).release) == 3
    except InvalidVersion:
        return False


def _is_sha256_table(value: object) -> bool:
    if not isinstance(value, Mapping) or set(value) != {"sha256"}:
        return False
    digest = value["sha256"]
    return (
        isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
    )


_DATETIME = "a date-time with a UTC offset, as omniwheel writes it"
_NO_WHEEL = " or ".join(f'"{policy}"' for policy in _NO_WHEEL_POLICIES)
_SPECIFIERS = 'a version specifier such as ">=3.10"'


def _is_utc_datetime(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _is_no_wheel_policy(value: object) -> bool:
    return value in _NO_WHEEL_POLICIES


def _is_specifier_set(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        return False
    return True


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _target(name: str) -> Target:
    try:
        return target_from_name(name)
    except TargetError as exc:
        raise ValueError(exc.message) from exc


def _option_from_cli(name: str) -> str:
    if name not in OPTIONS_FROM_CLI:
        raise ValueError(f"`{name}` is none of {', '.join(OPTIONS_FROM_CLI)}")
    return name


def _requirement(text: str) -> str:
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        raise ValueError(f"not a valid requirement: {exc}") from exc
    return text


def _skipped(
    entry: Mapping[str, object], where: str, problems: list[Problem]
) -> SkippedTarget | None:
    fields = _Fields(entry, where, problems)
    name = fields.text("target")
    reason = fields.text("reason")
    fields.unknown_keys(("target", "reason"))
    if name is None:
        if "target" not in entry:
            fields.problem("target", "missing")
        return None
    try:
        target = target_from_name(name)
    except TargetError as exc:
        fields.problem("target", exc.message)
        return None
    return SkippedTarget(target=target, reason=reason or "")


def _package_table(
    value: object, where: str, known: frozenset[Target] | None, problems: list[Problem]
) -> PackageToolTable | None:
    where = f"{where}.tool.{TOOL}"
    table = None if value is None else _table(value, where, problems)
    if table is None:
        return None
    fields = _Fields(table, where, problems)
    if "targets" not in fields.table:
        fields.problem("targets", "missing: omniwheel records the targets that need each entry")
    targets = fields.items("targets", "target names", _target)
    listed = fields.items("roots", "roots (main, extra:NAME, group:NAME)", Root.parse)
    subsets: Mapping[str, object] = fields.value(
        "root-targets", {}, lambda v: isinstance(v, Mapping), "a table"
    )
    fields.unknown_keys(("targets", "roots", "root-targets"))
    for index, target in enumerate(targets):
        if known is not None and target not in known:
            fields.problem(
                f"targets[{index}]",
                f"`{target.name}` is not one of the lock's targets (tool.{TOOL}.targets)",
            )
    roots: dict[Root, tuple[Target, ...]] = dict.fromkeys(listed, targets)
    inner = _Fields(subsets, f"{where}.root-targets", problems)
    for key in subsets:
        try:
            root = Root.parse(key)
        except ValueError as exc:
            inner.problem(key, str(exc))
            continue
        if root not in roots:
            inner.problem(key, "not one of this entry's `roots`")
            continue
        subset = inner.items(key, "target names", _target)
        if not set(subset) <= set(targets):
            inner.problem(key, "names targets that are not this entry's `targets`")
        roots[root] = subset
    return PackageToolTable(targets=targets, roots=roots)


# -- writing -----------------------------------------------------------------------------------


def recorded_inputs(inputs: LockInputs) -> dict[str, Any]:
    """The ``[tool.omniwheel]`` inputs as plain TOML values, in the order the lock writes them
    (relocks compare these to say what changed)."""
    data: dict[str, Any] = {
        "targets": [target.name for target in inputs.targets],
        "targets-from-cli": inputs.targets_from_cli,
    }
    if inputs.options_from_cli:
        data["options-from-cli"] = list(inputs.options_from_cli)
    data["index-url"] = inputs.index_url
    if inputs.indexes:
        data["indexes"] = [
            {"name": entry.name, "url": entry.url} | ({"explicit": True} if entry.explicit else {})
            for entry in inputs.indexes
        ]
    if inputs.sources:
        data["sources"] = dict(inputs.sources)
    if inputs.no_index:
        data["no-index"] = True
    if inputs.exclude_newer is not None:
        data["exclude-newer"] = inputs.exclude_newer
    data |= {
        "prerelease": inputs.prerelease,
        "uniform": inputs.uniform,
        "no-wheel": inputs.no_wheel,
    }
    if inputs.requires_python:
        data["requires-python"] = inputs.requires_python
    data["requirements"] = list(inputs.requirements)
    if inputs.optional_dependencies:
        data["optional-dependencies"] = {
            name: list(reqs) for name, reqs in inputs.optional_dependencies.items()
        }
    if inputs.dependency_groups:
        data["dependency-groups"] = {
            name: list(reqs) for name, reqs in inputs.dependency_groups.items()
        }
        data["default-groups"] = list(inputs.default_groups)
    if inputs.pin_python:
        data["pin-python"] = True
        if inputs.python_release is not None:
            data["python-release"] = inputs.python_release
    return data


NAMED_REQUIREMENTS = frozenset({"optional-dependencies", "dependency-groups"})
"""Recorded tables of name = [requirements], written as sub-tables."""
