"""Every task trains in both arms through the Feast feature service and writes a complete run
directory: predictions in the contract's schema, examples inside their windows, ONNX parity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rankers.data.windows import SplitWindows
from rankers.features.plan import FeaturePlan
from tests.rankers.conftest import ARMS, TASKS

RUNS = [(t, a) for t in TASKS for a in ARMS]
TS = pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize(("task", "arm"), RUNS)
def test_run_directory_is_complete(trained_runs, task, arm):
    run = trained_runs[task, arm]
    models = ["member_tower.onnx", "job_tower.onnx"] if task == "ebr" else ["model.onnx"]
    for name in [
        "config.yaml",
        "history.json",
        "curves.png",
        "validation_metrics.json",
        "predictions.parquet",
        "examples.parquet",
        "features.json",
        *models,
    ]:
        assert (run / name).is_file(), name
    assert (run / "saved_model" / "saved_model.pb").is_file()
    metrics = json.loads((run / "validation_metrics.json").read_text())
    assert metrics["feature_service"] == f"{task}_{arm}"
    assert set(metrics["onnx_max_abs_diff"]) == set(models)
    assert max(metrics["onnx_max_abs_diff"].values()) <= 1e-4
    assert not list(run.parent.glob(".seed0.*")), "staging directories left behind"


@pytest.mark.parametrize(("task", "arm"), RUNS)
def test_predictions_follow_the_contract(trained_runs, ranker_experiment, task, arm):
    cfg, _ = ranker_experiment
    schema = pq.read_schema(trained_runs[task, arm] / "predictions.parquet")
    expected = {
        "request_id": pa.int64(),
        "member_id": pa.int64(),
        "job_id": pa.int64(),
        "at": TS,
        "label": pa.int8(),
        "score": pa.float32(),
    }
    expected |= {"search": {"click": pa.int8()}, "ebr": {"rank": pa.int64()}}.get(task, {})
    assert {f.name: f.type for f in schema} == expected
    pred = pd.read_parquet(trained_runs[task, arm] / "predictions.parquet")
    at = pd.to_datetime(pred["at"], utc=True)
    assert ((at >= cfg.windows.t_test_start) & (at < cfg.windows.t_test_end)).all()
    assert pred["score"].notna().all()
    if task == "ebr":
        # each request holds its top 100 (all live jobs here) plus every positive, ranked 1..n
        for _, req in pred.groupby("request_id"):
            assert sorted(req["rank"])[: min(100, len(req))] == list(
                range(1, min(100, len(req)) + 1)
            )
            assert req["label"].sum() >= 1
            top = req.sort_values("rank")
            assert (np.diff(top["score"].to_numpy()) <= 1e-6).all()


@pytest.mark.parametrize(("task", "arm"), RUNS)
def test_examples_never_come_from_outside_their_window(trained_runs, ranker_experiment, task, arm):
    cfg, _ = ranker_experiment
    ex = pd.read_parquet(trained_runs[task, arm] / "examples.parquet")
    assert len(ex) > 0
    for split, (start, end) in SplitWindows.from_section(cfg.windows).bounds().items():
        at = pd.to_datetime(ex.loc[ex["split"] == split, "at"], utc=True)
        assert ((at >= start) & (at < end)).all(), split
    ts_cols = [c for c in ex.columns if c.endswith("__feature_ts")]
    views = {"member_profile", "job_profile"} | (
        {"member_gnn", "job_gnn"} if arm == "gnn" else set()
    )
    assert {c.removesuffix("__feature_ts") for c in ts_cols} == views
    for col in ts_cols:
        picked = pd.to_datetime(ex[col], utc=True)
        assert (picked.isna() | (picked <= pd.to_datetime(ex["at"], utc=True))).all(), col


@pytest.mark.parametrize("task", TASKS)
def test_arms_differ_exactly_by_the_gnn_features(trained_runs, task):
    control = FeaturePlan.load(trained_runs[task, "control"] / "features.json")
    gnn = FeaturePlan.load(trained_runs[task, "gnn"] / "features.json")
    # the GNN vectors, and the GNN's view of the member's history where the task has one
    history = {"history__gnn_max", "history__gnn_mean"} if task != "ebr" else set()
    assert (
        set(gnn.names()) - set(control.names())
        == {
            "member_gnn__embedding",
            "job_gnn__embedding",
        }
        | history
    )
    assert {s.name for s in gnn.specs if s.gnn} == set(gnn.names()) - set(control.names())
    assert set(control.names()) <= set(gnn.names())
    # the SavedModel signatures say the same
    import tensorflow as tf

    def signature_inputs(run):
        loaded = tf.saved_model.load(str(run / "saved_model"))
        names = set()
        for fn in loaded.signatures.values():
            names |= set(fn.structured_input_signature[1])
        return names

    ctrl_sig = signature_inputs(trained_runs[task, "control"])
    gnn_sig = signature_inputs(trained_runs[task, "gnn"])
    assert gnn_sig - ctrl_sig == {s.name for s in gnn.specs if s.gnn}
    assert ctrl_sig <= gnn_sig


@pytest.mark.parametrize(("task", "arm"), [(t, "gnn") for t in TASKS])
def test_onnx_matches_the_saved_model_on_test_examples(trained_runs, ranker_experiment, task, arm):
    """Re-check parity from the files alone: SavedModel vs onnxruntime on fresh Feast rows."""
    import tensorflow as tf

    from linksage.feature_store import embedding_files
    from rankers.data.frames import training_frame
    from rankers.data.windows import SplitWindows
    from rankers.export import onnx_predict, onnx_session
    from rankers.features.history import HistoryFeatures

    cfg, tables = ranker_experiment
    run = trained_runs[task, arm]
    plan = FeaturePlan.load(run / "features.json")
    ex = pd.read_parquet(run / "examples.parquet").head(64)
    frame = training_frame(cfg.feast.repo_dir, ex, f"{task}_{arm}", task=task)
    if (
        task != "ebr"
    ):  # the member's history, with the GNN's view of it (rankers/features/history.py)
        history = HistoryFeatures(
            tables,
            SplitWindows.from_section(cfg.windows),
            job_embeddings=embedding_files(cfg.feast.repo_dir)["job"],
            job_vector="job_gnn__embedding",
        )
        frame = history.add(frame)
    loaded = tf.saved_model.load(str(run / "saved_model"))
    names = ["member_tower", "job_tower"] if task == "ebr" else ["serving_default"]
    for name in names:
        fn = loaded.signatures[name]
        arrays = plan.arrays(frame, list(fn.structured_input_signature[1]))
        expected = next(iter(fn(**{k: tf.constant(v) for k, v in arrays.items()}).values()))
        onnx_file = f"{name}.onnx" if task == "ebr" else "model.onnx"
        got = onnx_predict(onnx_session(run / onnx_file), arrays)
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)
