"""`linksage train-ranker` through the real CLI."""

from __future__ import annotations

from typer.testing import CliRunner

from linksage.cli.app import app


def test_train_ranker_writes_a_run_and_refuses_an_unknown_arm(ranker_experiment):
    cfg, _ = ranker_experiment
    config = cfg.output_dir.parent / "config.yaml"
    runner = CliRunner()
    bad = runner.invoke(
        app,
        ["train-ranker", "--config", str(config), "--task", "taj", "--arm", "nope", "--seed", "0"],
    )
    assert bad.exit_code == 2
    assert "feature service 'taj_nope' not found" in bad.output
    ok = runner.invoke(
        app,
        [
            "train-ranker",
            "--config",
            str(config),
            "--task",
            "taj",
            "--arm",
            "control",
            "--seed",
            "7",
        ],
    )
    assert ok.exit_code == 0, ok.output
    run = cfg.output_dir / "rankers" / "taj" / "control" / "seed7"
    assert (run / "predictions.parquet").is_file() and (run / "model.onnx").is_file()
    assert (run / "config.yaml").read_text() == cfg.to_yaml()
