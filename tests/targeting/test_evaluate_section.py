"""`linksage evaluate` carries the promoted-jobs targeting section in all three report files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.config import parse_config
from tests.support.config import tiny_config_dict
from tests.support.eval_run import write_run


def test_evaluate_writes_the_targeting_section(tmp_path, tiny_tables):
    raw = tiny_config_dict(tmp_path)
    raw["rankers"]["tasks"] = ["jymbii"]  # a hand-written run: no ranker is trained
    raw["targeting"] = {"audience_size": 30}
    cfg = parse_config(raw)
    write_run(cfg, tiny_tables)
    cfg.save(tmp_path / "experiment.yaml")
    args = ["evaluate", "--config", str(tmp_path / "experiment.yaml"), "--no-train"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = cfg.output_dir / "evaluation"
    section = json.loads((out / "report.json").read_text())["promoted_targeting"]
    assert section["audience_size"] == 30 and "graph" in section["methods"]
    assert section["simulation"] is not None  # the marketplace the config generates
    assert "## Promoted jobs: auto-targeting" in (out / "report.md").read_text()
    assert "Promoted jobs: each targeting method" in (out / "report.html").read_text()
