"""The shape of an interaction log: how engagement concentrates on few jobs, and how many of a
window's requests come from members new to it.

Two properties of real logs that decide which baselines are strong (popularity where a few jobs
draw most engagement, a member's last few engagements where most members are new): the
synthetic marketplace is calibrated on them (docs/generative_model.md), and
`benchmarks/own_data.py` prints them for the data it runs on.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd


def gini(counts: np.ndarray | pd.Series) -> float:
    """Gini coefficient of non-negative counts: 0 when all are equal, (n-1)/n when one holds
    everything."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = len(x), x.sum()
    if n == 0 or total == 0:
        return 0.0
    return float(np.dot(2 * np.arange(1, n + 1) - n - 1, x) / (n * total))


def top_share(counts: np.ndarray | pd.Series, share: float = 0.1) -> float:
    """Share of the total held by the largest `share` of the counts (at least one)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    k = max(1, round(share * len(x)))
    return float(x[:k].sum() / x.sum())


def engagement_concentration(engagements: pd.DataFrame, action: str | None = None) -> dict:
    """Gini and top-10% share of engagements per job, over the jobs engaged at least once (a log
    lists only those); `action`: count only that action (e.g. "apply")."""
    e = engagements if action is None else engagements[engagements["action"] == action]
    per_job = e.groupby("job_id").size()
    return {"gini": gini(per_job), "top10_share": top_share(per_job, 0.1), "jobs": len(per_job)}


def new_member_share(engagements: pd.DataFrame, start: datetime, end: datetime) -> float:
    """Share of the requests in [start, end) whose member has no engagement before `start`.

    A request is a request_id; engagements without one form one request per member and job
    (how the rankers build requests from a log without request ids, rankers/data/examples.py)."""
    at = pd.to_datetime(engagements["at"], utc=True)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    seen = engagements.loc[(at < start).to_numpy(), "member_id"].unique()
    inside = engagements[((at >= start) & (at < end)).to_numpy()]
    if inside.empty:
        return 0.0
    rid = inside["request_id"]
    keyed = inside[rid.notna().to_numpy()].drop_duplicates("request_id")
    loose = inside[rid.isna().to_numpy()].drop_duplicates(["member_id", "job_id"])
    members = pd.concat([keyed["member_id"], loose["member_id"]], ignore_index=True)
    return float((~members.isin(seen)).mean())
