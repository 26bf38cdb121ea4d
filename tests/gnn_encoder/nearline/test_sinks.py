"""Both Feast write paths put the same rows in the real online store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gnn_encoder.nearline.sinks import FeastSink


@pytest.mark.parametrize("method", ["push", "write_to_online_store"])
def test_feast_sink_rows_are_readable_online(nearline_experiment, method):
    from linksage.feature_store import open_store

    _, cfg = nearline_experiment
    store = open_store(cfg.feast.repo_dir)
    sink = FeastSink(store, "v1", method)
    vectors = np.arange(8, dtype=np.float32).reshape(2, 4)
    at = pd.Timestamp("2026-02-06T10:00:00Z")
    sink.write("job", np.array([7, 9]), vectors, pd.Series([at, at]))
    got = store.get_online_features(
        features=["job_gnn:embedding", "job_gnn:model_version", "job_gnn:feature_ts"],
        entity_rows=[{"job_id": 7}, {"job_id": 9}, {"job_id": 8}],
    ).to_dict()
    np.testing.assert_allclose(got["embedding"][0], vectors[0])
    np.testing.assert_allclose(got["embedding"][1], vectors[1])
    assert got["embedding"][2] is None
    assert got["model_version"][:2] == ["v1", "v1"]
