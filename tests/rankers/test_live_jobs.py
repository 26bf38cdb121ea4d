"""Live-job intervals and seeded negative sampling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from linksage.data.live_jobs import LiveJobs
from rankers.data.random_negatives import sample_negatives

T0 = datetime(2026, 3, 1, tzinfo=UTC)
D = timedelta(days=1)
JOBS = pd.DataFrame(
    {
        "job_id": [1, 2, 3, 4],
        "posted_at": [T0, T0, T0 + D, T0 - 5 * D],
        "expires_at": [T0 + D, T0 + 3 * D, T0 + 3 * D, T0],
    }
)


def test_live_means_posted_at_or_before_and_expiring_after():
    live = LiveJobs(JOBS)
    assert live.at(pd.Timestamp(T0)).tolist() == [1, 2]  # job 4 expires exactly at T0
    assert live.at(pd.Timestamp(T0 + D)).tolist() == [2, 3]  # job 1 expired, job 3 just posted


def test_microsecond_columns_from_parquet_give_the_same_answer():
    us = JOBS.assign(
        posted_at=JOBS["posted_at"].astype("datetime64[us, UTC]"),
        expires_at=JOBS["expires_at"].astype("datetime64[us, UTC]"),
    )
    assert LiveJobs(us).at(pd.Timestamp(T0 + D)).tolist() == [2, 3]


def test_negatives_are_live_exclude_the_requests_jobs_and_repeat_with_the_seed():
    requests = pd.DataFrame(
        {
            "request_id": [7, 8],
            "member_id": [1, 1],
            "split": ["train"] * 2,
            "at": [pd.Timestamp(T0 + D), pd.Timestamp(T0)],
        }
    )
    a = sample_negatives(requests, {7: {2}}, JOBS, k=5, seed=3)
    b = sample_negatives(requests, {7: {2}}, JOBS, k=5, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[a["request_id"] == 7, "job_id"].tolist() == [3]
    assert a.loc[a["request_id"] == 8, "job_id"].tolist() == [1, 2]
    assert (a["label"] == 0).all()
