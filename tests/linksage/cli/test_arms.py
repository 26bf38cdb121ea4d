"""The arms that stand in for the GNN (mf, oracle): their embeddings, through the same Feast path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.config import parse_config
from linksage.data.matrix_factorization import mf_vectors
from linksage.errors import ConfigError
from linksage.feature_store import open_store
from tests.support.config import tiny_config_dict, tiny_directory_config_dict
from tests.support.random_repo import write_embedded, write_random_embeddings


def test_oracle_needs_synthetic_data(tmp_path, tiny_data_dir):
    raw = tiny_directory_config_dict(tmp_path, tiny_data_dir)
    raw["evaluation"]["arms"] = ["control", "gnn", "oracle"]
    with pytest.raises(ConfigError, match="evaluation.arms.*synthetic"):
        parse_config(raw, "cfg.yaml")
    raw["evaluation"]["arms"] = ["control", "mf"]
    with pytest.raises(ConfigError, match="list control and gnn"):
        parse_config(raw, "cfg.yaml")


def test_oracle_vectors_are_the_generators_hidden_ones(tmp_path, tiny_tables):
    from linksage.synthetic.oracle import oracle_vectors

    cfg = parse_config(tiny_config_dict(tmp_path))
    vectors = oracle_vectors(cfg.data.synthetic)
    members, jobs = vectors["member"], vectors["job"]
    assert set(members.ids) == set(tiny_tables.members["member_id"])
    assert set(jobs.ids) == set(tiny_tables.jobs["job_id"])
    np.testing.assert_allclose(np.linalg.norm(members.vectors, axis=1), 1.0, rtol=1e-5)
    # each job's vector holds from its posting on
    posted = tiny_tables.jobs.set_index("job_id")["posted_at"]
    valid = pd.Series(jobs.valid_from.to_numpy(), index=jobs.ids)
    assert (valid.reindex(posted.index) == pd.to_datetime(posted, utc=True)).all()


def test_mf_vectors_see_only_engagements_before_the_gnn_window_ends(tiny_config, tiny_tables):
    end = tiny_config.windows.t_gnn_end
    e = tiny_tables.engagements
    full = mf_vectors(e, tiny_tables.jobs, end)
    before = mf_vectors(e[pd.to_datetime(e["at"], utc=True) < end], tiny_tables.jobs, end)
    for entity in ("member", "job"):
        np.testing.assert_array_equal(full[entity].ids, before[entity].ids)
        np.testing.assert_allclose(full[entity].vectors, before[entity].vectors, atol=1e-6)
    first = e.groupby("member_id")["at"].min()
    late = first[pd.to_datetime(first, utc=True) >= end].index
    assert len(late) and not set(late) & set(full["member"].ids)
    assert (full["member"].valid_from == pd.Timestamp(end)).all()


def test_mf_arm_trains_through_its_own_feature_service(tmp_path, tiny_data_dir, tiny_tables):
    from linksage.cli.rankers import train_ranker_from_config
    from rankers.features.plan import FeaturePlan

    raw = tiny_directory_config_dict(tmp_path, tiny_data_dir)
    raw["evaluation"]["arms"] = ["control", "gnn", "mf"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    runner = CliRunner()
    assert runner.invoke(app, ["features", "--config", str(path)]).exit_code == 0
    repo = tmp_path / "feature_repo"
    assert (repo / "data" / "member_mf.parquet").is_file()
    times = parse_config(raw).snapshot_times()
    dim = raw["gnn"]["embedding_dim"]
    write_embedded(repo, tiny_tables, times, dim, tmp_path / "run")
    result = runner.invoke(app, ["materialize", "--config", str(path)])
    assert result.exit_code == 0, result.output
    store = open_store(repo)
    service = store.get_feature_service("jymbii_mf")
    assert {p.name for p in service.feature_view_projections} == {
        "member_profile",
        "job_profile",
        "member_mf",
        "job_mf",
    }
    assert not store.get_feature_view("job_mf").online  # an experiment, never served

    cfg = parse_config(raw)
    run = train_ranker_from_config(cfg, "jymbii", "mf", 0, tables=tiny_tables, progress=False)
    plan = FeaturePlan.load(run / "features.json")
    vectors = {s.name for s in plan.specs if s.kind == "vector"}
    assert vectors == {"member_mf__embedding", "job_mf__embedding"}
    assert all(s.gnn for s in plan.specs if s.kind == "vector")
    assert plan.decoder is None  # the GNN's decoder never scores another arm's vectors


def test_placebo_moves_each_entitys_gnn_vectors_to_another_id(tmp_path, tiny_config, tiny_tables):
    import pyarrow.parquet as pq

    from linksage.feature_store.arm_embeddings import placebo_vectors
    from linksage.feature_store.repo import embedding_files

    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    times = tiny_config.snapshot_times()[:3]
    write_random_embeddings(repo, tiny_tables, times, 4, model_version="m1")
    placebo = placebo_vectors(repo)
    for entity, key in (("member", "member_id"), ("job", "job_id")):
        real = pq.read_table(embedding_files(repo)[entity]).to_pandas()
        moved = placebo[entity]
        assert sorted(moved.ids) == sorted(real[key])  # the same ids, each once per snapshot
        np.testing.assert_array_equal(moved.vectors, np.stack(real["embedding"]))
        assert (moved.valid_from.to_numpy() == real["event_timestamp"].to_numpy()).all()
        # one permutation for every snapshot, and it moves almost every id
        pairs = set(zip(real[key], moved.ids, strict=True))
        assert len(pairs) == real[key].nunique()
        assert np.mean(real[key].to_numpy() == moved.ids) < 0.1
