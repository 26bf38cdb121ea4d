"""`linksage stats DIR`: node and edge counts of the marketplace graph beside the paper's ratios.

The counting follows the graph the GNN is built on (docs/generative_model.md, "What the ratios
count"): node types member, job, title, company, skill and position (= company x title); an
empty string is an absent attribute and makes no edge; member->position edges are the members'
*current* structured positions; top skills are each member's or job's `top_skills` highest-scored
skills; engagement edges are distinct (member, job) pairs with a click, save or apply.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from linksage.data.skills import top_skill_rows
from linksage.data.tables import Tables
from linksage.io import atomic_path
from linksage.synthetic.preset import PAPER_RATIOS

ENGAGEMENT_EDGE_ACTIONS = ("click", "save", "apply")
DEFAULT_TOP_SKILLS = 5

# ratio name -> (edge or node type counted, denominator)
RATIO_DEFINITIONS: dict[str, tuple[str, str]] = {
    "member-title": ("member-title", "member"),
    "member-company": ("member-company", "member"),
    "member-position": ("member-position", "member"),
    "member-top-skill": ("member-top-skill", "member"),
    "seeker-engagement": ("seeker-engagement", "member"),
    "recruiter-interaction": ("recruiter-interaction", "member"),
    "job-title": ("job-title", "job"),
    "job-company": ("job-company", "job"),
    "job-position": ("job-position", "job"),
    "job-top-skill": ("job-top-skill", "job"),
    "jobs": ("job", "member"),
    "companies": ("company", "member"),
    "positions": ("position", "member"),
}


def _present(s: pd.Series) -> np.ndarray:
    return (s.notna() & (s.astype(str) != "")).to_numpy()


def _position_keys(company: pd.Series, title: pd.Series) -> pd.Series:
    return company.astype(str) + "\x1f" + title.astype(str)


def top_skill_edges(skills: pd.DataFrame | None, owner: str, top_skills: int) -> pd.DataFrame:
    """(owner, skill) of each owner's `top_skills` highest-scored distinct skills."""
    if skills is None or skills.empty:
        return pd.DataFrame({owner: pd.Series(dtype="int64"), "skill": pd.Series(dtype=object)})
    s = top_skill_rows(skills[_present(skills["skill"])], owner, top_skills, distinct=True)
    return s[[owner, "skill"]].reset_index(drop=True)


def graph_edges(tables: Tables, top_skills: int = DEFAULT_TOP_SKILLS) -> dict[str, pd.DataFrame]:
    """Every edge type of the marketplace graph as a two-column frame (source, target key),
    one row per distinct edge (reciprocal edges are not listed)."""
    m, j = tables.members, tables.jobs
    edges: dict[str, pd.DataFrame] = {}
    for side, df, key in (("member", m, "member_id"), ("job", j, "job_id")):
        for attr in ("title", "company"):
            keep = _present(df[attr])
            edges[f"{side}-{attr}"] = df.loc[keep, [key, attr]].reset_index(drop=True)
    both = _present(j["title"]) & _present(j["company"])
    edges["job-position"] = pd.DataFrame(
        {
            "job_id": j.loc[both, "job_id"].to_numpy(),
            "position": _position_keys(j.loc[both, "company"], j.loc[both, "title"]).to_numpy(),
        }
    )
    pos = tables.member_positions
    if pos is not None and not pos.empty:
        pos = pos[_present(pos["company"]) & _present(pos["title"])]
        keyed = pos.assign(position=_position_keys(pos["company"], pos["title"]))
        current = keyed[keyed["end_at"].isna()]
        edges["member-position"] = current[["member_id", "position"]].drop_duplicates()
        ordered = keyed.sort_values(["member_id", "start_at"], kind="stable")
        nxt = ordered.groupby("member_id")["position"].shift(-1)
        trans = pd.DataFrame({"from": ordered["position"], "to": nxt}).dropna()
        edges["position-transition"] = trans[trans["from"] != trans["to"]].drop_duplicates()
    else:
        empty = pd.Series(dtype=object)
        edges["member-position"] = pd.DataFrame({"member_id": empty, "position": empty})
        edges["position-transition"] = pd.DataFrame({"from": empty, "to": empty})
    edges["member-top-skill"] = top_skill_edges(tables.member_skills, "member_id", top_skills)
    edges["job-top-skill"] = top_skill_edges(tables.job_skills, "job_id", top_skills)
    e = tables.engagements
    e = e[e["action"].isin(ENGAGEMENT_EDGE_ACTIONS)]
    edges["seeker-engagement"] = e[["member_id", "job_id"]].drop_duplicates()
    r = tables.recruiter_actions
    if r is None:
        r = pd.DataFrame(
            {"job_id": pd.Series(dtype="int64"), "member_id": pd.Series(dtype="int64")}
        )
    edges["recruiter-interaction"] = r[["job_id", "member_id"]].drop_duplicates()
    return {k: v.reset_index(drop=True) for k, v in edges.items()}


def node_counts(tables: Tables, edges: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Distinct nodes per type (attribute nodes: every distinct value that makes an edge or,
    for titles, companies and positions, appears in a work history)."""
    titles = set(edges["member-title"]["title"]) | set(edges["job-title"]["title"])
    companies = set(edges["member-company"]["company"]) | set(edges["job-company"]["company"])
    positions = set(edges["job-position"]["position"]) | set(edges["member-position"]["position"])
    pos = tables.member_positions
    if pos is not None and not pos.empty:
        p = pos[_present(pos["company"]) & _present(pos["title"])]
        titles |= set(p["title"])
        companies |= set(p["company"])
        positions |= set(_position_keys(p["company"], p["title"]))
    skills = set(edges["member-top-skill"]["skill"]) | set(edges["job-top-skill"]["skill"])
    return {
        "member": len(tables.members),
        "job": len(tables.jobs),
        "title": len(titles),
        "company": len(companies),
        "position": len(positions),
        "skill": len(skills),
    }


def compute_stats(tables: Tables, top_skills: int = DEFAULT_TOP_SKILLS) -> dict:
    """Node and edge counts per type, and each paper ratio with its measured value.

    Returns {"nodes": {type: n}, "edges": {type: n}, "ratios": {name: {"count", "per",
    "value", "paper", "deviation"}}} where deviation = value / paper - 1.
    """
    edges = graph_edges(tables, top_skills=top_skills)
    nodes = node_counts(tables, edges)
    edge_counts = {k: len(v) for k, v in edges.items()}
    ratios = {}
    for name, (counted, per) in RATIO_DEFINITIONS.items():
        count = edge_counts.get(counted, nodes.get(counted, 0))
        value = count / nodes[per] if nodes[per] else float("nan")
        paper = PAPER_RATIOS[name]
        ratios[name] = {
            "count": int(count),
            "per": per,
            "value": value,
            "paper": paper,
            "deviation": value / paper - 1.0,
        }
    return {"nodes": nodes, "edges": edge_counts, "ratios": ratios, "top_skills": top_skills}


def render_stats(stats: dict, console: Console | None = None) -> None:
    """Print the node, edge and ratio tables (rich)."""
    console = console or Console()
    nodes = Table(title="Nodes")
    nodes.add_column("type")
    nodes.add_column("count", justify="right")
    for k, v in stats["nodes"].items():
        nodes.add_row(k, f"{v:,}")
    edges = Table(title=f"Edges (distinct; top {stats['top_skills']} skills)")
    edges.add_column("type")
    edges.add_column("count", justify="right")
    for k, v in stats["edges"].items():
        edges.add_row(k, f"{v:,}")
    ratios = Table(title="Ratios beside the LinkSAGE paper (Tables 1 and 2)")
    for col in ("ratio", "count", "per", "measured", "paper", "deviation"):
        ratios.add_column(col, justify="left" if col in ("ratio", "per") else "right")
    for name, r in stats["ratios"].items():
        dev = r["deviation"]
        style = "green" if abs(dev) <= 0.10 else "red"
        ratios.add_row(
            name,
            f"{r['count']:,}",
            r["per"],
            f"{r['value']:.3f}",
            f"{r['paper']:.3f}",
            f"[{style}]{dev:+.1%}[/{style}]",
        )
    console.print(nodes)
    console.print(edges)
    console.print(ratios)


def plot_degree_distribution(
    tables: Tables, path: Path | str, top_skills: int = DEFAULT_TOP_SKILLS
) -> Path:
    """Write a PNG of the degree distribution of every edge type (log-log, both endpoints)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = graph_edges(tables, top_skills=top_skills)
    names = [k for k, v in edges.items() if len(v)]
    cols = 4
    rows = max(1, -(-len(names) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        df = edges[name]
        for col in df.columns[:2]:
            degree = df.groupby(col).size().to_numpy()
            values, freq = np.unique(degree, return_counts=True)
            ax.loglog(values, freq, marker=".", linestyle="none", label=f"by {col}")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("degree")
        ax.set_ylabel("nodes")
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle("Degree distribution per edge type")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
        tmp.chmod(0o644)  # a picture for people: readable like the tables beside it
    plt.close(fig)
    return path
