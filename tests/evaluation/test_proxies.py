"""Offline proxies: qualified applications and dismissals, on hand-built logs."""

from __future__ import annotations

import pandas as pd

from evaluation.metrics import request_metrics
from evaluation.proxies import proxy_flags, qualified_flags
from linksage.data.tables import Tables

T0 = pd.Timestamp("2026-02-05", tz="UTC")
T1 = pd.Timestamp("2026-02-12", tz="UTC")


def _tables():
    members = pd.DataFrame({"member_id": [1, 2], "title": ["engineer", "nurse"]})
    jobs = pd.DataFrame({"job_id": [10, 11, 12], "title": ["engineer", "chef", "pilot"]})
    job_skills = pd.DataFrame(
        {
            "job_id": [11, 11, 11, 11],
            "skill": ["knife", "sauce", "menu", "python"],
            "score": [0.9, 0.8, 0.7, 0.1],
        }
    )
    member_skills = pd.DataFrame(
        {"member_id": [1, 2], "skill": ["python", "sauce"], "score": [1.0, 1.0]}
    )
    engagements = pd.DataFrame(
        {
            "member_id": [1, 1, 2],
            "job_id": [12, 11, 12],
            "action": ["dismiss", "dismiss", "dismiss"],
            "at": [
                T0 + pd.Timedelta(hours=1),
                T0 - pd.Timedelta(hours=1),
                T1,
            ],  # only the first counts
        }
    )
    return Tables(
        members=members,
        jobs=jobs,
        engagements=engagements,
        job_skills=job_skills,
        member_skills=member_skills,
    )


def test_qualified_by_title_or_top_job_skill():
    rows = pd.DataFrame({"member_id": [1, 1, 2, 1], "job_id": [10, 11, 11, 12]})
    # 1-10 same title; 1-11 python is only the job's 4th skill (top 3 only); 2-11 sauce is top 3
    assert qualified_flags(rows, _tables()).tolist() == [1, 0, 1, 0]


def test_dismiss_to_apply_counts_in_top10():
    rows = pd.DataFrame(
        {
            "request_id": [7, 7, 7],
            "member_id": [1, 1, 1],
            "job_id": [10, 11, 12],
            "label": [1, 0, 0],
            "score": [0.9, 0.5, 0.1],
        }
    )
    flags = proxy_flags(rows, _tables(), T0, T1)
    assert flags["dismisses@10"].tolist() == [0, 0, 1]
    m = request_metrics(rows, extra_top10=flags)
    assert m.loc[7, "qualified_applies@10"] == 1
    assert m.loc[7, "dismisses@10"] == 1 and m.loc[7, "applies@10"] == 1
