from pathlib import Path

import pytest

from linksage.config import load_config, parse_config
from linksage.errors import ConfigError
from tests.conftest import tiny_config_dict

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["demo.yaml", "paper.yaml"])
def test_shipped_configs_load(name):
    cfg = load_config(ROOT / "configs" / name)
    w = cfg.windows
    assert w.t_gnn_end <= w.t_train_start < w.t_train_end <= w.t_test_start < w.t_test_end
    assert cfg.snapshot_times()[0] == w.t_gnn_end
    assert cfg.snapshot_times()[-1] <= w.t_test_end


@pytest.mark.parametrize(
    ("key", "value", "bound"),
    [
        ("t_gnn_end", "2026-01-30T00:00:00Z", "t_gnn_end <= t_train_start"),
        ("t_train_end", "2026-01-29T00:00:00Z", "t_train_start < t_train_end"),
        ("t_test_start", "2026-02-04T00:00:00Z", "t_train_end <= t_test_start"),
        ("t_test_end", "2026-02-05T00:00:00Z", "t_test_start < t_test_end"),
    ],
)
def test_leaky_windows_are_refused_naming_the_bound(tmp_path, key, value, bound):
    data = tiny_config_dict(tmp_path)
    data["windows"][key] = value
    with pytest.raises(ConfigError) as err:
        parse_config(data, "cfg.yaml")
    assert "leak" in str(err.value)
    assert bound in str(err.value)
    assert "cfg.yaml" in str(err.value)


def test_unknown_option_is_named(tmp_path):
    data = tiny_config_dict(tmp_path)
    data["gnn"]["hiden_dim"] = 3
    with pytest.raises(ConfigError, match=r"gnn\.hiden_dim"):
        parse_config(data)


def test_wrong_type_is_named(tmp_path):
    data = tiny_config_dict(tmp_path)
    data["gnn"]["aggregation"] = "max"
    with pytest.raises(ConfigError, match=r"gnn\.aggregation"):
        parse_config(data)


def test_directory_source_needs_a_directory(tmp_path):
    data = tiny_config_dict(tmp_path)
    data["data"] = {"source": "directory"}
    with pytest.raises(ConfigError, match="data.directory is required"):
        parse_config(data)
    data["data"]["directory"] = str(tmp_path / "tables")
    assert parse_config(data).data_dir == tmp_path / "tables"


def test_overrides_and_round_trip(tmp_path):
    path = tmp_path / "c.yaml"
    parse_config(tiny_config_dict(tmp_path)).save(path)
    cfg = load_config(path, {"data.synthetic.members": 123})
    assert cfg.data.synthetic.members == 123
    assert load_config(path).data.synthetic.members == 400


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("windows: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
