"""No import circle among the product's modules, counting every import the source holds: at
module level, inside functions (lazy) and under `if TYPE_CHECKING:`. import-linter's contracts
skip type-checking imports (pyproject.toml), so a circle closed by one would pass them; this
check reads the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from tests.support.product import PRODUCT

ROOT = Path(__file__).resolve().parents[1]


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    found = {}
    for pkg in packages:
        for path in (root / pkg).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imported(node: ast.Import | ast.ImportFrom, package: str, known: set[str]) -> set[str]:
    """The product modules one import statement names (`from pkg import sub` names pkg.sub only
    when sub is a module; otherwise it names pkg)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parent + ([node.module] if node.module else []))
        subs = [f"{base}.{a.name}" for a in node.names]
        modules = [s for s in subs if s in known]
        names = modules + ([base] if len(modules) < len(subs) else [])
    out = set()
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts:
            out.add(".".join(parts))
    return out


def import_graph(root: Path, packages: tuple[str, ...] = PRODUCT) -> nx.DiGraph:
    """Module -> module for every import statement anywhere in the source (any depth of the
    AST: module level, functions, `if TYPE_CHECKING:` blocks)."""
    modules = _modules(root, packages)
    known = set(modules)
    graph = nx.DiGraph()
    for name, (path, is_package) in modules.items():
        graph.add_node(name)
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _imported(node, package, known) - {name}:
                    graph.add_edge(name, target, line=node.lineno)
    return graph


def import_cycles(graph: nx.DiGraph) -> list[str]:
    """One readable circle per strongly connected group of modules, e.g. `a -> b -> a`."""
    found = []
    for group in nx.strongly_connected_components(graph):
        if len(group) > 1:
            edges = nx.find_cycle(graph.subgraph(group))
            found.append(" -> ".join([u for u, _ in edges] + [edges[0][0]]))
    return sorted(found)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_a_circle_closed_by_a_type_checking_import(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import f\n",
            "pkg/b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.a import A\n"
                "def f():\n    pass\n"
            ),
        },
    )
    assert import_cycles(import_graph(tmp_path, ("pkg",))) == ["pkg.a -> pkg.b -> pkg.a"]


def test_the_checker_finds_a_circle_closed_by_a_lazy_relative_import(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/a.py": "import pkg.c\n",
            "pkg/c.py": "def g():\n    from .sub import a\n    return a\n",
        },
    )
    assert import_cycles(import_graph(tmp_path, ("pkg",))) == ["pkg.c -> pkg.sub.a -> pkg.c"]


def test_the_checker_passes_one_way_imports(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import A\n",
            "pkg/a.py": "from pkg import b\nclass A:\n    pass\n",
            "pkg/b.py": "import json\n",
        },
    )
    graph = import_graph(tmp_path, ("pkg",))
    assert set(graph.edges) == {("pkg", "pkg.a"), ("pkg.a", "pkg.b")}
    assert import_cycles(graph) == []


def test_no_import_circle_among_product_modules():
    graph = import_graph(ROOT)
    assert graph.number_of_nodes() > 50
    assert import_cycles(graph) == []
