"""``run --artifacts`` pieces: the ``.pth`` line, the cleaned environment, the scripts dir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from omniwheel.env.install import ScriptMaker
from omniwheel.julia.run import isolated_environ, pth_line, write_scripts


def test_the_pth_line_makes_each_tree_a_site_dir_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a b", tmp_path / "it's"
    for tree, name in ((first, "one"), (second, "two")):
        tree.mkdir()
        (tree / f"{name}.pth").write_text(f"{name}_extra\n")
        (tree / f"{name}_extra").mkdir()
    line = pth_line([first, second])
    assert line.startswith("import site;")
    assert line.endswith("\n")
    assert line.count("\n") == 1  # site.py executes a .pth `import` line one line at a time
    code = f"import sys\n{line}print(repr(sys.path[-4:]))"
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == repr(
        [str(first), str(first / "one_extra"), str(second), str(second / "two_extra")]
    )


def test_the_environment_drops_what_would_add_packages() -> None:
    environ = {"PATH": "/bin", "PYTHONPATH": "/x", "PYTHONHOME": "/y", "VIRTUAL_ENV": "/v"}
    assert isolated_environ(environ) == {"PATH": "/bin", "PYTHONNOUSERSITE": "1"}


def _tree(root: Path, name: str, scripts: dict[str, bytes], entry_points: str | None) -> Path:
    tree = root / name
    dist_info = tree / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    if entry_points is not None:
        (dist_info / "entry_points.txt").write_text(entry_points)
    for script, content in scripts.items():
        path = tree / f"{name}-1.0.data" / "scripts" / script
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return tree


def test_scripts_come_from_entry_points_and_data_scripts_first_tree_wins(tmp_path: Path) -> None:
    python = tmp_path / "env" / "bin" / "python"
    first = _tree(
        tmp_path,
        "first",
        {"raw": b"#!python\nprint('first')\n", "shell": b"#!/bin/sh\necho hi\n"},
        "[console_scripts]\ntool = first:main\n",
    )
    second = _tree(
        tmp_path, "second", {"raw": b"#!python\nprint('second')\n"}, "[gui_scripts]\ntool = x:y\n"
    )
    scripts = tmp_path / "env" / "bin"
    written = write_scripts(scripts, [first, second], ScriptMaker(python=python))
    assert sorted(written) == ["raw", "shell", "tool"]
    assert (scripts / "raw").read_bytes() == f"#!{python}\nprint('first')\n".encode()
    assert (scripts / "shell").read_bytes() == b"#!/bin/sh\necho hi\n"
    tool = (scripts / "tool").read_text()
    assert tool.startswith(f"#!{python}\n")
    assert "from first import main" in tool
    assert all((scripts / name).stat().st_mode & 0o111 for name in written)


def test_existing_names_in_the_scripts_dir_are_kept(tmp_path: Path) -> None:
    scripts = tmp_path / "bin"
    scripts.mkdir()
    (scripts / "python").write_text("the interpreter")
    tree = _tree(tmp_path, "bad", {"python": b"#!python\n"}, None)
    assert write_scripts(scripts, [tree], ScriptMaker(python=scripts / "python")) == []
    assert (scripts / "python").read_text() == "the interpreter"
