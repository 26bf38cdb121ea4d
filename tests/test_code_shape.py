"""The shape the next engineer can read: no product module over 400 lines, no product function
over 80 lines (tests and benchmarks aside)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.product import PRODUCT

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _product_files() -> list[Path]:
    return sorted(p for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py"))


def long_functions(path: Path, root: Path = ROOT, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`file:line name (n lines)` for each function in `path` longer than `limit` lines."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            n = node.end_lineno - node.lineno + 1
            if n > limit:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({n} lines)")
    return found


def test_the_checker_finds_a_long_function_and_passes_a_short_one(tmp_path):
    long_body = "\n".join(f"    x{i} = {i}" for i in range(81))
    short_body = "\n".join(f"    y{i} = {i}" for i in range(10))
    (tmp_path / "m.py").write_text(f"def long():\n{long_body}\n\n\ndef short():\n{short_body}\n")
    assert long_functions(tmp_path / "m.py", root=tmp_path) == ["m.py:1 long (82 lines)"]


def test_no_product_module_is_over_400_lines():
    files = _product_files()
    assert len(files) > 50
    over = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in files
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert over == []


def test_no_product_function_is_over_80_lines():
    over = [hit for p in _product_files() for hit in long_functions(p)]
    assert over == []
