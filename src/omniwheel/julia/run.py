"""``run --artifacts``: a command run with artifact trees on ``sys.path``, nothing installed.

The trees stay where they are (in a depot) and are used as they are.  What the command gets is
a throwaway *shell* environment, made per run in a temporary directory:

- a venv with nothing installed (the interpreter's own ``venv`` module, ``--without-pip``), so
  its ``python`` is a real interpreter whose base and user site-packages are both excluded
  (``include-system-site-packages = false`` turns off the user site too; ``PYTHONNOUSERSITE``
  is set as well, and ``PYTHONPATH``/``PYTHONHOME`` are dropped, as ``-I`` would);
- one file in its site-packages, ``_omniwheel_artifacts.pth``, whose single ``import`` line
  calls ``site.addsitedir(tree)`` for each tree in order: each tree is then a site directory,
  so the ``.pth`` files *inside* the trees take effect (namespace packages, path hooks);
- its ``bin`` (``Scripts``) holds the console and GUI scripts of the trees' entry points, made
  by the same :class:`~omniwheel.env.install.ScriptMaker` ``sync`` uses, and their
  ``.data/scripts`` files with a ``#!python`` line pointed at that interpreter; the first tree
  (in artifact-name order) to provide a name wins.  It comes first on ``PATH``.

Why not the lighter options: a directory on ``PYTHONPATH`` is not a site directory, so a ``.pth``
file placed there (or inside a tree) is ignored; and a ``python -S -c <bootstrap>`` that adds
the trees and then runs the command would have to re-implement Python's command line (``-m``,
``-c``, scripts, the REPL, flags) in-process, while every ``python`` the command starts in turn
(``subprocess``, ``sys.executable``, console scripts) would come up without the trees.  The
venv's ``python`` carries them everywhere, and ``sitecustomize`` stays the user's.

The exit code is the command's (:func:`omniwheel.env.run.run_in_venv`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from omniwheel.env.install import ScriptMaker
from omniwheel.env.run import run_in_venv
from omniwheel.env.venv import bin_dir, create_venv, venv_python
from omniwheel.platform.host import probe_interpreter

PTH_NAME = "_omniwheel_artifacts.pth"
SHEBANG_PLACEHOLDER = b"#!python"
DROPPED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")


def run_with_trees(
    trees: Sequence[Path], command: Sequence[str], *, python: Path, environ: Mapping[str, str]
) -> int:
    """Run ``command`` with ``trees`` on the ``sys.path`` of ``python``; its exit code."""
    with tempfile.TemporaryDirectory(prefix="omniwheel-artifacts-run-") as scratch:
        shell = Path(scratch) / "env"
        prepare_shell(shell, trees, python=python)
        return run_in_venv(shell, command, environ=isolated_environ(environ))


def prepare_shell(shell: Path, trees: Sequence[Path], *, python: Path) -> None:
    """Make the shell environment described in the module docstring at ``shell``."""
    create_venv(shell, python)
    interpreter = probe_interpreter(venv_python(shell))
    site_packages = Path(interpreter.paths["purelib"])
    site_packages.mkdir(parents=True, exist_ok=True)
    (site_packages / PTH_NAME).write_text(pth_line(trees), encoding="utf-8")
    write_scripts(bin_dir(shell), trees, ScriptMaker(python=venv_python(shell)))


def pth_line(trees: Sequence[Path]) -> str:
    """One ``.pth`` line (``import`` lines are executed) making each tree a site directory."""
    calls = "".join(f"; site.addsitedir({str(tree)!r})" for tree in trees)
    return f"import site{calls}\n"


def isolated_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without what would add other packages to the interpreter's path."""
    result = {key: value for key, value in environ.items() if key not in DROPPED_VARIABLES}
    result["PYTHONNOUSERSITE"] = "1"
    return result


def write_scripts(scripts: Path, trees: Sequence[Path], maker: ScriptMaker) -> list[str]:
    """Write the trees' scripts into ``scripts`` (names already there are kept); their names."""
    scripts.mkdir(parents=True, exist_ok=True)
    written = []
    for tree in trees:
        for name, content in _tree_scripts(tree, maker):
            target = scripts / name
            if target.exists():
                continue
            target.write_bytes(content)
            target.chmod(0o755)
            written.append(name)
    return written


def _tree_scripts(tree: Path, maker: ScriptMaker) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for entry_points in sorted(tree.glob("*.dist-info/entry_points.txt")):
        found += maker.console_scripts(entry_points.read_text(encoding="utf-8"))
    for script in sorted(tree.glob("*.data/scripts/*")):
        if script.is_file():
            found.append((script.name, _fixed_script(script.read_bytes(), maker)))
    return found


def _fixed_script(content: bytes, maker: ScriptMaker) -> bytes:
    first, newline, rest = content.partition(b"\n")
    if not first.startswith(SHEBANG_PLACEHOLDER):
        return content
    return maker.shebang() + newline + rest
