"""`linksage serve` refuses bad options and a config without trained runs with one clean line
naming the option and a non-zero exit (no traceback)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from linksage.cli.app import app


@pytest.fixture
def config_file(tiny_config, tmp_path):
    path = tmp_path / "config.yaml"
    tiny_config.save(path)
    return path


@pytest.mark.parametrize(
    ("args", "says", "code"),
    [
        (["--port", "70000"], "--port 70000: expected 1..65535", 2),
        (["--run-dir", "/no/such/dir"], "--run-dir /no/such/dir: not a directory", 2),
        ([], "no trained run of arm gnn seed 0", 2),
    ],
)
def test_serve_refuses_with_a_clean_message(config_file, args, says, code):
    result = CliRunner().invoke(app, ["serve", "--config", str(config_file), *args])
    assert result.exit_code == code, result.output
    assert says in result.output and "Traceback" not in result.output


def test_serve_config_section_is_validated(tmp_path):
    from linksage.config import parse_config
    from linksage.errors import ConfigError
    from tests.support.config import tiny_config_dict

    raw = tiny_config_dict(tmp_path)
    raw["serving"] = {"refresh_interval_s": 10, "max_staleness_s": 5}
    with pytest.raises(ConfigError, match="serving: max_staleness_s .* at least refresh_interval"):
        parse_config(raw)
    raw["serving"] = {"tasks": ["nope"]}
    with pytest.raises(ConfigError, match="serving.tasks"):
        parse_config(raw)
