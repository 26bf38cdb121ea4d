"""Every arm against the shared control, and the share of the oracle's headroom."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evaluation.api import evaluate_runs
from evaluation.arms import share_of_headroom
from evaluation.verdicts import VerdictRules


def _parts(control, arm, oracle) -> pd.DataFrame:
    n = len(control)
    return pd.DataFrame(
        {
            "control:num": control,
            "control:den": np.ones(n),
            "gnn:num": arm,
            "gnn:den": np.ones(n),
            "oracle:num": oracle,
            "oracle:den": np.ones(n),
        }
    )


def test_share_of_headroom_is_the_arm_gain_over_the_oracle_gain():
    rng = np.random.default_rng(0)
    control = rng.uniform(0.2, 0.4, 500)
    parts = _parts(control, control + 0.05, control + 0.2)
    share, low, high = share_of_headroom(parts, "gnn", n_samples=200, seed=0)
    assert share == pytest.approx(0.25)
    assert low == pytest.approx(0.25) and high == pytest.approx(0.25)  # a constant gain
    noisy = _parts(control, control + rng.normal(0.1, 0.05, 500), control + 0.2)
    share, low, high = share_of_headroom(noisy, "gnn", n_samples=200, seed=0)
    assert low < share < high and share == pytest.approx(0.5, abs=0.05)


def test_no_share_where_the_oracle_gains_nothing():
    control = np.linspace(0.2, 0.4, 50)
    share, _, _ = share_of_headroom(
        _parts(control, control + 0.1, control), "gnn", n_samples=50, seed=0
    )
    assert np.isnan(share)


def test_report_gives_every_arm_against_control_and_its_share(tiny_config, tiny_tables):
    from tests.support.eval_run import write_run

    # the oracle separates positives best, gnn halfway, mf barely
    run = write_run(tiny_config, tiny_tables, arm_strengths={"mf": 0.7, "oracle": 4.0})
    w = tiny_config.windows
    report = evaluate_runs(
        run,
        tables=tiny_tables,
        windows=w,
        seeds=tiny_config.evaluation.seeds,
        repo_dir=tiny_config.feast.repo_dir,
        other_arms=("mf", "oracle"),
        bootstrap_samples=200,
        rules=VerdictRules(min_training_positives=0),
        out_dir=run / "evaluation",
        progress=False,
    )
    details = json.loads((run / "evaluation" / "report.json").read_text())["details"]
    for task in ("jymbii", "search", "ebr"):
        arms = details[task]["arms"]
        assert set(arms) == {"gnn", "mf", "oracle", "gnn_vs_best_alternative"}
        assert arms["oracle"]["share_of_headroom"] == pytest.approx(1.0)
        assert arms["oracle"]["p_value"] < 0.05
        assert 0 < arms["gnn"]["share_of_headroom"] < 1, task
        assert arms["mf"]["share_of_headroom"] < arms["gnn"]["share_of_headroom"], task
        low, high = arms["gnn"]["share_of_headroom_ci95"]
        assert low <= arms["gnn"]["share_of_headroom"] <= high
        # the arms' control is the verdict's control
        primary = report.comparison.tasks[task].primary_metric
        verdict_lift = report.comparison.tasks[task].metrics[primary].lift_pct
        assert arms["gnn"]["lift_pct"] == pytest.approx(verdict_lift)
        assert details[task]["arms"]["gnn_vs_best_alternative"]["alternative"] == "mf"
    assert "share of headroom" in (run / "evaluation" / "report.md").read_text()


def _embeddings_file(path, ids, vectors, at):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "job_id": pa.array(ids, pa.int64()),
                "event_timestamp": pa.array(pd.to_datetime(at, utc=True)),
                "embedding": pa.array([list(v) for v in vectors], pa.list_(pa.float32())),
            }
        ),
        path,
    )


@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_drift_auc_says_whether_test_vectors_moved(tmp_path, shift):
    from evaluation.drift import embedding_drift

    rng = np.random.default_rng(0)
    n = 600
    train_at, test_at = pd.Timestamp("2026-01-10", tz="UTC"), pd.Timestamp("2026-02-10", tz="UTC")
    ids = np.arange(n)
    vectors = np.vstack([rng.normal(0, 1, (n, 4)), rng.normal(shift, 1, (n, 4))])
    _embeddings_file(
        tmp_path / "job.parquet",
        np.concatenate([ids, ids]),
        vectors,
        [train_at] * n + [test_at] * n,
    )
    examples = pd.DataFrame(
        {
            "split": ["train"] * n + ["test"] * n,
            "job_id": np.concatenate([ids, ids]),
            "job_gnn__feature_ts": [train_at] * n + [test_at] * n,
        }
    )
    drift = embedding_drift(examples, {"job": tmp_path / "job.parquet"}, "gnn")
    assert drift["missing_share"]["job"] == {"train": 0.0, "test": 0.0}
    if shift:
        assert drift["train_vs_test_auc"] > 0.9
    else:
        assert abs(drift["train_vs_test_auc"] - 0.5) < 0.1
