"""Time ``omniwheel lock`` against uv on the shared reference workload in one run; print ratios.

Issue 2 sets omniwheel's speed targets relative to uv (matrix lock: cold at most 2 times uv's time,
warm at most 1 time), and the machines here are shared and noisy, so only side-by-side ratios
measured in the same run mean anything. This script runs both tools on the same workload, the same
index and the same ``--exclude-newer`` cutoff, interleaved (A B A B …), with a fresh cache per cold
run and the cache of the tool's own previous run for warm runs, then prints the median wall time
per tool and case, the ratios omniwheel/uv and the exact commands. It uses the standard library
only, so it runs under any interpreter that can start omniwheel.

Warm runs also time uv with ``--offline`` (its cache used as it is): plain uv revalidates every
cached page with the index, and the index reachable here sends no caching headers, so a plain
"warm" uv run fetches every page again while omniwheel's warm run asks the index nothing.  The
``--offline`` rows are the reference for the warm target; the plain rows stay, labelled.

Run it as ``.venv/bin/python bench/lock_bench.py [--runs N] [--peers DIR]``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # mypy sees bench/ as a package (explicit_package_bases in pyproject.toml)
    from bench.process_tree import run_measured
else:  # run as a script, bench/ itself is on sys.path
    from process_tree import run_measured

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKLOAD = REPO.parent / "shared" / "bench"
DEFAULT_PEERS = Path(tempfile.gettempdir()) / "omniwheel-bench-peers"
DEFAULT_RESULTS = REPO / "bench" / "results"
EXCLUDE_NEWER = "2026-11-01T00:00:00Z"

# Stands for the discovered index URL in printed and recorded commands, so that neither the index's
# host name nor credentials embedded in its URL end up in logs or result files.
INDEX_TOKEN = "$INDEX_URL"

ONE_TARGET = ("linux-x86_64", "3.11")
PLATFORMS = ("linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-arm64", "windows-x86_64")
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# omniwheel platform -> uv's --python-platform with the same floors as omniwheel's defaults
# (glibc 2.28; macOS 13.0 comes from MACOSX_DEPLOYMENT_TARGET in the uv environment).
UV_PLATFORM = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "macos-x86_64": "x86_64-apple-darwin",
    "macos-arm64": "aarch64-apple-darwin",
    "windows-x86_64": "x86_64-pc-windows-msvc",
}
# omniwheel platform -> (sys_platform, platform_machine) for uv's environment markers.
MARKER_FACTS = {
    "linux-x86_64": ("linux", "x86_64"),
    "linux-aarch64": ("linux", "aarch64"),
    "macos-x86_64": ("darwin", "x86_64"),
    "macos-arm64": ("darwin", "arm64"),
    "windows-x86_64": ("win32", "AMD64"),
}

# The interpreter running the bench, symlinks resolved: its directory goes first on PATH for both
# tools, so that nothing they start (uv looking for a Python, most of all) walks pyenv's shims.
REAL_PYTHON = Path(os.path.realpath(sys.executable))

Mode = Literal["cold", "warm"]
Family = Literal["omniwheel", "uv"]
MODES: tuple[Mode, ...] = ("cold", "warm")
RESOLVED = re.compile(r"Resolved (\d+) packages")
TAIL_LINES = 15
MB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Contender:
    """One tool invocation being timed: the files its project directory needs and its commands.

    ``commands`` run in sequence in a fresh project directory; their wall times add up to one
    measurement (a loop of per-target ``uv pip compile`` is one contender with 20 commands).
    """

    label: str
    family: Family
    files: tuple[tuple[str, str], ...]
    commands: tuple[tuple[str, ...], ...]
    modes: tuple[Mode, ...] = ("cold", "warm")
    cache_of: str | None = None
    """Label of the contender whose cache this one uses (its own when None)."""
    setup: tuple[tuple[str, ...], ...] = ()
    """Commands run first in the same project directory, untimed (the first lock of a relock)."""

    @property
    def cache_key(self) -> str:
        return self.cache_of or self.label


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A workload shape compared across tools; the first contender is omniwheel."""

    name: str
    description: str
    contenders: tuple[Contender, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """The outcome of one timed run of one contender."""

    case: str
    contender: str
    mode: Mode
    run: int
    seconds: float
    peak_rss_mb: float
    """Peak resident memory of the process tree (the highest of a contender's commands)."""
    ok: bool
    packages: tuple[int, ...]
    summary: tuple[str, ...]
    failure: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tools:
    """Where the executables are and what they report about themselves."""

    omniwheel: Path
    omniwheel_python: Path
    uv: Path
    uv_version: str
    omniwheel_revision: str
    index_url: str
    index_source: str


# ---------------------------------------------------------------------------------------------
# Command lines


def omniwheel_command(tools: Tools, targets: Sequence[str]) -> tuple[str, ...]:
    """``omniwheel lock`` for explicit ``--platform``/``--python-version`` arguments."""
    return (str(tools.omniwheel), "lock", *targets, "--exclude-newer", EXCLUDE_NEWER)


def matrix_target_args() -> list[str]:
    """The 20-target matrix as omniwheel arguments: every platform by every Python version."""
    args: list[str] = []
    for name in PLATFORMS:
        args += ["--platform", name]
    for version in PYTHONS:
        args += ["--python-version", version]
    return args


def uv_compile_command(tools: Tools, platform_name: str, python: str) -> tuple[str, ...]:
    """``uv pip compile`` of the workload for one target."""
    return (
        str(tools.uv),
        "pip",
        "compile",
        "--python-platform",
        UV_PLATFORM[platform_name],
        "--python-version",
        python,
        "--exclude-newer",
        EXCLUDE_NEWER,
        "--default-index",
        INDEX_TOKEN,
        "--output-file",
        f"requirements-{platform_name}-{python}.txt",
        "workload.txt",
    )


def uv_lock_command(tools: Tools) -> tuple[str, ...]:
    """``uv lock`` of the project whose ``[tool.uv]`` names the matrix's environments."""
    return (
        str(tools.uv),
        "lock",
        "--exclude-newer",
        EXCLUDE_NEWER,
        "--default-index",
        INDEX_TOKEN,
    )


def environment_markers() -> list[str]:
    """One PEP 508 marker per matrix target, for ``environments`` and ``required-environments``."""
    markers = []
    for name in PLATFORMS:
        sys_platform, machine = MARKER_FACTS[name]
        for version in PYTHONS:
            markers.append(
                f"sys_platform == '{sys_platform}' and platform_machine == '{machine}'"
                f" and python_version == '{version}'"
            )
    return markers


def uv_matrix_pyproject(pyproject: str) -> str:
    """The workload pyproject with the matrix as ``[tool.uv]`` (required-)environments."""
    markers = "".join(f'\n    "{marker}",' for marker in environment_markers())
    keys = f"environments = [{markers}\n]\nrequired-environments = [{markers}\n]\n"
    if "[tool.uv]\n" in pyproject:
        return pyproject.replace("[tool.uv]\n", f"[tool.uv]\n{keys}", 1)
    return f"{pyproject.rstrip()}\n\n[tool.uv]\n{keys}"


def render(command: Sequence[str]) -> str:
    """A command as a shell line, with the index URL left as ``$INDEX_URL``."""
    return " ".join(part if part == INDEX_TOKEN else shlex.quote(part) for part in command)


# ---------------------------------------------------------------------------------------------
# Cases


OFFLINE = "--offline"
"""uv's "use only the cache" mode: cached pages are used as they are, never revalidated."""


def offline(contender: Contender) -> Contender:
    """The warm-only twin of a uv contender: the same commands with ``--offline``, same cache."""
    commands = tuple(with_option(command, OFFLINE) for command in contender.commands)
    return Contender(
        label=f"{contender.label} {OFFLINE}",
        family=contender.family,
        files=contender.files,
        commands=commands,
        modes=("warm",),
        cache_of=contender.label,
    )


def with_option(command: Sequence[str], option: str) -> tuple[str, ...]:
    """A uv command with ``option`` right after its subcommand (``uv lock``, ``uv pip compile``)."""
    words = 3 if command[1] == "pip" else 2
    return (*command[:words], option, *command[words:])


def build_cases(tools: Tools, workload: Path) -> tuple[Case, ...]:
    """The two cases of issue 2, one target and the 20-target matrix, and issue 12's relock:
    the matrix locked again with the same command, nothing changed (the first lock untimed)."""
    pyproject = (workload / "pyproject.toml").read_text(encoding="utf-8")
    requirements = (workload / "workload.txt").read_text(encoding="utf-8")
    project_files = (("pyproject.toml", pyproject),)
    platform_name, python = ONE_TARGET
    one_compile = Contender(
        label="uv pip compile",
        family="uv",
        files=(("workload.txt", requirements),),
        commands=(uv_compile_command(tools, platform_name, python),),
    )
    one = Case(
        name="one-target",
        description=f"{platform_name} @ {python}",
        contenders=(
            Contender(
                label="omniwheel lock",
                family="omniwheel",
                files=project_files,
                commands=(omniwheel_command(tools, ["--platform", f"{platform_name}@{python}"]),),
            ),
            one_compile,
            offline(one_compile),
        ),
    )
    uv_lock = Contender(
        label="uv lock",
        family="uv",
        files=(("pyproject.toml", uv_matrix_pyproject(pyproject)),),
        commands=(uv_lock_command(tools),),
    )
    loop = Contender(
        label=f"uv pip compile ×{len(PLATFORMS) * len(PYTHONS)}",
        family="uv",
        files=(("workload.txt", requirements),),
        commands=tuple(
            uv_compile_command(tools, name, version) for name in PLATFORMS for version in PYTHONS
        ),
    )
    matrix = Case(
        name="matrix",
        description=f"{len(PLATFORMS)} platforms × Python {PYTHONS[0]}–{PYTHONS[-1]}"
        f" = {len(PLATFORMS) * len(PYTHONS)} targets",
        contenders=(
            Contender(
                label="omniwheel lock",
                family="omniwheel",
                files=project_files,
                commands=(omniwheel_command(tools, matrix_target_args()),),
            ),
            uv_lock,
            offline(uv_lock),
            loop,
            offline(loop),
        ),
    )
    matrix_lock = omniwheel_command(tools, matrix_target_args())
    uv_relock = with_option(uv_lock_command(tools), OFFLINE)
    relock = Case(
        name="relock",
        description=f"the {len(PLATFORMS) * len(PYTHONS)}-target matrix locked again, unchanged",
        contenders=(
            Contender(
                label="omniwheel lock",
                family="omniwheel",
                files=project_files,
                commands=(matrix_lock,),
                modes=("warm",),
                setup=(matrix_lock,),
            ),
            Contender(
                label=f"uv lock {OFFLINE}",
                family="uv",
                files=uv_lock.files,
                commands=(uv_relock,),
                modes=("warm",),
                setup=(uv_lock_command(tools),),
            ),
        ),
    )
    return (one, matrix, relock)


# ---------------------------------------------------------------------------------------------
# Environments


def python_first(environ: dict[str, str], python: Path) -> dict[str, str]:
    """``environ`` with the directory of ``python`` (symlinks resolved) first on ``PATH``.

    On these machines pyenv's shims come first on ``PATH``; uv, looking for an interpreter, runs
    them and spends about 0.15 s per command before it finds the real one.  Both tools get the
    same ``PATH``."""
    real = Path(os.path.realpath(python)).parent
    environ["PATH"] = os.pathsep.join([str(real), *filter(None, [environ.get("PATH")])])
    return environ


def uv_environment(cache: Path, python: Path = REAL_PYTHON) -> dict[str, str]:
    """The environment of a uv run: no inherited ``UV_*`` settings, no config files, own cache."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
    environ.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(cache),
        UV_PYTHON_DOWNLOADS="never",
        MACOSX_DEPLOYMENT_TARGET="13.0",
    )
    return python_first(environ, python)


def omniwheel_environment(cache: Path, python: Path = REAL_PYTHON) -> dict[str, str]:
    """The environment of an omniwheel run: the caller's (pip's index settings), own cache."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OMNIWHEEL_")}
    environ["OMNIWHEEL_CACHE_DIR"] = str(cache)
    return python_first(environ, python)


def environment_for(family: Family, cache: Path, python: Path = REAL_PYTHON) -> dict[str, str]:
    if family == "uv":
        return uv_environment(cache, python)
    return omniwheel_environment(cache, python)


# ---------------------------------------------------------------------------------------------
# Running


def tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-TAIL_LINES:])


def summary_lines(output: str) -> tuple[str, ...]:
    """The tools' own one-line summaries (package counts, omniwheel's index statistics)."""
    keep = ("Resolved ", "Index ", "pylock.toml is up to date")
    return tuple(line.strip() for line in output.splitlines() if line.strip().startswith(keep))


@dataclass(frozen=True, slots=True, kw_only=True)
class Bench:
    """What every run shares: the tools, the scratch directory and the per-command time limit."""

    tools: Tools
    workdir: Path
    timeout: float
    keep: bool = False
    """--keep: nothing is deleted, not even between groups of runs."""


class Trash:
    """Directories done with, deleted together between groups of runs, never before a timed one.

    Deleting a venv or a cache is tens of thousands of unlinks whose writeback lands on whatever
    runs next: a timed run started right after a deletion took about twice its time, even after
    ``sync(2)``.  So the bench only collects what it no longer needs (runs use fresh names) and
    empties the lot after a group of runs, followed by ``sync(2)`` and a short pause, before the
    next group starts."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.paths: list[Path] = []

    def add(self, *paths: Path) -> None:
        self.paths.extend(paths)

    def empty(self) -> None:
        if not self.bench.keep:
            for path in self.paths:
                shutil.rmtree(path, ignore_errors=True)
        self.paths.clear()
        settle()
        time.sleep(SETTLE_PAUSE)


SETTLE_PAUSE = 2.0
"""Seconds to wait, untimed, after a group's deletions have been synced to disk."""


def settle() -> None:
    """Flush every dirty page before a timed run, so no tool pays for what ran before it."""
    os.sync()


def run_contender(
    contender: Contender, bench: Bench, cache: Path, trash: Trash
) -> tuple[float, list[str], str | None, int]:
    """Run a contender's commands in a fresh project directory; (seconds, outputs, failure,
    the highest peak RSS of one of its commands).

    The project directory goes to ``trash``, deleted after the group of runs."""
    project = Path(tempfile.mkdtemp(prefix="project-", dir=bench.workdir))
    trash.add(project)
    for name, text in contender.files:
        (project / name).write_text(text, encoding="utf-8")
    environ = environment_for(contender.family, cache)
    for command in contender.setup:
        _, output, failure, _ = run_command(command, bench, project, environ)
        if failure is not None:
            return 0.0, [output], f"setup failed: {failure}", 0
    settle()
    seconds, outputs, peak = 0.0, list[str](), 0
    for command in contender.commands:
        elapsed, output, failure, rss = run_command(command, bench, project, environ)
        seconds += elapsed
        peak = max(peak, rss)
        outputs.append(output)
        if failure is not None:
            return seconds, outputs, failure, peak
    return seconds, outputs, None, peak


def run_command(
    command: Sequence[str], bench: Bench, project: Path, environ: Mapping[str, str]
) -> tuple[float, str, str | None, int]:
    """Run one command and time it; (seconds, stdout + stderr, failure with the output's tail,
    peak RSS of its process tree in bytes: :mod:`process_tree`)."""
    argv = [bench.tools.index_url if part == INDEX_TOKEN else part for part in command]
    ran = run_measured(argv, cwd=project, env=environ, timeout=bench.timeout)
    if ran.returncode is None:
        failure = f"timed out after {bench.timeout:.0f}s: {render(command)}"
        return bench.timeout, "", failure, ran.peak_rss
    output = ran.stdout + ran.stderr
    if ran.returncode == 0:
        return ran.seconds, output, None, ran.peak_rss
    failure = f"exit {ran.returncode}: {render(command)}\n{tail(ran.stderr)}"
    return ran.seconds, output, failure, ran.peak_rss


def measure(
    bench: Bench,
    *,
    case: Case,
    contender: Contender,
    mode: Mode,
    run: int,
    cache: Path,
    trash: Trash,
) -> Measurement:
    """Time one run and turn its outputs into a :class:`Measurement`."""
    seconds, outputs, failure, peak = run_contender(contender, bench, cache, trash)
    packages = tuple(int(m.group(1)) for text in outputs for m in RESOLVED.finditer(text))
    summary = tuple(line for text in outputs for line in summary_lines(text))
    return Measurement(
        case=case.name,
        contender=contender.label,
        mode=mode,
        run=run,
        seconds=round(seconds, 3),
        peak_rss_mb=round(peak / MB, 1),
        ok=failure is None,
        packages=tuple(sorted(set(packages))),
        summary=summary if contender.family == "omniwheel" else summary[:1],
        failure=failure,
    )


def run_all(bench: Bench, cases: Sequence[Case], runs: int) -> list[Measurement]:
    """Per case, a group of cold runs, then a group of warm runs; contenders interleaved.

    Each cold run gets a fresh, empty cache; the last cold run's cache of a contender is the warm
    cache of that contender (and of its ``--offline`` twin).  A warm-only contender without a
    twin gets a fresh cache that its untimed ``setup`` fills.  Nothing is deleted inside a group:
    the older cold caches and every project directory are deleted between groups."""
    results: list[Measurement] = []
    trash = Trash(bench)
    for case in cases:
        warm_cache: dict[str, Path] = {}
        for mode in MODES:
            contenders = [c for c in case.contenders if mode in c.modes]
            for run in range(1, runs + 1):
                for contender in contenders:
                    if mode == "cold":
                        if contender.label in warm_cache:
                            trash.add(warm_cache[contender.label])
                        warm_cache[contender.label] = Path(
                            tempfile.mkdtemp(prefix="cache-", dir=bench.workdir)
                        )
                    elif contender.cache_key not in warm_cache:
                        warm_cache[contender.cache_key] = Path(
                            tempfile.mkdtemp(prefix="cache-", dir=bench.workdir)
                        )
                    result = measure(
                        bench,
                        case=case,
                        contender=contender,
                        mode=mode,
                        run=run,
                        cache=warm_cache[contender.cache_key],
                        trash=trash,
                    )
                    results.append(result)
                    progress(result)
            trash.empty()
        trash.add(*warm_cache.values())
        trash.empty()
    return results


def progress(result: Measurement) -> None:
    status = "ok" if result.ok else "FAILED"
    print(
        f"  {result.case:<10} {result.mode:<4} run {result.run}  {result.contender:<28}"
        f" {result.seconds:8.2f}s  {status}",
        file=sys.stderr,
        flush=True,
    )


# ---------------------------------------------------------------------------------------------
# Tools


def ensure_uv(peers: Path) -> Path:
    """uv from the index in its own venv under ``peers``, pip's machine-wide config ignored."""
    uv = peers / "uv" / "bin" / "uv"
    if uv.exists():
        return uv
    peers.mkdir(parents=True, exist_ok=True)
    python3 = shutil.which("python3") or sys.executable
    subprocess.run([python3, "-m", "venv", str(peers / "uv")], check=True)
    environ = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    pip = str(peers / "uv" / "bin" / "pip")
    subprocess.run([pip, "install", "--quiet", "uv"], check=True, env=environ)
    return uv


DISCOVER = """\
import json, os
from pathlib import Path
from omniwheel.index.discovery import discover_index
found = discover_index(cli_url=None, tool_url=None, environ=os.environ, home=Path.home())
print(json.dumps({"url": found.url, "source": found.source}))
"""


def discover_tools(peers: Path) -> Tools:
    """Find omniwheel beside this interpreter, install uv if needed, and ask omniwheel its index."""
    omniwheel = Path(sys.executable).parent / "omniwheel"
    if not omniwheel.exists():
        found = shutil.which("omniwheel")
        if found is None:
            sys.exit("error: no `omniwheel` beside this Python; run it with .venv/bin/python")
        omniwheel = Path(found)
    python = omniwheel.parent / "python"
    index = json.loads(check_output([str(python), "-c", DISCOVER]))
    uv = ensure_uv(peers)
    return Tools(
        omniwheel=omniwheel,
        omniwheel_python=python,
        uv=uv,
        uv_version=check_output([str(uv), "--version"]).strip(),
        omniwheel_revision=omniwheel_revision(),
        index_url=str(index["url"]),
        index_source=str(index["source"]),
    )


def compile_omniwheel(tools: Tools) -> None:
    """Compile omniwheel's modules, untimed, as installing it from a wheel does.

    The development install is editable, and with ``PYTHONDONTWRITEBYTECODE`` set (as on these
    machines) every run would compile omniwheel from source again — a cost a user's install does
    not have.  The bytecode goes to ``__pycache__`` beside the sources (ignored by git)."""
    script = (
        "import compileall, omniwheel, pathlib; "
        "compileall.compile_dir(pathlib.Path(omniwheel.__file__).parent, quiet=1)"
    )
    subprocess.run([str(tools.omniwheel_python), "-c", script], check=True)


def check_output(argv: Sequence[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def omniwheel_revision() -> str:
    """The checked-out commit of the repository being measured, marked when it has local edits."""
    git = ["git", "-C", str(REPO)]
    try:
        head = check_output([*git, "rev-parse", "--short", "HEAD"]).strip()
        dirty = check_output([*git, "status", "--porcelain", "--untracked-files=no", "src"])
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty.strip() else head


# ---------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """Median of one contender in one case and mode, with its ratio to omniwheel."""

    case: str
    mode: Mode
    contender: str
    median: float | None
    peak_rss_mb: float | None
    """Median over the successful runs of each run's peak RSS (MB)."""
    ok_runs: int
    runs: int
    packages: tuple[int, ...]
    ratio: float | None  # omniwheel median / this median; None for omniwheel's own row


def summarise(cases: Sequence[Case], results: Sequence[Measurement]) -> list[Row]:
    rows: list[Row] = []
    for case in cases:
        for mode in MODES:
            contenders = [c for c in case.contenders if mode in c.modes]
            if not contenders:
                continue
            medians = {c.label: median_of(results, case.name, c.label, mode) for c in contenders}
            ours = medians[contenders[0].label]
            for contender in contenders:
                rows.append(
                    row_for(
                        results,
                        case=case,
                        mode=mode,
                        contender=contender,
                        medians=medians,
                        ours=ours,
                    )
                )
    return rows


def row_for(
    results: Sequence[Measurement],
    *,
    case: Case,
    mode: Mode,
    contender: Contender,
    medians: Mapping[str, float | None],
    ours: float | None,
) -> Row:
    picked = [
        r for r in results if (r.case, r.contender, r.mode) == (case.name, contender.label, mode)
    ]
    theirs = medians[contender.label]
    is_ours = contender.family == "omniwheel"
    return Row(
        case=case.name,
        mode=mode,
        contender=contender.label,
        median=theirs,
        peak_rss_mb=median_rss(picked),
        ok_runs=sum(r.ok for r in picked),
        runs=len(picked),
        packages=tuple(sorted({p for r in picked for p in r.packages})),
        ratio=None if is_ours or ours is None or not theirs else round(ours / theirs, 2),
    )


def median_of(
    results: Sequence[Measurement], case: str, contender: str, mode: Mode
) -> float | None:
    """Median wall seconds of the successful runs, or None when every run failed."""
    times = [
        r.seconds
        for r in results
        if (r.case, r.contender, r.mode) == (case, contender, mode) and r.ok
    ]
    return round(statistics.median(times), 2) if times else None


def median_rss(picked: Sequence[Measurement]) -> float | None:
    """Median peak RSS (MB) of the successful runs, or None when every run failed."""
    peaks = [r.peak_rss_mb for r in picked if r.ok]
    return round(statistics.median(peaks), 1) if peaks else None


def span(values: Sequence[int]) -> str:
    """``111``, or ``low-high`` when runs (or a loop's commands) reported different counts."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def table(rows: Sequence[Row]) -> str:
    header = (
        f"{'case':<11}{'mode':<6}{'tool':<30}{'median s':>9}{'peak MB':>9}{'ok':>7}{'pkgs':>10}"
    )
    lines = [header + f"{'omniwheel/this':>16}", "-" * (len(header) + 16)]
    for row in rows:
        median = f"{row.median:.2f}" if row.median is not None else "failed"
        peak = f"{row.peak_rss_mb:.0f}" if row.peak_rss_mb is not None else "-"
        packages = span(row.packages)
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}×"
        lines.append(
            f"{row.case:<11}{row.mode:<6}{row.contender:<30}{median:>9}{peak:>9}"
            f"{f'{row.ok_runs}/{row.runs}':>7}{packages:>10}{ratio:>16}"
        )
    return "\n".join(line.rstrip() for line in lines)


# Issue 2's targets for the matrix lock, and the uv row each is judged against: cold against
# `uv lock` (an empty cache, nothing to revalidate), warm against `uv lock --offline` (uv with its
# cache trusted, as omniwheel's warm lock trusts its own); plain warm `uv lock` is shown as well.
TARGETS: tuple[tuple[Mode, str, float, str], ...] = (
    ("cold", "uv lock", 2.0, "reference"),
    ("warm", f"uv lock {OFFLINE}", 1.0, "reference: uv's cache used as it is"),
    ("warm", "uv lock", 1.0, "context: uv revalidates every cached page with the index"),
)


def verdicts(rows: Sequence[Row]) -> list[str]:
    """Issue 2's targets for the matrix lock: cold at most 2 times ``uv lock``, warm at most 1."""
    found = {(row.mode, row.contender): row for row in rows if row.case == "matrix"}
    lines = []
    for mode, label, limit, role in TARGETS:
        row = found.get((mode, label))
        if row is None:
            continue
        if row.ratio is None:
            verdict = "no ratio (a run failed)"
        else:
            verdict = "met" if row.ratio <= limit else "missed"
            verdict = f"{row.ratio:.2f}× — {verdict}"
        lines.append(f"target: matrix {mode} ≤ {limit:g}× {label}: {verdict} ({role})")
    return lines


def failures(results: Sequence[Measurement]) -> list[str]:
    lines = []
    for r in results:
        if r.failure is not None:
            lines.append(f"--- {r.case} {r.mode} run {r.run} {r.contender}: {r.failure}")
    return lines


def print_report(
    cases: Sequence[Case], tools: Tools, rows: Sequence[Row], results: Sequence[Measurement]
) -> None:
    """The plain-text report on stdout: table, issue 2's verdicts, commands, failures."""
    print(
        f"omniwheel {tools.omniwheel_revision} vs {tools.uv_version}; exclude-newer {EXCLUDE_NEWER}"
    )
    print(f"INDEX_URL: the index omniwheel discovers ({tools.index_source}), given to uv too")
    print(f"PATH starts with {REAL_PYTHON.parent} (the real interpreter, not pyenv's shims)")
    print()
    print(table(rows))
    print()
    print(*verdicts(rows), sep="\n")
    print(
        "ratio = omniwheel median / that tool's median, same case and mode; < 1: omniwheel faster"
    )
    print_section(
        "omniwheel's own summary, last run of each case and mode:", own_summaries(results)
    )
    print_section(
        "commands (each run in a fresh project directory; caches via *_CACHE_DIR):",
        [line for case in cases for line in command_lines(case)],
    )
    print_section("failures:", failures(results))


def print_section(title: str, lines: Sequence[str]) -> None:
    if lines:
        print(f"\n{title}", *lines, sep="\n")


def own_summaries(results: Sequence[Measurement]) -> list[str]:
    last: dict[tuple[str, Mode], Measurement] = {}
    for r in results:
        if r.contender == "omniwheel lock":
            last[r.case, r.mode] = r
    return [f"  {case} {mode}: {' | '.join(r.summary)}" for (case, mode), r in last.items()]


def command_lines(case: Case) -> list[str]:
    lines = [f"[{case.name}: {case.description}]"]
    for contender in case.contenders:
        shown = contender.commands[:2]
        if contender.modes != MODES:
            lines.append(f"  ({'/'.join(contender.modes)} only, cache of {contender.cache_key})")
        lines += [f"  {render(command)}" for command in shown]
        if len(contender.commands) > len(shown):
            lines.append(f"  … ({len(contender.commands)} commands in all, one per target)")
    return lines


def write_json(
    path: Path,
    *,
    cases: Sequence[Case],
    tools: Tools,
    rows: Sequence[Row],
    results: Sequence[Measurement],
    started: datetime,
) -> None:
    data = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "omniwheel": tools.omniwheel_revision,
        "uv": tools.uv_version,
        "index": {"url": INDEX_TOKEN, "source": tools.index_source},
        "exclude_newer": EXCLUDE_NEWER,
        "commands": {
            case.name: {c.label: [render(cmd) for cmd in c.commands] for c in case.contenders}
            for case in cases
        },
        "summary": [asdict(row) for row in rows],
        "measurements": [asdict(result) for result in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool, case and mode")
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="where uv is installed")
    parser.add_argument("--workload", type=Path, default=DEFAULT_WORKLOAD, help="workload dir")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON output dir")
    parser.add_argument(
        "--case", choices=("one-target", "matrix", "relock"), action="append", default=[]
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per command")
    parser.add_argument("--keep", action="store_true", help="keep project and cache dirs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    tools = discover_tools(args.peers)
    cases = [c for c in build_cases(tools, args.workload) if not args.case or c.name in args.case]
    compile_omniwheel(tools)
    workdir = Path(tempfile.mkdtemp(prefix="omniwheel-bench-"))
    print(f"working in {workdir}; {args.runs} run(s) per tool, case and mode", file=sys.stderr)
    try:
        bench = Bench(tools=tools, workdir=workdir, timeout=args.timeout, keep=args.keep)
        results = run_all(bench, cases, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = summarise(cases, results)
    print_report(cases, tools, rows, results)
    out = args.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(out, cases=cases, tools=tools, rows=rows, results=results, started=started)
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
