"""EBR's harder negatives: seen jobs from the train window only and never applied ones, the
easy-to-hard schedule (in the model's loss too), and a choice made on validation metrics only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from linksage.config import EbrNegatives, RankerParams
from linksage.data.tables import Tables
from rankers.data.hard_negatives import (
    NegativePool,
    applied_before,
    extra_candidates,
    hard_epochs,
    live_keys,
    seen_not_applied,
)
from rankers.data.windows import SplitWindows
from rankers.features.plan import FeaturePlan
from rankers.features.schema import FeatureSpec
from rankers.models.hard_negative_retrieval import EXTRA, HardNegativeRetrieval
from rankers.training.loop import make_deterministic
from rankers.training.result import RunResult
from rankers.training.tuning import Setting, Tuned, compare_negatives

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY, H = timedelta(days=1), timedelta(hours=1)
# train [day 0, day 4), validation [day 4, day 5), test [day 5, day 7)
WINDOWS = SplitWindows(T0, T0 + 4 * DAY, T0 + 5 * DAY, T0 + 5 * DAY, T0 + 7 * DAY)


def _tables(with_impressions: bool = True) -> Tables:
    """Member 1 applies to job 10 on day 1 (train). In train they also see 11 (never applied),
    12 (applied on day 2: excluded) and 13 (applied only in the test window: a fair training
    negative); 14 is seen only in the validation window and 15 only in the test window."""
    jobs = pd.DataFrame(
        {
            "job_id": [10, 11, 12, 13, 14, 15, 16],
            "posted_at": [T0 - DAY] * 6 + [T0 + 3 * DAY],  # 16 is posted after the apply
            "expires_at": [T0 + 30 * DAY] * 7,
        }
    )
    seen = {"job_id": [11, 12, 13, 14, 15], "at": [T0 + H] * 3 + [T0 + 4 * DAY, T0 + 5 * DAY]}
    impressions = pd.DataFrame({"member_id": 1, "channel": "jymbii", **seen})
    eng = pd.DataFrame(
        {
            "member_id": [1, 1, 1, 2],
            "job_id": [10, 12, 13, 11],
            "action": ["apply"] * 4,
            "channel": "jymbii",
            "at": [T0 + DAY, T0 + 2 * DAY, T0 + 6 * DAY, T0 + DAY],
        }
    )
    if not with_impressions:  # the same sightings as engagements without an apply
        eng = pd.concat([eng, pd.DataFrame({"member_id": 1, "action": "view", **seen})])
    return Tables(
        members=pd.DataFrame({"member_id": [1, 2]}),
        jobs=jobs,
        engagements=eng,
        impressions=impressions if with_impressions else None,
    )


@pytest.mark.parametrize("with_impressions", [True, False])
def test_seen_negatives_come_from_the_same_window_and_were_never_applied(with_impressions):
    tables = _tables(with_impressions)
    pairs = {tuple(r) for r in seen_not_applied(tables, WINDOWS, "train").to_numpy()}
    assert pairs == {(1, 11), (1, 13)}  # not 12 (applied in train), 14 / 15 (later windows)
    assert {tuple(r) for r in seen_not_applied(tables, WINDOWS, "test").to_numpy()} == {(1, 15)}


def test_each_positive_gets_its_members_seen_jobs_and_live_unapplied_ones():
    tables = _tables()
    train = pd.DataFrame({"member_id": [1, 2], "job_id": [10, 11], "at": [T0 + DAY] * 2})
    keys = live_keys(tables.jobs, [pd.Timestamp(T0 + DAY)])
    applied = applied_before(tables, WINDOWS.bounds()["train"][1])
    seen, live = extra_candidates(
        train,
        keys,
        seen_not_applied(tables, WINDOWS, "train"),
        applied,
        tables.jobs,
        per_positive=5,
        seed=0,
    )
    job = keys["job_id"].to_numpy()

    def jobs_of(idx):
        return [set(job[r[r >= 0]]) for r in idx]

    assert jobs_of(seen) == [{11, 13}, set()]  # member 2 saw nothing
    # live at day 1, not the positive, not applied before the train window ends (12 for 1)
    assert jobs_of(live) == [{11, 13, 14, 15}, {10, 12, 13, 14, 15}]
    again = extra_candidates(
        train, keys, seen_not_applied(tables, WINDOWS, "train"), applied, tables.jobs,
        per_positive=5, seed=0,
    )  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip((seen, live), again, strict=True))


def test_on_the_tiny_marketplace_no_seen_negative_was_applied_or_seen_outside_train(
    tiny_tables, tiny_config
):
    windows = SplitWindows.from_section(tiny_config.windows)
    pairs = seen_not_applied(tiny_tables, windows, "train")
    assert len(pairs) > 0
    start, end = windows.bounds()["train"]
    imp = tiny_tables.impressions
    at = pd.to_datetime(imp["at"], utc=True)
    window = imp.loc[(at >= start) & (at < end)]
    in_train = set(zip(window["member_id"], window["job_id"], strict=True))
    applied = set(map(tuple, applied_before(tiny_tables, end).to_numpy()))
    got = set(map(tuple, pairs.to_numpy()))
    assert got <= in_train and not got & applied


def test_the_curriculum_is_in_batch_only_first_then_hard():
    assert hard_epochs("curriculum", 4, 1) == [False, True, True, True]
    assert hard_epochs("curriculum", 4, 2) == [False, False, True, True]
    assert hard_epochs("in_batch", 3, 1) == [False] * 3
    assert hard_epochs("seen", 3, 1) == hard_epochs("mined", 3, 1) == [True] * 3


SPECS = [FeatureSpec("member_id", "id", "member"), FeatureSpec("job_id", "id", "job")]


def test_the_models_loss_is_the_in_batch_one_until_the_hard_step():
    frame = pd.DataFrame({"member_id": ["1", "2", "3"], "job_id": ["10", "11", "12"]})
    plan = FeaturePlan.fit(frame, SPECS)
    make_deterministic(0)
    pool = {"job_id": np.array(["13", "14", "10"], dtype=object)}
    model = HardNegativeRetrieval(
        plan, pool=pool, num_hard_negatives=2, hard_from_step=2, embedding_dim=4, hidden_units=(4,)
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01))
    features = {k: tf.constant(v) for k, v in plan.arrays(frame).items()}
    features[EXTRA] = tf.constant([[0, 1], [2, -1], [-1, -1]], dtype=tf.int64)
    member, job = model.towers(features)
    in_batch = model.task(member, job, candidate_ids=features["job_id"], compute_metrics=False)
    hard = model._hard_loss(member, job, features["job_id"], features[EXTRA])
    losses = []
    for step in range(4):
        model.optimizer.iterations.assign(step)
        losses.append(float(model.compute_loss(features, training=True)))
    np.testing.assert_allclose(losses[:2], [float(in_batch)] * 2, rtol=1e-6)
    np.testing.assert_allclose(losses[2:], [float(hard)] * 2, rtol=1e-6)
    assert abs(float(hard) - float(in_batch)) > 1e-4
    # validation: always the in-batch loss, whatever the step
    np.testing.assert_allclose(float(model.compute_loss(features)), float(in_batch), rtol=1e-6)


def _result(recall: float | None, name: str) -> RunResult:
    def never():
        raise AssertionError(f"{name}: the test window was scored before the choice")

    return RunResult({}, {"recall@10": recall}, never, lambda staging: {}, {})


def test_the_strategy_is_chosen_on_validation_recall_only():
    recall = {"in_batch": 0.30, "seen": 0.25, "mined": 0.41}
    tuned = Tuned(_result(recall["in_batch"], "in_batch"), Setting(1e-3, 0.0), {"trials": []})
    trained = []

    def train(setting, label):
        trained.append(setting.negatives)
        return _result(recall[setting.negatives], setting.negatives)

    one = np.zeros((1, 1), dtype=np.int64)  # one positive with one extra candidate
    pool = NegativePool(pd.DataFrame(), one, one, EbrNegatives())
    one_epoch = RankerParams(epochs=1)  # EBR's validation metric: recall@10
    chosen, record = compare_negatives(tuned, train, one_epoch, pool)
    assert trained == ["seen", "mined"]  # in_batch is the tuned run itself
    assert chosen.setting.negatives == record["chosen"] == "mined"
    assert chosen.result.validation_metrics["recall@10"] == 0.41
    assert record["validation"] == recall
    assert "curriculum" in record["skipped"]  # one epoch leaves none after the warm-up
    assert chosen.setting.train_kwargs()["negatives"] == "mined"
    assert record["trials"]["mined"] == {
        "recall@10": 0.41, "best_epoch": None, "extra_per_positive": 1.0
    }  # fmt: skip


@pytest.fixture(scope="module")
def ebr_runs(ranker_experiment, tmp_path_factory):
    """EBR trained in both arms (two epochs, so the curriculum has a hard epoch) under one
    output directory, every strategy compared."""
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    out = tmp_path_factory.mktemp("ebr_negatives")
    params = RankerParams(
        epochs=2, batch_size=64, hidden_units=(16,), tuning=False,
        ebr_negatives=EbrNegatives(per_positive=4, num_hard_negatives=8),
    )  # fmt: skip
    return {
        arm: train_ranker_from_config(
            cfg, "ebr", arm, 0, tables=tables, params=params, output_dir=out, progress=False
        )
        for arm in ("control", "gnn")
    }


def _metrics(run) -> dict:
    return json.loads((run / "validation_metrics.json").read_text())


def test_an_ebr_run_records_every_strategy_and_keeps_the_best(ebr_runs):
    for run in ebr_runs.values():
        m = _metrics(run)
        neg = m["negatives"]
        assert list(neg["validation"]) == ["in_batch", "seen", "mined", "curriculum"]
        assert neg["skipped"] == {}
        best = max(v for v in neg["validation"].values() if v is not None)
        assert neg["validation"][neg["chosen"]] == best == m["recall@10"]
        assert m["run_params"]["negatives"] == neg["chosen"]
        assert neg["trials"]["in_batch"]["extra_per_positive"] == 0
        assert 0 < neg["trials"]["mined"]["extra_per_positive"] <= 4


def test_the_report_shows_each_strategys_validation_recall(ebr_runs, ranker_experiment, tmp_path):
    from evaluation.api import evaluate_runs

    cfg, tables = ranker_experiment
    evaluate_runs(
        ebr_runs["gnn"].parents[3],  # OUT of OUT/rankers/ebr/gnn/seed0
        tables=tables,
        windows=cfg.windows,
        seeds=[0],
        repo_dir=cfg.feast.repo_dir,
        tasks=("ebr",),
        nearline_arm=None,
        bootstrap_samples=100,
        out_dir=tmp_path,  # written only after report.json validates against its schema
        progress=False,
    )
    got = json.loads((tmp_path / "report.json").read_text())["details"]["ebr"]["negatives"]
    for arm, run in (("control", "control"), ("treatment", "gnn")):
        neg = _metrics(ebr_runs[run])["negatives"]
        assert got[arm]["0"]["validation"] == neg["validation"]
        assert got[arm]["0"]["chosen"] == neg["chosen"]
    markdown = (tmp_path / "report.md").read_text()
    assert "### EBR negatives (chosen on the validation slice)" in markdown
    treatment = got["treatment"]["0"]
    row = " | ".join(f"{treatment['validation'][s]:.4f}" for s in treatment["validation"])
    assert f"| ebr | gnn | 0 | recall@10 | {row} | {treatment['chosen']} |" in markdown
