"""No function in l1viz/ or app_pages/ is longer than 60 lines, from its `def` to its last line,
so each reads on one screen. KNOWN_LONG names the ones still longer; it may only shrink: a listed
function that is no longer long (split, renamed or gone) fails the test until its entry goes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 60
# Still over 60 lines. Each owner removes its entries as it splits them (the owner in the comment).
KNOWN_LONG: set[str] = set()


def lengths_in(source: str, path: str) -> dict[str, int]:
    """ "path:Class.function" -> its lines (end_lineno - lineno + 1), nested functions included."""
    found = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found[f"{path}:{name}"] = child.end_lineno - child.lineno + 1
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def project_lengths() -> dict[str, int]:
    found = {}
    for folder in ("l1viz", "app_pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            found.update(lengths_in(path.read_text(encoding="utf-8"), relative))
    return found


def test_no_function_is_longer_than_60_lines():
    lengths = project_lengths()
    long = {name: lines for name, lines in lengths.items() if lines > MAX_LINES}
    assert {name: lines for name, lines in long.items() if name not in KNOWN_LONG} == {}


def test_every_known_long_function_is_still_long():
    lengths = project_lengths()
    assert {name for name in KNOWN_LONG if lengths.get(name, 0) <= MAX_LINES} == set()


def test_a_function_counts_from_its_def_to_its_last_line_nested_ones_by_name():
    fits = "@decorated\ndef fits():\n" + "    x = 1\n" * 59
    grows = "class Page:\n    def grows(self):\n" + "        x = 1\n" * 61
    inner = "        def inner():\n            return 1\n"
    lengths = lengths_in(fits + grows + inner, "app_pages/p.py")
    assert lengths == {
        "app_pages/p.py:fits": 60,
        "app_pages/p.py:Page.grows": 64,
        "app_pages/p.py:Page.grows.inner": 2,
    }
