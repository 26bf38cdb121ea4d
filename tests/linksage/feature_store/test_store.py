"""The feature store through real Feast (SQLite and a real redis-server): apply in a temp copy,
materialize, online reads, point-in-time joins at the exact boundary, pushes, the guard."""

from __future__ import annotations

import shutil
from datetime import timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from linksage.feature_store import (
    FeatureStoreError,
    feature_ts_columns,
    historical_features,
    identity_dask_tokens,
    online_features,
    open_store,
    prepare_and_materialize,
    push_embeddings,
)
from linksage.feature_store.embedding_guard import EmbeddingValidationError
from tests.support.feast_data import (
    DIM,
    JOBS,
    MEMBERS,
    MODEL,
    SNAPSHOTS,
    T0,
    build_repo,
    embedding_tables,
    newest_rows,
)
from tests.support.random_repo import write_embedding_tables

TTL_DAYS = 5
US = timedelta(microseconds=1)
RANGE = {"start": T0 - timedelta(days=1), "end": SNAPSHOTS[-1]}


def _materialize(repo, model_version=MODEL, **kwargs):
    return prepare_and_materialize(
        repo, ttl_days=TTL_DAYS, embedding_dim=DIM, model_version=model_version, **RANGE, **kwargs
    )


@pytest.fixture(scope="module")
def sqlite_repo(tmp_path_factory):
    """A temp copy of the repo, applied and materialized into SQLite (read-only for tests)."""
    repo = build_repo(tmp_path_factory.mktemp("feast") / "repo")
    _materialize(repo)
    return repo


def test_apply_registers_the_repository_with_the_configured_ttl(sqlite_repo):
    store = open_store(sqlite_repo)
    views = {v.name: v for v in store.list_feature_views()}
    assert set(views) == {"member_profile", "job_profile", "member_gnn", "job_gnn"}
    assert {v.ttl for v in views.values()} == {timedelta(days=TTL_DAYS)}
    assert views["member_gnn"].tags["embedding_dim"] == str(DIM)
    assert {e.name for e in store.list_entities()} == {"member", "job"}
    assert {"member_gnn_push", "job_gnn_push"} <= {s.name for s in store.list_data_sources()}
    services = {s.name for s in store.list_feature_services()}
    assert services == {
        f"{t}_{a}" for t in ("jymbii", "search", "taj", "ebr") for a in ("control", "gnn")
    }


def _assert_online_equals_newest(store, entity: str) -> None:
    id_column = f"{entity}_id"
    ids = MEMBERS if entity == "member" else JOBS
    expected = newest_rows(embedding_tables()[entity], id_column)
    got = store.get_online_features(
        features=[
            f"{entity}_gnn:embedding",
            f"{entity}_gnn:model_version",
            f"{entity}_gnn:feature_ts",
        ],
        entity_rows=[{id_column: i} for i in ids],
    ).to_dict()
    assert got[id_column] == ids
    for i, emb, version, ts in zip(
        ids, got["embedding"], got["model_version"], got["feature_ts"], strict=True
    ):
        np.testing.assert_array_equal(
            np.asarray(emb, dtype=np.float32), expected.loc[i, "embedding"]
        )
        assert version == MODEL
        assert pd.Timestamp(ts).tz_localize(None) == expected.loc[i, "event_timestamp"].tz_localize(
            None
        )


@pytest.mark.parametrize("entity", ["member", "job"])
def test_sqlite_online_values_equal_the_newest_parquet_rows(sqlite_repo, entity):
    _assert_online_equals_newest(open_store(sqlite_repo), entity)


def test_redis_online_values_equal_the_newest_parquet_rows(tmp_path):
    from tests.support.local_redis import local_redis_server

    repo = build_repo(tmp_path / "repo")
    with local_redis_server(tmp_path) as (host, port):
        kwargs = {"online_store": "redis", "redis_connection_string": f"{host}:{port}"}
        _materialize(repo, **kwargs)
        store = open_store(repo, **kwargs)
        for entity in ("member", "job"):
            _assert_online_equals_newest(store, entity)
        frame = online_features(store, "jymbii_gnn", member_id=1, job_ids=[12, 10])
        assert frame["job_gnn__model_version"].tolist() == [MODEL, MODEL]


def test_online_features_serves_one_member_and_many_jobs(sqlite_repo):
    store = open_store(sqlite_repo)
    frame = online_features(store, "jymbii_gnn", member_id=1, job_ids=[10, 11, 12])
    assert frame["job_id"].tolist() == [10, 11, 12]
    assert frame["member_id"].tolist() == [1, 1, 1]
    # newest member_profile row (third snapshot): both applies of member 1 are before it
    assert frame["member_profile__applies_count"].tolist() == [2, 2, 2]
    assert frame["job_profile__top_skills"].tolist()[0] == "python|sql"
    expected = newest_rows(embedding_tables()["job"], "job_id")
    for job_id, emb in zip(frame["job_id"], frame["job_gnn__embedding"], strict=True):
        np.testing.assert_array_equal(np.float32(emb), expected.loc[job_id, "embedding"])
    control = online_features(store, "jymbii_control", member_id=1, job_ids=[10])
    assert not [c for c in control.columns if "_gnn__" in c]


def _embedding_at(entity: str, entity_id: int, ts) -> np.ndarray:
    df = embedding_tables()[entity].to_pandas()
    row = df[(df[f"{entity}_id"] == entity_id) & (df["event_timestamp"] == ts)]
    assert len(row) == 1
    return row["embedding"].iloc[0]


def test_point_in_time_join_is_exact_at_the_boundary(sqlite_repo):
    s0, s1, s2 = SNAPSHOTS
    examples = pd.DataFrame(
        {
            "member_id": [1, 1, 1, 2, 1, 4],
            "job_id": [10, 10, 10, 12, 10, 10],
            "event_timestamp": [s1, s1 - US, s1, s1, s0 - US, s2 + timedelta(days=TTL_DAYS)],
            "example": ["at", "before", "at-dup", "job-later", "before-all", "past-ttl"],
        }
    )
    out = historical_features(sqlite_repo, examples, "jymbii_gnn").set_index("example")
    assert out.index.tolist() == examples["example"].tolist()  # one row per input, in order
    ts = out["member_gnn__feature_ts"]
    # a row stamped exactly at the example's timestamp is visible ...
    assert ts["at"] == s1 and ts["at-dup"] == s1
    np.testing.assert_array_equal(
        np.float32(out.loc["at", "member_gnn__embedding"]), _embedding_at("member", 1, s1)
    )
    # ... one stamped a microsecond later is not: the previous snapshot is used
    assert ts["before"] == s0
    np.testing.assert_array_equal(
        np.float32(out.loc["before", "member_gnn__embedding"]), _embedding_at("member", 1, s0)
    )
    # job 12's only row is newer: its views are null, the member's views are still joined
    assert pd.isna(out.loc["job-later", "job_gnn__feature_ts"])
    assert pd.isna(out.loc["job-later", "job_profile__feature_ts"])
    assert out.loc["job-later", "member_gnn__feature_ts"] == s1
    assert out.loc["before-all", feature_ts_columns(out)].isna().all()
    # member 4's only embedding (first snapshot) is older than the TTL at that example
    assert pd.isna(out.loc["past-ttl", "member_gnn__feature_ts"])
    assert out.loc["past-ttl", "member_profile__feature_ts"] == s2  # profile rows continue
    for col in feature_ts_columns(out):
        assert (out[col].dropna() <= out.loc[out[col].notna(), "event_timestamp"]).all()


def test_a_small_join_budget_chunks_the_join_without_changing_it(sqlite_repo):
    # three snapshots per entity and a budget of 3 rows: one key per Feast call
    examples = pd.DataFrame(
        {
            "member_id": [1, 2, 3, 1],
            "job_id": [10, 11, 12, 11],
            "event_timestamp": SNAPSHOTS + [SNAPSHOTS[1]],
        }
    )
    whole = historical_features(sqlite_repo, examples, "jymbii_gnn")
    chunked = historical_features(sqlite_repo, examples, "jymbii_gnn", join_budget_rows=3)
    pd.testing.assert_frame_equal(chunked, whole)


def test_no_examples_give_an_empty_frame_with_every_feature_column(sqlite_repo):
    examples = pd.DataFrame(
        {"member_id": [1], "job_id": [10], "event_timestamp": [SNAPSHOTS[0]]}
    ).iloc[:0]
    out = historical_features(sqlite_repo, examples, "jymbii_gnn")
    assert out.empty
    assert {"member_gnn__embedding", "job_gnn__embedding", "member_gnn__feature_ts"} <= set(out)


def test_job_views_alone_leave_the_member_views_out(sqlite_repo):
    examples = pd.DataFrame({"member_id": [-1], "job_id": [10], "event_timestamp": [SNAPSHOTS[1]]})
    out = historical_features(sqlite_repo, examples, "ebr_gnn", join_keys=("job_id",))
    assert "job_gnn__embedding" in out
    assert not [c for c in out if c.startswith(("member_gnn__", "member_profile__"))]


def test_control_frame_is_the_gnn_frame_without_the_gnn_views(sqlite_repo):
    examples = pd.DataFrame(
        {"member_id": [1, 2, 3], "job_id": [10, 11, 12], "event_timestamp": SNAPSHOTS}
    )
    gnn = historical_features(sqlite_repo, examples, "taj_gnn")
    control = historical_features(sqlite_repo, examples, "taj_control")
    extra = set(gnn.columns) - set(control.columns)
    assert set(control.columns) < set(gnn.columns)
    assert {c.split("__")[0] for c in extra} == {"member_gnn", "job_gnn"}
    pd.testing.assert_frame_equal(gnn[control.columns], control)


def test_unknown_feature_service_is_refused_with_the_known_ones(sqlite_repo):
    examples = pd.DataFrame({"member_id": [1], "job_id": [10], "event_timestamp": [SNAPSHOTS[0]]})
    with pytest.raises(FeatureStoreError, match="jymbii_gnn"):
        historical_features(sqlite_repo, examples, "jymbii_treatment")
    with pytest.raises(FeatureStoreError, match="job_id"):
        historical_features(sqlite_repo, examples.drop(columns="job_id"), "jymbii_gnn")


def test_push_writes_a_fresh_embedding_online(sqlite_repo, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(sqlite_repo, repo)
    store = open_store(repo)
    vector = np.arange(DIM, dtype=np.float32) / 7
    fresh = pd.DataFrame(
        {
            "member_id": [2],
            "embedding": [vector],
            "event_timestamp": [SNAPSHOTS[-1] + timedelta(hours=1)],
            "model_version": [MODEL],
        }
    )
    push_embeddings(store, "member", fresh)
    got = store.get_online_features(
        features=["member_gnn:embedding"], entity_rows=[{"member_id": 2}]
    )
    np.testing.assert_array_equal(np.float32(got.to_dict()["embedding"][0]), vector)


def _bad(case: str) -> dict[str, pa.Table]:
    tables = embedding_tables()
    df = tables["member"].to_pandas()
    if case == "wrong_dim":
        df.at[2, "embedding"] = np.zeros(DIM - 1, dtype=np.float32)
    elif case in ("nan", "inf"):
        vec = df.at[1, "embedding"].copy()
        vec[3] = np.nan if case == "nan" else np.inf
        df.at[1, "embedding"] = vec
    elif case == "duplicate":
        df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    elif case == "two_versions":
        df.loc[0, "model_version"] = "model-other"
    elif case == "missing_column":
        df = df.drop(columns="model_version")
    elif case == "member_job_mismatch":
        df["model_version"] = "model-other"
    schema = tables["member"].schema
    if case == "missing_column":
        schema = pa.schema([f for f in schema if f.name != "model_version"])
    # column by column, so a NaN stays a NaN (from_pandas would turn it into a null)
    tables["member"] = pa.table({f.name: pa.array(list(df[f.name]), type=f.type) for f in schema})
    return tables


BAD_CASES = {
    "wrong_dim": "dimension",
    "nan": "NaN",
    "inf": "NaN/inf",
    "duplicate": "more than one row per member_id",
    "two_versions": "model_version must hold one value",
    "missing_column": "missing column.*model_version",
    "member_job_mismatch": "model_version differs",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_embeddings_are_refused_leaving_the_store_as_it_was(sqlite_repo, tmp_path, case):
    repo = tmp_path / "repo"
    shutil.copytree(sqlite_repo, repo)
    watched = ["online_store.db", "registry.db", "member_gnn.parquet", "job_gnn.parquet"]
    before = {name: (repo / "data" / name).read_bytes() for name in watched}
    write_embedding_tables(repo, _bad(case))
    with pytest.raises(EmbeddingValidationError, match=BAD_CASES[case]) as err:
        _materialize(repo, model_version=None)  # no manifest: the files must agree on their own
    assert "embeddings.parquet" in str(err.value)
    assert {name: (repo / "data" / name).read_bytes() for name in watched} == before


def test_embeddings_from_another_model_are_refused(sqlite_repo, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(sqlite_repo, repo)
    with pytest.raises(
        EmbeddingValidationError, match="model_version is 'model-abc' but the model is 'v2'"
    ):
        prepare_and_materialize(
            repo, ttl_days=TTL_DAYS, embedding_dim=DIM, model_version="v2", **RANGE
        )


def test_missing_profile_features_are_reported(tmp_path):
    repo = build_repo(tmp_path / "repo")
    (repo / "data" / "job_profile.parquet").unlink()
    with pytest.raises(FeatureStoreError, match="job_profile.parquet.*linksage features"):
        _materialize(repo)
    assert not (repo / "data" / "registry.db").exists()


def test_identity_dask_tokens_are_unique_inside_and_content_hashes_return_after():
    from dask.base import tokenize

    frame = pd.DataFrame({"embedding": [np.zeros(3, np.float32), np.ones(3, np.float32)]})
    assert tokenize(frame) == tokenize(frame.copy())  # dask's content hash
    with identity_dask_tokens():
        assert tokenize(frame) != tokenize(frame.copy())
        with identity_dask_tokens():  # nested (rankers wrap historical_features in their own)
            assert tokenize(frame) != tokenize(frame)
        assert tokenize(frame) != tokenize(frame)
    assert tokenize(frame) == tokenize(frame.copy())
