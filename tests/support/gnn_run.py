"""A tiny trained GNN run: `linksage train-gnn` and `linksage embed` on the tiny marketplace."""

from __future__ import annotations

import pytest
import yaml

from tests.support.config import tiny_directory_config_dict


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_data_dir):
    """(config path, config) after `linksage train-gnn` and `linksage embed` on tiny data
    (trained once per session)."""
    from typer.testing import CliRunner

    from linksage.cli.app import app
    from linksage.config import load_config

    root = tmp_path_factory.mktemp("gnn_run")
    d = tiny_directory_config_dict(root, tiny_data_dir)
    d["gnn"].update({"epochs": 1, "neighbour_cap": 6, "eval_max_applies": 100})
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(d))
    runner = CliRunner()
    for cmd in ("train-gnn", "embed"):
        result = runner.invoke(app, [cmd, "--config", str(path)])
        assert result.exit_code == 0, result.output + repr(result.exception)
    return path, load_config(path)
