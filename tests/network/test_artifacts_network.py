"""Julia artifacts from a real lock against the public index, pinned with ``--exclude-newer``.

numpy + pandas + six + tomli (Python 3.10 only) are locked for five targets — Linux x86_64 on
Python 3.10, 3.11 and 3.12, Windows x86_64 on 3.12 and macOS arm64 on 3.10 — and written as an
Artifacts.toml.  That downloads every target's wheels once — 15 wheels, about 130 MB, mostly
numpy and pandas for each target — into a cache shared by the module's tests.  The file must
then pass the selection proof for every target, and ``artifacts run`` must import numpy and
pandas on this machine (Linux x86_64, Python 3.11, which is why that target is in the matrix).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.pylock import PackageWheel

from omniwheel.cli.main import main
from omniwheel.julia.artifacts_toml import ArtifactsDoc
from omniwheel.store.store import Store
from tests.support.artifacts_proof import check_selection, ours

pytestmark = pytest.mark.network

CUTOFF = "2026-11-01"
TARGETS = (
    "linux-x86_64@3.10",
    "linux-x86_64@3.11",
    "linux-x86_64@3.12",
    "windows-x86_64@3.12",
    "macos-arm64@3.10",
)
PROJECT = """\
[project]
name = "julia-network-demo"
version = "0"
requires-python = ">=3.10"
dependencies = ["numpy", "pandas", "six", "tomli; python_version < '3.11'"]
"""


@contextlib.contextmanager
def _environment(cache: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMNIWHEEL_CACHE_DIR", str(cache))
        patch.setenv("NO_COLOR", "1")
        for name in ("OMNIWHEEL_PYTHON_VERSION", "JULIA_PYTHONCALL_EXE", "PYTHON"):
            patch.delenv(name, raising=False)
        yield


def _main(cache: Path, *args: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with _environment(cache), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    return code, stderr.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("julia-network")
    (root / "pyproject.toml").write_text(PROJECT)
    cache = root / ".cache"
    platforms = [arg for target in TARGETS for arg in ("--platform", target)]
    code, err = _main(cache, "lock", "--project", str(root), "--exclude-newer", CUTOFF, *platforms)
    assert code == 0, err
    code, err = _main(cache, "artifacts", "write", "--project", str(root))
    assert code == 0, err
    return root


def test_every_target_selects_exactly_what_it_needs(project: Path) -> None:
    wheels = Store.in_cache(project / ".cache")

    def wheel_path(wheel: PackageWheel) -> Path:
        return wheels.wheel_file(wheel.hashes["sha256"])

    artifacts = (project / "Artifacts.toml").read_text()
    lock = (project / "pylock.toml").read_text()
    assert check_selection(artifacts, lock, wheel_path) == len(TARGETS)
    doc: ArtifactsDoc = ours(artifacts)
    assert doc.artifacts["omniwheel_six"].platform_free
    assert len(doc.artifacts["omniwheel_tomli"].entries) == 2  # linux and macOS on 3.10
    assert len(doc.artifacts["omniwheel_numpy"].entries) == len(TARGETS)


@pytest.mark.skipif(
    sys.platform != "linux" or sys.version_info[:2] != (3, 11),
    reason="the matrix has Linux x86_64 with Python 3.11 as the machine that runs",
)
def test_numpy_and_pandas_import_from_the_trees(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = "import numpy, pandas; print(pandas.Series(numpy.ones(3)).sum())"
    command = ["python", "-c", code]
    project_args = ["--project", str(project), "--python", sys.executable]
    status, err = _main(project / ".cache", "artifacts", "run", *project_args, "--", *command)
    assert status == 0, err
    assert capfd.readouterr().out == "3.0\n"
