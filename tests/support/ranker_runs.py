"""Ranker fixtures: a real Feast repo over the tiny marketplace (random GNN embeddings of the
documented schema at every snapshot), and all four tasks trained once in both arms.

Registered once, in tests/conftest.py (session scope: one repo and one set of models per run)."""

from __future__ import annotations

import pytest

from tests.support.config import tiny_directory_config_dict
from tests.support.random_repo import random_feast_repo

TASKS = ("jymbii", "search", "taj", "ebr")
ARMS = ("control", "gnn")


@pytest.fixture(scope="session")
def ranker_experiment(tmp_path_factory, tiny_data_dir, tiny_tables):
    """(config, tables): tiny data, profile features and random embeddings applied in a temp
    Feast repo; the online store holds the last snapshot. The config is saved next to the run
    (`cfg.output_dir.parent / "config.yaml"`)."""
    from linksage.config import parse_config

    root = tmp_path_factory.mktemp("rankers")
    cfg = parse_config(tiny_directory_config_dict(root, tiny_data_dir))
    random_feast_repo(
        cfg.feast.repo_dir,
        tiny_tables,
        cfg.snapshot_times(),
        dim=cfg.gnn.embedding_dim,
        top_k=cfg.gnn.top_skills,
        ttl_days=cfg.feast.ttl_days,
        model_version="random-test",
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
