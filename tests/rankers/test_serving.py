"""`score` reads the Feast online store and ranks like the TensorFlow model on the same features."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from rankers.feature_plan import FeaturePlan
from rankers.serving import RankerService, score
from tests.rankers.conftest import TASKS


def _tf_scores(run, frame) -> np.ndarray:
    plan = FeaturePlan.load(run / "features.json")
    loaded = tf.saved_model.load(str(run / "saved_model"))

    def call(name, rows):
        fn = loaded.signatures[name]
        arrays = plan.arrays(rows, list(fn.structured_input_signature[1]))
        return next(iter(fn(**{k: tf.constant(v) for k, v in arrays.items()}).values())).numpy()

    if (run / "model.onnx").exists():
        return call("serving_default", frame).ravel()
    return call("job_tower", frame) @ call("member_tower", frame.head(1))[0]


@pytest.mark.parametrize("arm", ["control", "gnn"])
@pytest.mark.parametrize("task", TASKS)
def test_score_orders_candidates_like_the_tf_model(trained_runs, ranker_experiment, task, arm):
    cfg, tables = ranker_experiment
    run = trained_runs[task, arm]
    member = int(tables.members["member_id"].iloc[3])
    jobs = tables.jobs["job_id"].head(25).tolist()
    query = "Data engineer python" if task in ("search", "ebr") else None
    service = RankerService(run, cfg.feast.repo_dir)
    frame = service.features(member, jobs, query)
    if arm == "gnn":  # the online read really carries the newest embeddings
        assert frame["member_gnn__embedding"].map(len).eq(cfg.gnn.embedding_dim).all()
    expected = _tf_scores(run, frame)
    ranked = score(member, jobs, query, run_dir=run, repo_dir=cfg.feast.repo_dir)
    np.testing.assert_allclose(ranked.set_index("job_id").loc[jobs, "score"], expected, atol=1e-4)
    tf_order = [jobs[i] for i in np.lexsort((jobs, -expected))]
    gaps = np.abs(np.diff(np.sort(expected)))
    if gaps.size and gaps.min() > 1e-4:  # order is only defined where scores are apart
        assert ranked["job_id"].tolist() == tf_order
    assert ranked["score"].is_monotonic_decreasing
