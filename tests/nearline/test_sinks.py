"""Both Feast write paths put the same rows in the real online store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nearline.sinks import FeastSink


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


@pytest.mark.parametrize("method", ["push", "write_to_online_store"])
def test_feast_sink_redis_online_store(nearline_experiment, redis_server, method):
    """With Redis online, "push" goes through Feast's push_async (one event loop, reused)."""
    from linksage.feature_store import apply_repo

    _, cfg = nearline_experiment
    conn = f"{redis_server[0]}:{redis_server[1]}"
    store = apply_repo(cfg.feast.repo_dir, online_store="redis", redis_connection_string=conn)
    sink = FeastSink(store, "v2", method)
    for k in range(3):  # several writes on the same loop and async client
        vectors = np.full((2, 4), k, np.float32)
        at = pd.Timestamp("2026-02-06T10:00:00Z") + pd.Timedelta(minutes=k)
        sink.write("member", np.array([3, 4]), vectors, pd.Series([at, at]))
    got = store.get_online_features(
        features=["member_gnn:embedding", "member_gnn:model_version", "member_gnn:feature_ts"],
        entity_rows=[{"member_id": 3}, {"member_id": 4}],
    ).to_dict()
    np.testing.assert_allclose(got["embedding"], np.full((2, 4), 2, np.float32))
    assert got["model_version"] == ["v2", "v2"]
    assert pd.Timestamp(got["feature_ts"][0]) == pd.Timestamp("2026-02-06T10:02:00Z")
    assert bool(sink._async) is (method == "push")
    sink.close()
