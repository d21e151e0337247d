"""Artifacts.toml: the lock's packages as Julia artifacts — model, builder, reader, writer, merge.

One artifact per package, named :func:`artifact_name` (``omniwheel_<name>``, ``-`` → ``_``), so
omniwheel's entries sit beside a package's own (JLL) entries and are told apart by their
prefix.  The prefix is omniwheel's: a merge replaces or removes every entry that carries it
and touches nothing else.

- A pure wheel (``*-none-any``) that every target of the lock needs, at one version, as one
  tree, is a single platform-free table ``[omniwheel_six]``: Julia uses it on every host.
- Anything else is an array ``[[omniwheel_numpy]]`` with one element per target that needs
  the package, carrying ``os``, ``arch``, ``libc`` (Linux) and ``python = "X.Y"``
  (:func:`omniwheel.julia.selection.julia_platform`).  Targets Julia cannot tell apart (two
  glibc or macOS floors, two patch floors of one Python) share one element when their trees
  are the same, and are an :class:`ArtifactConflictError` when they are not.  A target that
  does not need the package has no element: no match means "not needed here".
- Each element has ``git-tree-sha1``, ``lazy = true`` when asked, and ``[[name.download]]``
  tables (``url``, ``sha256`` of the tarball, ``size``) once the trees are packed.

Keys are written sorted, as Pkg writes them.  The reader checks what Julia needs (a table or
an array of tables per name; ``os`` and ``arch`` in array elements; a 40-hex-digit
``git-tree-sha1``; tags Julia accepts; downloads with a URL and a 64-hex-digit sha256) and two
elements of one name with the same platform under Julia's rules (Julia would silently take the
later one), and reports every problem with its key path at once.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomlkit
from packaging.utils import canonicalize_name, parse_wheel_filename
from tomlkit.items import AoT, Table

from omniwheel.errors import Problem, ValidationError
from omniwheel.julia import ArtifactError
from omniwheel.julia.selection import (
    JuliaPlatform,
    PlatformTagError,
    entry_platform,
    julia_platform,
    select_platform,
)
from omniwheel.lock.model import Lock, LockedPackage, LockedWheel
from omniwheel.platform.target import Target

ARTIFACT_PREFIX = "omniwheel_"
ARTIFACTS_FILENAMES = ("JuliaArtifacts.toml", "Artifacts.toml")
"""The names Julia looks for, in the order it tries them."""

HEADER = (
    "omniwheel_* entries are written by omniwheel from pylock.toml (`omniwheel artifacts write`).",
    "Other entries are kept as they are.",
)
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ArtifactsTomlError(ValidationError, ArtifactError):
    """An Artifacts.toml that Julia would refuse or misread."""


class ArtifactConflictError(ArtifactError):
    """Two targets Julia cannot tell apart need different trees of one package."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """One ``[[name.download]]`` source: a tarball's URL, its sha256 and size in bytes."""

    url: str
    sha256: str
    size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactEntry:
    """One table of an artifact: a tree, the platform keys it is for (None for a
    platform-free table), laziness and download sources."""

    git_tree_sha1: str
    platform: Mapping[str, str] | None = None
    lazy: bool = False
    downloads: tuple[Download, ...] = ()

    def julia_platform(self) -> JuliaPlatform | None:
        """The platform Julia reads from this entry's keys (``unpack_platform``)."""
        if self.platform is None:
            return None
        tags = dict(self.platform)
        return JuliaPlatform.of(tags.pop("arch"), tags.pop("os"), tags)


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    """A named artifact: one platform-free entry, or entries for platforms."""

    name: str
    entries: tuple[ArtifactEntry, ...]

    @property
    def platform_free(self) -> bool:
        return len(self.entries) == 1 and self.entries[0].platform is None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactsDoc:
    """The artifacts of one Artifacts.toml, by name (sorted)."""

    artifacts: Mapping[str, Artifact]

    def tree_hashes(self) -> frozenset[str]:
        """Every ``git-tree-sha1`` named (what ``pack`` and ``sync --julia-depot`` need)."""
        return frozenset(e.git_tree_sha1 for a in self.artifacts.values() for e in a.entries)


def artifact_name(project: str) -> str:
    """``omniwheel_`` + the normalized project name with ``-`` → ``_`` (``Typing-Extensions``
    → ``omniwheel_typing_extensions``)."""
    return ARTIFACT_PREFIX + canonicalize_name(project).replace("-", "_")


def is_omniwheel_name(name: str) -> bool:
    return name.startswith(ARTIFACT_PREFIX)


# --- building from a lock ----------------------------------------------------------------------


def build_artifacts(
    lock: Lock, tree_hashes: Mapping[str, str], *, lazy: bool = False
) -> ArtifactsDoc:
    """The artifacts for ``lock``; ``tree_hashes`` maps each wheel's sha256 to its tree's
    ``git-tree-sha1`` (:func:`omniwheel.julia.tree.git_tree_sha1_of_wheel`)."""
    by_name: dict[str, list[LockedPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(artifact_name(package.name), []).append(package)
    everywhere = frozenset(lock.targets)
    artifacts = {
        name: _artifact(name, packages, everywhere, tree_hashes, lazy)
        for name, packages in sorted(by_name.items())
    }
    return ArtifactsDoc(artifacts=MappingProxyType(artifacts))


def with_downloads(doc: ArtifactsDoc, downloads: Mapping[str, Sequence[Download]]) -> ArtifactsDoc:
    """``doc`` with the download sources of each tree (by ``git-tree-sha1``) that has some."""
    artifacts = {
        name: replace(
            artifact,
            entries=tuple(
                replace(entry, downloads=tuple(downloads[entry.git_tree_sha1]))
                if entry.git_tree_sha1 in downloads
                else entry
                for entry in artifact.entries
            ),
        )
        for name, artifact in doc.artifacts.items()
    }
    return ArtifactsDoc(artifacts=MappingProxyType(artifacts))


def with_artifact(doc: ArtifactsDoc, artifact: Artifact) -> ArtifactsDoc:
    """``doc`` with ``artifact`` added; a name ``doc`` already has is an
    :class:`ArtifactConflictError` (a locked package named like the interpreter artifact)."""
    if artifact.name in doc.artifacts:
        raise ArtifactConflictError(
            f"`{artifact.name}` would name two artifacts: a locked package and the pinned "
            "interpreter",
            hint="Julia artifacts need distinct names: lock without that package, or without "
            "`pin-python`",
        )
    artifacts = dict(sorted({**doc.artifacts, artifact.name: artifact}.items()))
    return ArtifactsDoc(artifacts=MappingProxyType(artifacts))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Use:
    target: Target
    package: LockedPackage
    wheel: LockedWheel
    tree: str


def _artifact(
    name: str,
    packages: Sequence[LockedPackage],
    everywhere: frozenset[Target],
    tree_hashes: Mapping[str, str],
    lazy: bool,
) -> Artifact:
    uses = [
        _Use(
            target=target, package=package, wheel=wheel, tree=_tree_of(package, wheel, tree_hashes)
        )
        for package in packages
        for wheel in package.wheels
        for target in wheel.targets
    ]
    if _platform_free(uses, everywhere):
        return Artifact(name=name, entries=(ArtifactEntry(git_tree_sha1=uses[0].tree, lazy=lazy),))
    chosen: dict[JuliaPlatform, _Use] = {}
    for use in sorted(uses, key=lambda use: use.target.sort_key()):
        platform = entry_platform(use.target)
        first = chosen.setdefault(platform, use)
        if first.tree != use.tree:
            raise _conflict(name, first, use)
    entries = tuple(
        ArtifactEntry(git_tree_sha1=use.tree, platform=julia_platform(use.target), lazy=lazy)
        for use in chosen.values()
    )
    return Artifact(name=name, entries=entries)


def _tree_of(package: LockedPackage, wheel: LockedWheel, tree_hashes: Mapping[str, str]) -> str:
    sha256 = wheel.file.sha256
    tree = tree_hashes.get(sha256) if sha256 is not None else None
    if tree is None:
        raise ArtifactError(
            f"no tree hash for {package.name} {package.version} ({wheel.file.filename})",
            hint="the tree hash is computed from the wheel itself: download it into the store "
            "first (`omniwheel artifacts write` does)",
        )
    return tree


def _platform_free(uses: Sequence[_Use], everywhere: frozenset[Target]) -> bool:
    """Every target needs it, at one version, as one tree, from pure wheels."""
    return (
        {use.target for use in uses} == everywhere
        and len({use.package.version for use in uses}) == 1
        and len({use.tree for use in uses}) == 1
        and all(_is_pure(use.wheel.file.filename) for use in uses)
    )


def _is_pure(filename: str) -> bool:
    tags = parse_wheel_filename(filename)[3]
    return all(tag.abi == "none" and tag.platform == "any" for tag in tags)


def _conflict(name: str, first: _Use, second: _Use) -> ArtifactConflictError:
    return ArtifactConflictError(
        f"`{name}`: targets {first.target.name} and {second.target.name} need different trees "
        f"({first.wheel.file.filename} and {second.wheel.file.filename}), but Julia sees one "
        f"platform ({entry_platform(first.target).triplet()})",
        hint="Julia tells targets apart only by os, arch, libc and the Python X.Y: lock one of "
        "them (one glibc floor, one macOS floor, one patch floor per Python) for Julia",
    )


# --- selecting ----------------------------------------------------------------------------------


def select_entry(artifact: Artifact, host: JuliaPlatform) -> ArtifactEntry | None:
    """Julia's ``artifact_meta``: the platform-free entry, else the best match for ``host``."""
    if artifact.platform_free:
        return artifact.entries[0]
    candidates: dict[JuliaPlatform, ArtifactEntry] = {}
    for entry in artifact.entries:
        platform = entry.julia_platform()
        if platform is not None:
            candidates[platform] = entry  # an identical platform: the later one wins, as in Julia
    return select_platform(candidates, host)


def select_entries(doc: ArtifactsDoc, host: JuliaPlatform) -> dict[str, ArtifactEntry]:
    """Every artifact's entry for ``host``, leaving out those with none."""
    selected = {name: select_entry(artifact, host) for name, artifact in doc.artifacts.items()}
    return {name: entry for name, entry in selected.items() if entry is not None}


# --- reading -----------------------------------------------------------------------------------


def read_artifacts(path: Path) -> ArtifactsDoc:
    """Read and check an Artifacts.toml."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from exc
    return parse_artifacts(text, source=str(path))


def parse_artifacts(text: str, *, source: str = "Artifacts.toml") -> ArtifactsDoc:
    """Check Artifacts.toml text as Julia would read it; every problem reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ArtifactsTomlError(
            source, [Problem(where="", message=f"not valid TOML: {exc}")]
        ) from exc
    problems: list[Problem] = []
    artifacts = {}
    for name, value in data.items():
        artifact = _read_artifact(name, value, problems)
        if artifact is not None:
            artifacts[name] = artifact
    if problems:
        raise ArtifactsTomlError(
            source, problems, hint="fix the entries named above, or remove them and write again"
        )
    return ArtifactsDoc(artifacts=MappingProxyType(dict(sorted(artifacts.items()))))


def _read_artifact(name: str, value: object, problems: list[Problem]) -> Artifact | None:
    where = _key(name)
    if isinstance(value, dict):
        entry = _read_entry(where, value, problems, platform=False)
        return None if entry is None else Artifact(name=name, entries=(entry,))
    if not isinstance(value, list):
        problems.append(
            Problem(
                where=where, message=f"must be a table or an array of tables, not {_kind(value)}"
            )
        )
        return None
    entries = []
    for index, item in enumerate(value):
        item_where = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.append(
                Problem(where=item_where, message=f"must be a table, not {_kind(item)}")
            )
            continue
        entry = _read_entry(item_where, item, problems, platform=True)
        if entry is not None:
            entries.append((item_where, entry))
    _check_duplicates(entries, problems)
    return Artifact(name=name, entries=tuple(entry for _, entry in entries))


def _read_entry(
    where: str, table: Mapping[str, Any], problems: list[Problem], *, platform: bool
) -> ArtifactEntry | None:
    before = len(problems)
    tree = _read_sha1(where, table, problems)
    lazy = table.get("lazy", False)
    if not isinstance(lazy, bool):
        problems.append(Problem(where=f"{where}.lazy", message="must be true or false"))
    downloads = _read_downloads(where, table.get("download"), problems)
    tags = _read_platform(where, table, problems) if platform else None
    if len(problems) > before or tree is None:
        return None
    return ArtifactEntry(git_tree_sha1=tree, platform=tags, lazy=lazy is True, downloads=downloads)


def _read_sha1(where: str, table: Mapping[str, Any], problems: list[Problem]) -> str | None:
    value = table.get("git-tree-sha1")
    if value is None:
        problems.append(Problem(where=where, message="has no `git-tree-sha1`"))
    elif not isinstance(value, str) or _SHA1.fullmatch(value) is None:
        problems.append(
            Problem(where=f"{where}.git-tree-sha1", message=f"must be 40 hex digits, not {value!r}")
        )
    else:
        return value.lower()
    return None


def _read_platform(
    where: str, table: Mapping[str, Any], problems: list[Problem]
) -> dict[str, str] | None:
    missing = [key for key in ("os", "arch") if not isinstance(table.get(key), str)]
    if missing:
        keys = " and ".join(f"`{key}`" for key in missing)
        problems.append(Problem(where=where, message=f"a platform entry needs {keys} (strings)"))
        return None
    # Julia turns every string-valued key but git-tree-sha1 into a platform tag.
    tags = {k: v for k, v in table.items() if isinstance(v, str) and k != "git-tree-sha1"}
    try:
        ArtifactEntry(git_tree_sha1="0" * 40, platform=tags).julia_platform()
    except PlatformTagError as exc:
        problems.append(Problem(where=where, message=exc.message))
        return None
    return tags


def _read_downloads(where: str, value: object, problems: list[Problem]) -> tuple[Download, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem(where=f"{where}.download", message="must be an array of tables"))
        return ()
    downloads = []
    for index, item in enumerate(value):
        download = _read_download(f"{where}.download[{index}]", item, problems)
        if download is not None:
            downloads.append(download)
    return tuple(downloads)


def _read_download(where: str, item: object, problems: list[Problem]) -> Download | None:
    if not isinstance(item, dict):
        problems.append(Problem(where=where, message=f"must be a table, not {_kind(item)}"))
        return None
    url, sha256, size = item.get("url"), item.get("sha256"), item.get("size")
    if not isinstance(url, str) or not url:
        problems.append(Problem(where=f"{where}.url", message="must be a non-empty string"))
        url = None
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        problems.append(
            Problem(
                where=f"{where}.sha256", message=f"must be 64 lowercase hex digits, not {sha256!r}"
            )
        )
        sha256 = None
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        problems.append(Problem(where=f"{where}.size", message="must be a whole number of bytes"))
        return None
    if url is None or sha256 is None:
        return None
    return Download(url=url, sha256=sha256, size=size)


def _check_duplicates(
    entries: Sequence[tuple[str, ArtifactEntry]], problems: list[Problem]
) -> None:
    seen: dict[JuliaPlatform, str] = {}
    for where, entry in entries:
        platform = entry.julia_platform()
        if platform is None:
            continue
        if platform in seen:
            problems.append(
                Problem(
                    where=where,
                    message=f"has the same platform as {seen[platform]} ({platform.triplet()}); "
                    "Julia would silently use only the later one",
                )
            )
        seen.setdefault(platform, where)


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def _kind(value: object) -> str:
    names = {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "an array",
    }
    return names.get(type(value), f"a {type(value).__name__}")


# --- writing -----------------------------------------------------------------------------------


def render_artifacts(doc: ArtifactsDoc) -> str:
    """A whole Artifacts.toml holding ``doc`` (a header comment, then names sorted)."""
    document = tomlkit.document()
    for line in HEADER:
        document.add(tomlkit.comment(line))
    for name, artifact in sorted(doc.artifacts.items()):
        document.add(name, _artifact_item(artifact))
    return tomlkit.dumps(document)


def merge_artifacts(
    existing: str | None, doc: ArtifactsDoc, *, source: str = "Artifacts.toml"
) -> str:
    """``existing`` with every omniwheel entry replaced by ``doc``'s, all else kept as written.

    ``doc`` must hold only omniwheel names.  ``existing`` is checked first (a malformed file
    is not merged into), and the result is checked again before it is returned.
    """
    foreign = sorted(name for name in doc.artifacts if not is_omniwheel_name(name))
    if foreign:
        raise ArtifactError(f"refusing to write non-omniwheel artifacts: {', '.join(foreign)}")
    if existing is None or not existing.strip():
        return render_artifacts(doc)
    parse_artifacts(existing, source=source)
    document = tomlkit.parse(existing)
    for name in [name for name in document if is_omniwheel_name(name)]:
        del document[name]
    for name, artifact in sorted(doc.artifacts.items()):
        document.add(name, _artifact_item(artifact))
    text = tomlkit.dumps(document)
    parse_artifacts(text, source=source)
    return text


def _artifact_item(artifact: Artifact) -> Table | AoT:
    if artifact.platform_free:
        return _entry_table(artifact.entries[0])
    return _aot(artifact)


def _aot(artifact: Artifact) -> AoT:
    tables = tomlkit.aot()
    for entry in artifact.entries:
        tables.append(_entry_table(entry))
    return tables


def _entry_table(entry: ArtifactEntry) -> Table:
    values: dict[str, str | bool] = {"git-tree-sha1": entry.git_tree_sha1}
    values.update(entry.platform or {})
    if entry.lazy:
        values["lazy"] = True
    table = tomlkit.table()
    for key in sorted(values):
        table[key] = values[key]
    if entry.downloads:
        downloads = tomlkit.aot()
        for download in entry.downloads:
            source = tomlkit.table()
            source["sha256"] = download.sha256
            if download.size is not None:
                source["size"] = download.size
            source["url"] = download.url
            downloads.append(source)
        table["download"] = downloads
    return table
