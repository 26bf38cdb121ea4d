"""Confirmed hires: an application the recruiter or the member's career confirmed.

A hire of member m by job j is an `apply` engagement of m on j followed by either
- `positive_hearing_back` from j's recruiter to m (`recruiter_actions`), or
- a position of m (`member_positions`) starting at j's company with j's title, at most
  `position_days` days after the application (both non-empty).
Only hires whose application and confirmation both happen before `before` count: the graph that
targets the test window is built from the past alone.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from linksage.data.tables import Tables

HIRE_COLUMNS = ["member_id", "job_id", "applied_at", "hired_at", "rule"]
HEARING_BACK, POSITION = "hearing_back", "position"


def _applies(tables: Tables, before: pd.Timestamp) -> pd.DataFrame:
    e = tables.engagements
    a = e.loc[(e["action"] == "apply") & (e["at"] < before), ["member_id", "job_id", "at"]]
    return a.rename(columns={"at": "applied_at"}).drop_duplicates()


def _by_hearing_back(applies: pd.DataFrame, tables: Tables, before: pd.Timestamp) -> pd.DataFrame:
    r = tables.recruiter_actions
    if r is None:
        return pd.DataFrame(columns=HIRE_COLUMNS)
    hb = r.loc[(r["action"] == "positive_hearing_back") & (r["at"] < before)]
    pairs = applies.merge(hb[["member_id", "job_id", "at"]], on=["member_id", "job_id"])
    pairs = pairs[pairs["at"] >= pairs["applied_at"]]
    return pairs.rename(columns={"at": "hired_at"}).assign(rule=HEARING_BACK)


def _by_position(
    applies: pd.DataFrame, tables: Tables, before: pd.Timestamp, position_days: float
) -> pd.DataFrame:
    pos = tables.member_positions
    if pos is None:
        return pd.DataFrame(columns=HIRE_COLUMNS)
    jobs = tables.jobs[["job_id", "company", "title"]]
    jobs = jobs[(jobs["company"] != "") & (jobs["title"] != "")]
    started = pos.loc[pos["start_at"] < before, ["member_id", "company", "title", "start_at"]]
    pairs = applies.merge(jobs, on="job_id").merge(started, on=["member_id", "company", "title"])
    gap = pairs["start_at"] - pairs["applied_at"]
    pairs = pairs[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=position_days))]
    return pairs.rename(columns={"start_at": "hired_at"}).assign(rule=POSITION)


def confirmed_hires(tables: Tables, before: datetime, position_days: float = 60) -> pd.DataFrame:
    """One row per hired (member, job) pair confirmed before `before`: member_id, job_id,
    applied_at (the confirmed application), hired_at (the earliest confirmation) and rule
    (`hearing_back` or `position`, whichever confirmed first), sorted by hired_at."""
    cut = pd.Timestamp(before)
    applies = _applies(tables, cut)
    found = [
        f[HIRE_COLUMNS]
        for f in (
            _by_hearing_back(applies, tables, cut),
            _by_position(applies, tables, cut, position_days),
        )
        if not f.empty
    ]
    if not found:
        return pd.DataFrame(
            {
                "member_id": np.array([], dtype=np.int64),
                "job_id": np.array([], dtype=np.int64),
                "applied_at": pd.to_datetime([], utc=True),
                "hired_at": pd.to_datetime([], utc=True),
                "rule": np.array([], dtype=object),
            }
        )
    hires = pd.concat(found, ignore_index=True)
    # the confirmed application: the latest one before the confirmation
    hires = hires.sort_values(["hired_at", "applied_at"], ascending=[True, False], kind="stable")
    hires = hires.drop_duplicates(["member_id", "job_id"])
    return hires.sort_values(["hired_at", "member_id", "job_id"], ignore_index=True)
