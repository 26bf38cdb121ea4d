"""Shared fixtures: a tiny synthetic marketplace and a config whose windows fit it.

The session-scoped experiment fixtures (a trained GNN run, a Feast repo with random embeddings
and the rankers trained on it) live in tests/support/ and are registered here, once: a fixture
imported into two sibling conftests gets two caches, so a session fixture would run twice."""

from __future__ import annotations

from pathlib import Path

import pytest

import rankers.tf_runtime  # noqa: F401  (tf-keras selected, notices silenced, before any test imports TensorFlow)
from tests.support.config import TINY_MEMBERS, tiny_config_dict
from tests.support.gnn_run import tiny_run  # noqa: F401
from tests.support.ranker_runs import ranker_experiment, trained_runs  # noqa: F401
from tests.support.serving import serving_runs  # noqa: F401

__all__ = ["TINY_MEMBERS", "tiny_config_dict"]


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
