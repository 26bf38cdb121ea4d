"""`linksage run` on data shaped like a real export: three tables, no request ids, ms timestamps,
int32 ids. Tasks the data cannot support are skipped with their reason; the rest run through."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import yaml
from typer.testing import CliRunner

from linksage.cli.app import app
from tests.support.config import tiny_directory_config_dict
from tests.support.real_export import write_real_export

_TABLES = ("members", "jobs", "engagements")


def test_the_whole_pipeline_runs_on_the_three_required_tables(tmp_path, tiny_tables):
    data_dir = write_real_export(tiny_tables, tmp_path / "export")
    raw = tiny_directory_config_dict(tmp_path, data_dir)
    raw["gnn"].update({"epochs": 1, "neighbour_cap": 6, "eval_max_applies": 100})
    raw["rankers"]["candidates_per_request"] = 20
    raw["evaluation"]["seeds"] = [0]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = CliRunner().invoke(app, ["run", "--config", str(config)])

    assert result.exit_code == 0, result.output + repr(result.exception)
    out = tmp_path / "run"
    report = json.loads((out / "evaluation" / "report.json").read_text())
    assert "recruiter_actions.parquet" in report["details"]["taj"]["skipped"]
    assert set(report["tasks"]) == {"jymbii", "search", "ebr"}
    assert "premium" in report["unavailable_segments"]
    assert "seeker_intent" in report["unavailable_segments"]["intent_*"]
    markdown = (out / "evaluation" / "report.md").read_text()
    assert "recruiter_actions.parquet" in markdown
    plan = json.loads((out / "tasks.json").read_text())
    assert plan["taj"]["supported"] is False
    assert all(plan[t]["positives"]["test"] > 0 for t in ("jymbii", "search", "ebr"))
    stages = {row["stage"]: row for row in json.loads((out / "stages.json").read_text())}
    assert stages["data"]["rows_out"] == sum(len(getattr(tiny_tables, t)) for t in _TABLES)
    assert stages["rankers"]["rows_out"] == stages["evaluate"]["rows_in"] > 0
    assert all(row["peak_rss_bytes"] > 0 for row in stages.values())
    # requests built from engagements rank the engaged job against 20 sampled live jobs
    predictions = pd.read_parquet(
        out / "rankers" / "jymbii" / "control" / "seed0" / "predictions.parquet"
    )
    per_request = predictions.groupby("request_id").size()
    assert per_request.median() == 21


def test_an_explicit_task_the_data_cannot_support_is_a_config_error(tmp_path, tiny_tables):
    data_dir = write_real_export(tiny_tables, tmp_path / "export")
    raw = tiny_directory_config_dict(tmp_path, data_dir)
    raw["rankers"]["tasks"] = ["jymbii", "taj"]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = CliRunner().invoke(app, ["evaluate", "--config", str(config)])

    assert result.exit_code == 2
    assert "rankers.tasks" in result.output
    assert "recruiter_actions.parquet" in result.output
    assert "Traceback" not in result.output


def test_no_positives_before_t_gnn_end_stops_train_gnn_with_one_line(tmp_path, tiny_tables):
    raw = tiny_directory_config_dict(tmp_path, tmp_path / "export")
    t_gnn_end = pd.Timestamp(raw["windows"]["t_gnn_end"])
    eng = tiny_tables.engagements
    positive_before = eng["action"].isin(["apply", "save"]) & (eng["at"] < t_gnn_end)
    cut = replace(tiny_tables, engagements=eng[~positive_before])
    write_real_export(cut, tmp_path / "export")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = CliRunner().invoke(app, ["train-gnn", "--config", str(config)])

    assert result.exit_code == 2
    assert "no positive engagements (apply, save) before" in result.output
    assert "Traceback" not in result.output
