"""`HistoryFeatures.for_request` (the service's one-member look-up) gives the columns `add`
gives the same test-window rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def history(ranker_experiment):
    from linksage.feature_store import embedding_files
    from rankers.data.windows import SplitWindows
    from rankers.features.history import HistoryFeatures

    cfg, tables = ranker_experiment
    jobs = embedding_files(cfg.feast.repo_dir)["job"]
    windows = SplitWindows.from_section(cfg.windows)
    return HistoryFeatures(tables, windows, job_embeddings=jobs, job_vector="job_gnn__embedding")


def test_for_request_matches_add(ranker_experiment, history):
    cfg, tables = ranker_experiment
    rng = np.random.default_rng(0)
    jobs = tables.jobs["job_id"].to_numpy()
    candidates = np.concatenate([jobs[:40], [10**9]])  # one job outside the log's index
    vectors = rng.standard_normal((len(candidates), cfg.gnn.embedding_dim)).astype(np.float32)
    vectors[3] = 0  # a candidate without a vector
    busiest = tables.engagements["member_id"].value_counts().index[:5].tolist()
    checked = 0
    for member in [*busiest, int(tables.members["member_id"].iloc[-1])]:
        for at in pd.to_datetime([cfg.windows.t_test_start, cfg.windows.t_test_end], utc=True):
            got = history.for_request(member, at, candidates, vectors)
            rows = pd.DataFrame(
                {"split": "test", "member_id": member, "job_id": candidates, "at": at,
                 "job_gnn__embedding": list(vectors)}
            )  # fmt: skip
            expected = history.add(rows)
            for name, values in got.items():
                np.testing.assert_allclose(values, expected[name], rtol=1e-5, atol=1e-6)
            checked += int(expected["history__engaged"].iloc[0] > 0)
    assert checked > 0  # some request had a history to compare
