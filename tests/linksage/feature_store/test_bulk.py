"""Bulk materialize against `feast materialize` on real Feast: the same bytes in the online store
(SQLite and a real redis-server), the same registry intervals, and the row picking on its own."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linksage.feature_store import (
    FeatureStoreError,
    apply_repo,
    bulk_materialize,
    check_embedding_files,
    identity_dask_tokens,
    open_store,
    publish_embeddings,
    write_settings,
)
from linksage.feature_store.bulk import newest_row_indices, newest_rows, online_key_order
from tests.support.feast_data import DIM, SNAPSHOTS, T0, build_repo

# the whole range, then a narrower one on top (what a second run writes over the first)
RANGES = [(T0 - timedelta(days=1), SNAPSHOTS[-1]), (SNAPSHOTS[1], SNAPSHOTS[1])]


@pytest.fixture(scope="module")
def applied_repo(tmp_path_factory):
    """An applied repo with profiles and published embeddings, nothing materialized yet."""
    repo = build_repo(tmp_path_factory.mktemp("bulk") / "repo")
    write_settings(repo, ttl_days=5, embedding_dim=DIM)
    publish_embeddings(repo, check_embedding_files(repo, embedding_dim=DIM))
    apply_repo(repo)
    return repo


def _copies(applied_repo, tmp_path):
    feast_repo, bulk_repo = tmp_path / "feast", tmp_path / "bulk"
    shutil.copytree(applied_repo, feast_repo)
    shutil.copytree(applied_repo, bulk_repo)
    return feast_repo, bulk_repo


def _feast_materialize(repo, start, end, **store_kwargs) -> None:
    with identity_dask_tokens():
        open_store(repo, **store_kwargs).materialize(start_date=start, end_date=end)


def _sqlite_rows(repo) -> dict[str, list[tuple]]:
    with sqlite3.connect(repo / "data" / "online_store.db") as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}


def _intervals(repo) -> dict[str, list]:
    store = open_store(repo)
    return {v.name: list(v.materialization_intervals) for v in store.list_feature_views()}


def test_bulk_writes_the_sqlite_rows_of_feast_materialize(applied_repo, tmp_path):
    feast_repo, bulk_repo = _copies(applied_repo, tmp_path)
    for start, end in RANGES:
        _feast_materialize(feast_repo, start, end)
        rows = bulk_materialize(bulk_repo, start=start, end=end)
        # every row of every view's table: entity key, feature, serialized value, event time
        assert _sqlite_rows(bulk_repo) == _sqlite_rows(feast_repo)
    assert rows == {"member_profile": 4, "job_profile": 2, "member_gnn": 3, "job_gnn": 2}
    assert _intervals(bulk_repo) == _intervals(feast_repo)
    assert all(len(i) == len(RANGES) for i in _intervals(bulk_repo).values())


def _redis_dump(client) -> dict[bytes, dict]:
    return {key: client.hgetall(key) for key in client.scan_iter(count=1000)}


def test_bulk_writes_the_redis_hashes_of_feast_materialize(applied_repo, tmp_path):
    import redis

    from tests.support.local_redis import local_redis_server

    feast_repo, bulk_repo = _copies(applied_repo, tmp_path)
    with local_redis_server(tmp_path) as (host, port):
        kw = {"online_store": "redis", "redis_connection_string": f"{host}:{port}"}
        client = redis.Redis(host=host, port=port)
        dumps = {}
        for name, repo in (("feast", feast_repo), ("bulk", bulk_repo)):
            client.flushall()
            apply_repo(repo, **kw)
            for start, end in RANGES:
                if name == "feast":
                    _feast_materialize(repo, start, end, **kw)
                else:
                    bulk_materialize(repo, start=start, end=end, **kw)
            dumps[name] = _redis_dump(client)
    assert dumps["bulk"] == dumps["feast"]
    assert len(dumps["bulk"]) == 4 + 3  # one hash per member and job, every view's fields in it


def _us(*days: float) -> np.ndarray:
    return (np.asarray(days) * 86_400e6).astype(np.int64)


def test_newest_row_per_key_in_an_inclusive_range():
    t0 = datetime(1970, 1, 1, tzinfo=UTC)
    keys = np.array([7, 3, 7, 3, 7, 5, 3], np.int64)
    micros = _us(1, 1, 3, 2, 2, 4, 2)  # key 3 has two rows at day 2: the later one in the file
    got = newest_row_indices(keys, micros, start=t0 + timedelta(days=1), end=t0 + timedelta(days=3))
    assert got.tolist() == [2, 6]  # key 7 at day 3 (the end, included); key 5 is after the end
    got = newest_row_indices(keys, micros, start=t0 + timedelta(days=3), end=t0 + timedelta(days=9))
    assert got.tolist() == [2, 5]
    assert newest_row_indices(keys, micros, start=t0, end=t0).size == 0


def test_newest_rows_reads_only_the_row_groups_that_hold_one(tmp_path):
    ts = pa.array([datetime(2026, 1, d, tzinfo=UTC) for d in (1, 1, 2, 2, 3, 3)])
    table = pa.table({"id": pa.array([1, 2, 1, 2, 1, 3], pa.int64()), "ts": ts, "v": range(6)})
    path = tmp_path / "source.parquet"
    pq.write_table(table, path, row_group_size=2)
    parts = list(
        newest_rows(
            path,
            join_key="id",
            timestamp_field="ts",
            columns=["id", "v"],
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=datetime(2026, 1, 3, tzinfo=UTC),
        )
    )
    assert [p.to_pydict() for p in parts] == [{"id": [2], "v": [3]}, {"id": [1, 3], "v": [4, 5]}]


def test_online_key_order_is_the_byte_order_of_feasts_entity_keys():
    from feast.infra.key_encoding_utils import serialize_entity_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    ids = np.array([1, 256, 2, 255, 65_536, 3, 2**40 + 1], np.int64)

    def key(i):
        proto = EntityKey(join_keys=["member_id"], entity_values=[Value(int64_val=int(i))])
        return serialize_entity_key(proto, entity_key_serialization_version=3)

    assert [key(i) for i in ids[online_key_order(ids)]] == sorted(key(i) for i in ids)


def test_a_view_whose_source_file_is_missing_is_named(applied_repo, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(applied_repo, repo)
    (repo / "data" / "job_gnn.parquet").unlink()
    with pytest.raises(FeatureStoreError, match="job_gnn.parquet: source of view job_gnn"):
        bulk_materialize(repo, start=RANGES[0][0], end=RANGES[0][1], views=["job_gnn"])
