"""The offline replay (any data): how many of a promoted job's actual appliers its audience held,
and the qualified-apply rule used to judge the applies a campaign buys.

audience_recall of a job = |appliers in the audience| / |appliers|, where the appliers are the
members who applied to it from its campaign's start to its end (test window only); averaged over
the jobs that had at least one. Appliers who joined after the audience was chosen count too: no
method could reach them, for every method alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOP_JOB_SKILLS = 3  # as evaluation.proxies: a job's 3 best skills


def appliers(engagements: pd.DataFrame, camps: pd.DataFrame) -> dict[int, np.ndarray]:
    """Job -> ids of the members who applied to it during its campaign."""
    a = engagements.loc[engagements["action"] == "apply", ["member_id", "job_id", "at"]]
    a = a.merge(camps[["job_id", "start", "end"]], on="job_id")
    a = a[(a["at"] >= a["start"]) & (a["at"] < a["end"])]
    return {int(j): np.unique(g.to_numpy()) for j, g in a.groupby("job_id")["member_id"]}


def audience_recall(
    audiences: dict[int, np.ndarray], applied: dict[int, np.ndarray]
) -> float | None:
    """Mean over the jobs with appliers of the share of them the job's audience holds."""
    if not applied:
        return None
    empty = np.array([], dtype=np.int64)
    shares = [np.isin(who, audiences.get(j, empty)).mean() for j, who in applied.items()]
    return float(np.mean(shares))


class Qualification:
    """Whether a member is qualified for a job, as evaluation.proxies defines a qualified apply:
    same title (non-empty), or the member lists one of the job's top 3 skills."""

    def __init__(
        self,
        member_title: pd.Series,
        job_title: pd.Series,
        member_skills: pd.DataFrame | None,
        job_skills: pd.DataFrame | None,
    ):
        self.member_title, self.job_title = member_title, job_title
        self.skills: set[tuple[int, int]] = set()
        if member_skills is not None and job_skills is not None:
            top = (
                job_skills.sort_values(["job_id", "score"], ascending=[True, False])
                .groupby("job_id")
                .head(TOP_JOB_SKILLS)[["job_id", "skill"]]
            )
            both = top.merge(member_skills[["member_id", "skill"]], on="skill")
            self.skills = set(zip(both["member_id"], both["job_id"], strict=True))

    def __call__(self, member_ids: np.ndarray, job_ids: np.ndarray) -> np.ndarray:
        mt = pd.Series(member_ids).map(self.member_title).to_numpy(dtype=object)
        jt = pd.Series(job_ids).map(self.job_title).to_numpy(dtype=object)
        title = (mt == jt) & (jt != "")
        skill = np.array(
            [(int(m), int(j)) in self.skills for m, j in zip(member_ids, job_ids, strict=True)],
            dtype=bool,
        )
        return title | skill
