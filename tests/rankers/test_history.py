"""The member's history features against values computed by hand, point in time to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from linksage.data.history import KNN_SHRINK
from linksage.data.tables import Tables
from rankers.data.windows import SplitWindows
from rankers.features.history import (
    HISTORY_ENGAGED,
    HISTORY_ITEM_KNN,
    HISTORY_SAME_JOB,
    HistoryFeatures,
    history_specs,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
# train [day 10, day 14), validation [day 14, day 15), test [day 15, day 20)
WINDOWS = SplitWindows(T0 + 10 * DAY, T0 + 14 * DAY, T0 + 15 * DAY, T0 + 15 * DAY, T0 + 20 * DAY)


def _tables() -> Tables:
    # before day 10: members 1 and 2 both engage jobs 1 and 2 (co-engaged twice), member 3 jobs
    # 2 and 3 (once). In the test window member 9, new, clicks job 1 at day 16 12:00.
    rows = [
        (1, 1, "apply", 1), (1, 2, "click", 2), (2, 1, "save", 3), (2, 2, "apply", 4),
        (3, 2, "click", 5), (3, 3, "click", 6), (3, 4, "view", 7),
        (1, 3, "apply", 11),  # train window: not in the train rows' similarity
        (9, 1, "click", 16.5),
    ]  # fmt: skip
    engagements = pd.DataFrame(
        [
            {
                "member_id": m,
                "job_id": j,
                "action": a,
                "channel": "jymbii",
                "request_id": None,
                "at": T0 + d * DAY,
            }
            for m, j, a, d in rows
        ]  # fmt: skip
    )
    jobs = pd.DataFrame({"job_id": [1, 2, 3, 4, 5]})
    return Tables(
        members=pd.DataFrame({"member_id": [1, 2, 3, 9]}), jobs=jobs, engagements=engagements
    )


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["split", "member_id", "job_id", "at"])


def test_history_is_strictly_before_the_request_and_the_similarity_before_the_split():
    history = HistoryFeatures(_tables(), WINDOWS)
    at = T0 + 16.5 * DAY
    out = history.add(
        _frame(
            [
                ("test", 9, 2, at),  # the click on job 1 happens at `at` exactly: not seen
                ("test", 9, 2, at + timedelta(seconds=1)),  # one second later it is
                ("test", 9, 1, at + timedelta(seconds=1)),  # the same job again
                ("train", 1, 2, T0 + 12 * DAY),  # member 1 engaged jobs 1, 2 and 3 before
                ("test", 7, 2, at),  # a member with no history at all
            ]
        )
    )
    assert out[HISTORY_ENGAGED].tolist() == pytest.approx(np.log1p([0, 1, 1, 3, 0]))
    assert out[HISTORY_SAME_JOB].tolist() == [0, 0, 1, 1, 0]
    # test rows: similarity from everything before day 15: jobs 1 and 2 co-engaged by members 1
    # and 2, each engaged by 2 and 3 members: 2 / (sqrt(2 * 3) + shrink)
    s12 = 2 / (np.sqrt(2 * 3) + KNN_SHRINK)
    knn = out[HISTORY_ITEM_KNN].to_numpy()
    assert knn[0] == 0 and knn[4] == 0 and knn[2] == 0  # nothing before, or itself only
    assert knn[1] == pytest.approx(np.log1p(s12), rel=1e-5)
    # the train row: similarity before day 10 (member 1's day-11 apply to job 3 is not in it):
    # job 2 against history {1, 2, 3}: S(1, 2) = 2 / (sqrt(2 * 3) + shrink) and S(3, 2) =
    # 1 / (sqrt(1 * 3) + shrink) (member 3 alone engaged job 3 before day 10)
    s32 = 1 / (np.sqrt(1 * 3) + KNN_SHRINK)
    assert knn[3] == pytest.approx(np.log1p(s12 + s32), rel=1e-5)


def test_ebr_takes_no_history_input():
    assert history_specs("ebr") == []
    assert [s.name for s in history_specs("jymbii")] == [
        HISTORY_ENGAGED,
        HISTORY_SAME_JOB,
        HISTORY_ITEM_KNN,
    ]


def test_gnn_affinity_compares_the_candidate_with_recent_jobs_as_embedded_then(tmp_path):
    from linksage.feature_store.embeddings import embeddings_table
    from linksage.io import write_parquet
    from rankers.features.history import HISTORY_GNN_MAX, HISTORY_GNN_MEAN

    # job 1's vector changes at day 15: member 9's click at day 16.5 sees the day-15 one;
    # job 2 has one vector from day 0
    table = embeddings_table(
        id_column="job_id",
        ids=[1, 1, 2],
        vectors=np.float32([[1, 0], [0, 1], [1, 1]]),
        event_timestamps=pd.to_datetime([T0, T0 + 15 * DAY, T0], utc=True),
        model_version="v",
    )
    path = tmp_path / "job_gnn.parquet"
    write_parquet(table, path)
    history = HistoryFeatures(_tables(), WINDOWS, job_embeddings=path, job_vector="j__emb")
    later = T0 + 17 * DAY
    frame = _frame([("test", 9, 2, later), ("test", 9, 5, later), ("test", 7, 2, later)])
    frame["j__emb"] = [np.float32([1, 1]), None, np.float32([3, 0])]
    out = history.add(frame)
    # member 9's history: job 1 as of day 16.5 = [0, 1]; candidate [1, 1]: cos = 1/sqrt(2)
    assert out[HISTORY_GNN_MAX].tolist() == pytest.approx([1 / np.sqrt(2), 0, 0], rel=1e-5)
    assert out[HISTORY_GNN_MEAN].tolist() == pytest.approx([1 / np.sqrt(2), 0, 0], rel=1e-5)
    # member 1 at day 12: jobs 1 (day-0 vector [1, 0]), 2 ([1, 1]) and 3 (no vector: skipped)
    row = history.add(_frame([("train", 1, 2, T0 + 12 * DAY)]).assign(j__emb=[np.float32([1, 0])]))
    assert row[HISTORY_GNN_MAX].iloc[0] == pytest.approx(1.0)
    assert row[HISTORY_GNN_MEAN].iloc[0] == pytest.approx((1 + 1 / np.sqrt(2)) / 2, rel=1e-5)
