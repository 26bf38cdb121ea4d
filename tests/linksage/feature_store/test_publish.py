"""Publishing checked embeddings: one copy on disk (a rename when the candidate is in the
published form, as `linksage embed` writes it), re-runs on a published repo, the audit's file."""

from __future__ import annotations

import os
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linksage.feature_store import embedding_files, open_store, prepare_and_materialize
from linksage.feature_store.embedding_guard import EmbeddingValidationError
from linksage.feature_store.embeddings import with_feature_ts
from tests.support.feast_data import DIM, MODEL, SNAPSHOTS, T0, build_repo, embedding_tables
from tests.support.random_repo import write_embedding_tables

RANGE = {"start": T0 - timedelta(days=1), "end": SNAPSHOTS[-1]}


def _materialize(repo, model_version=MODEL, **kwargs):
    return prepare_and_materialize(
        repo, ttl_days=5, embedding_dim=DIM, model_version=model_version, **RANGE, **kwargs
    )


def _parquet_files(repo) -> list[str]:
    return sorted(p.name for p in (repo / "data").glob("*_gnn.parquet")) + sorted(
        p.name for p in (repo / "data").glob("*_embeddings.parquet")
    )


def test_a_candidate_in_published_form_is_renamed_not_copied(tmp_path):
    repo = build_repo(tmp_path / "repo")
    tables = {e: with_feature_ts(t) for e, t in embedding_tables().items()}  # as `embed` writes
    write_embedding_tables(repo, tables)
    inodes = {e: os.stat(p).st_ino for e, p in embedding_files(repo).items()}
    assert embedding_files(repo)["member"].name == "member_embeddings.parquet"
    _materialize(repo)
    assert _parquet_files(repo) == ["job_gnn.parquet", "member_gnn.parquet"]
    for entity, inode in inodes.items():
        published = repo / "data" / f"{entity}_gnn.parquet"
        assert os.stat(published).st_ino == inode  # the same file, renamed
        assert pq.read_table(published).equals(tables[entity])
    assert embedding_files(repo)["job"] == repo / "data" / "job_gnn.parquet"


def test_another_candidate_is_written_normalized_with_feature_ts_and_removed(tmp_path):
    repo = build_repo(tmp_path / "repo")  # candidates without feature_ts
    _materialize(repo)
    assert _parquet_files(repo) == ["job_gnn.parquet", "member_gnn.parquet"]
    published = pq.read_table(repo / "data" / "member_gnn.parquet")
    assert published["feature_ts"].equals(published["event_timestamp"])
    assert published.drop_columns("feature_ts").equals(embedding_tables()["member"])


def test_materialize_runs_again_on_a_published_repo(tmp_path):
    repo = build_repo(tmp_path / "repo")
    _materialize(repo)
    before = (repo / "data" / "member_gnn.parquet").read_bytes()
    assert _materialize(repo, method="feast") == {"member_gnn": 10, "job_gnn": 7}
    assert (repo / "data" / "member_gnn.parquet").read_bytes() == before
    got = open_store(repo).get_online_features(
        features=["member_gnn:model_version"], entity_rows=[{"member_id": 1}]
    )
    assert got.to_dict()["model_version"] == [MODEL]
    # the published files are still guarded: another model's manifest is refused, naming them
    with pytest.raises(EmbeddingValidationError, match="member_gnn.parquet: column model_version"):
        _materialize(repo, model_version="v2")


def test_a_fresh_candidate_is_checked_and_published_over_the_old_source(tmp_path):
    repo = build_repo(tmp_path / "repo")
    _materialize(repo)
    write_embedding_tables(repo, embedding_tables(seed=1, model="model-new"))
    assert embedding_files(repo)["member"].name == "member_embeddings.parquet"
    with pytest.raises(EmbeddingValidationError, match="member_embeddings.parquet"):
        _materialize(repo)  # the manifest still names the old model: nothing moves
    assert _parquet_files(repo)[-1] == "member_embeddings.parquet"
    _materialize(repo, model_version="model-new")
    assert _parquet_files(repo) == ["job_gnn.parquet", "member_gnn.parquet"]
    versions = pq.read_table(repo / "data" / "job_gnn.parquet")["model_version"].unique()
    assert versions.to_pylist() == ["model-new"]


def test_feature_ts_that_is_not_the_event_timestamp_is_refused(tmp_path):
    repo = build_repo(tmp_path / "repo")
    tables = embedding_tables()
    job = tables["job"]
    shifted = [t + timedelta(days=1) for t in job["event_timestamp"].to_pylist()]
    tables["job"] = job.append_column("feature_ts", pa.array(shifted, job["event_timestamp"].type))
    write_embedding_tables(repo, tables)
    with pytest.raises(EmbeddingValidationError, match="feature_ts must equal event_timestamp"):
        _materialize(repo)
    assert not (repo / "data" / "job_gnn.parquet").exists()


def test_the_audit_reads_the_candidate_until_it_is_published(tmp_path):
    repo = build_repo(tmp_path / "repo")
    files = embedding_files(repo)
    assert [p.name for p in files.values()] == [
        "member_embeddings.parquet",
        "job_embeddings.parquet",
    ]
    _materialize(repo)
    assert [p.name for p in embedding_files(repo).values()] == [
        "member_gnn.parquet",
        "job_gnn.parquet",
    ]
