"""Time ``omniwheel sync`` against ``uv pip sync`` on the shared reference workload; print ratios.

Issue 3 sets omniwheel's install target relative to uv: a sync into a fresh venv from a warm store
at most 1.5 times ``uv pip sync`` into a fresh venv from a warm cache (goal: 1.2 times).  The
machines here are shared and noisy, so only ratios measured side by side in one run mean anything.

The script locks the workload once with omniwheel (this machine's target, Python narrowed to the
locked version), then installs that same ``pylock.toml`` with both tools, interleaved (omniwheel,
uv, omniwheel, uv …), in three cases: ``warm`` (a fresh venv, the cache left by earlier runs),
``cold`` (a fresh venv, an empty cache) and ``no-op`` (a second sync into the venv the warm run just
synced).  Every venv is created before its timed sync (``python -m venv --without-pip``), so venv
creation is timed for neither tool.  After each timed install, untimed, the venv must hold exactly
the lock's distributions and the workload's roots must import.

The warm case has two omniwheel rows: with the caches that let a repeated sync skip work (the
remembered selection, the lock-check stamp) as the previous run left them, and with those cleared
(the first sync of a new lock: only the store is warm); and two uv rows: plain (revalidates every
cached wheel with the index) and ``--offline`` (its cache used as it is, the reference here).

Helpers shared with ``lock_bench.py`` (tool discovery, environments, timed commands) are imported
from it.  Standard library only.  Run it as ``.venv/bin/python bench/sync_bench.py [--runs N]
[--cold-runs N]``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # mypy sees bench/ as a package (explicit_package_bases in pyproject.toml)
    from bench import lock_bench
else:  # run as a script, bench/ itself is on sys.path
    import lock_bench

Case = Literal["warm", "cold", "no-op"]
Family = Literal["omniwheel", "uv"]
CASES: tuple[Case, ...] = ("warm", "cold", "no-op")
# The one target locked and installed: this machine, with the Python the venvs are made from.
PLATFORM, PYTHON = lock_bench.ONE_TARGET

# Stands for the venv of a run in printed and recorded commands; replaced when the command runs.
VENV_TOKEN = "$VENV"
COUNT = re.compile(r"(?:Installed|Audited|Checked) (\d+) packages?")
SUMMARY_PREFIXES = ("Installed ", "Audited ", "Checked ", "Prepared ", "Removed ", "Uninstalled ")

# Issue 3: warm sync at most 1.5 times uv pip sync (goal 1.2); a no-op sync well under 100 ms.
WARM_TARGET, WARM_GOAL, NOOP_TARGET = 1.5, 1.2, 0.1
# uv's warm time above this multiple of its --offline time means it downloaded the wheels again.
REDOWNLOAD_FACTOR = 2.0

# omniwheel's cache directories that only let a sync skip work it could redo from the lock, the
# project and the store: cleared before the "memo cleared" warm runs, so those time the first sync
# of a lock this cache has not seen (the store — wheels, unpacked trees and their manifests — stays
# warm, as uv's cache does).  Keep in step with src/omniwheel (see bench/README.md):
#   selections-v1   what a lock selected for an interpreter (env/selection_memo.py, cachedir.py)
#   lock-checks-v2  stamp saying pyproject.toml was already checked against pylock.toml
#                   (cli/locking.py); without it sync compares the lock's recorded inputs again
WORK_SKIPPING_CACHES = ("selections-v1", "lock-checks-v2")
MEMO_CLEARED = "omniwheel sync (memo cleared)"

# Import names of the workload's roots (workload.txt), imported after each install as a smoke test.
ROOT_IMPORTS = (
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "sklearn",
    "jupyterlab",
    "requests",
    "httpx",
    "pydantic",
    "sqlalchemy",
)

# Run by the synced venv's interpreter: import the modules given as arguments, then print the
# installed distributions as JSON.
VERIFY = """\
import importlib, importlib.metadata, json, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps([[d.metadata["Name"], d.version] for d in importlib.metadata.distributions()]))
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contender:
    """One install command being timed; ``$VENV`` in ``command`` is the run's venv."""

    label: str
    family: Family
    command: tuple[str, ...]
    clear: tuple[str, ...] = ()
    """Cache subdirectories moved away (untimed) before each of its runs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """The outcome of one timed install (or no-op) by one contender."""

    case: Case
    contender: str
    run: int
    seconds: float
    peak_rss_mb: float
    """Peak resident memory of the command's process tree (:mod:`process_tree`)."""
    ok: bool
    packages: tuple[int, ...]
    summary: tuple[str, ...]
    failure: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    """What every run shares: the timing harness, the locked project and the base interpreter."""

    bench: lock_bench.Bench
    project: Path
    python: Path
    locked: frozenset[str]  # "name==version", names normalised


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """How the shared pylock.toml came about (for the report)."""

    command: str
    seconds: float | None  # None when an existing lock was given with --lock
    packages: int


# ---------------------------------------------------------------------------------------------
# Contenders


def uv_sync_command(tools: lock_bench.Tools, *options: str) -> tuple[str, ...]:
    """``uv pip sync`` of the shared lock into the run's venv (the lock names each wheel's URL)."""
    return (
        str(tools.uv),
        "pip",
        "sync",
        *options,
        "--python",
        f"{VENV_TOKEN}/bin/python",
        "pylock.toml",
    )


def build_cases(tools: lock_bench.Tools) -> dict[Case, tuple[Contender, ...]]:
    """The contenders of each case; the first is omniwheel, whose median the ratios divide."""
    omniwheel = Contender(
        label="omniwheel sync",
        family="omniwheel",
        command=(str(tools.omniwheel), "sync", "--venv", VENV_TOKEN),
    )
    uv = Contender(label="uv pip sync", family="uv", command=uv_sync_command(tools))
    cleared = Contender(
        label=MEMO_CLEARED,
        family="omniwheel",
        command=omniwheel.command,
        clear=WORK_SKIPPING_CACHES,
    )
    # uv revalidates cached wheels with the index; --offline shows uv with its cache trusted.
    offline = Contender(
        label="uv pip sync --offline", family="uv", command=uv_sync_command(tools, "--offline")
    )
    return {
        "warm": (omniwheel, cleared, uv, offline),
        "cold": (omniwheel, uv),
        "no-op": (omniwheel, uv),
    }


def show(command: Sequence[str]) -> str:
    """A command as a shell line, ``$VENV`` (and lock_bench's ``$INDEX_URL``) left unquoted."""
    return " ".join(
        part if part.startswith(VENV_TOKEN) else lock_bench.render([part]) for part in command
    )


def environment_for(family: Family, cache: Path, python: Path) -> dict[str, str]:
    """The tool's environment; ``python``'s real directory first on PATH (see lock_bench)."""
    return lock_bench.environment_for(family, cache, python)


# ---------------------------------------------------------------------------------------------
# The locked project


def base_python(requested: str) -> Path:
    """The interpreter venvs are made from; its X.Y must be the locked target's."""
    script = "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"
    executable, version = lock_bench.check_output([requested, "-c", script]).splitlines()
    if version != PYTHON:
        sys.exit(
            f"error: {requested} is Python {version}; the workload is locked for "
            f"{PYTHON} (pass --python)"
        )
    return Path(executable)


def narrowed_pyproject(workload: Path) -> str:
    """The workload's pyproject.toml with ``requires-python`` narrowed to the locked version."""
    text = (workload / "pyproject.toml").read_text(encoding="utf-8")
    line = f'requires-python = "=={PYTHON}.*"'
    text, count = re.subn(r"(?m)^requires-python\s*=.*$", line, text, count=1)
    if count != 1:
        sys.exit(f"error: no requires-python line in {workload / 'pyproject.toml'}")
    return text


def prepare_project(
    bench: lock_bench.Bench, workload: Path, given: Path | None
) -> tuple[Path, Lock]:
    """A project directory holding the narrowed pyproject.toml and the lock both tools install."""
    project = bench.workdir / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(narrowed_pyproject(workload), encoding="utf-8")
    command = lock_bench.omniwheel_command(bench.tools, ["--platform", f"{PLATFORM}@{PYTHON}"])
    if given is not None:
        shutil.copyfile(given, project / "pylock.toml")
        return project, Lock(command=f"cp {given} pylock.toml", seconds=None, packages=0)
    environ = lock_bench.omniwheel_environment(bench.workdir / "lock-cache")
    seconds, output, failure, _ = lock_bench.run_command(command, bench, project, environ)
    if failure is not None:
        sys.exit(f"error: locking the workload failed\n{failure}")
    counts = [int(m.group(1)) for m in lock_bench.RESOLVED.finditer(output)]
    return project, Lock(
        command=lock_bench.render(command),
        seconds=round(seconds, 2),
        packages=counts[0] if counts else 0,
    )


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages(lock_path: Path) -> frozenset[str]:
    """Every package of the (single-target) lock as ``name==version``."""
    data = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    return frozenset(f"{normalise(p['name'])}=={p['version']}" for p in data["packages"])


# ---------------------------------------------------------------------------------------------
# Venvs and verification


def new_venv(setup: Setup, name: str) -> Path:
    """A fresh, empty venv (no pip) made by the base interpreter; not part of any timing."""
    venv = setup.bench.workdir / "venvs" / name
    venv.parent.mkdir(exist_ok=True)
    command = [str(setup.python), "-m", "venv", "--without-pip", str(venv)]
    subprocess.run(command, check=True, capture_output=True)
    return venv


def verify(setup: Setup, venv: Path) -> str | None:
    """What is wrong with a synced venv (distributions, a root that fails to import), or None."""
    command = [str(venv / "bin" / "python"), "-c", VERIFY, *ROOT_IMPORTS]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=setup.bench.timeout
    )
    if done.returncode != 0:
        imports = ", ".join(ROOT_IMPORTS)
        return f"verification failed (imports {imports}):\n{lock_bench.tail(done.stderr)}"
    found = frozenset(f"{normalise(n)}=={v}" for n, v in json.loads(done.stdout.splitlines()[-1]))
    if found == setup.locked:
        return None
    missing, extra = sorted(setup.locked - found), sorted(found - setup.locked)
    return f"installed set differs from the lock: missing {missing[:10]}, extra {extra[:10]}"


# ---------------------------------------------------------------------------------------------
# Running


def measure(
    setup: Setup,
    *,
    case: Case,
    contender: Contender,
    run: int,
    cache: Path,
    venv: Path,
) -> Measurement:
    """Time one contender into ``venv``; a sync (not a no-op) is then verified, untimed."""
    command = tuple(part.replace(VENV_TOKEN, str(venv)) for part in contender.command)
    environ = environment_for(contender.family, cache, setup.python)
    settle()
    ran = lock_bench.run_command(command, setup.bench, setup.project, environ)
    seconds, output, failure, peak = ran
    if failure is None and case != "no-op":
        failure = verify(setup, venv)
    result = Measurement(
        case=case,
        contender=contender.label,
        run=run,
        seconds=round(seconds, 3),
        peak_rss_mb=round(peak / lock_bench.MB, 1),
        ok=failure is None,
        packages=tuple(sorted({int(m.group(1)) for m in COUNT.finditer(output)})),
        summary=summary_lines(output),
        failure=failure,
    )
    progress(result)
    return result


def settle() -> None:
    """Flush every dirty page before a timed run, so no tool pays for the writeback of what ran
    before it (a previous sync's links): the timings otherwise depend on the order the tools run
    in more than on the tools.  Deletions wait for the end of a group (lock_bench.Trash)."""
    os.sync()


def rotated(contenders: Sequence[Contender], run: int) -> list[Contender]:
    """The contenders in the order of round ``run``: each goes first in turn."""
    shift = run % len(contenders)
    return [*contenders[shift:], *contenders[:shift]]


def summary_lines(output: str) -> tuple[str, ...]:
    """The tools' own one-line summaries (counts and in-process times), not the per-package list."""
    return tuple(line.strip() for line in output.splitlines() if line.startswith(SUMMARY_PREFIXES))


def progress(result: Measurement) -> None:
    status = "ok" if result.ok else "FAILED"
    print(
        f"  {result.case:<6} run {result.run}  {result.contender:<30}"
        f" {result.seconds:8.2f}s  {status}",
        file=sys.stderr,
        flush=True,
    )


def fresh_cache(setup: Setup, family: Family) -> Path:
    """A new, empty cache directory for ``family``."""
    return Path(tempfile.mkdtemp(prefix=f"cache-{family}-", dir=setup.bench.workdir))


def clear_caches(setup: Setup, contender: Contender, cache: Path, trash: lock_bench.Trash) -> None:
    """Move the contender's work-skipping cache directories out of ``cache``, untimed.

    A rename, not a deletion: the moved directories are deleted with the rest of the group."""
    for name in contender.clear:
        found = cache / name
        if found.exists():
            aside = Path(tempfile.mkdtemp(prefix=f"cleared-{name}-", dir=setup.bench.workdir))
            found.rename(aside / name)
            trash.add(aside)


def run_cold(
    setup: Setup,
    contenders: Sequence[Contender],
    runs: int,
    caches: dict[Family, Path],
    trash: lock_bench.Trash,
) -> list[Measurement]:
    """Each run: every contender syncs a fresh venv from a new, empty cache; the last run's
    caches become the warm ones.  Venvs and older caches are deleted after the group."""
    results = []
    for run in range(1, runs + 1):
        for contender in contenders:
            if contender.family in caches:
                trash.add(caches[contender.family])
            caches[contender.family] = cache = fresh_cache(setup, contender.family)
            venv = new_venv(setup, f"cold-{run}-{contender.family}")
            trash.add(venv)
            results.append(
                measure(setup, case="cold", contender=contender, run=run, cache=cache, venv=venv)
            )
    trash.empty()
    return results


def prime(
    setup: Setup,
    contenders: Sequence[Contender],
    caches: dict[Family, Path],
    trash: lock_bench.Trash,
) -> None:
    """Fill the cache of each family no cold run filled, by one untimed sync."""
    for contender in contenders:
        if contender.family in caches:
            continue
        caches[contender.family] = cache = fresh_cache(setup, contender.family)
        venv = new_venv(setup, f"prime-{contender.family}")
        trash.add(venv)
        print(f"  priming {contender.label} (untimed)", file=sys.stderr, flush=True)
        result = measure(setup, case="cold", contender=contender, run=0, cache=cache, venv=venv)
        if not result.ok:
            sys.exit(f"error: priming {contender.label} failed: {result.failure}")
    trash.empty()


def run_warm(
    setup: Setup,
    cases: Mapping[Case, Sequence[Contender]],
    runs: int,
    caches: Mapping[Family, Path],
    trash: lock_bench.Trash,
) -> list[Measurement]:
    """Each round: warm syncs into fresh venvs, then a second sync into the venvs of the first
    omniwheel and uv rows.  Every venv has its own name; all are deleted after the last round."""
    results = []
    for run in range(1, runs + 1):
        synced: dict[str, Path] = {}
        for contender in rotated(cases["warm"], run - 1):
            venv = new_venv(setup, f"warm-{run}-{len(synced)}")
            trash.add(venv)
            cache = caches[contender.family]
            clear_caches(setup, contender, cache, trash)
            results.append(
                measure(setup, case="warm", contender=contender, run=run, cache=cache, venv=venv)
            )
            synced[contender.label] = venv
        for contender in cases["no-op"]:
            venv, cache = synced[contender.label], caches[contender.family]
            results.append(
                measure(setup, case="no-op", contender=contender, run=run, cache=cache, venv=venv)
            )
    trash.empty()
    return results


def run_all(
    setup: Setup, cases: Mapping[Case, Sequence[Contender]], runs: int, cold_runs: int
) -> list[Measurement]:
    """Cold runs first (their caches become the warm ones), then warm and no-op runs; what a
    group of runs leaves behind is deleted after it, before the next group starts."""
    caches: dict[Family, Path] = {}
    trash = lock_bench.Trash(setup.bench)
    results = run_cold(setup, cases["cold"], cold_runs, caches, trash)
    if runs > 0:
        prime(setup, cases["cold"], caches, trash)
    return results + run_warm(setup, cases, runs, caches, trash)


# ---------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """Median of one contender in one case, with its ratio to omniwheel."""

    case: Case
    contender: str
    median: float | None
    peak_rss_mb: float | None
    """Median over the successful runs of each run's peak RSS (MB)."""
    ok_runs: int
    runs: int
    packages: tuple[int, ...]
    ratio: float | None  # omniwheel median / this median; None for omniwheel's own row
    ratio_cleared: float | None  # omniwheel (memo cleared) median / this median (warm case)


def ratio_of(ours: float | None, theirs: float | None) -> float | None:
    return None if ours is None or not theirs else round(ours / theirs, 2)


def median_of(results: Sequence[Measurement], case: Case, contender: str) -> float | None:
    """Median wall seconds of the successful runs, or None when every run failed (or none ran)."""
    times = [r.seconds for r in results if (r.case, r.contender) == (case, contender) and r.ok]
    return round(statistics.median(times), 3) if times else None


def summarise(
    cases: Mapping[Case, Sequence[Contender]], results: Sequence[Measurement]
) -> list[Row]:
    rows = []
    for case in CASES:
        ours = median_of(results, case, cases[case][0].label)
        cleared = median_of(results, case, MEMO_CLEARED)
        for contender in cases[case]:
            picked = [r for r in results if (r.case, r.contender) == (case, contender.label)]
            if not picked:
                continue
            theirs = median_of(results, case, contender.label)
            rows.append(
                Row(
                    case=case,
                    contender=contender.label,
                    median=theirs,
                    peak_rss_mb=median_rss(picked),
                    ok_runs=sum(r.ok for r in picked),
                    runs=len(picked),
                    packages=tuple(sorted({p for r in picked for p in r.packages})),
                    ratio=None
                    if contender.label == cases[case][0].label
                    else ratio_of(ours, theirs),
                    ratio_cleared=None
                    if contender.label == MEMO_CLEARED
                    else ratio_of(cleared, theirs),
                )
            )
    return rows


def median_rss(picked: Sequence[Measurement]) -> float | None:
    """Median peak RSS (MB) of the successful runs, or None when every run failed."""
    peaks = [r.peak_rss_mb for r in picked if r.ok]
    return round(statistics.median(peaks), 1) if peaks else None


def table(rows: Sequence[Row]) -> str:
    header = f"{'case':<7}{'tool':<31}{'median s':>9}{'peak MB':>9}{'ok':>7}{'pkgs':>7}"
    header += f"{'omniwheel/this':>16}{'cleared/this':>14}"
    lines = [header, "-" * len(header)]
    for row in rows:
        median = f"{row.median:.2f}" if row.median is not None else "failed"
        peak = f"{row.peak_rss_mb:.0f}" if row.peak_rss_mb is not None else "-"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}×"
        cleared = "" if row.ratio_cleared is None else f"{row.ratio_cleared:.2f}×"
        lines.append(
            f"{row.case:<7}{row.contender:<31}{median:>9}{peak:>9}"
            f"{f'{row.ok_runs}/{row.runs}':>7}{lock_bench.span(row.packages):>7}{ratio:>16}"
            f"{cleared:>14}"
        )
    return "\n".join(line.rstrip() for line in lines)


def verdicts(rows: Sequence[Row]) -> list[str]:
    """Issue 3's targets: warm at most 1.5 times uv (goal 1.2), for both uv rows; no-op < 0.1 s."""
    lines = []
    unfair = " — uv downloaded again, see the note" if redownload_note(rows) else ""
    for row in rows:
        if row.case == "warm" and row.contender.startswith("uv "):
            role = "reference" if row.contender.endswith("--offline") else "context"
            caveat = unfair if row.contender == "uv pip sync" else ""
            for who, ratio in (("memo kept", row.ratio), ("memo cleared", row.ratio_cleared)):
                if ratio is None:
                    continue
                met = "met" if ratio <= WARM_TARGET else "missed"
                goal = "met" if ratio <= WARM_GOAL else "missed"
                lines.append(
                    f"target: warm ({who}) ≤ {WARM_TARGET:g}× {row.contender} [{role}]:"
                    f" {ratio:.2f}× — {met} (goal ≤ {WARM_GOAL:g}×: {goal}){caveat}"
                )
        if row.case == "no-op" and row.ratio is None and row.median is not None:
            met = "met" if row.median < NOOP_TARGET else "missed"
            lines.append(
                f"target: no-op well under {NOOP_TARGET:g} s (wall, process start included):"
                f" {row.median:.2f} s — {met}"
            )
    return lines


def redownload_note(rows: Sequence[Row]) -> list[str]:
    """Say so when uv's warm sync was much slower than with its cache trusted (--offline)."""
    warm = {row.contender: row.median for row in rows if row.case == "warm"}
    plain, offline = warm.get("uv pip sync"), warm.get("uv pip sync --offline")
    if plain is None or offline is None or plain < REDOWNLOAD_FACTOR * offline:
        return []
    return [
        f"note: warm uv pip sync took {plain / offline:.1f}× its --offline time: uv revalidates"
        " each cached wheel with the index and downloads it again when the index sends no"
        " caching headers, so `uv pip sync --offline` is the reference for a warm cache here."
    ]


def own_summaries(results: Sequence[Measurement]) -> list[str]:
    """The tools' own summary lines of the last run of each case and contender."""
    last: dict[tuple[Case, str], Measurement] = {}
    for r in results:
        if r.run > 0:
            last[r.case, r.contender] = r
    return [f"  {c:<6} {label:<30} {' | '.join(r.summary)}" for (c, label), r in last.items()]


def command_lines(setup: Setup, cases: Mapping[Case, Sequence[Contender]], lock: Lock) -> list[str]:
    venv = f"{setup.python} -m venv --without-pip {VENV_TOKEN}"
    lines = [
        f"  untimed, once:      {lock.command}",
        f"  untimed, each sync: {venv}",
    ]
    for case in CASES:
        for contender in cases[case]:
            lines.append(f"  {case:<6} {show(contender.command)}")
    return lines


def failures(results: Sequence[Measurement]) -> list[str]:
    return [
        f"--- {r.case} run {r.run} {r.contender}: {r.failure}"
        for r in results
        if r.failure is not None
    ]


def print_report(
    setup: Setup,
    cases: Mapping[Case, Sequence[Contender]],
    lock: Lock,
    rows: Sequence[Row],
    results: Sequence[Measurement],
) -> None:
    """The plain-text report on stdout: table, issue 3's verdicts, summaries, commands, failures."""
    tools = setup.bench.tools
    locked = f"locked in {lock.seconds:.1f} s" if lock.seconds is not None else "given"
    print(f"omniwheel {tools.omniwheel_revision} vs {tools.uv_version}")
    print(
        f"workload: {len(setup.locked)} packages, {PLATFORM}@{PYTHON}, exclude-newer"
        f" {lock_bench.EXCLUDE_NEWER} ({locked}); venvs from {setup.python}"
    )
    print("venv creation is not timed (each venv is made just before its sync)")
    print(
        f"memo cleared: {', '.join(WORK_SKIPPING_CACHES)} moved out of omniwheel's cache before"
        " each such run (untimed); the store stays warm"
    )
    print()
    print(table(rows))
    print()
    print(*verdicts(rows), *redownload_note(rows), sep="\n")
    print(
        "omniwheel/this = omniwheel's median / that row's, same case; cleared/this = the same for"
        " omniwheel with its work-skipping caches cleared; < 1: omniwheel faster"
    )
    print(f"PATH starts with {Path(os.path.realpath(setup.python)).parent} for both tools")
    print_section("the tools' own summaries, last run of each case:", own_summaries(results))
    print_section(
        "commands (cwd: a project holding pyproject.toml and pylock.toml; caches via"
        " OMNIWHEEL_CACHE_DIR / UV_CACHE_DIR):",
        command_lines(setup, cases, lock),
    )
    print_section("failures:", failures(results))


def print_section(title: str, lines: Sequence[str]) -> None:
    if lines:
        print(f"\n{title}", *lines, sep="\n")


def write_json(
    path: Path,
    *,
    setup: Setup,
    cases: Mapping[Case, Sequence[Contender]],
    lock: Lock,
    rows: Sequence[Row],
    results: Sequence[Measurement],
    started: datetime,
) -> None:
    tools = setup.bench.tools
    data = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "omniwheel": tools.omniwheel_revision,
        "uv": tools.uv_version,
        "venv_python": str(setup.python),
        "exclude_newer": lock_bench.EXCLUDE_NEWER,
        "lock": {**asdict(lock), "locked_packages": len(setup.locked)},
        "venv_creation_timed": False,
        "memo_cleared_dirs": list(WORK_SKIPPING_CACHES),
        "commands": {
            case: {c.label: show(c.command) for c in contenders}
            for case, contenders in cases.items()
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
    parser.add_argument("--runs", type=int, default=3, help="warm and no-op runs per tool")
    parser.add_argument("--cold-runs", type=int, default=1, help="cold runs per tool")
    parser.add_argument(
        "--peers", type=Path, default=lock_bench.DEFAULT_PEERS, help="where uv is installed"
    )
    parser.add_argument(
        "--workload", type=Path, default=lock_bench.DEFAULT_WORKLOAD, help="workload dir"
    )
    parser.add_argument(
        "--results", type=Path, default=lock_bench.DEFAULT_RESULTS, help="JSON output dir"
    )
    parser.add_argument("--python", default="python3", help="interpreter the venvs are made from")
    parser.add_argument("--lock", type=Path, help="install this pylock.toml instead of locking")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per command")
    parser.add_argument("--keep", action="store_true", help="keep venvs, caches and the project")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    python = base_python(args.python)
    tools = lock_bench.discover_tools(args.peers)
    cases = build_cases(tools)
    workdir = Path(tempfile.mkdtemp(prefix="omniwheel-bench-sync-"))
    print(
        f"working in {workdir}; {args.cold_runs} cold and {args.runs} warm/no-op run(s) per tool",
        file=sys.stderr,
    )
    try:
        bench = lock_bench.Bench(tools=tools, workdir=workdir, timeout=args.timeout, keep=args.keep)
        project, lock = prepare_project(bench, args.workload, args.lock)
        locked = locked_packages(project / "pylock.toml")
        setup = Setup(bench=bench, project=project, python=python, locked=locked)
        lock_bench.compile_omniwheel(tools)
        results = run_all(setup, cases, args.runs, args.cold_runs)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = summarise(cases, results)
    print_report(setup, cases, lock, rows, results)
    out = args.results / f"sync-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(
        out, setup=setup, cases=cases, lock=lock, rows=rows, results=results, started=started
    )
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
