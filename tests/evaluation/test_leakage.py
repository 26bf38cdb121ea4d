"""The leakage audit passes clean artifacts and fails each kind of leak, including the leaky option."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evaluation.leakage import audit_run, check_embedding_snapshots
from linksage.io import write_parquet
from linksage.tasks import TASKS
from tests.evaluation.conftest import write_run


def _audit(cfg):
    runs = [
        (t, a, s)
        for t in (TASKS if cfg.rankers.tasks == "auto" else cfg.rankers.tasks)
        for a in ("control", "gnn")
        for s in cfg.evaluation.seeds
    ]
    return audit_run(
        cfg.output_dir, windows=cfg.windows, repo_dir=cfg.feast.repo_dir, ranker_runs=runs
    )


def _check(audit, name):
    return next(c for c in audit.checks if c.name == name)


def test_clean_run_passes_every_check(tiny_config, clean_run):
    audit = _audit(tiny_config)
    names = [c.name for c in audit.checks]
    assert names == [
        "gnn_training_window",
        "embedding_snapshots",
        "embedding_rows",
        "embeddings_follow_snapshots",
        "features_point_in_time",
        "windows_disjoint",
        "test_requests_unseen",
    ]
    assert audit.passed, [c for c in audit.checks if not c.passed]


def test_leaky_full_graph_run_fails(tiny_config, tiny_tables):
    write_run(tiny_config, tiny_tables, leaky=True)
    audit = _audit(tiny_config)
    assert not audit.passed
    check = _check(audit, "embedding_snapshots")
    assert not check.passed
    assert "LEAKY" in check.detail and "at or after their time" in check.detail
    # caught from the embeddings themselves too, not only from the manifest's own word
    assert not _check(audit, "embeddings_follow_snapshots").passed


def test_snapshot_with_a_future_edge_fails_without_the_flag(tmp_path):
    manifest = {
        "model_version": "m",
        "leaky_full_graph": False,
        "snapshots": [
            {"time": "2026-01-02T00:00:00+00:00", "max_edge_time": "2026-01-01T23:00:00+00:00"},
            {"time": "2026-01-03T00:00:00+00:00", "max_edge_time": "2026-01-03T00:00:00+00:00"},
        ],
    }
    path = tmp_path / "embeddings_manifest.json"
    path.write_text(json.dumps(manifest))
    check = check_embedding_snapshots(path)
    assert not check.passed and "1 of 2 snapshots" in check.detail


def test_gnn_trained_past_t_gnn_end_fails(tiny_config, clean_run):
    (clean_run / "gnn" / "metrics.json").write_text(
        json.dumps({"training_data_max_time": tiny_config.windows.t_gnn_end.isoformat()})
    )
    assert not _check(_audit(tiny_config), "gnn_training_window").passed


def _edit_examples(run, edit):
    path = run / "rankers" / "jymbii" / "gnn" / "seed0" / "examples.parquet"
    df = pd.read_parquet(path)
    write_parquet(edit(df), path)


def test_feature_newer_than_example_fails(tiny_config, clean_run):
    def future_feature(df):
        df.loc[df.index[0], "member_gnn__feature_ts"] = df.loc[df.index[0], "at"] + pd.Timedelta(
            seconds=1
        )
        return df

    _edit_examples(clean_run, future_feature)
    check = _check(_audit(tiny_config), "features_point_in_time")
    assert (
        not check.passed
        and "jymbii/gnn/seed0" in check.detail
        and "member_gnn__feature_ts" in check.detail
    )


def test_overlapping_windows_and_test_requests_in_training_fail(tiny_config, clean_run):
    def leak_test_request(df):
        test_row = df[df["split"] == "test"].iloc[[0]].assign(split="train")
        return pd.concat([df, test_row], ignore_index=True)

    _edit_examples(clean_run, leak_test_request)
    audit = _audit(tiny_config)
    assert not _check(audit, "windows_disjoint").passed  # a train example in the test window
    assert not _check(audit, "test_requests_unseen").passed


def test_embedding_row_off_snapshot_fails(tiny_config, clean_run):
    path = tiny_config.feast.repo_dir / "data" / "job_embeddings.parquet"
    df = pd.read_parquet(path)
    df.loc[0, "event_timestamp"] = df.loc[0, "event_timestamp"] + pd.Timedelta(hours=5)
    write_parquet(df, path)
    check = _check(_audit(tiny_config), "embedding_rows")
    assert not check.passed and "job_embeddings.parquet" in check.detail


@pytest.mark.parametrize("missing", ["gnn/metrics.json", "gnn/embeddings_manifest.json"])
def test_missing_artifact_fails_rather_than_passes(tiny_config, clean_run, missing):
    (clean_run / missing).unlink()
    audit = _audit(tiny_config)
    assert not audit.passed
    assert any("cannot verify" in c.detail for c in audit.checks)
