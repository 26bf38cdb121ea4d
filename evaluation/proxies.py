"""Offline proxies of the paper's online metrics, from the logs of the test window.

- qualified applications in the top 10: applies (the primary label of JYMBII and Search) whose
  member is qualified for the job: same title, or the member has one of the job's top skills;
- dismiss-to-apply ratio in the top 10: dismissed jobs / applied jobs among the top 10 of each
  request, summed over requests (a ratio of sums, so requests without applies still count).

Both are computed per row here (0/1 flags) and summed over each request's expected top 10 by
`evaluation.metrics.request_metrics`.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from linksage.data.tables import Tables

TOP_JOB_SKILLS = 3


def qualified_flags(
    rows: pd.DataFrame, tables: Tables, top_job_skills: int = TOP_JOB_SKILLS
) -> np.ndarray:
    """1 where the row's member matches the job's title or has one of its top skills."""
    pairs = rows[["member_id", "job_id"]].drop_duplicates()
    m_title = tables.members.set_index("member_id")["title"]
    j_title = tables.jobs.set_index("job_id")["title"]
    title_ok = pairs["member_id"].map(m_title).to_numpy() == pairs["job_id"].map(j_title).to_numpy()
    qualified = pairs.assign(q=title_ok)
    if tables.job_skills is not None and tables.member_skills is not None:
        top = (
            tables.job_skills.sort_values(["job_id", "score"], ascending=[True, False])
            .groupby("job_id")
            .head(top_job_skills)[["job_id", "skill"]]
        )
        hits = (
            pairs.merge(top, on="job_id")
            .merge(tables.member_skills[["member_id", "skill"]], on=["member_id", "skill"])
            .drop_duplicates(["member_id", "job_id"])
            .assign(skill_ok=True)[["member_id", "job_id", "skill_ok"]]
        )
        qualified = qualified.merge(hits, on=["member_id", "job_id"], how="left")
        qualified["q"] = qualified["q"] | qualified["skill_ok"].notna()
    merged = rows[["member_id", "job_id"]].merge(
        qualified[["member_id", "job_id", "q"]], on=["member_id", "job_id"], how="left"
    )
    return (merged["q"] == True).to_numpy(dtype=np.int8)  # noqa: E712 (NaN -> False)


def dismissed_flags(
    rows: pd.DataFrame, engagements: pd.DataFrame, start: datetime, end: datetime
) -> np.ndarray:
    """1 where the member dismissed the job during [start, end) (the test window)."""
    e = engagements
    mask = (
        (e["action"] == "dismiss")
        & (e["at"] >= pd.Timestamp(start))
        & (e["at"] < pd.Timestamp(end))
    )
    dismissed = e.loc[mask, ["member_id", "job_id"]].drop_duplicates().assign(d=1)
    merged = rows[["member_id", "job_id"]].merge(dismissed, on=["member_id", "job_id"], how="left")
    return merged["d"].fillna(0).to_numpy(dtype=np.int8)


def proxy_flags(
    rows: pd.DataFrame, tables: Tables, test_start: datetime, test_end: datetime
) -> dict[str, np.ndarray]:
    """Per-row flags summed over each request's top 10 (see `request_metrics(extra_top10=...)`)."""
    label = rows["label"].to_numpy(dtype=np.int8)
    return {
        "qualified_applies@10": label * qualified_flags(rows, tables),
        "dismisses@10": dismissed_flags(rows, tables.engagements, test_start, test_end),
        "applies@10": label,
    }
