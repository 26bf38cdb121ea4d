"""`linksage features` and `linksage materialize` through the CLI on the tiny marketplace."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import yaml
from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.feature_store import open_store
from tests.support.config import tiny_directory_config_dict
from tests.support.random_repo import write_embedded, write_random_embeddings


def _config(tmp_path, tiny_data_dir, **feast):
    cfg = tiny_directory_config_dict(tmp_path, tiny_data_dir)
    cfg["feast"].update(feast)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, cfg


def test_features_then_materialize(tmp_path, tiny_data_dir, tiny_tables):
    path, cfg = _config(tmp_path, tiny_data_dir, ttl_days=9)
    runner = CliRunner()
    result = runner.invoke(app, ["features", "--config", str(path)])
    assert result.exit_code == 0, result.output
    repo = tmp_path / "feature_repo"
    profile = pq.read_table(repo / "data" / "member_profile.parquet")
    assert profile.num_rows > 0 and (repo / "data" / "config.yaml").is_file()

    dim = cfg["gnn"]["embedding_dim"]
    times = sorted(set(profile["event_timestamp"].to_pylist()))
    write_embedded(repo, tiny_tables, times, dim, tmp_path / "run")
    result = runner.invoke(app, ["materialize", "--config", str(path)])
    assert result.exit_code == 0, result.output
    store = open_store(repo)
    assert {v.ttl.days for v in store.list_feature_views()} == {9}
    member = int(tiny_tables.members["member_id"].iloc[0])
    got = store.get_online_features(
        features=["member_gnn:feature_ts", "member_profile:feature_ts"],
        entity_rows=[{"member_id": member}],
        full_feature_names=True,
    ).to_dict()
    # the newest snapshot in the materialized range (t_test_end) is online for both views
    assert got["member_gnn__feature_ts"][0] == times[-1]
    assert got["member_profile__feature_ts"][0] == times[-1]


def test_materialize_refuses_embeddings_of_another_dimension(tmp_path, tiny_data_dir, tiny_tables):
    path, cfg = _config(tmp_path, tiny_data_dir)
    runner = CliRunner()
    assert runner.invoke(app, ["features", "--config", str(path)]).exit_code == 0
    repo = tmp_path / "feature_repo"
    write_random_embeddings(
        repo,
        tiny_tables,
        [pd.Timestamp(cfg["windows"]["t_test_start"])],
        cfg["gnn"]["embedding_dim"] + 1,
        model_version="m1",
    )
    result = runner.invoke(app, ["materialize", "--config", str(path)])
    assert result.exit_code == 2
    assert "member_embeddings.parquet" in result.output and "dimension" in result.output
    assert not (repo / "data" / "online_store.db").exists()
