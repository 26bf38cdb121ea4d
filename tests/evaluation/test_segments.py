"""Segments on hand-built tables: who is cold-start, premium, which jobs are new."""

from __future__ import annotations

import pandas as pd

from evaluation.segments import build_segments, request_counts
from linksage.data.tables import Tables

T0 = pd.Timestamp("2026-01-10", tz="UTC")


def _tables():
    members = pd.DataFrame(
        {
            "member_id": [1, 2, 3],
            "title": ["a", "b", "c"],
            "is_premium": [True, False, False],
            "seeker_intent": ["urgent", "passive", None],
        }
    )
    jobs = pd.DataFrame(
        {"job_id": [10, 11], "title": ["a", "x"], "posted_at": [T0 - pd.Timedelta(days=3), T0]}
    )
    day = pd.Timedelta(days=1)
    engagements = pd.DataFrame(
        {
            "member_id": [1, 1, 1, 2, 2, 2, 2],
            "job_id": [10] * 7,
            "action": ["click"] * 7,
            # member 1: three before T0 (not cold); member 2: two before, two at/after T0 (cold)
            "at": [T0 - 3 * day, T0 - 2 * day, T0 - day, T0 - day, T0 - 2 * day, T0, T0 + day],
        }
    )
    return Tables(members=members, jobs=jobs, engagements=engagements)


def test_segments_by_hand():
    segs = {
        s.name: s for s in build_segments(_tables(), t_gnn_end=T0, cold_start_max_engagements=2)
    }
    assert set(segs) == {"cold_start", "intent_urgent", "intent_passive", "premium", "new_jobs"}
    assert sorted(segs["cold_start"].ids) == [2, 3]  # member 3 has no engagement at all
    assert list(segs["premium"].ids) == [1]
    assert list(segs["intent_urgent"].ids) == [1]
    assert list(segs["new_jobs"].ids) == [11]  # posted exactly at t_gnn_end counts as new


def test_request_counts_and_row_masks():
    segs = build_segments(_tables(), t_gnn_end=T0)
    rows = pd.DataFrame(
        {"request_id": [5, 5, 6, 7], "member_id": [1, 1, 2, 3], "job_id": [10, 11, 10, 10]}
    )
    counts = request_counts(rows, segs)
    assert counts["cold_start"] == 2 and counts["premium"] == 1 and counts["new_jobs"] == 1
    new_jobs = next(s for s in segs if s.name == "new_jobs")
    assert new_jobs.mask(rows).tolist() == [False, True, False, False]


def test_job_segment_keeps_whole_lists_but_counts_only_new_jobs_as_positives():
    new_jobs = next(s for s in build_segments(_tables(), t_gnn_end=T0) if s.name == "new_jobs")
    rows = pd.DataFrame(
        {
            "request_id": [5, 5, 6],
            "member_id": [1, 1, 2],
            "job_id": [10, 11, 10],
            "label": [1, 1, 1],
        }
    )
    ranked = new_jobs.select(rows, "jymbii")
    assert ranked["request_id"].tolist() == [5, 5]  # request 6 holds no new job
    assert ranked["label"].tolist() == [0, 1]  # the old job still competes, as a non-positive
    assert new_jobs.select(rows, "taj")["job_id"].tolist() == [11]  # TAJ: applications to new jobs
