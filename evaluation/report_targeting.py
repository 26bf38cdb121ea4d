"""The report's promoted-jobs targeting section (report.json `promoted_targeting`, computed by the
CLI with targeting/ and handed over as is) as (kind, payload) blocks that evaluation.report
writes as markdown and HTML; the HTML adds the `promoted_targeting` figure (evaluation.plots).
"""

from __future__ import annotations

import numpy as np

METHOD_TEXT = {
    "title_location": "advertiser-style: exact title, in the job's location",
    "graph": "hires graph: personalized PageRank from the job's segment",
    "graph_gnn": "hires graph, widened by GNN similarity",
    "ebr": "embedding: members with the most similar GNN vector",
}


def _f(x, digits: int = 4) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _pct(x) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:+.1f}%"


def _setup(data: dict) -> str:
    """One paragraph: what was targeted, from what, and how the campaign was simulated."""
    text = (
        f"{data['promoted_jobs']:,} promoted jobs run in the test window "
        f"({data['campaign_days']:,} job-days); each method's audience holds at most "
        f"{data['audience_size']:,} members. audience recall: share of a job's actual appliers "
        f"during its campaign that its audience holds ({data['replay']['jobs']:,} jobs with "
        f"{data['replay']['appliers']:,} appliers)."
    )
    graph = data.get("graph")
    if graph:
        rules = ", ".join(f"{n:,} by {rule}" for rule, n in graph["hires_by_rule"].items())
        text += (
            f" The graph links member and job segments (title, seniority band, location) by "
            f"{graph['hires']:,} confirmed hires before the test window ({rules})."
        )
    sim = data.get("simulation")
    if sim:
        text += (
            f" Campaign simulation (synthetic marketplace, seed {sim['seed']}): daily budget "
            f"{sim['daily_budget']:g} per job, {sim['cost_per_apply']:g} per apply; an audience "
            "member active that day sees the job in the sponsored slot and applies with the "
            "generator's own probability. Budget utilisation = spent / budget; qualified apply: "
            "same title or one of the job's top 3 skills."
        )
    return text


def targeting_blocks(data: dict) -> list:
    """Heading, setup, the method table, the figure and what was left out (and why)."""
    blocks: list = [("heading", "## Promoted jobs: auto-targeting")]
    omitted = data.get("omitted", {})
    if not data["methods"]:
        blocks.append(("text", f"Not computed: {omitted.get('all', 'no method could run')}."))
        return blocks
    blocks.append(("text", _setup(data)))
    lifts = data.get("budget_utilisation_lift_pct", {})
    header = [
        "method",
        "audience (mean)",
        "audience recall",
        "budget utilisation",
        "vs title_location",
        "applies per budget",
        "qualified-apply share",
    ]
    rows = [
        [
            name,
            _f(m["mean_audience"], 1),
            _f(m["audience_recall"]),
            _f(m["budget_utilisation"]),
            "" if name == "title_location" else _pct(lifts.get(name)),
            _f(m["applies_per_budget"]),
            _f(m["qualified_apply_share"]),
        ]
        for name, m in data["methods"].items()
    ]
    blocks.append(("table", header, rows))
    base = data["methods"].get("title_location", {}).get("budget_utilisation")
    if base == 0:
        blocks.append(("text", "title_location spent nothing: its lift is undefined (–)."))
    blocks.append(("list", [f"**{n}**: {METHOD_TEXT.get(n, n)}" for n in data["methods"]]))
    blocks.append(("figure", "promoted_targeting"))
    if omitted:
        rows = [[part, why] for part, why in omitted.items()]
        blocks.append(("table", ["left out", "why"], rows))
    return blocks
