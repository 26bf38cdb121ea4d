"""Shared fixtures: a tiny synthetic marketplace and a config whose windows fit it."""

from __future__ import annotations

from pathlib import Path

import pytest

import rankers  # noqa: F401  (selects tf-keras before any test imports TensorFlow)

TINY_MEMBERS = 400


def tiny_config_dict(tmp_path: Path, members: int = TINY_MEMBERS) -> dict:
    """A complete, valid config mapping for tiny runs under tmp_path."""
    return {
        "name": "tiny",
        "output_dir": str(tmp_path / "run"),
        "data": {
            "source": "synthetic",
            "synthetic": {
                # denser than the paper preset so every task (TAJ too) has labels at 400 members
                "preset": "dense",
                "members": members,
                "seed": 3,
                "start": "2026-01-01T00:00:00Z",
                "days": 42,
            },
        },
        "windows": {
            "t_gnn_end": "2026-01-29T00:00:00Z",
            "t_train_start": "2026-01-29T00:00:00Z",
            "t_train_end": "2026-02-05T00:00:00Z",
            "t_test_start": "2026-02-05T00:00:00Z",
            "t_test_end": "2026-02-12T00:00:00Z",
            "validation_days": 1,
        },
        "gnn": {
            "hidden_dim": 16,
            "embedding_dim": 8,
            "fanouts": [5, 3],
            "epochs": 2,
            "batch_size": 64,
        },
        "feast": {"repo_dir": str(tmp_path / "feature_repo")},
        "rankers": {"epochs": 1, "batch_size": 64, "hidden_units": [16]},
        "evaluation": {"seeds": [0, 1], "bootstrap_samples": 200},
    }


@pytest.fixture
def tiny_config(tmp_path):
    """A validated ExperimentConfig for a tiny run in a temp directory."""
    from linksage.config import parse_config

    return parse_config(tiny_config_dict(tmp_path))


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A tiny synthetic marketplace written once per test session (read-only for tests)."""
    from linksage.config import parse_config
    from linksage.data.datasource import ensure_data

    root = tmp_path_factory.mktemp("tiny")
    cfg = parse_config(tiny_config_dict(root))
    return ensure_data(cfg.data, cfg.data_dir)


@pytest.fixture(scope="session")
def tiny_tables(tiny_data_dir):
    """The tiny marketplace's tables (do not mutate; copy first)."""
    from linksage.data.tables import read_tables

    return read_tables(tiny_data_dir, validate=False)
