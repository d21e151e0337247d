"""What a command imports before it runs: the no-op ``sync`` and a quiet ``run`` start fast.

``main`` registers only the parser of the command being run (the others' modules stay
unimported) and parses its arguments as the whole parser would; plain messages to a stderr that
is no terminal are written without importing ``rich``, exactly as ``rich`` would write them.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
from rich.console import Console

from omniwheel.cli.main import build_parser
from omniwheel.cli.output import Output

ARGUMENTS = [
    ["sync"],
    ["sync", "--frozen", "--venv", "v", "--link-mode", "copy", "--dry-run"],
    ["instantiate", "--python", "3.12", "--offline", "--compile-bytecode"],
    ["run", "--locked", "--", "python", "-c", "pass"],
    ["run", "--upgrade-package", "a", "--upgrade-package", "b", "true"],
    ["lock", "--platform", "linux-x86_64", "--check"],
    ["add", "attrs>=23"],
    ["remove", "attrs"],
    ["cache", "prune"],
    ["artifacts", "write"],
]
TEXTS = [
    "Audited 111 packages in 1ms",
    " + numpy 2.4.6",
    "Installed 3 packages in 1.2s (3 linked from store, 0 downloaded)",
    "x" * 300,
    "trailing   ",
    "[bold]not markup[/bold]",
    "é😀 中文",
    "a :smile: code",
    "tab\there",
    "two\nlines",
    "",
]


@pytest.mark.parametrize("argv", ARGUMENTS, ids=" ".join)
def test_the_one_command_parser_parses_as_the_whole_one(argv: list[str]) -> None:
    assert build_parser(argv[0]).parse_args(argv) == build_parser().parse_args(argv)


def _imported_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_parsing_sync_imports_no_other_commands_module() -> None:
    modules = _imported_after(
        "from omniwheel.cli.main import build_parser\n"
        "build_parser('sync').parse_args(['sync', '--frozen'])"
    )
    assert "omniwheel.cli.sync_commands" in modules
    assert {
        "omniwheel.cli.artifacts_commands",
        "omniwheel.cli.project_commands",
        "omniwheel.cli.cache_commands",
    }.isdisjoint(modules)


def test_a_plain_message_off_a_terminal_does_not_import_rich() -> None:
    modules = _imported_after(
        "import io, contextlib\n"
        "from omniwheel.cli.output import Output\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        "    output = Output()\n"
        "    with output.status('Syncing'):\n"
        "        output.plain('Audited 3 packages in 1ms')"
    )
    assert not any(name == "rich" or name.startswith("rich.") for name in modules)


def test_plain_messages_read_as_rich_writes_them() -> None:
    def rich_console() -> Console:
        return Console(stderr=True, highlight=False, soft_wrap=True)

    written = []
    for output in (Output(), Output(make_console=rich_console)):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            for text in TEXTS:
                output.plain(text)
        written.append(stderr.getvalue())
    assert written[0] == written[1]
