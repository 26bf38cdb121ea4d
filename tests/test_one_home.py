"""Conventions with one home: the ranker run directory's layout (`rankers/<task>/<arm>/seed<S>`)
is spelt only in linksage/artifacts.py, and the "job is live at t" rule is coded only in
linksage/data/live_jobs.py; every stage calls them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.product import PRODUCT

ROOT = Path(__file__).resolve().parents[1]
LAYOUT_HOME = ROOT / "linksage" / "artifacts.py"
LIVE_HOME = ROOT / "linksage" / "data" / "live_jobs.py"
# a run directory's name or the rankers/ folder, built by hand
LAYOUT = re.compile(r'seed\{|seed\*|/ "rankers"|"rankers" /|seed\(\\d')


def _files() -> list[Path]:
    return sorted(p for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py"))


def layout_spelt(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line` of each line of `path` that spells the run-directory layout."""
    lines = path.read_text().splitlines()
    return [
        f"{path.relative_to(root)}:{i}" for i, line in enumerate(lines, 1) if LAYOUT.search(line)
    ]


def _names(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.add(n.value)
    return out


def live_rules(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line` of each `&`/`and` of comparisons that reads both a posted and an expires
    value: the live rule coded by hand."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        combined = (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd)) or (
            isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And)
        )
        if not combined:
            continue
        compared = set().union(
            *(_names(c) for c in ast.walk(node) if isinstance(c, ast.Compare)), set()
        )
        if any("posted" in n for n in compared) and any("expires" in n for n in compared):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return sorted(set(found))


def test_the_checks_find_a_hand_built_run_dir_and_live_rule(tmp_path):
    (tmp_path / "m.py").write_text(
        "def f(out, t, s, jobs, at):\n"
        '    d = out / "rankers" / t / "gnn" / f"seed{s}"\n'
        '    live = (jobs["posted_at"] <= at) & (at < jobs["expires_at"])\n'
        "    new = jobs.posted_ns >= at\n"
        "    return d, live, new, jobs.posted_ns < at and at < jobs.expires_ns\n"
    )
    assert layout_spelt(tmp_path / "m.py", tmp_path) == ["m.py:2"]
    assert live_rules(tmp_path / "m.py", tmp_path) == ["m.py:3", "m.py:5"]


def test_the_run_directory_layout_is_spelt_in_linksage_artifacts_only():
    spelt = [hit for p in _files() if p != LAYOUT_HOME for hit in layout_spelt(p)]
    assert spelt == []
    assert len(layout_spelt(LAYOUT_HOME)) >= 1


def test_the_live_rule_is_coded_in_linksage_data_only():
    elsewhere = [hit for p in _files() if p != LIVE_HOME for hit in live_rules(p)]
    assert elsewhere == []
    assert len(live_rules(LIVE_HOME)) == 2  # live_at and live_during


def test_one_class_is_called_live_jobs():
    homes = [
        p.relative_to(ROOT).as_posix()
        for p in _files()
        if re.search(r"^class LiveJobs\b", p.read_text(), re.M)
    ]
    assert homes == ["linksage/data/live_jobs.py"]
