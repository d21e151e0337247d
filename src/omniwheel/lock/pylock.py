"""Writing the lock model as PEP 751 ``pylock.toml``, proving it installs what was resolved,
and reading back what omniwheel recorded in it.

The text is built in one fixed order (sorted packages, sorted wheels, stable keys) so the same
inputs give byte-identical files.  Before anything is written, the document is validated by
``packaging.pylock`` and, for every target, ``Pylock.select`` — what any standard installer does,
from markers and tag ranking alone — must pick exactly the wheel the resolver chose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import tomlkit
from packaging.markers import Environment, Marker
from packaging.pylock import PackageWheel, Pylock, PylockSelectError, PylockValidationError
from tomlkit.items import Table

from omniwheel.errors import LockFileError, Problem, TargetError, ValidationError
from omniwheel.index.discovery import strip_credentials
from omniwheel.index.models import DistFile
from omniwheel.lock.model import Lock, LockedPackage, LockInputs
from omniwheel.platform.releases import environments_of
from omniwheel.platform.target import Target, target_from_name

LOCK_FILENAME = "pylock.toml"
TOOL = "omniwheel"


class LockConsistencyError(LockFileError):
    """The written lock would make an installer pick other files than the resolver chose."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message, hint="this is a bug in omniwheel; please report it with the pyproject.toml"
        )


def render_pylock(lock: Lock) -> str:
    """The pylock.toml text for a lock, after proving it selects the resolved wheels."""
    document = _document(lock)
    text = tomlkit.dumps(document)
    verify_selection(lock, tomllib.loads(text))
    return text


def _document(lock: Lock) -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc["lock-version"] = "1.0"
    doc["environments"] = _multiline(list(lock.environments))
    if lock.inputs.requires_python:
        doc["requires-python"] = lock.inputs.requires_python
    doc["extras"] = []
    doc["dependency-groups"] = []
    doc["default-groups"] = []
    doc["created-by"] = TOOL
    packages = tomlkit.aot()
    versions_by_name: dict[str, set[str]] = {}
    for package in lock.packages:
        versions_by_name.setdefault(package.name, set()).add(str(package.version))
    for package in lock.packages:
        packages.append(_package_table(package, lock.inputs.index_url, versions_by_name))
    doc["packages"] = packages
    doc["tool"] = {TOOL: _tool_table(lock)}
    return doc


def _package_table(
    package: LockedPackage, index_url: str, versions_by_name: Mapping[str, set[str]]
) -> Table:
    table = tomlkit.table()
    table["name"] = package.name
    table["version"] = str(package.version)
    if package.marker:
        table["marker"] = package.marker
    if package.requires_python:
        table["requires-python"] = package.requires_python
    dependencies = tomlkit.array()
    for dep in package.dependencies:
        entry = tomlkit.inline_table()
        entry["name"] = dep
        versions = versions_by_name.get(dep, set())
        if len(versions) == 1:
            entry["version"] = next(iter(versions))
        dependencies.append(entry)
    if package.dependencies:
        table["dependencies"] = dependencies
    table["index"] = index_url
    wheels = tomlkit.aot()
    for locked in package.wheels:
        wheels.append(_wheel_table(locked.file))
    table["wheels"] = wheels
    tool = tomlkit.table()
    tool["targets"] = _multiline([t.name for t in package.targets])
    table["tool"] = {TOOL: tool}
    return table


def _wheel_table(dist: DistFile) -> Table:
    """One ``[[packages.wheels]]`` entry: where the file is, when it was uploaded, its hash."""
    if dist.sha256 is None:
        raise LockFileError(
            f"the index gives no sha256 for {dist.filename}",
            hint="omniwheel locks only files with a published sha256; use another index",
        )
    wheel = tomlkit.table()
    # Some indexes list files under URLs that carry the caller's credentials; a lock is
    # shared, so it keeps only the address (sync sends the index's credentials again).
    wheel["url"] = strip_credentials(dist.url)
    if dist.upload_time is not None:
        wheel["upload-time"] = dist.upload_time
    if dist.size is not None:
        wheel["size"] = dist.size
    hashes = tomlkit.inline_table()
    hashes["sha256"] = dist.sha256
    wheel["hashes"] = hashes
    return wheel


def _tool_table(lock: Lock) -> Table:
    table = tomlkit.table()
    for key, value in _recorded_inputs(lock.inputs).items():
        table[key] = _multiline(value) if key in _ONE_PER_LINE else value
    if lock.skipped:
        skipped = tomlkit.array()
        for target, reason in lock.skipped:
            entry = tomlkit.inline_table()
            entry["target"] = target.name
            entry["reason"] = reason.splitlines()[0]
            skipped.append(entry)
        table["skipped-targets"] = skipped
    return table


def _multiline(items: list[str]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


def verify_selection(lock: Lock, data: Mapping[str, Any]) -> None:
    """Prove that a standard installer picks, on every target, the wheels the resolver chose —
    on the lowest and the highest patch release the target stands for."""
    try:
        pylock = Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise LockConsistencyError(
            f"the generated pylock.toml is not valid PEP 751: {exc}"
        ) from exc
    conditional = {target for package in lock.packages for target in package.conditions}
    for target in lock.targets:
        lowest, highest = environments_of(target)
        _verify_target(lock, pylock, target, lowest)
        if target in conditional:  # elsewhere the highest release selects the same
            _verify_target(lock, pylock, target, highest)


def _needed(condition: str | None, environment: Mapping[str, str]) -> bool:
    return condition is None or Marker(condition).evaluate(dict(environment))


def _verify_target(
    lock: Lock, pylock: Pylock, target: Target, environment: Mapping[str, str]
) -> None:
    expected = {
        package.name: wheel.file.filename
        for package in lock.packages
        for wheel in package.wheels
        if target in wheel.targets and _needed(package.conditions.get(target), environment)
    }
    try:
        chosen = {
            package.name: cast(PackageWheel, source).filename
            for package, source in pylock.select(
                environment=cast(Environment, environment), tags=target.tags
            )
        }
    except PylockSelectError as exc:
        raise LockConsistencyError(
            f"an installer on {target.name} could not use the generated lock: {exc}"
        ) from exc
    if chosen != expected:
        differences = sorted(set(chosen.items()) ^ set(expected.items()))
        raise LockConsistencyError(
            f"on {target.name} (Python {environment['python_full_version']}) an installer "
            f"would pick other wheels than the resolver chose: {differences[:6]}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistingLock:
    """What an existing pylock.toml says: its text, omniwheel's recorded inputs, its versions."""

    path: Path
    text: str
    inputs: Mapping[str, Any]
    versions: Mapping[str, tuple[str, ...]]
    by_target: Mapping[str, Mapping[str, str]]
    """Target name → package → version, from each entry's ``[packages.tool.omniwheel] targets``."""


_RELOCK_HINT = "delete it and run `omniwheel lock` to write a new one"


class RecordedInputsError(ValidationError, LockFileError):
    """The lock inputs recorded under ``[tool.omniwheel]`` are not what omniwheel writes."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        super().__init__(str(path), problems, hint=_RELOCK_HINT)
        self.path = path


def read_pylock(path: Path) -> ExistingLock | None:
    """Read and validate a lock file; None when it does not exist.

    The inputs omniwheel recorded are read back by later relocks, so their shape is checked here
    too (a hand-edited lock fails with the key paths, not deep inside the resolver).
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockFileError(
            f"cannot read {path}: {exc.strerror}", hint="check the file's permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise LockFileError(f"{path} is not UTF-8 text ({exc.reason})", hint=_RELOCK_HINT) from exc
    try:
        data = tomllib.loads(text)
        pylock = Pylock.from_dict(data)
    except (tomllib.TOMLDecodeError, PylockValidationError) as exc:
        raise LockFileError(
            f"{path} is not a valid PEP 751 lock file: {exc}", hint=_RELOCK_HINT
        ) from exc
    tool = (pylock.tool or {}).get(TOOL, {})
    problems = list(_recorded_input_problems(tool))
    if problems:
        raise RecordedInputsError(path, problems)
    versions: dict[str, list[str]] = {}
    by_target: dict[str, dict[str, str]] = {}
    for package in pylock.packages:
        versions.setdefault(package.name, []).append(str(package.version))
        for target in _package_targets(package.tool):
            by_target.setdefault(target, {})[package.name] = str(package.version)
    return ExistingLock(
        path=path,
        text=text,
        inputs=tool,
        versions={name: tuple(sorted(v)) for name, v in versions.items()},
        by_target=by_target,
    )


def _recorded_input_problems(tool: object) -> Iterator[Problem]:
    """What is wrong with the inputs that relocks read back (other keys are only compared)."""
    where = f"tool.{TOOL}"
    if not isinstance(tool, Mapping):
        yield Problem(where=where, message="expected a table")
        return
    lists = (
        ("targets", "target names"),
        ("extras", "extra names"),
        ("options-from-cli", "input names"),
    )
    for key, noun in lists:
        value = tool.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            yield Problem(where=f"{where}.{key}", message=f"expected an array of {noun}")
        elif key == "targets":
            yield from _target_problems(value, f"{where}.targets")
    if not isinstance(tool.get("targets-from-cli", False), bool):
        yield Problem(where=f"{where}.targets-from-cli", message="expected true or false")
    cutoff = tool.get("exclude-newer")
    if cutoff is not None and not (isinstance(cutoff, datetime) and cutoff.tzinfo is not None):
        message = "expected a date-time with a UTC offset, as omniwheel writes it"
        yield Problem(where=f"{where}.exclude-newer", message=message)


def _target_problems(names: list[str], where: str) -> Iterator[Problem]:
    for index, name in enumerate(names):
        try:
            target_from_name(name)
        except TargetError as exc:
            yield Problem(where=f"{where}[{index}]", message=exc.message)


def _package_targets(tool: Mapping[str, Any] | None) -> list[str]:
    """The targets omniwheel recorded for a package entry (none for other tools' locks)."""
    ours = (tool or {}).get(TOOL)
    targets = ours.get("targets") if isinstance(ours, Mapping) else None
    if not isinstance(targets, list):
        return []
    return [t for t in targets if isinstance(t, str)]


def inputs_as_recorded(inputs: LockInputs) -> dict[str, Any]:
    """The inputs as they appear once written and read back, for comparing with a lock's."""
    text = tomlkit.dumps({"x": _recorded_inputs(inputs)})
    return cast(dict[str, Any], tomllib.loads(text)["x"])


# Recorded lists that are written one item per line (targets and requirements grow long).
_ONE_PER_LINE = frozenset({"targets", "requirements"})


def _recorded_inputs(inputs: LockInputs) -> dict[str, Any]:
    """The ``[tool.omniwheel]`` inputs, in the order the lock writes them."""
    data: dict[str, Any] = {
        "targets": list(inputs.targets),
        "targets-from-cli": inputs.targets_from_cli,
    }
    if inputs.options_from_cli:
        data["options-from-cli"] = list(inputs.options_from_cli)
    data["index-url"] = inputs.index_url
    if inputs.exclude_newer is not None:
        data["exclude-newer"] = inputs.exclude_newer
    data |= {
        "extras": list(inputs.extras),
        "prerelease": inputs.prerelease,
        "uniform": inputs.uniform,
        "no-wheel": inputs.no_wheel,
    }
    if inputs.requires_python:
        data["requires-python"] = inputs.requires_python
    data["requirements"] = list(inputs.requirements)
    return data


def target_names(targets: tuple[Target, ...]) -> tuple[str, ...]:
    return tuple(t.name for t in targets)


def exclude_newer_of(inputs: Mapping[str, Any]) -> datetime | None:
    value = inputs.get("exclude-newer")
    return value if isinstance(value, datetime) else None
