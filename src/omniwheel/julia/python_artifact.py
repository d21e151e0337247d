"""The pinned interpreter as a Julia artifact: ``[[omniwheel_python]]`` and its Julia helpers.

A lock written with ``pin-python`` records one python-build-standalone build per target
(:class:`~omniwheel.lock.tool_table.LockedPython`).  Each becomes an entry of the artifact
:data:`PYTHON_ARTIFACT`, keyed like the package entries (``os``, ``arch``, ``libc`` on Linux,
``python = "X.Y"``: :func:`~omniwheel.julia.selection.julia_platform`), one per platform Julia
can tell apart, so that for every target the interpreter and the packages are selected by the
same keys:

- ``git-tree-sha1`` is the tree the archive unpacks to, as archived (``python/…``), computed
  from the verified archive's members (:func:`archive_tree_sha1`) — what Pkg finds after it
  unpacks the same tarball, and never from a tree that something may have written into since;
- ``[[omniwheel_python.download]]`` is the archive itself: its canonical URL and sha256 from the
  lock.  Pkg unpacks ``.tar.gz`` archives as they are, so there is nothing to repack or host.

Julia must also know which Python to select packages for without any Python to ask: with
pinned interpreters ``.pkg/platform_augmentation.jl`` (:func:`platform_augmentation_jl`)
defaults the ``python`` tag to the version the lock pins for the platform — the newest minor
when it pins several, as ``sync`` does — ``OMNIWHEEL_PYTHON_VERSION`` still overriding it.
``.pkg/omniwheel_python.jl`` (:func:`python_helper_jl`) gives a package the interpreter, its
libpython (``JULIA_PYTHONCALL_EXE`` / ``JULIA_PYTHONCALL_LIB``) and the package trees to add
as site directories.  No Julia runs here: the generated code is checked by parsing it and its
selection by :mod:`omniwheel.julia.selection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from omniwheel.julia import ArtifactError
from omniwheel.julia.artifacts_toml import (
    Artifact,
    ArtifactConflictError,
    ArtifactEntry,
    Download,
)
from omniwheel.julia.pack import tarball_tree_sha1
from omniwheel.julia.selection import (
    PLATFORM_AUGMENTATION_JL,
    JuliaPlatform,
    entry_platform,
    julia_platform,
)
from omniwheel.lock.tool_table import LockedPython
from omniwheel.platform.target import Os, PlatformSpec, Target
from omniwheel.python.pbs import PinnedPython

PYTHON_ARTIFACT = "omniwheel_python"
"""The artifact holding the pinned interpreter (not a site directory)."""
HELPER_FILE = "omniwheel_python.jl"
"""The generated helper beside ``platform_augmentation.jl`` in ``.pkg/``."""

PlatformKey = tuple[str, str, str]
"""``(os, arch, libc)`` as Julia's ``Platform`` spells them; ``libc`` is ``""`` off Linux."""


class MissingPinError(ArtifactError):
    """A locked target has no pinned interpreter although the lock pins interpreters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedTargets:
    """The lock's targets, each with the build pinned for it."""

    builds: Mapping[Target, PinnedPython]

    @classmethod
    def of(cls, targets: Iterable[Target], pythons: Iterable[LockedPython]) -> PinnedTargets:
        """Every target of ``targets`` with its build; :class:`MissingPinError` naming all
        that have none."""
        by_target = {target: entry.build for entry in pythons for target in entry.targets}
        wanted = tuple(targets)
        missing = [target.name for target in wanted if target not in by_target]
        if missing:
            raise MissingPinError(
                f"the lock pins interpreters, but none for {', '.join(missing)}",
                hint="the lock was edited or is damaged: run `omniwheel lock` again",
            )
        return cls(builds={target: by_target[target] for target in wanted})

    def distinct(self) -> tuple[PinnedPython, ...]:
        """Each build once, by sha256."""
        return tuple({b.sha256: b for b in sorted(self.builds.values(), key=_order)}.values())

    def for_trees(self, trees: Mapping[str, str]) -> dict[str, PinnedPython]:
        """The build of each ``git-tree-sha1`` (``trees``: archive sha256 → tree)."""
        return {trees[build.sha256]: build for build in self.distinct()}


def _order(build: PinnedPython) -> tuple[str, str]:
    return (build.triple, str(build.version))


def archive_tree_sha1(archive: Path) -> str:
    """The ``git-tree-sha1`` Pkg computes after unpacking the interpreter ``archive``.

    Hashed from the archive's members (empty directories skipped, hard links like their
    target, executable by the owner bit): the same tree the store unpacks it to, as long as
    nothing has written into that tree since.
    """
    return tarball_tree_sha1(archive)


def python_artifact(
    pinned: PinnedTargets, tree_hashes: Mapping[str, str], *, lazy: bool = False
) -> Artifact:
    """The ``omniwheel_python`` artifact: one entry per Julia platform of the lock's targets;
    ``tree_hashes`` maps each archive's sha256 to its tree.  Targets Julia cannot tell apart
    (glibc or macOS floors) share an entry, and must share the build."""
    chosen: dict[JuliaPlatform, tuple[Target, PinnedPython]] = {}
    for target in sorted(pinned.builds, key=Target.sort_key):
        build = pinned.builds[target]
        first = chosen.setdefault(entry_platform(target), (target, build))
        if first[1].sha256 != build.sha256:
            raise _conflict(first, (target, build))
    entries = tuple(
        ArtifactEntry(
            git_tree_sha1=_tree(build, tree_hashes),
            platform=julia_platform(target),
            lazy=lazy,
            downloads=(Download(url=build.url, sha256=build.sha256),),
        )
        for target, build in chosen.values()
    )
    return Artifact(name=PYTHON_ARTIFACT, entries=entries)


def _tree(build: PinnedPython, tree_hashes: Mapping[str, str]) -> str:
    tree = tree_hashes.get(build.sha256)
    if tree is None:
        raise ArtifactError(
            f"no tree hash for the pinned interpreter {build.describe()}",
            hint="the tree hash is computed from the archive itself: `omniwheel artifacts "
            "write` downloads it into the store first",
        )
    return tree


def _conflict(
    first: tuple[Target, PinnedPython], second: tuple[Target, PinnedPython]
) -> ArtifactConflictError:
    return ArtifactConflictError(
        f"`{PYTHON_ARTIFACT}`: targets {first[0].name} and {second[0].name} pin different "
        f"interpreters ({first[1].describe()} and {second[1].describe()}), but Julia sees one "
        f"platform ({entry_platform(first[0]).triplet()})",
        hint="Julia tells targets apart only by os, arch, libc and the Python X.Y: lock one of "
        "them for Julia",
    )


def check_agreement(python: Artifact, packages: Iterable[Artifact]) -> None:
    """Every platform a package entry names has an interpreter entry with the same keys:
    Julia then selects the interpreter and the packages for one Python on every host."""
    ours = {_key(entry) for entry in python.entries}
    stray = sorted(
        {
            f"{artifact.name} ({', '.join(f'{k}={v}' for k, v in sorted(key))})"
            for artifact in packages
            for entry in artifact.entries
            if (key := _key(entry)) and key not in ours
        }
    )
    if stray:
        raise ArtifactError(
            f"package entries without an interpreter entry for their platform: {'; '.join(stray)}",
            hint="the lock's pins do not cover its targets: run `omniwheel lock` again",
        )


def _key(entry: ArtifactEntry) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((entry.platform or {}).items()))


# --- the python tag's default -------------------------------------------------------------------


def default_pythons(targets: Iterable[Target]) -> dict[PlatformKey, str]:
    """The ``python`` tag each platform defaults to: the newest minor the lock pins there."""
    newest: dict[PlatformKey, tuple[int, ...]] = {}
    for target in targets:
        key = platform_key(target.platform)
        minor = target.python[:2]
        newest[key] = max(newest.get(key, minor), minor)
    return {key: f"{minor[0]}.{minor[1]}" for key, minor in sorted(newest.items())}


def platform_key(platform: PlatformSpec) -> PlatformKey:
    """``platform``'s ``(os, arch, libc)`` as Julia's ``Platform`` reads an entry's keys
    (:func:`~omniwheel.julia.selection.julia_platform`) and as ``os()``, ``arch()`` and
    ``libc()`` give them on the host."""
    linux = platform.os is Os.LINUX and platform.libc is not None
    tags = {"libc": str(platform.libc)} if linux else {}
    julia = JuliaPlatform.of(str(platform.arch), str(platform.os), tags)
    return (julia.get("os") or "", julia.get("arch") or "", julia.get("libc") or "")


def default_python(defaults: Mapping[PlatformKey, str], platform: PlatformSpec) -> str | None:
    """What :func:`platform_augmentation_jl` sets on a host of ``platform`` when
    ``OMNIWHEEL_PYTHON_VERSION`` is unset (None: the lock pins nothing there)."""
    return defaults.get(platform_key(platform))


def platform_augmentation_jl(defaults: Mapping[PlatformKey, str]) -> str:
    """``.pkg/platform_augmentation.jl``; with pins, the ``python`` tag defaults to them.

    Without pins it is :data:`~omniwheel.julia.selection.PLATFORM_AUGMENTATION_JL` (asks a
    Python on ``PATH``).  With pins: ``OMNIWHEEL_PYTHON_VERSION``, else the version pinned for
    the platform's os, arch and libc, else (a platform the lock does not pin) the same
    lookup as without pins.
    """
    if not defaults:
        return PLATFORM_AUGMENTATION_JL
    rows = "".join(
        f"    ({_jl(os)}, {_jl(arch)}, {_jl(libc)}) => {_jl(version)},\n"
        for (os, arch, libc), version in sorted(defaults.items())
    )
    head, _, body = PLATFORM_AUGMENTATION_JL.partition("using Base.BinaryPlatforms\n")
    pinned = f"""\
# The lock pins an interpreter per platform (the `{PYTHON_ARTIFACT}` artifact), so the tag
# defaults to the version pinned for the platform (os, arch, libc) and no Python is asked:
# OMNIWHEEL_PYTHON_VERSION still overrides it.
using Base.BinaryPlatforms

const OMNIWHEEL_PINNED_PYTHONS = Dict{{Tuple{{String,String,String}},String}}(
{rows})

function omniwheel_pinned_python(platform::Platform)
    key = (
        Base.BinaryPlatforms.os(platform),
        Base.BinaryPlatforms.arch(platform),
        something(Base.BinaryPlatforms.libc(platform), ""),
    )
    return get(OMNIWHEEL_PINNED_PYTHONS, key, "")
end
"""
    augment = body.replace(
        '    haskey(platform, "python") || (platform["python"] = omniwheel_python_version())',
        '    haskey(platform, "python") && return platform\n'
        '    version = get(ENV, "OMNIWHEEL_PYTHON_VERSION", "")\n'
        "    isempty(version) && (version = omniwheel_pinned_python(platform))\n"
        "    isempty(version) && (version = omniwheel_python_version())\n"
        '    platform["python"] = version',
    )
    if augment == body:  # pragma: no cover - the template and this code change together
        raise ArtifactError("platform_augmentation.jl template changed; update the pinned form")
    return head + pinned + augment


def python_helper_jl(pinned: PinnedTargets, trees: Mapping[str, str]) -> str:
    """``.pkg/omniwheel_python.jl``: the pinned interpreter and the package trees for Julia.

    ``trees`` maps each archive's sha256 to its tree; the helper finds the interpreter tree
    Julia selects for the augmented host and knows, per tree, where the executable and
    libpython lie inside it (Windows and macOS lay them out differently).
    """
    layout = "".join(
        f"    {_jl(tree)} => ({_jl(build.executable)}, {_jl(build.libpython)}),  "
        f"# {build.describe()}\n"
        for tree, build in sorted(pinned.for_trees(trees).items())
    )
    return f"""\
# Generated by omniwheel; do not edit (`omniwheel artifacts write` rewrites it).
#
# The Python the lock pins for this platform, and the locked packages, as artifacts:
#     include(joinpath(@__DIR__, "..", ".pkg", "{HELPER_FILE}"))
#     OmniwheelPython.setup!()   # before `using PythonCall`: sets JULIA_PYTHONCALL_EXE/_LIB
#     # then: foreach(d -> PythonCall.pyimport("site").addsitedir(d), OmniwheelPython.site_dirs())
# python_exe(), libpython() and site_dirs() give the paths; the artifacts must be installed
# (`Pkg.instantiate()`, or `omniwheel sync --julia-depot DEPOT`).
module OmniwheelPython

using Artifacts, TOML, Base.BinaryPlatforms
include(joinpath(@__DIR__, "platform_augmentation.jl"))

const ARTIFACTS_TOML = joinpath(dirname(@__DIR__), "Artifacts.toml")
const PYTHON_ARTIFACT = {_jl(PYTHON_ARTIFACT)}
# git-tree-sha1 of each interpreter tree => (executable, libpython) inside it
const LAYOUT = Dict{{String,Tuple{{String,String}}}}(
{layout})

host_platform() = augment_platform!(HostPlatform())

function interpreter()
    platform = host_platform()
    hash = artifact_hash(PYTHON_ARTIFACT, ARTIFACTS_TOML; platform)
    hash === nothing && error("omniwheel: no pinned Python for $(triplet(platform))")
    tree = bytes2hex(hash.bytes)
    return artifact_path(hash), LAYOUT[tree]
end

inside(root, relative) = joinpath(root, split(relative, '/')...)

"The pinned interpreter's executable."
function python_exe()
    root, paths = interpreter()
    return inside(root, paths[1])
end

"The pinned interpreter's shared libpython (for embedding)."
function libpython()
    root, paths = interpreter()
    return inside(root, paths[2])
end

"The package trees Julia selects here, in name order: add each as a site directory."
function site_dirs()
    platform = host_platform()
    names = sort!([name for name in keys(TOML.parsefile(ARTIFACTS_TOML))
                   if startswith(name, "omniwheel_") && name != PYTHON_ARTIFACT])
    hashes = [artifact_hash(name, ARTIFACTS_TOML; platform) for name in names]
    return [artifact_path(hash) for hash in hashes if hash !== nothing]
end

"Point PythonCall at the pinned interpreter (call before loading PythonCall)."
function setup!()
    ENV["JULIA_CONDAPKG_BACKEND"] = "Null"
    ENV["JULIA_PYTHONCALL_EXE"] = python_exe()
    ENV["JULIA_PYTHONCALL_LIB"] = libpython()
    return nothing
end

end # module
"""


def _jl(text: str) -> str:
    """A Julia string literal (``$`` escaped: no interpolation)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'
