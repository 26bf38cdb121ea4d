"""`score` reads the Feast online store and ranks like the TensorFlow model on the same features."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from rankers.data.frames import training_frame
from rankers.data.windows import SplitWindows
from rankers.features.history import HISTORY_ENGAGED, HistoryFeatures
from rankers.features.plan import FeaturePlan
from rankers.serving import RankerService, score
from tests.rankers.conftest import TASKS


@pytest.fixture(scope="module")
def histories(ranker_experiment) -> dict[str, HistoryFeatures]:
    """arm -> the history a run of that arm serves with (gnn: with the GNN affinity)."""
    from linksage.feature_store import embedding_files

    cfg, tables = ranker_experiment
    windows = SplitWindows.from_section(cfg.windows)
    jobs = embedding_files(cfg.feast.repo_dir)["job"]
    return {
        "control": HistoryFeatures(tables, windows),
        "gnn": HistoryFeatures(
            tables, windows, job_embeddings=jobs, job_vector="job_gnn__embedding"
        ),
    }


@pytest.fixture(scope="module")
def history(histories) -> HistoryFeatures:
    return histories["control"]


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
def test_score_orders_candidates_like_the_tf_model(
    trained_runs, ranker_experiment, histories, task, arm
):
    cfg, tables = ranker_experiment
    run = trained_runs[task, arm]
    member = int(tables.members["member_id"].iloc[3])
    jobs = tables.jobs["job_id"].head(25).tolist()
    query = "Data engineer python" if task in ("search", "ebr") else None
    at = pd.Timestamp(cfg.windows.t_test_end)
    history = histories[arm]
    service = RankerService(run, cfg.feast.repo_dir, history=history)
    frame = service.features(member, jobs, query, at)
    if arm == "gnn":  # the online read really carries the newest embeddings
        assert frame["member_gnn__embedding"].map(len).eq(cfg.gnn.embedding_dim).all()
    if task != "ebr":  # the member's history as of the request, as the training rows had it
        e = tables.engagements
        prior = e[
            (e["member_id"] == member)
            & e["action"].isin(["click", "save", "apply"])
            & (pd.to_datetime(e["at"], utc=True) < at)
        ]
        assert service.needs_history
        np.testing.assert_allclose(frame[HISTORY_ENGAGED], np.log1p(len(prior)), rtol=1e-6)
        with pytest.raises(ValueError, match="history"):
            RankerService(run, cfg.feast.repo_dir).features(member, jobs, query, at)
        if arm == "gnn":  # the GNN affinity needs the job embeddings too
            assert {"history__gnn_max", "history__gnn_mean"} <= set(service.plan.names())
            with pytest.raises(ValueError, match="job_embeddings"):
                RankerService(run, cfg.feast.repo_dir, history=histories["control"]).features(
                    member, jobs, query, at
                )
    expected = _tf_scores(run, frame)
    ranked = score(
        member, jobs, query, run_dir=run, repo_dir=cfg.feast.repo_dir, history=history, at=at
    )
    np.testing.assert_allclose(ranked.set_index("job_id").loc[jobs, "score"], expected, atol=1e-4)
    tf_order = [jobs[i] for i in np.lexsort((jobs, -expected))]
    gaps = np.abs(np.diff(np.sort(expected)))
    if gaps.size and gaps.min() > 1e-4:  # order is only defined where scores are apart
        assert ranked["job_id"].tolist() == tf_order
    assert ranked["score"].is_monotonic_decreasing


def _words(*texts) -> set[str]:
    return {w for t in texts if isinstance(t, str) for w in re.findall(r"[a-z0-9]+", t.lower())}


@pytest.mark.parametrize("task", ["jymbii", "search", "taj"])
def test_online_profile_overlap_is_the_training_one(trained_runs, ranker_experiment, history, task):
    """Served profile overlaps count the member's words on each job, as the training join does."""
    cfg, tables = ranker_experiment
    service = RankerService(trained_runs[task, "control"], cfg.feast.repo_dir, history=history)
    member = int(tables.members["member_id"].iloc[3])
    jobs = tables.jobs["job_id"].head(25).tolist()
    online = service.features(member, jobs, "Data engineer" if task == "search" else None)
    cols = ["profile__title_overlap", "profile__skill_overlap"]
    assert cols[0] in service.plan.names("pair") and cols[1] in service.plan.names("pair")
    member_words = _words(
        online["member_profile__title"][0], online["member_profile__top_skills"][0]
    )
    for col, job_col in zip(cols, ["job_profile__title", "job_profile__top_skills"], strict=True):
        expected = [len(member_words & _words(text)) for text in online[job_col]]
        assert online[col].tolist() == expected
    assert online[cols].to_numpy().sum() > 0  # this member shares words with some of the jobs
    # the online store holds the last snapshot: the point-in-time join at that time agrees
    at = pd.Timestamp(cfg.snapshot_times()[-1])
    examples = pd.DataFrame({"member_id": member, "job_id": jobs, "at": at})
    joined = training_frame(cfg.feast.repo_dir, examples, service.feature_service, task=task)
    np.testing.assert_array_equal(joined[cols].to_numpy(), online[cols].to_numpy())
