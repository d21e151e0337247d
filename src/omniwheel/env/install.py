"""Installing wheels from their store trees into an environment, and removing distributions.

A wheel's files are placed from its tree in the store by the :data:`LinkMode`: ``hardlink`` (the
default; copied when the filesystem refuses a hardlink, e.g. across devices), ``copy`` (writable
copies, independent of the store) or ``symlink`` (links into the store: the environment breaks
if the store entry goes) — to where the install scheme puts them: the root into purelib or
platlib (``Root-Is-Purelib``), ``<name>.data/<key>/`` into the scheme's ``scripts``, ``headers``,
``data``, ``purelib`` or ``platlib``.  Scripts starting with ``#!python``, console and GUI
scripts (``entry_points.txt``, made with :class:`installer.scripts.Script`) and the dist-info
files ``INSTALLER``, ``REQUESTED`` and ``RECORD`` are written as new files, never through a link
into the store.  The new ``RECORD`` lists the installed paths, relative to site-packages as
pip writes them, so any installer can uninstall what omniwheel installed — and the reverse:
:func:`remove_dist` removes what a ``RECORD`` lists, never anything outside the environment.

:func:`install_wheels` first works out, for every wheel, where each file goes and which
directories that needs (plain string work, no system calls but reading ``RECORD``), then places
the files on a small thread pool (:mod:`omniwheel.env.linker`): wheels whose paths collide are
installed one after the other in the plan's order, so the result never depends on timing.

:func:`execute_plan` runs a :class:`~omniwheel.env.plan.Plan`: fetch first (a failed download
leaves the environment untouched), then remove, then link, then (optionally) compile the new
``.py`` files with the environment's interpreter (``python -m compileall``), whose ``.pyc``
files are added to each distribution's ``RECORD``.
"""

# Installing works on str paths (see omniwheel.env.linker): os functions, not Path methods.
# ruff: noqa: PTH101, PTH108, PTH123

from __future__ import annotations

import base64
import contextlib
import csv
import functools
import hashlib
import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from omniwheel.env._value import Value
from omniwheel.env.audit import footprint
from omniwheel.env.destinations import (
    Scheme,
    ScriptMaker,
    WheelPlan,
    colliding_groups,
    existing_directories,
    plan_wheel,
    real_directories,
)
from omniwheel.env.linker import LINK_WORKERS, Directories, Linker, run_in_order
from omniwheel.env.plan import INSTALLER_NAME, InstalledDist, Plan, SelectedWheel
from omniwheel.errors import OmniwheelError
from omniwheel.store.store import Fetcher, Store, WheelSource

if TYPE_CHECKING:
    from typing import Final

    from omniwheel.env.layout import Footprint, LinkMode
    from omniwheel.store.manifest import TreeManifest

__all__ = [
    "Executed",
    "InstallError",
    "InstalledRecord",
    "InstalledWheels",
    "Scheme",
    "ScriptMaker",
    "compile_bytecode",
    "execute_plan",
    "install_wheels",
    "remove_dist",
]

COMPILE_TIMEOUT_SECONDS = 600


class InstallError(OmniwheelError):
    """A wheel could not be installed into, or a distribution removed from, the environment."""


# --- installing ----------------------------------------------------------------------------


class _Record:
    """The RECORD being built for one installed distribution.

    This module's classes are plain classes (:class:`Executed` a
    :class:`~omniwheel.env._value.Value`), not dataclasses: see
    :class:`~omniwheel.env.linker.Linker`."""

    __slots__ = ("base", "rows")

    def __init__(self, *, base: Path) -> None:
        self.base = base
        self.rows: list[tuple[str, str, str]] = []

    def add(self, path: Path, hash_field: str, size: int | str) -> None:
        relative = os.path.relpath(path, self.base).replace(os.sep, "/")
        self.rows.append((relative, hash_field, str(size)))

    def text(self, record_path: Path) -> bytes:
        rows = sorted(self.rows)
        rows.append((os.path.relpath(record_path, self.base).replace(os.sep, "/"), "", ""))
        # What csv.writer writes when no field needs quoting, at a fifth of its cost.
        text = "".join([f"{path},{hash_field},{size}\n" for path, hash_field, size in rows])
        if _needs_no_quoting(text, len(rows)):
            return text.encode()
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()


def _needs_no_quoting(text: str, rows: int) -> bool:
    """Whether no field of these three-field CSV lines holds a comma, quote or line break."""
    return (
        '"' not in text
        and "\r" not in text
        and text.count(",") == 2 * rows
        and text.count("\n") == rows
    )


class InstalledRecord:
    """One freshly installed distribution's RECORD, kept to add compiled files to it."""

    __slots__ = ("_footprint", "name", "path", "record")

    def __init__(self, *, name: str, path: Path, record: _Record) -> None:
        self.name = name
        """The distribution's (normalized) name."""
        self.path = path
        self.record = record
        self._footprint: tuple[str, Footprint] | None = None
        """The last :meth:`footprint` and the site-packages it was taken for."""

    @property
    def dist_info(self) -> str:
        """The dist-info directory's name."""
        return self.path.parent.name

    def recorded(self) -> list[str]:
        """Every path RECORD lists (RECORD itself too), relative to site-packages."""
        return [relative for relative, _, _ in self.record.rows] + [f"{self.dist_info}/RECORD"]

    def footprint(self, site_packages: str) -> Footprint:
        """Where its files are (:func:`omniwheel.env.audit.footprint`), ``site_packages``
        relative to the environment; kept until the RECORD changes.  The linking threads take
        it as each distribution is done, while the others still link (a sync's state needs
        them all, and each is a loop over thousands of paths)."""
        if self._footprint is None or self._footprint[0] != site_packages:
            taken = footprint(site_packages, self.dist_info, self.recorded())
            self._footprint = (site_packages, taken)
        return self._footprint[1]

    def python_files(self) -> list[Path]:
        """The ``.py`` files installed inside site-packages (scripts and data are not compiled)."""
        return [
            self.record.base / relative
            for relative, _, _ in self.record.rows
            if relative.endswith(".py") and not relative.startswith("../")
        ]

    def add_compiled(self, python_files: Sequence[Path]) -> None:
        """Record the ``.pyc`` files compiling ``python_files`` left, and rewrite RECORD."""
        for source in python_files:
            for compiled in sorted((source.parent / "__pycache__").glob(f"{source.stem}.*.pyc")):
                self.record.add(compiled, _record_hash(compiled.read_bytes()), _size(compiled))
        self._footprint = None
        _write_new(str(self.path), self.record.text(self.path))


class InstalledWheels(Value):
    """What installing a plan's wheels did."""

    __slots__ = ("copied", "linked", "records")
    records: Final[tuple[InstalledRecord, ...]]
    linked: Final[int]
    copied: Final[int]

    def __init__(self, *, records: tuple[InstalledRecord, ...], linked: int, copied: int) -> None:
        self.records = records
        self.linked = linked
        self.copied = copied


class _Placed(Value):
    __slots__ = ("copied", "linked", "record")
    record: Final[InstalledRecord]
    linked: Final[int]
    copied: Final[int]

    def __init__(self, *, record: InstalledRecord, linked: int, copied: int) -> None:
        self.record = record
        self.linked = linked
        self.copied = copied


def install_wheels(
    wheels: Sequence[tuple[TreeManifest, SelectedWheel]],
    *,
    scheme: Scheme,
    maker: ScriptMaker,
    link_mode: LinkMode = "hardlink",
    workers: int = LINK_WORKERS,
    site_packages: Path | None = None,
) -> InstalledWheels:
    """Install each unpacked wheel (a verified store tree's manifest, with the wheel it holds)
    into ``scheme``, on up to ``workers`` threads; given ``site_packages``, each installed
    record's :meth:`~InstalledRecord.footprint` is taken for it on the same threads.

    Wheels whose files collide (two wheels writing the same path, or a file where another
    wheel needs a directory) are installed one after the other in the given order, the later
    one replacing the earlier one's file, as a sequential install would; all the others in
    parallel.  The first wheel (in the given order) that fails decides the error.
    """
    existing = existing_directories(scheme)
    plans = [
        plan_wheel(manifest, wheel, scheme=scheme, maker=maker, existing=existing)
        for manifest, wheel in wheels
    ]
    linker = Linker(mode=link_mode)
    directories = Directories(made=set(existing))
    relative_site = None
    if site_packages is not None:
        relative_site = os.path.relpath(site_packages, scheme.root).replace(os.sep, "/")

    def install_group(members: list[int]) -> list[_Placed]:
        placed = []
        for i in members:
            done = _install_planned(plans[i], maker=maker, linker=linker, directories=directories)
            if relative_site is not None:
                done.record.footprint(relative_site)
            placed.append(done)
        return placed

    groups = colliding_groups(plans, real_directories(scheme))
    results = run_in_order(
        [functools.partial(install_group, group) for group in groups],
        weights=[sum(len(plans[i].files) for i in group) for group in groups],
        workers=workers,
    )
    placed: dict[int, _Placed] = {}
    for group, group_results in zip(groups, results, strict=True):
        placed.update(zip(group, group_results, strict=True))
    ordered = [placed[i] for i in range(len(plans))]
    return InstalledWheels(
        records=tuple(p.record for p in ordered),
        linked=sum(p.linked for p in ordered),
        copied=sum(p.copied for p in ordered),
    )


# -- installing one wheel --------------------------------------------------------------------


def _install_planned(
    plan: WheelPlan, *, maker: ScriptMaker, linker: Linker, directories: Directories
) -> _Placed:
    """Make the plan's directories, place its files, write its scripts and dist-info files."""
    try:
        directories.make(plan.directories)
    except OSError as exc:
        raise _cannot_install(plan.wheel, "its directories", exc) from exc
    record = _Record(base=plan.root)
    linked, copied = _place_files(plan, maker, linker, record.rows)
    relative = ""
    try:
        for dest, relative, content in plan.launchers:
            record.rows.append(_write_new(dest, content, relative, executable=True))
        relative = f"{plan.dist_info}/RECORD"
        installed = _write_dist_info(plan, record)
    except OSError as exc:
        raise _cannot_install(plan.wheel, f"`{relative}`", exc) from exc
    return _Placed(record=installed, linked=linked, copied=copied)


def _place_files(
    plan: WheelPlan, maker: ScriptMaker, linker: Linker, rows: list[tuple[str, str, str]]
) -> tuple[int, int]:
    """Link (or copy) the plan's files, adding their RECORD rows; how many were linked, copied.

    Most files take the first branch, a bare ``link``; anything unusual (the file exists, the
    filesystem refuses links, the store lacks it) goes through :meth:`Linker.place`."""
    linked = copied = 0
    hardlinks = linker.mode == "hardlink"
    relative = ""
    try:
        for source, dest, relative, hash_field, size, script in plan.files:
            if script and _starts_with_python_shebang(source):
                rows.append(
                    _write_new(dest, _fixed_script(source, maker), relative, executable=True)
                )
                continue
            if hardlinks and not linker.copying:
                try:
                    os.link(source, dest)
                except OSError:
                    pass  # decided (and retried) below
                else:
                    rows.append((relative, hash_field, size))
                    linked += 1
                    continue
            placed = linker.place(source, dest)
            if placed != "absent":
                rows.append((relative, hash_field, size))
                linked += placed == "linked"
                copied += placed == "copied"
    except OSError as exc:
        raise _cannot_install(plan.wheel, f"`{relative}`", exc) from exc
    return linked, copied


def _cannot_install(wheel: SelectedWheel, what: str, exc: OSError) -> InstallError:
    path = exc.filename2 if exc.filename2 is not None else exc.filename
    reason = exc.strerror or str(exc)
    return InstallError(
        f"{wheel.describe()}: cannot install {what}: {reason}"
        + (f" ({path})" if path is not None else ""),
        hint="check that the environment is writable and its disk has room; the next "
        "`omniwheel sync` repairs what this one left unfinished",
    )


def _starts_with_python_shebang(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(8) == b"#!python"


def _fixed_script(source: str, maker: ScriptMaker) -> bytes:
    with open(source, "rb") as handle:
        content = handle.read()
    _, newline, rest = content.partition(b"\n")
    return maker.shebang() + newline + rest


def _write_dist_info(plan: WheelPlan, record: _Record) -> InstalledRecord:
    installer = f"{INSTALLER_NAME}\n".encode()
    rows = record.rows
    rows.append(
        _write_new(plan.dist_info_file("INSTALLER"), installer, f"{plan.dist_info}/INSTALLER")
    )
    requested = plan.dist_info_file("REQUESTED")
    if plan.wheel.requested:
        rows.append(_write_new(requested, b"", f"{plan.dist_info}/REQUESTED"))
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(requested)
    record_path = Path(plan.dist_info_file("RECORD"))
    _write_new(str(record_path), record.text(record_path))
    return InstalledRecord(name=plan.wheel.name, path=record_path, record=record)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_BINARY", 0)


def _write_new(
    path: str, data: bytes, relative: str = "", *, executable: bool = False
) -> tuple[str, str, str]:
    """Write ``data`` as a new file (never through an existing link); its RECORD row.

    A file there already (a link into the store, say) is removed first.  Plain ``os`` calls:
    ``open()`` would also ``fstat``, ``ioctl`` and ``lseek`` every one of the few hundred small
    files of a sync, and removing first would fail in a new environment."""
    try:
        fd = os.open(path, _NEW_FILE, 0o666)  # less the umask, as open(path, "xb")
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    if executable:
        os.chmod(path, 0o755)
    return relative, _record_hash(data), str(len(data))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _size(path: Path) -> int:
    return path.stat().st_size


# --- compiling -----------------------------------------------------------------------------


def compile_bytecode(python: Path, installed: Sequence[InstalledRecord]) -> None:
    """Compile the installed ``.py`` files with ``python`` and add the ``.pyc`` to RECORDs.

    Files that do not compile (test data in Python 2 syntax, templates) are skipped, as pip
    does; only a failure to run the interpreter at all is an error.
    """
    files = [record.python_files() for record in installed]
    listed = "\n".join(str(path) for group in files for path in group)
    if not listed:
        return
    try:
        subprocess.run(
            # -B: the imports compileall makes must not write bytecode beside the
            # interpreter's own stdlib (a store tree, read-only but not to root).
            [str(python), "-B", "-m", "compileall", "-q", "-i", "-"],
            input=listed,
            text=True,
            capture_output=True,
            timeout=COMPILE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"cannot compile bytecode with {python}: {exc}") from exc
    for record, group in zip(installed, files, strict=True):
        record.add_compiled(group)


# --- removing ------------------------------------------------------------------------------


def remove_dist(dist: InstalledDist, *, site_packages: Path, scheme: Scheme) -> None:
    """Remove what the distribution's RECORD lists (inside the environment only)."""
    dist_info = site_packages / dist.dist_info
    root = scheme.root.resolve()
    keep = {
        path.resolve()
        for path in (scheme.purelib, scheme.platlib, scheme.scripts, scheme.data, root)
    }
    parents: set[Path] = set()
    for path in _recorded_paths(dist_info, root):
        _remove_file(path)
        parents.add(path.parent)
    shutil.rmtree(dist_info, ignore_errors=True)
    for directory in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        _prune_empty(directory, keep, root)


def _recorded_paths(dist_info: Path, root: Path) -> Iterator[Path]:
    """The files RECORD lists, resolved; those outside the environment are skipped."""
    try:
        rows = _tree_record(dist_info / "RECORD")
    except (FileNotFoundError, UnicodeDecodeError):
        return
    # Compare real paths: the venv may sit behind a symlink (/tmp on macOS, lib64 -> lib).
    real_root = root.resolve()
    for relative, _, _ in rows:
        joined = dist_info.parent / relative
        if joined.name in ("", ".", ".."):
            continue
        # The directory's real path, but not the file's: a symlinked file (``--link-mode
        # symlink``) points into the store, and it is the link that goes, never its target.
        path = Path(os.path.realpath(joined.parent)) / joined.name
        if path.is_relative_to(real_root) and path != real_root:
            yield path


def _tree_record(path: Path) -> list[list[str]]:
    """RECORD's rows (those with three fields)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle) if len(row) == 3]


def _remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        return
    if path.suffix == ".py":
        for compiled in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            compiled.unlink(missing_ok=True)


def _prune_empty(directory: Path, keep: set[Path], root: Path) -> None:
    current = directory
    while current.is_relative_to(root) and current not in keep and current != root:
        pycache = current / "__pycache__"
        if pycache.is_dir() and not any(pycache.iterdir()):
            pycache.rmdir()
        try:
            current.rmdir()
        except OSError:
            return  # not empty (or already gone and its parent is not ours to judge)
        current = current.parent


# --- executing a plan ----------------------------------------------------------------------


class Executed(Value):
    """What executing a plan did."""

    __slots__ = ("copied_files", "fetched", "linked_files", "records")
    fetched: Final[frozenset[str]]
    """sha256s whose bytes were downloaded (or read from a local path) into the store."""
    linked_files: Final[int]
    copied_files: Final[int]
    records: Final[tuple[InstalledRecord, ...]]
    """The RECORD of each distribution installed, as written (compiled files included)."""

    def __init__(
        self,
        *,
        fetched: frozenset[str],
        linked_files: int,
        copied_files: int,
        records: tuple[InstalledRecord, ...] = (),
    ) -> None:
        self.fetched = fetched
        self.linked_files = linked_files
        self.copied_files = copied_files
        self.records = records


def execute_plan(
    plan: Plan,
    *,
    store: Store,
    fetcher: Fetcher,
    site_packages: Path,
    scheme: Scheme,
    maker: ScriptMaker,
    link_mode: LinkMode = "hardlink",
    compile_with: Path | None = None,
    on_fetched: Callable[[WheelSource, bool], None] | None = None,
) -> Executed:
    """Fetch what the store lacks, remove what goes, link what comes — in that order — then
    compile the new files with the interpreter ``compile_with``, if given."""
    fetched = store.ensure_trees((w.source for w in plan.fetch), fetcher, on_done=on_fetched)
    for dist in plan.remove:
        remove_dist(dist, site_packages=site_packages, scheme=scheme)
    manifests = []
    for wheel in plan.link:
        if not store.has_tree(wheel.source.sha256):  # stored when planned, gone since (cleaned)
            store.ensure_tree(wheel.source, fetcher)
        manifests.append((store.manifest(wheel.source), wheel))
    installed = install_wheels(
        manifests, scheme=scheme, maker=maker, link_mode=link_mode, site_packages=site_packages
    )
    if compile_with is not None:
        compile_bytecode(compile_with, installed.records)
    return Executed(
        fetched=fetched,
        linked_files=installed.linked,
        copied_files=installed.copied,
        records=installed.records,
    )
