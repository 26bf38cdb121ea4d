"""Ranker fixtures: a real Feast repo over the tiny marketplace (random GNN embeddings of the
documented schema at every snapshot), and all four tasks trained once in both arms."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import tiny_config_dict

TASKS = ("jymbii", "search", "taj", "ebr")
ARMS = ("control", "gnn")


@pytest.fixture(scope="session")
def ranker_experiment(tmp_path_factory, tiny_data_dir, tiny_tables):
    """(config, tables): tiny data, profile features and random embeddings applied in a temp
    Feast repo; the online store holds the last snapshot."""
    from linksage.config import parse_config
    from linksage.feature_store import ensure_repo, prepare_and_materialize
    from linksage.feature_store.embeddings import embeddings_table
    from linksage.feature_store.profile_features import write_profile_features

    root = tmp_path_factory.mktemp("rankers")
    raw = tiny_config_dict(root)
    raw["data"] = {"source": "directory", "directory": str(tiny_data_dir)}
    cfg = parse_config(raw)
    repo = ensure_repo(cfg.feast.repo_dir)
    times = cfg.snapshot_times()
    write_profile_features(tiny_tables, times, repo, top_k=cfg.gnn.top_skills)
    rng = np.random.default_rng(0)
    dim = cfg.gnn.embedding_dim
    for entity, frame in (("member", tiny_tables.members), ("job", tiny_tables.jobs)):
        ids = frame[f"{entity}_id"].to_numpy()
        parts = [
            embeddings_table(
                id_column=f"{entity}_id",
                ids=ids,
                vectors=rng.normal(size=(len(ids), dim)),
                event_timestamps=[t] * len(ids),
                model_version="random-test",
            )
            for t in times
        ]
        pq.write_table(pa.concat_tables(parts), repo / "data" / f"{entity}_embeddings.parquet")
    # Only the last snapshot goes online: enough for serving, and quick.
    prepare_and_materialize(
        repo,
        ttl_days=cfg.feast.ttl_days,
        embedding_dim=dim,
        start=times[-1] - timedelta(hours=1),
        end=times[-1],
    )
    cfg.save(root / "config.yaml")
    return cfg, tiny_tables


@pytest.fixture(scope="session")
def trained_runs(ranker_experiment):
    """{(task, arm): run_dir} for every task in both arms, seed 0, one short epoch each."""
    from linksage.cli.rankers import train_ranker_from_config

    cfg, tables = ranker_experiment
    return {
        (task, arm): train_ranker_from_config(cfg, task, arm, 0, tables=tables, progress=False)
        for task in TASKS
        for arm in ARMS
    }
