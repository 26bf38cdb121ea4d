"""The core CLI commands, run through Typer's CliRunner on tiny data."""

import pyarrow.parquet as pq
import yaml
from typer.testing import CliRunner

from linksage.cli.app import app
from tests.conftest import tiny_config_dict

runner = CliRunner()


def _config_file(tmp_path, **changes):
    data = tiny_config_dict(tmp_path)
    data.update(changes)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_generate_with_overrides_then_validate_and_stats(tmp_path):
    config = _config_file(tmp_path)
    out = tmp_path / "tables"
    result = runner.invoke(
        app,
        [
            "generate",
            "--config",
            str(config),
            "--out",
            str(out),
            "--members",
            "150",
            "--seed",
            "11",
        ],
    )
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(out / "members.parquet").num_rows == 150
    assert {p.name for p in out.glob("*.parquet")} >= {
        "members.parquet",
        "jobs.parquet",
        "engagements.parquet",
        "impressions.parquet",
        "recruiter_actions.parquet",
        "member_positions.parquet",
        "member_skills.parquet",
        "job_skills.parquet",
    }
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    result = runner.invoke(app, ["stats", str(out), "--plot", str(tmp_path / "deg.png")])
    assert result.exit_code == 0, result.output
    assert "member-title" in result.output
    assert (tmp_path / "deg.png").read_bytes()[:4] == b"\x89PNG"


def test_leaky_config_is_refused_without_traceback(tmp_path):
    data = tiny_config_dict(tmp_path)
    data["windows"]["t_test_start"] = "2026-02-01T00:00:00Z"
    path = tmp_path / "leaky.yaml"
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["generate", "--config", str(path)])
    assert result.exit_code == 2
    assert "leak" in result.output and "t_train_end <= t_test_start" in result.output
    assert "Traceback" not in result.output


def test_help_lists_the_pipeline():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "generate", "validate", "stats"):
        assert command in result.output


def test_every_commands_help_exits_zero_without_an_error_line():
    commands = [c.name for c in app.registered_commands]
    assert "train-ranker" in commands
    for command in commands:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "error:" not in result.output and "Usage" in result.output
