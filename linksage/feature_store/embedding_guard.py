"""The door to the feature store: checks an embeddings parquet before anything is materialized.

A file that fails is refused with an error naming the file and the column; nothing is written,
so the feature store (offline source and online store) stays as it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linksage.errors import DataValidationError
from linksage.feature_store.repo import FEATURE_TS

TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")


class EmbeddingValidationError(DataValidationError):
    """An embeddings parquet breaks the contract (docs/artifacts.md); the message says where."""


def _examples(values: pa.Array | np.ndarray, limit: int = 5) -> str:
    items = values.to_pylist() if isinstance(values, pa.Array) else list(values)
    return ", ".join(str(v) for v in items[:limit])


def _read(path: Path) -> pa.Table:
    """The parquet file at `path`, or an error if it is missing or unreadable."""
    if not path.is_file():
        raise EmbeddingValidationError(f"{path}: embeddings file not found (run `linksage embed`)")
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise EmbeddingValidationError(f"{path}: not a readable parquet file: {err}") from None


def _check_columns(table: pa.Table, where: str, id_column: str) -> None:
    """Every required column is there, with rows and without nulls."""
    required = (id_column, "embedding", "event_timestamp", "model_version")
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise EmbeddingValidationError(
            f"{where}: missing column(s) {', '.join(missing)}; has {', '.join(table.column_names)}"
        )
    if table.num_rows == 0:
        raise EmbeddingValidationError(f"{where}: no rows")
    for name in required:
        nulls = table[name].null_count
        if nulls:
            raise EmbeddingValidationError(f"{where}: column {name} has {nulls} null value(s)")


def _check_types(table: pa.Table, where: str, id_column: str) -> pa.ChunkedArray:
    """Integer ids, timestamps, a list of floats and string versions; returns the timestamps
    in UTC."""
    ids = table[id_column]
    if not pa.types.is_integer(ids.type):
        raise EmbeddingValidationError(f"{where}: column {id_column} must be int64, got {ids.type}")
    ts = table["event_timestamp"]
    if not pa.types.is_timestamp(ts.type):
        raise EmbeddingValidationError(
            f"{where}: column event_timestamp must be a timestamp, got {ts.type}"
        )
    if ts.type.tz is None:  # the data contract's timestamps are UTC; a naive one means UTC
        ts = pc.assume_timezone(ts, "UTC")
    emb_type = table["embedding"].type
    if not (
        pa.types.is_list(emb_type)
        or pa.types.is_large_list(emb_type)
        or pa.types.is_fixed_size_list(emb_type)
    ):
        raise EmbeddingValidationError(
            f"{where}: column embedding must be a list of float32, got {emb_type}"
        )
    if not pa.types.is_floating(emb_type.value_type):
        raise EmbeddingValidationError(
            f"{where}: column embedding must hold floats, got {emb_type.value_type}"
        )
    mv = table["model_version"]
    if not pa.types.is_string(mv.type) and not pa.types.is_large_string(mv.type):
        raise EmbeddingValidationError(f"{where}: column model_version must be a string")
    return ts


def _check_vectors(
    emb: pa.Array, ids: pa.ChunkedArray, where: str, id_column: str, embedding_dim: int
) -> np.ndarray:
    """Every vector has `embedding_dim` finite values; returns them flat, as float32."""
    lengths = pc.list_value_length(emb).to_numpy(zero_copy_only=False)
    wrong = np.flatnonzero(lengths != embedding_dim)
    if wrong.size:
        raise EmbeddingValidationError(
            f"{where}: column embedding has {wrong.size} row(s) whose dimension is not "
            f"{embedding_dim} (the model's embedding_dim); e.g. dims {_examples(lengths[wrong])} "
            f"for {id_column} {_examples(ids.take(pa.array(wrong[:5])).combine_chunks())}"
        )
    if pc.list_flatten(emb).null_count:
        raise EmbeddingValidationError(
            f"{where}: column embedding holds null values (NaN written through pandas becomes null)"
        )
    values = pc.list_flatten(emb).to_numpy(zero_copy_only=False).astype(np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.unique(np.flatnonzero(bad) // embedding_dim)
        raise EmbeddingValidationError(
            f"{where}: column embedding has NaN/inf in {rows.size} row(s); "
            f"e.g. {id_column} {_examples(ids.take(pa.array(rows[:5])).combine_chunks())}"
        )
    return values


def _check_unique(id_np: np.ndarray, ts_np: np.ndarray, where: str, id_column: str) -> None:
    """At most one row per entity per snapshot time."""
    keys = np.stack([id_np, ts_np], axis=1)
    uniq, counts = np.unique(keys, axis=0, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        raise EmbeddingValidationError(
            f"{where}: more than one row per {id_column} per event_timestamp "
            f"({int((counts > 1).sum())} duplicated pair(s)); e.g. {id_column} "
            f"{_examples(dup[:, 0])}"
        )


def _check_version(mv: pa.ChunkedArray, where: str, model_version: str | None) -> None:
    """One model_version in the file, and the expected one when given."""
    versions = pc.unique(mv).to_pylist()
    if len(versions) != 1:
        raise EmbeddingValidationError(
            f"{where}: column model_version must hold one value, found {len(versions)}: "
            f"{_examples(versions)}"
        )
    if model_version is not None and versions[0] != model_version:
        raise EmbeddingValidationError(
            f"{where}: column model_version is {versions[0]!r} but the model is {model_version!r}"
        )


def _check_feature_ts(table: pa.Table, ts_us: pa.ChunkedArray, where: str) -> None:
    """An optional `feature_ts` column (what `linksage embed` writes, ready to publish) is a
    copy of event_timestamp: the leakage audit trusts it as the picked row's time."""
    if FEATURE_TS not in table.column_names:
        return
    col = table[FEATURE_TS]
    if not pa.types.is_timestamp(col.type):
        raise EmbeddingValidationError(
            f"{where}: column {FEATURE_TS} must be a timestamp, got {col.type}"
        )
    if col.type.tz is None:
        col = pc.assume_timezone(col, "UTC")
    same = pc.equal(pc.cast(col, TIMESTAMP_UTC), ts_us)
    if col.null_count or not pc.all(same).as_py():
        raise EmbeddingValidationError(
            f"{where}: column {FEATURE_TS} must equal event_timestamp on every row"
        )


def in_published_form(path: Path | str, id_column: str) -> bool:
    """Whether a checked embeddings file can become a view's source as it is (by a rename):
    exactly the normalized columns plus `feature_ts`, with their normalized types."""
    types = {f.name: f.type for f in pq.read_schema(path)}
    expected = {
        id_column: pa.int64(),
        "event_timestamp": TIMESTAMP_UTC,
        "model_version": pa.string(),
        FEATURE_TS: TIMESTAMP_UTC,
    }
    embedding = types.pop("embedding", None)
    return (
        types == expected
        and embedding is not None
        and pa.types.is_list(embedding)
        and embedding.value_type == pa.float32()
    )


def check_embeddings(
    path: Path | str,
    *,
    id_column: str,
    embedding_dim: int,
    model_version: str | None = None,
) -> pa.Table:
    """Read and check one embeddings parquet; return it normalized (int64 ids, float32 vectors,
    timestamp[us, UTC]). Raises EmbeddingValidationError on the first broken rule:
    missing file or column, wrong type, nulls, wrong dimension, NaN/inf, more than one row per
    entity per snapshot, more than one model_version or not the expected one, a `feature_ts`
    column (optional) that is not a copy of event_timestamp."""
    path = Path(path)
    table = _read(path)
    where = f"{path}"
    _check_columns(table, where, id_column)
    ts = _check_types(table, where, id_column)
    ids, mv = table[id_column], table["model_version"]
    values = _check_vectors(
        table["embedding"].combine_chunks(), ids, where, id_column, embedding_dim
    )
    ts_us = pc.cast(ts, TIMESTAMP_UTC)
    id_np = pc.cast(ids, pa.int64()).to_numpy()
    _check_unique(id_np, pc.cast(ts_us, pa.int64()).to_numpy(), where, id_column)
    _check_version(mv, where, model_version)
    _check_feature_ts(table, ts_us, where)

    vectors = pa.FixedSizeListArray.from_arrays(pa.array(values), embedding_dim)
    return pa.table(
        {
            id_column: pa.array(id_np, pa.int64()),
            "embedding": vectors.cast(pa.list_(pa.float32())),
            "event_timestamp": ts_us.combine_chunks(),
            "model_version": pc.cast(mv, pa.string()).combine_chunks(),
        }
    )
