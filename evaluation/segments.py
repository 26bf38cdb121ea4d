"""Evaluation segments: who or what the GNN should help most.

- cold_start: members with at most N engagements before `t_gnn_end` (the graph knew little of them);
- intent_<value>: members by seeker intent (passive, opportunistic, open_to_job, urgent);
- premium: premium members;
- new_jobs: jobs posted at or after `t_gnn_end` (never in the GNN's training graph).

Member segments select whole requests. The new_jobs segment keeps each request that holds a new
job, with only new jobs counted as positives while every candidate still competes: its metrics say
how well the new jobs a member wanted are ranked (for EBR: how many of them reach the top k of the
whole corpus). For TAJ it keeps the applications to new jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from linksage.data.schema import SEEKER_INTENTS
from linksage.data.tables import Tables


@dataclass(frozen=True)
class Segment:
    """A named subset of test rows: members (whole requests) or jobs (rows) with the given ids."""

    name: str
    description: str
    by: str  # "member_id" or "job_id"
    ids: np.ndarray

    def mask(self, rows: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows in this segment."""
        return rows[self.by].isin(self.ids).to_numpy()

    def select(self, rows: pd.DataFrame, task: str) -> pd.DataFrame:
        """The rows a task is evaluated on within this segment.

        Member segments keep the segment's whole requests. Job segments keep, for ranking and
        retrieval tasks, every request that holds a segment job, with only the segment's jobs
        counted as positives (the full candidate list still competes with them); for TAJ (one
        application per row) they keep the segment's rows."""
        mask = self.mask(rows)
        if self.by == "member_id" or task == "taj":
            return rows[mask]
        keep = rows["request_id"].isin(rows.loc[mask, "request_id"]).to_numpy()
        out = rows[keep].copy()
        out["label"] = (out["label"].to_numpy() * mask[keep]).astype(out["label"].dtype)
        return out


def cold_start_members(
    engagements: pd.DataFrame, members: pd.DataFrame, before: datetime, max_engagements: int
) -> np.ndarray:
    """Members with at most `max_engagements` engagements strictly before `before`."""
    counts = engagements.loc[engagements["at"] < pd.Timestamp(before), "member_id"].value_counts()
    n = members["member_id"].map(counts).fillna(0)
    return members.loc[n <= max_engagements, "member_id"].to_numpy()


def build_segments(
    tables: Tables, *, t_gnn_end: datetime, cold_start_max_engagements: int = 2
) -> list[Segment]:
    """The standard segments for a set of tables (intent segments only if the column exists)."""
    m, j = tables.members, tables.jobs
    n = cold_start_max_engagements
    segs = [
        Segment(
            "cold_start",
            f"members with <= {n} engagements before t_gnn_end",
            "member_id",
            cold_start_members(tables.engagements, m, t_gnn_end, n),
        )
    ]
    if "seeker_intent" in m.columns:
        for intent in SEEKER_INTENTS:
            ids = m.loc[m["seeker_intent"] == intent, "member_id"].to_numpy()
            if len(ids):
                segs.append(
                    Segment(f"intent_{intent}", f"seeker intent '{intent}'", "member_id", ids)
                )
    premium = m.loc[m["is_premium"].astype(bool), "member_id"].to_numpy()
    if len(premium):
        segs.append(Segment("premium", "premium members", "member_id", premium))
    new = j.loc[j["posted_at"] >= pd.Timestamp(t_gnn_end), "job_id"].to_numpy()
    segs.append(
        Segment(
            "new_jobs",
            "jobs posted at or after t_gnn_end (only they count as positives)",
            "job_id",
            new,
        )
    )
    return segs


def unavailable_segments(tables: Tables) -> dict[str, str]:
    """The standard segments these tables cannot form, with the reason (for the report)."""
    m = tables.members
    out = {}
    if "seeker_intent" not in m.columns or m["seeker_intent"].isna().all():
        out["intent_*"] = "members.seeker_intent is absent or empty"
    if not m["is_premium"].astype(bool).any():
        out["premium"] = "members.is_premium marks no premium member"
    return out


def request_counts(rows: pd.DataFrame, segments: list[Segment]) -> dict[str, int]:
    """Distinct requests with at least one row in each segment."""
    return {s.name: int(rows.loc[s.mask(rows), "request_id"].nunique()) for s in segments}
