"""Julia source checked for syntax with tree-sitter's Julia grammar (no Julia runs here).

Generated ``.pkg/*.jl`` files cannot be run on this machine; parsing them is as far as the tests
can go.  :func:`syntax_errors` lists every ``ERROR`` or missing node with its line, so a test can
say exactly where a generated file stopped being Julia.
"""

from __future__ import annotations

import tree_sitter_julia
from tree_sitter import Language, Node, Parser

_PARSER = Parser(Language(tree_sitter_julia.language()))


def syntax_errors(source: str) -> list[str]:
    """Where ``source`` is not Julia: ``line N: <text>`` per error or missing node."""
    tree = _PARSER.parse(source.encode("utf-8"))
    found: list[str] = []
    _collect(tree.root_node, found)
    return found


def _collect(node: Node, found: list[str]) -> None:
    if node.is_error or node.is_missing:
        text = (node.text or b"").decode("utf-8", "replace").splitlines()
        shown = text[0] if text else node.type
        found.append(f"line {node.start_point[0] + 1}: {shown!r}")
        return
    if node.has_error:
        for child in node.children:
            _collect(child, found)
