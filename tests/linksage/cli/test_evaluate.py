"""`linksage evaluate` and `linksage compare` through the real CLI app."""

from __future__ import annotations

from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.config import parse_config
from tests.support.config import tiny_config_dict
from tests.support.eval_run import write_run

runner = CliRunner()


def _config_file(tmp_path, tables, **kwargs):
    cfg = parse_config(tiny_config_dict(tmp_path))
    write_run(cfg, tables, **kwargs)
    path = tmp_path / "experiment.yaml"
    cfg.save(path)
    return cfg, path


def test_evaluate_command_writes_the_report(tmp_path, tiny_tables):
    cfg, path = _config_file(tmp_path, tiny_tables)
    result = runner.invoke(app, ["evaluate", "--config", str(path), "--no-train"])
    assert result.exit_code == 0, result.output
    assert "report:" in result.output
    assert (cfg.output_dir / "evaluation" / "report.html").is_file()


def test_evaluate_command_exits_3_on_a_leaky_run(tmp_path, tiny_tables):
    cfg, path = _config_file(tmp_path, tiny_tables, leaky=True)
    result = runner.invoke(app, ["evaluate", "--config", str(path), "--no-train"])
    assert result.exit_code == 3
    assert "LEAKAGE AUDIT FAILED" in result.output
    assert (cfg.output_dir / "evaluation" / "report.json").is_file()  # written before failing


def test_compare_command_on_missing_run_is_a_clean_error(tmp_path):
    result = runner.invoke(app, ["compare", str(tmp_path / "nope"), str(tmp_path / "nope2")])
    assert result.exit_code == 2
    assert "config.yaml: not found" in " ".join(result.output.split())
