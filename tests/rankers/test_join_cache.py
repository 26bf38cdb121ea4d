"""A point-in-time join stored on disk is the join itself, read again only for the same inputs."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from rankers.data.frames import training_frame


@pytest.mark.parametrize("task", ["jymbii", "search"])
def test_a_cached_join_equals_the_join_and_is_reused_until_the_repo_changes(
    ranker_experiment, trained_runs, tmp_path, task
):
    cfg, _ = ranker_experiment
    repo = cfg.feast.repo_dir
    examples = pd.read_parquet(trained_runs[task, "gnn"] / "examples.parquet").head(200)
    examples = examples[[c for c in examples if not c.endswith("__feature_ts")]]
    service = f"{task}_gnn"
    cache = tmp_path / "joins"

    direct = training_frame(repo, examples, service, task=task)
    first = training_frame(repo, examples, service, task=task, cache_dir=cache)
    pd.testing.assert_frame_equal(first, direct)
    (stored,) = cache.glob("*.parquet")
    written = stored.stat().st_mtime_ns

    again = training_frame(repo, examples, service, task=task, cache_dir=cache)
    pd.testing.assert_frame_equal(again, direct)
    assert stored.stat().st_mtime_ns == written  # read, not joined and written again

    training_frame(repo, examples.head(100), service, task=task, cache_dir=cache)
    assert len(list(cache.glob("*.parquet"))) == 2  # other examples: another join

    source = next((repo / "data").glob("member_gnn.parquet"))
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # re-published embeddings
    try:
        training_frame(repo, examples, service, task=task, cache_dir=cache)
        assert len(list(cache.glob("*.parquet"))) == 3
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
