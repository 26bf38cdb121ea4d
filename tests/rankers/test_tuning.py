"""Fair tuning: both arms try the same number of settings on the validation slice, the best
validation metric is chosen, and the test window never enters the choice."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from linksage.config import RankerParams, TuningParams
from rankers.training.result import RunResult
from rankers.training.tuning import (
    Setting,
    candidate_settings,
    choose,
    diagonal_grid,
    integration_modes,
    integration_settings,
    tune,
)

# three shared trials; the gnn arm then tries its other integrations at the chosen setting
TUNED = RankerParams(epochs=1, batch_size=64, hidden_units=(16,), tuning=TuningParams(trials=3))


def test_both_arms_get_the_same_learning_rates_and_dropouts_with_equal_trials():
    four = TUNED.model_copy(update={"tuning": TuningParams(trials=4)})
    ranking = integration_modes(four, two_tower=False, decoder=True)
    two_tower = integration_modes(four, two_tower=True, decoder=True)
    control = candidate_settings(four)
    gnn = candidate_settings(four, modes=ranking)
    ebr = candidate_settings(four, modes=two_tower)
    assert len(control) == len(gnn) == len(ebr) == 4
    shared = [(s.learning_rate, s.dropout) for s in control]
    # diagonal order: today's setting first, then both values changed
    assert shared == [(1e-3, 0.0), (3e-3, 0.2), (1e-3, 0.2), (3e-3, 0.0)]
    assert [(s.learning_rate, s.dropout) for s in gnn] == shared
    assert [(s.learning_rate, s.dropout) for s in ebr] == shared
    assert [s.gnn_inputs for s in control] == [None] * 4
    # stage 1 at the first integration only: the integration is not confounded with lr/dropout
    assert [s.gnn_inputs for s in gnn] == ["decoder"] * 4
    # a two-tower model has no input seeing both vectors: no pair mode there
    assert ranking == ["decoder", "raw", "projection", "none"]
    assert two_tower == ["raw", "projection", "none"]
    assert [s.gnn_inputs for s in ebr] == ["raw"] * 4


def test_stage_two_tries_each_other_integration_at_the_chosen_setting():
    chosen = Setting(3e-3, 0.2, "decoder")
    others = integration_settings(chosen, ["decoder", "raw", "projection", "none"])
    assert others == [Setting(3e-3, 0.2, m) for m in ("raw", "projection", "none")]
    # without the GNN's decoder in the repo the decoder mode is not offered
    modes = integration_modes(TUNED, two_tower=False, decoder=False)
    assert modes == ["raw", "projection", "none"]
    only_pairs = TUNED.model_copy(update={"tuning": TuningParams(gnn_inputs=("decoder",))})
    with pytest.raises(Exception, match="none usable"):
        integration_modes(only_pairs, two_tower=True, decoder=True)


def test_a_later_stage_competes_with_the_earlier_choice():
    aucs = {(1e-3, "decoder"): 0.70, (3e-3, "decoder"): 0.72, (3e-3, "raw"): 0.71}
    train = lambda s, label: _result(aucs[(s.learning_rate, s.gnn_inputs)])  # noqa: E731
    first = tune(
        [Setting(1e-3, 0.0, "decoder"), Setting(3e-3, 0.0, "decoder")],
        train,
        metric="auc",
        searched=True,
    )
    assert first.setting == Setting(3e-3, 0.0, "decoder")
    second = tune(
        [Setting(3e-3, 0.0, "raw")], train, metric="auc", searched=True, previous=first, stage="gnn"
    )
    assert second.setting == Setting(3e-3, 0.0, "decoder")  # the earlier choice still wins
    assert [t["stage"] for t in second.record["trials"]] == ["shared", "shared", "gnn"]
    assert second.record["chosen"]["trial"] == 1
    aucs[(3e-3, "raw")] = 0.75
    third = tune(
        [Setting(3e-3, 0.0, "raw")], train, metric="auc", searched=True, previous=first, stage="gnn"
    )
    assert third.setting == Setting(3e-3, 0.0, "raw") and third.record["chosen"]["trial"] == 2
    assert third.result.validation_metrics["auc"] == 0.75


def test_the_grid_is_walked_diagonally_so_short_budgets_vary_every_setting():
    grid = diagonal_grid([1, 2, 3], [0.0, 0.5])
    assert sorted(grid) == sorted((a, b) for a in (1, 2, 3) for b in (0.0, 0.5))
    assert grid[:3] == [(1, 0.0), (2, 0.5), (3, 0.0)]


def test_trials_cap_the_search_and_off_keeps_one_setting():
    assert len(candidate_settings(TUNED)) == 3
    assert len(candidate_settings(TUNED, modes=["decoder", "raw"])) == 3
    many = TUNED.model_copy(update={"tuning": TuningParams(trials=50)})
    assert len(candidate_settings(many, modes=["raw"])) == 4  # the whole grid
    off = RankerParams(learning_rate=0.01, tuning=False)
    # tuning off: one setting, at the first usable default integration
    modes = integration_modes(off, two_tower=False, decoder=True)
    assert modes == ["decoder"]
    assert candidate_settings(off, modes=modes) == [Setting(0.01, 0.0, "decoder")]
    assert integration_modes(off, two_tower=True, decoder=True) == ["raw"]
    assert candidate_settings(off) == [Setting(0.01, 0.0, None)]


def test_choose_takes_the_largest_defined_value_and_the_first_of_ties():
    assert choose([0.5, None, 0.7, 0.7, float("nan")]) == 2
    assert choose([float("nan"), 0.1]) == 1
    assert choose([None, None]) == 0


def _result(auc: float | None) -> RunResult:
    def never():
        raise AssertionError("a trial's test window was scored before the choice")

    return RunResult({}, {"auc": auc, "best_epoch": 1}, never, lambda staging: {}, {})


def test_tune_keeps_the_best_trial_without_scoring_the_test_window():
    aucs = {0.001: 0.61, 0.002: 0.74, 0.003: None}
    settings = [Setting(lr, 0.0) for lr in aucs]
    tuned = tune(
        settings, lambda s, label: _result(aucs[s.learning_rate]), metric="auc", searched=True
    )
    assert tuned.setting == settings[1]
    assert tuned.result.validation_metrics["auc"] == 0.74
    assert [t["auc"] for t in tuned.record["trials"]] == [0.61, 0.74, None]
    assert tuned.record["chosen"]["trial"] == 1
    assert tuned.record["metric"] == "auc" and tuned.record["searched"] is True


def _shuffled_test_labels(tables, cfg):
    """The tables with the actions of every jymbii engagement in the test window permuted:
    test labels move to other (request, job) pairs; nothing before the test window changes."""
    eng = tables.engagements.copy()
    rows = (pd.to_datetime(eng["at"], utc=True) >= cfg.windows.t_test_start) & (
        eng["channel"] == "jymbii"
    )
    actions = eng.loc[rows, "action"].to_numpy()
    eng.loc[rows, "action"] = np.random.default_rng(0).permutation(actions)
    return dataclasses.replace(tables, engagements=eng)


@pytest.fixture(scope="module")
def tuned_runs(ranker_experiment, tmp_path_factory):
    """jymbii tuned with 3 trials: control and gnn under one output directory, and gnn on tables
    with shuffled test labels under another."""
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    out, shuffled_out = tmp_path_factory.mktemp("tuned"), tmp_path_factory.mktemp("shuffled")
    runs = {}
    for name, arm, t, where in [
        ("control", "control", tables, out),
        ("gnn", "gnn", tables, out),
        ("gnn_shuffled", "gnn", _shuffled_test_labels(tables, cfg), shuffled_out),
    ]:
        runs[name] = train_ranker_from_config(
            cfg, "jymbii", arm, 0, tables=t, params=TUNED, output_dir=where, progress=False
        )
    return runs


def _metrics(run) -> dict:
    return json.loads((run / "validation_metrics.json").read_text())


def test_the_run_directory_holds_the_trial_with_the_best_validation_auc(tuned_runs):
    for name in ("control", "gnn"):
        m = _metrics(tuned_runs[name])
        tuning = m["tuning"]
        aucs = [t["auc"] for t in tuning["trials"]]
        assert tuning["searched"] is True and tuning["metric"] == "auc"
        assert tuning["chosen"]["trial"] == choose(aucs)
        assert m["auc"] == tuning["chosen"]["auc"] == max(a for a in aucs if a is not None)
        assert m["run_params"]["learning_rate"] == tuning["chosen"]["learning_rate"]
        assert m["run_params"]["dropout"] == tuning["chosen"]["dropout"]
    control, gnn = (_metrics(tuned_runs[n])["tuning"]["trials"] for n in ("control", "gnn"))
    assert len(control) == 3 and len(gnn) == 6
    assert [(t["learning_rate"], t["dropout"]) for t in control] == [
        (t["learning_rate"], t["dropout"]) for t in gnn[:3]
    ]
    assert [t["gnn_inputs"] for t in control] == [None] * 3
    # stage 1 at the decoder's logit, stage 2 the other integrations at stage 1's choice
    assert [t["gnn_inputs"] for t in gnn] == ["decoder"] * 3 + ["raw", "projection", "none"]
    stage_one = gnn[choose([t["auc"] for t in gnn[:3]])]
    for trial in gnn[3:]:
        assert trial["stage"] == "gnn"
        assert (trial["learning_rate"], trial["dropout"]) == (
            stage_one["learning_rate"],
            stage_one["dropout"],
        )


def test_shuffled_test_labels_leave_the_choice_unchanged(tuned_runs):
    a, b = (pd.read_parquet(tuned_runs[n] / "predictions.parquet") for n in ("gnn", "gnn_shuffled"))
    assert not np.array_equal(a["label"].to_numpy(), b["label"].to_numpy())  # labels did move
    clean, shuffled = (_metrics(tuned_runs[n])["tuning"] for n in ("gnn", "gnn_shuffled"))
    for record in (clean, shuffled):
        for trial in record["trials"]:
            trial.pop("train_seconds")  # the only field that may differ between two runs
        record["chosen"].pop("train_seconds")
    assert clean == shuffled


def test_the_report_shows_the_settings_each_arm_chose(tuned_runs, ranker_experiment, tmp_path):
    from evaluation.api import evaluate_runs

    cfg, tables = ranker_experiment
    run_root = tuned_runs["gnn"].parents[3]  # OUT of OUT/rankers/jymbii/gnn/seed0
    evaluate_runs(
        run_root,
        tables=tables,
        windows=cfg.windows,
        seeds=[0],
        repo_dir=cfg.feast.repo_dir,
        tasks=("jymbii",),
        nearline_arm=None,
        bootstrap_samples=100,
        out_dir=tmp_path,  # written only after report.json validates against its schema
        progress=False,
    )
    tuning = json.loads((tmp_path / "report.json").read_text())["details"]["jymbii"]["tuning"]
    for arm, run in (("control", "control"), ("treatment", "gnn")):
        chosen = _metrics(tuned_runs[run])["tuning"]["chosen"]
        got = tuning[arm]["0"]
        assert got["trials"] == len(_metrics(tuned_runs[run])["tuning"]["trials"])
        assert got["searched"] is True and got["metric"] == "auc"
        assert got["value"] == chosen["auc"]
        assert (got["learning_rate"], got["dropout"]) == (
            chosen["learning_rate"],
            chosen["dropout"],
        )
        assert got["gnn_inputs"] == chosen["gnn_inputs"]
    assert tuning["control"]["0"]["gnn_inputs"] is None
    markdown = (tmp_path / "report.md").read_text()
    assert "### Tuning (chosen on the validation slice)" in markdown
    assert f"| jymbii | gnn | 0 | 6 | auc {tuning['treatment']['0']['value']:.4f} |" in markdown


def test_yaml_off_turns_the_search_off():
    import yaml

    from linksage.config import RankersSection

    section = RankersSection.model_validate(yaml.safe_load("tuning: off\nlearning_rate: 0.01"))
    assert section.params().tuning is False
    assert candidate_settings(section.params(), modes=["raw"]) == [Setting(0.01, 0.0, "raw")]


def test_a_later_seed_trains_once_at_the_first_seeds_choice(tuned_runs, ranker_experiment):
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    first = _metrics(tuned_runs["gnn"])
    assert cfg.evaluation.seeds[0] == first["seed"] == 0
    out = tuned_runs["gnn"].parents[3]
    later = _metrics(
        train_ranker_from_config(
            cfg, "jymbii", "gnn", 1, tables=tables, params=TUNED, output_dir=out, progress=False
        )
    )
    record = later["tuning"]
    assert record["searched"] is False and record["reused_from_seed"] == 0
    assert len(record["trials"]) == 1
    keys = ("learning_rate", "dropout", "gnn_inputs")
    assert {k: record["chosen"][k] for k in keys} == {k: first["tuning"]["chosen"][k] for k in keys}
    # every seed searches when asked to
    each = TUNED.model_copy(update={"tuning": TuningParams(trials=3, each_seed=True)})
    searched = _metrics(
        train_ranker_from_config(
            cfg, "jymbii", "control", 2, tables=tables, params=each, output_dir=out, progress=False
        )
    )
    assert searched["tuning"]["searched"] is True and len(searched["tuning"]["trials"]) == 3


def test_training_negatives_are_downsampled_and_validation_and_test_are_whole(
    tuned_runs, ranker_experiment, tmp_path
):
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    half = TUNED.model_copy(update={"train_negative_rate": 0.5, "tuning": False})
    run = train_ranker_from_config(
        cfg, "jymbii", "control", 0, tables=tables, params=half, output_dir=tmp_path, progress=False
    )
    full, sampled = _metrics(tuned_runs["control"]), _metrics(run)
    assert sampled["examples"]["validation"] == full["examples"]["validation"]
    assert sampled["examples"]["test"] == full["examples"]["test"]
    assert 0.3 * full["examples"]["train"] < sampled["examples"]["train"]
    assert sampled["examples"]["train"] < 0.75 * full["examples"]["train"]
    examples = pd.read_parquet(run / "examples.parquet")
    full_examples = pd.read_parquet(tuned_runs["control"] / "examples.parquet")
    train = examples["split"] == "train"
    assert (
        examples.loc[train, "label"].sum()
        == full_examples.loc[full_examples["split"] == "train", "label"].sum()
    )
