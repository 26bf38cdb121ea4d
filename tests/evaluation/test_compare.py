"""compare() on constructed predictions: it finds the gap that was built in, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.compare import compare, compare_task
from evaluation.runs import Arm, load_arm
from evaluation.segments import Segment, build_segments
from evaluation.task_metrics import MetricSettings
from evaluation.verdicts import VerdictRules


def _settings(cfg, tables):
    w = cfg.windows
    return MetricSettings(tables=tables, test_start=w.t_test_start, test_end=w.t_test_end)


def test_better_arm_wins_every_primary_metric(tiny_config, tiny_tables, clean_run):
    control = load_arm(clean_run, "control", seeds=[0, 1])
    gnn = load_arm(clean_run, "gnn", seeds=[0, 1])
    segments = build_segments(tiny_tables, t_gnn_end=tiny_config.windows.t_gnn_end)
    report = compare(
        control, gnn, segments=segments, settings=_settings(tiny_config, tiny_tables),
        bootstrap_samples=200, progress=False,
        rules=VerdictRules(min_training_positives=1),  # a few dozen positives: not this test's rule
    )  # fmt: skip
    assert list(report.tasks) == ["jymbii", "search", "taj", "ebr"]
    for task, result in report.tasks.items():
        m = result.metrics[result.primary_metric]
        assert m.treatment > m.control, task
        assert m.significant(0.05) and m.ci95_low > 0, task
        assert result.n_requests == 120
        assert set(result.segments) >= {"cold_start", "premium", "new_jobs", "intent_passive"}
    jymbii = report.tasks["jymbii"]
    assert jymbii.primary_metric == "ndcg@10" and report.tasks["taj"].primary_metric == "pooled_auc"
    assert jymbii.metrics["auc"].test == "paired t-test"
    assert jymbii.metrics["dismiss_apply_ratio@10"].test == "paired bootstrap"
    assert report.tasks["taj"].metrics["pooled_auc"].test == "paired bootstrap"
    assert np.isfinite(jymbii.metrics["ndcg@10"].control_seed_sd)  # two seeds: spread is shown
    assert set(jymbii.metrics["ndcg@10"].treatment_per_seed) == {0, 1}
    # training positives: the train split of the run's examples (both arms share them)
    examples = pd.read_parquet(clean_run / "rankers/jymbii/control/seed0/examples.parquet")
    train = examples[examples["split"] == "train"]
    assert jymbii.training_positives == int(train["label"].sum()) > 0
    assert jymbii.verdict.verdict == "gnn_better"
    assert jymbii.candidates.median == 8 and jymbii.candidates.recall_k == 1
    assert "recall@1" in jymbii.metrics and "recall@10" not in jymbii.metrics  # no saturation


def test_an_arm_against_itself_shows_no_lift(tiny_config, tiny_tables, clean_run):
    control = load_arm(clean_run, "control", seeds=[0, 1])
    report = compare(
        control,
        control,
        settings=_settings(tiny_config, tiny_tables),
        bootstrap_samples=100,
        progress=False,
    )
    for result in report.tasks.values():
        for name, m in result.metrics.items():
            if m.control > 0:
                assert m.lift_pct == pytest.approx(0.0), name
                assert m.p_value == pytest.approx(1.0), name
                assert not m.significant(0.05)


def _frame(scores_by_request, labels_by_request, members):
    rows = []
    for rid, (scores, labels) in enumerate(zip(scores_by_request, labels_by_request, strict=True)):
        for j, (s, y) in enumerate(zip(scores, labels, strict=True)):
            rows.append((rid, members[rid], 100 + j, y, s))
    df = pd.DataFrame(rows, columns=["request_id", "member_id", "job_id", "label", "score"])
    df["at"] = pd.Timestamp("2026-02-06", tz="UTC")
    return df


def test_seed_average_then_pairing_by_hand():
    labels = [[1, 0, 0], [0, 1, 0]]
    # control seed 0/1 put the positive at ranks (1, 3) and (2, 2); gnn always first
    c0 = _frame([[0.9, 0.5, 0.1], [0.9, 0.5, 0.1]], labels, [1, 2])
    c1 = _frame([[0.5, 0.9, 0.1], [0.9, 0.5, 0.1]], labels, [1, 2])
    g = _frame([[0.9, 0.5, 0.1], [0.5, 0.9, 0.1]], labels, [1, 2])
    res = compare_task(
        "jymbii", {0: c0, 1: c1}, {0: g, 1: g},
        segments=[Segment("m1", "member 1", "member_id", np.array([1]))], bootstrap_samples=100,
    )  # fmt: skip
    # MRR per request: control (1 + 1/2)/2 and (1/2 + 1/2)/2; gnn 1 and 1
    mrr = res.metrics["mrr"]
    assert mrr.control == pytest.approx((0.75 + 0.5) / 2)
    assert mrr.treatment == pytest.approx(1.0)
    assert mrr.control_seed_sd == pytest.approx(np.std([0.75, 0.5], ddof=1))
    assert mrr.control_per_seed == pytest.approx({0: 0.75, 1: 0.5})  # each seed, both requests
    assert mrr.treatment_seed_sd == pytest.approx(0.0)
    seg = res.segments["m1"]
    assert seg.n_requests == 1 and seg.metrics["mrr"].control == pytest.approx(0.75)


def test_requests_only_one_arm_scored_are_left_out():
    a = _frame([[0.9, 0.1], [0.2, 0.8]], [[1, 0], [1, 0]], [1, 2])
    b = a[a["request_id"] == 0]
    res = compare_task("jymbii", {0: a}, {0: b}, bootstrap_samples=100)
    assert res.n_requests == 1 and res.metrics["mrr"].n_requests == 1


def test_compare_skips_tasks_missing_in_one_arm():
    a = _frame([[0.9, 0.1]], [[1, 0]], [1])
    report = compare(
        Arm("a", {"jymbii": {0: a}, "search": {0: a.assign(click=1)}}),
        Arm("b", {"jymbii": {0: a}}),
        bootstrap_samples=100,
        progress=False,
    )
    assert list(report.tasks) == ["jymbii"]
