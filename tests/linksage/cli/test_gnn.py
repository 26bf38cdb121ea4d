import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.cli.gnn import gnn_dir


def test_train_gnn_writes_the_run_directory(tiny_run):
    path, cfg = tiny_run
    out = gnn_dir(cfg)
    for name in ("checkpoint.pt", "config.yaml", "metrics.json", "curves.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert pd.Timestamp(metrics["training_data_max_time"]) < pd.Timestamp(cfg.windows.t_gnn_end)
    table = metrics["link_prediction"]["models"]
    assert set(table) == {"gnn", "popularity", "no_message_passing"}
    assert set(table["gnn"]) >= {"auc", "recall@10", "recall@50", "recall@100"}
    assert yaml.safe_load((out / "config.yaml").read_text())["gnn"]["neighbour_cap"] == 6


def test_bad_option_is_refused_with_the_option_named(tiny_run):
    path, _ = tiny_run
    result = CliRunner().invoke(app, ["train-gnn", "--config", str(path), "--aggregation", "max"])
    assert result.exit_code != 0
    assert "gnn.aggregation" in str(result.exception) + result.output


def test_embed_without_checkpoint_fails_cleanly(tmp_path, tiny_run):
    path, _ = tiny_run
    d = yaml.safe_load(path.read_text())
    d["output_dir"] = str(tmp_path / "empty")
    other = tmp_path / "c.yaml"
    other.write_text(yaml.safe_dump(d))
    result = CliRunner().invoke(app, ["embed", "--config", str(other)])
    assert result.exit_code != 0
    assert "checkpoint" in result.output + repr(result.exception)
