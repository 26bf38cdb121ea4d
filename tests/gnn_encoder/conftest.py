"""A tiny trained GNN run shared by the gnn_encoder tests (trained once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))


def _root_conftest():
    """tests/conftest.py as a module (its name clashes with this conftest's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_root_conftest", Path(__file__).parents[1] / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_data_dir):
    """(config path, config) after `linksage train-gnn` and `linksage embed` on tiny data."""
    from typer.testing import CliRunner

    from linksage.cli.app import app
    from linksage.config import load_config

    root = tmp_path_factory.mktemp("gnn_run")
    d = _root_conftest().tiny_config_dict(root)
    d["data"] = {"source": "directory", "directory": str(tiny_data_dir)}
    d["gnn"].update({"epochs": 1, "neighbour_cap": 6, "eval_max_applies": 100})
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(d))
    runner = CliRunner()
    for cmd in ("train-gnn", "embed"):
        result = runner.invoke(app, [cmd, "--config", str(path)])
        assert result.exit_code == 0, result.output + repr(result.exception)
    return path, load_config(path)
