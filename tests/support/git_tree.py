"""``git write-tree`` as the reference for Julia's tree hash: the tests compare omniwheel's
``git-tree-sha1`` with what git itself records for the same directory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git_write_tree(work_tree: Path, git_dir: Path, *, force: bool = False) -> str:
    """The tree git records for ``work_tree`` after ``git add -A`` (``-f`` with ``force``:
    ignore-rules too), from a separate bare git directory made when missing."""
    env = {
        **os.environ,
        "GIT_DIR": str(git_dir),
        "GIT_WORK_TREE": str(work_tree),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    if not git_dir.exists():
        subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
    add = ["git", "add", "-A", "-f"] if force else ["git", "add", "-A"]
    subprocess.run(add, check=True, env=env, cwd=work_tree)
    result = subprocess.run(
        ["git", "write-tree"], check=True, env=env, capture_output=True, text=True
    )
    return result.stdout.strip()
