"""Brute-force EBR ranking over the live corpus, checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from rankers.training.retrieval_eval import rank_requests, recall_at

T0 = pd.Timestamp(datetime(2026, 3, 1, tzinfo=UTC))
D = timedelta(days=1)


def test_ranks_only_live_jobs_and_keeps_every_positive():
    jobs = pd.DataFrame(
        {
            "job_id": [1, 2, 3, 4],
            "posted_at": [T0 - D] * 3 + [T0 + D],
            "expires_at": [T0 + 9 * D] * 4,
        }
    )
    corpus = pd.DataFrame({"job_id": [1, 2, 3, 4], "bucket": [T0] * 4})
    job_vectors = np.array([[1, 0], [0, 1], [1, 1], [5, 5]], dtype=np.float32)
    requests = pd.DataFrame(
        {"request_id": [9], "member_id": [1], "at": [T0 + 0.5 * D], "bucket": [T0]}
    )
    member = np.array([[2.0, 1.0]], dtype=np.float32)  # scores: 2, 1, 3, 15 (job 4 not live)
    positives = pd.DataFrame({"request_id": [9, 9], "job_id": [2, 4]})
    out = rank_requests(requests, member, corpus, job_vectors, positives, jobs, top_k=1)
    got = out.set_index("job_id")[["label", "score", "rank"]].to_dict("index")
    assert got == {
        3: {"label": 0, "score": 3.0, "rank": 1},
        2: {"label": 1, "score": 1.0, "rank": 3},
        4: {"label": 1, "score": 15.0, "rank": 1},
    }  # not live: ranked against live
    assert recall_at(out, (1, 2)) == {"recall@1": 0.5, "recall@2": 0.5}
