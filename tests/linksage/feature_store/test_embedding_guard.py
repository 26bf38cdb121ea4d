"""The embeddings guard: each broken rule is refused with a message naming file and column."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linksage.feature_store.embedding_guard import EmbeddingValidationError, check_embeddings

DIM = 3
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _table(**overrides) -> pa.Table:
    cols = {
        "job_id": pa.array([1, 2], pa.int64()),
        "embedding": pa.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], pa.list_(pa.float32())),
        "event_timestamp": pa.array([T0, T0], pa.timestamp("us", tz="UTC")),
        "model_version": pa.array(["v1", "v1"], pa.string()),
    }
    cols.update(overrides)
    return pa.table({k: v for k, v in cols.items() if v is not None})


def _check(tmp_path, table: pa.Table, **kwargs) -> pa.Table:
    path = tmp_path / "emb.parquet"
    pq.write_table(table, path)
    return check_embeddings(path, id_column="job_id", embedding_dim=DIM, **kwargs)


def test_valid_file_is_normalized(tmp_path):
    naive = pa.array([datetime(2026, 1, 1), datetime(2026, 1, 2)], pa.timestamp("ms"))
    out = _check(
        tmp_path,
        _table(
            job_id=pa.array([1, 2], pa.int32()),
            embedding=pa.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], pa.list_(pa.float64())),
            event_timestamp=naive,
        ),
        model_version="v1",
    )
    assert out.schema == pa.schema(
        [
            ("job_id", pa.int64()),
            ("embedding", pa.list_(pa.float32())),
            ("event_timestamp", pa.timestamp("us", tz="UTC")),
            ("model_version", pa.string()),
        ]
    )
    assert out["job_id"].to_pylist() == [1, 2]
    assert out["event_timestamp"].to_pylist()[1] == datetime(2026, 1, 2, tzinfo=UTC)
    np.testing.assert_allclose(out["embedding"].to_pylist()[1], [0.4, 0.5, 0.6], rtol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(EmbeddingValidationError, match="embeddings file not found"):
        check_embeddings(tmp_path / "nope.parquet", id_column="job_id", embedding_dim=DIM)


def test_unreadable_file(tmp_path):
    path = tmp_path / "emb.parquet"
    path.write_text("not parquet")
    with pytest.raises(EmbeddingValidationError, match="not a readable parquet file"):
        check_embeddings(path, id_column="job_id", embedding_dim=DIM)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model_version": None}, "missing column\\(s\\) model_version; has job_id, embedding"),
        (
            {
                "job_id": pa.array([], pa.int64()),
                "embedding": pa.array([], pa.list_(pa.float32())),
                "event_timestamp": pa.array([], pa.timestamp("us", tz="UTC")),
                "model_version": pa.array([], pa.string()),
            },
            ": no rows",
        ),
        ({"job_id": pa.array([1, None], pa.int64())}, "column job_id has 1 null value\\(s\\)"),
        ({"job_id": pa.array(["1", "2"])}, "column job_id must be int64, got string"),
        (
            {"event_timestamp": pa.array([1, 2], pa.int64())},
            "column event_timestamp must be a timestamp, got int64",
        ),
        (
            {"embedding": pa.array([1.0, 2.0], pa.float32())},
            "column embedding must be a list of float32, got float",
        ),
        (
            {"embedding": pa.array([[1, 2, 3], [4, 5, 6]], pa.list_(pa.int32()))},
            "column embedding must hold floats, got int32",
        ),
        (
            {"model_version": pa.array([1, 1], pa.int64())},
            "column model_version must be a string",
        ),
        (
            {"embedding": pa.array([[0.1, 0.2, 0.3], [0.4, 0.5]], pa.list_(pa.float32()))},
            "column embedding has 1 row\\(s\\) whose dimension is not 3 \\(the model's "
            "embedding_dim\\); e.g. dims 2 for job_id 2",
        ),
        (
            {"embedding": pa.array([[0.1, None, 0.3], [0.4, 0.5, 0.6]], pa.list_(pa.float32()))},
            "column embedding holds null values",
        ),
        (
            {"embedding": pa.array([[0.1, 0.2, 0.3], [np.inf, 0.5, 0.6]], pa.list_(pa.float32()))},
            "column embedding has NaN/inf in 1 row\\(s\\); e.g. job_id 2",
        ),
        (
            {"job_id": pa.array([7, 7], pa.int64())},
            "more than one row per job_id per event_timestamp \\(1 duplicated pair\\(s\\)\\); "
            "e.g. job_id 7",
        ),
        (
            {"model_version": pa.array(["v1", "v2"])},
            "column model_version must hold one value, found 2: v1, v2",
        ),
    ],
)
def test_broken_rule_is_refused(tmp_path, overrides, message):
    with pytest.raises(EmbeddingValidationError, match=message) as err:
        _check(tmp_path, _table(**overrides))
    assert str(err.value).startswith(str(tmp_path / "emb.parquet"))


def test_unexpected_model_version(tmp_path):
    with pytest.raises(EmbeddingValidationError, match="is 'v1' but the model is 'v2'"):
        _check(tmp_path, _table(), model_version="v2")


def test_fixed_size_list_is_accepted(tmp_path):
    values = pa.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], pa.float32())
    out = _check(tmp_path, _table(embedding=pa.FixedSizeListArray.from_arrays(values, DIM)))
    assert out.num_rows == 2
