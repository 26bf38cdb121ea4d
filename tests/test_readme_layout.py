"""The README's layout names every top-level folder of the repository and every package of the
core (linksage/), so a new engineer finds each one there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout_block(readme: str) -> str:
    """The fenced block under the README's `## Layout` heading."""
    m = re.search(r"^## Layout\n+```\n(.*?)^```", readme, re.S | re.M)
    assert m, "README.md has no ## Layout block"
    return m.group(1)


def unlisted(layout: str, top: list[str], core: list[str]) -> list[str]:
    """The folders the layout does not name: `top` at the line start, `core` (linksage/'s
    packages) indented under it."""
    named = set(re.findall(r"^(\S+/)", layout, re.M))
    nested = set(re.findall(r"^  (\S+/)", layout, re.M))
    return [f"{d}/" for d in top if f"{d}/" not in named] + [
        f"linksage/{d}/" for d in core if f"{d}/" not in nested
    ]


def _top_level() -> list[str]:
    return sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.rglob("*.py"))
    )


def _core_packages() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "linksage").glob("*/__init__.py"))


def test_the_check_names_what_a_layout_leaves_out():
    layout = "linksage/   core\n  cli/      commands\nrankers/    models\n"
    assert unlisted(layout, ["linksage", "rankers", "retrieval"], ["cli", "data"]) == [
        "retrieval/",
        "linksage/data/",
    ]


def test_the_readme_layout_names_every_package_and_folder():
    layout = layout_block((ROOT / "README.md").read_text())
    top = [*_top_level(), "configs", "docs"]
    assert {"linksage", "rankers", "retrieval", "targeting"} <= set(top)
    assert unlisted(layout, top, _core_packages()) == []
