"""`promoted_targeting`: every promoted job's audience by each method, the offline replay and
(when the caller can say how members respond) the campaign simulation, as report.json's
`promoted_targeting` section. A part the data cannot support is left out with its reason, in
`omitted`; nothing here raises on thin data.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from linksage.config import TargetingSection
from linksage.data.tables import Tables
from targeting import audiences as aud
from targeting.campaign import (
    ApplyProbability,
    Budget,
    active_by_day,
    campaigns,
    n_days,
    simulate,
    summarise,
)
from targeting.embeddings import job_vectors, member_vectors
from targeting.graph import build_segment_graph
from targeting.hires import confirmed_hires
from targeting.replay import Qualification, appliers, audience_recall
from targeting.segments import job_segments, member_segments

METHODS = ("title_location", "graph", "graph_gnn", "ebr")
SIMULATED = (
    "budget_utilisation",
    "applies_per_budget",
    "qualified_apply_share",
    "applies",
    "exposures",
)


def _graph_part(tables, start, pool, targets, params, omitted) -> tuple[dict, dict | None]:
    """Graph audiences and what the graph holds ({} and None without hires)."""
    hires = confirmed_hires(tables, start, params.hire_position_days)
    if hires.empty:
        omitted["graph"] = (
            "no confirmed hire before t_test_start (an apply followed by positive_hearing_back, "
            f"or by a position at the job's company and title within "
            f"{params.hire_position_days:g} days)"
        )
        return {}, None
    segs = aud.hire_segments(hires, tables.members, tables.member_positions, tables.jobs)
    graph = build_segment_graph(pool, targets, segs)
    info = {
        "hires": len(hires),
        "hires_by_rule": {str(k): int(v) for k, v in hires["rule"].value_counts().items()},
        "nodes": len(graph.nodes),
        "hire_segment_pairs": graph.hire_edges,
        "restart": params.restart,
    }
    size = min(params.audience_size, len(pool))
    return aud.graph_audiences(graph, pool, targets, size, params.restart), info


def _ebr_part(gnn_dir, start, pool, camps, size, omitted) -> tuple[dict, dict | None]:
    """Embedding audiences ({} and None without GNN embeddings)."""
    paths = [Path(gnn_dir) / f"{e}_gnn.parquet" for e in ("member", "job")] if gnn_dir else []
    if not paths or not all(p.is_file() for p in paths):
        where = paths[0].parent if paths else "the feature repository"
        omitted["ebr"] = f"no GNN embeddings (member_gnn.parquet, job_gnn.parquet) in {where}"
        return {}, None
    found = member_vectors(paths[0], start)
    if found is None:
        omitted["ebr"] = f"{paths[0]} has no snapshot at or before t_test_start"
        return {}, None
    members, snap = found
    jobs = job_vectors(paths[1], camps.set_index("job_id")["start"])
    if len(jobs.ids) == 0:
        omitted["ebr"] = f"no promoted job has a vector in {paths[1]} by its campaign start"
        return {}, None
    info = {"member_snapshot": snap.isoformat(), "jobs_with_vector": len(jobs.ids)}
    found = aud.ebr_audiences(members, jobs, pool["member_id"].to_numpy(), size)
    # a job without a vector yet has nobody to show it to
    none = np.array([], dtype=np.int64)
    return {int(j): found.get(int(j), none) for j in camps["job_id"]}, info


def _audiences(tables, start, pool, camps, params, gnn_dir, omitted) -> tuple[dict, dict]:
    """method -> job -> audience, and what each method rested on."""
    size = min(params.audience_size, len(pool))
    targets = job_segments(tables.jobs.set_index("job_id").loc[camps["job_id"]].reset_index())
    out = {"title_location": aud.title_location(pool, targets, size)}
    graph, graph_info = _graph_part(tables, start, pool, targets, params, omitted)
    ebr, ebr_info = _ebr_part(gnn_dir, start, pool, camps, size, omitted)
    if graph:
        out["graph"] = graph
    if graph and ebr and params.gnn_share > 0:
        out["graph_gnn"] = aud.widen(graph, ebr, size, params.gnn_share)
    elif graph:
        omitted["graph_gnn"] = omitted.get("ebr", "targeting.gnn_share is 0")
    else:
        omitted["graph_gnn"] = omitted["graph"]
    if ebr:
        out["ebr"] = ebr
    return out, {"graph": graph_info, "embeddings": ebr_info}


def _simulation(tables, pool, camps, audiences, apply_probability, params, span) -> dict:
    """method -> budget utilisation, applies per budget, qualified-apply share."""
    active = active_by_day([tables.impressions, tables.engagements], pool["member_id"], *span)
    targets = tables.jobs[tables.jobs["job_id"].isin(camps["job_id"])]
    job_skills = tables.job_skills
    if job_skills is not None:
        job_skills = job_skills[job_skills["job_id"].isin(camps["job_id"])]
    qualified = Qualification(
        pool.set_index("member_id")["title"],
        targets.set_index("job_id")["title"],
        tables.member_skills,
        job_skills,
    )
    budget = Budget(params.daily_budget, params.cost_per_apply)
    return {
        method: summarise(
            simulate(a, camps, active, apply_probability, qualified, budget, params.seed)
        )
        for method, a in audiences.items()
    }


def _empty(params: TargetingSection, why: str) -> dict:
    return {"audience_size": params.audience_size, "methods": {}, "omitted": {"all": why}}


def promoted_targeting(
    tables: Tables,
    test_start: datetime,
    test_end: datetime,
    params: TargetingSection,
    *,
    gnn_dir: Path | None = None,
    apply_probability: ApplyProbability | None = None,
    no_simulation: str = "",
) -> dict:
    """Audiences of the promoted jobs running in the test window by every method the data
    supports, their audience recall, and (with `apply_probability`) the simulated campaign.
    `gnn_dir`: the directory of member_gnn.parquet and job_gnn.parquet (optional);
    `no_simulation`: why there is no `apply_probability` (reported as the reason)."""
    start, end = pd.Timestamp(test_start), pd.Timestamp(test_end)
    if "is_promoted" not in tables.jobs:
        return _empty(params, "jobs.is_promoted is absent: no job is promoted")
    camps = campaigns(tables.jobs, start, end)
    if camps.empty:
        return _empty(params, "no promoted job (jobs.is_promoted) is live in the test window")
    pool = member_segments(tables.members, tables.member_positions, start)
    if pool.empty:
        return _empty(params, "no member exists before t_test_start")
    omitted: dict[str, str] = {}
    audiences, rested_on = _audiences(tables, start, pool, camps, params, gnn_dir, omitted)
    applied = appliers(tables.engagements, camps)
    if not applied:
        omitted["audience_recall"] = "no promoted job had an applier during its campaign"
    if apply_probability is None:
        omitted["simulation"] = no_simulation or "no response model was given"
        sim = {}
    else:
        span = (start, n_days(start, end))
        sim = _simulation(tables, pool, camps, audiences, apply_probability, params, span)
    methods = {
        m: {
            "audience_recall": audience_recall(a, applied),
            **sim.get(m, dict.fromkeys(SIMULATED)),
            "mean_audience": float(np.mean([len(x) for x in a.values()])),
        }
        for m, a in audiences.items()
    }
    return {
        "audience_size": min(params.audience_size, len(pool)),
        "methods": {m: methods[m] for m in METHODS if m in methods},
        "budget_utilisation_lift_pct": _lifts(methods),
        "promoted_jobs": len(camps),
        "campaign_days": int((camps["last_day"] - camps["first_day"]).sum()),
        "replay": {"jobs": len(applied), "appliers": int(sum(len(v) for v in applied.values()))},
        "simulation": None if apply_probability is None else _sim_info(params),
        **rested_on,
        "omitted": omitted,
    }


def _sim_info(params: TargetingSection) -> dict:
    return {
        "seed": params.seed,
        "daily_budget": params.daily_budget,
        "cost_per_apply": params.cost_per_apply,
    }


def _lifts(methods: dict) -> dict[str, float | None]:
    """Budget utilisation of each method relative to title_location's (%; None without one)."""
    base = methods.get("title_location", {}).get("budget_utilisation")
    return {
        m: None
        if base in (None, 0) or v.get("budget_utilisation") is None
        else 100.0 * (v["budget_utilisation"] / base - 1)
        for m, v in methods.items()
        if m != "title_location"
    }
