"""Bulk materialize: the newest row per entity in [start, end] of each view's parquet source,
read with pyarrow and written through Feast's `FeatureStore.write_to_online_store` in batches.

Same rows as `feast materialize START END` on the file offline store (both ends inclusive, the
newest row per entity, the row's event_timestamp as the online event time), same online writer
(Feast's own, so the stored bytes are Feast's), and the same materialization interval recorded
in the registry. What it skips is Feast's file-store read: dask loads every row of the range into
pandas (one object per embedding) and sorts them all before keeping one per entity, which grows
with the snapshots in the range; here only the key and timestamp columns of the whole range are
read, and the feature columns only of the row groups that hold a winning row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linksage.feature_store.repo import FeatureStoreError, open_store

BATCH_ROWS = 20_000
_US_UTC = pa.timestamp("us", tz="UTC")


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    """Timestamps as int64 microseconds since the epoch (a naive column is read as UTC, as
    Feast's file store does)."""
    if column.type.tz is None:
        column = pc.assume_timezone(column, "UTC")
    return pc.cast(pc.cast(column, _US_UTC), pa.int64()).to_numpy()


def _utc_micros(at: datetime) -> int:
    """A datetime as microseconds since the epoch (naive = UTC)."""
    return pa.scalar(at, _US_UTC).value


def newest_row_indices(
    keys: np.ndarray, micros: np.ndarray, *, start: datetime, end: datetime
) -> np.ndarray:
    """File-order indices of the newest row per key with start <= timestamp <= end (a tie on
    the timestamp goes to the later row in the file), ascending."""
    rows = np.flatnonzero((micros >= _utc_micros(start)) & (micros <= _utc_micros(end)))
    if rows.size == 0:
        return rows
    order = np.lexsort((rows, micros[rows], keys[rows]))  # by key, then time, then file order
    ranked = rows[order]
    sorted_keys = keys[ranked]
    last = np.ones(len(ranked), bool)
    last[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    return np.sort(ranked[last])


def newest_rows(
    path: Path, *, join_key: str, timestamp_field: str, columns: Sequence[str], start, end
) -> Iterator[pa.Table]:
    """The newest row per entity in [start, end] of a parquet file, one table per row group
    that holds any (row groups without one are not read)."""
    pf = pq.ParquetFile(path)
    index = pf.read(columns=[join_key, timestamp_field])
    keys = pc.cast(index[join_key], pa.int64()).to_numpy()
    wanted = newest_row_indices(keys, _micros(index[timestamp_field]), start=start, end=end)
    del index, keys
    bounds = np.cumsum([0] + [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)])
    for group in range(pf.num_row_groups):
        lo, hi = np.searchsorted(wanted, bounds[group : group + 2])
        if hi > lo:
            part = pf.read_row_group(group, columns=list(columns))
            yield part.take(pa.array(wanted[lo:hi] - bounds[group]))


def _source_path(store, view) -> Path:
    """The parquet file behind a view's batch source (a FileSource without a created timestamp
    or field mapping: what the linksage views use)."""
    source = view.batch_source
    path = getattr(source, "path", None)
    if type(source).__name__ != "FileSource" or not path:
        raise FeatureStoreError(
            f"view {view.name}: bulk materialize reads parquet FileSources only, its source is "
            f"{type(source).__name__}; set feast.materialize: feast in the config"
        )
    if source.created_timestamp_column or source.field_mapping:
        raise FeatureStoreError(
            f"view {view.name}: bulk materialize does not apply a created timestamp or a field "
            "mapping; set feast.materialize: feast in the config"
        )
    path = Path(path)
    return path if path.is_absolute() else Path(store.repo_path) / path


def online_key_order(ids: np.ndarray) -> np.ndarray:
    """The order of int64 entity ids by their bytes in Feast's serialized entity key (the value
    is little-endian, so byte order is the order of the byte-swapped value)."""
    return np.argsort(np.asarray(ids, dtype="<i8").view("<u8").byteswap(), kind="stable")


def _write_view(store, view, *, start: datetime, end: datetime, batch_rows: int) -> int:
    """Bulk-materialize one view; returns the rows written online."""
    join_key = view.entity_columns[0].name
    ts_field = view.batch_source.timestamp_field
    columns = [join_key, ts_field, *(f.name for f in view.features)]
    path = _source_path(store, view)
    if not path.is_file():
        raise FeatureStoreError(f"{path}: source of view {view.name} not found")
    parts = list(
        newest_rows(
            path, join_key=join_key, timestamp_field=ts_field, columns=columns, start=start, end=end
        )
    )
    if not parts:
        return 0
    rows = pa.concat_tables(parts)
    # SQLite keeps each view in a B-tree keyed by the serialized entity key: writing in that
    # key's byte order makes the inserts sequential (x1.5 on a fresh table, measured).
    rows = rows.take(pa.array(online_key_order(rows[join_key].to_numpy())))
    for batch in rows.to_batches(max_chunksize=batch_rows):
        store.write_to_online_store(view.name, batch.to_pandas())
    return rows.num_rows


def bulk_materialize(
    repo_dir: Path | str,
    *,
    start: datetime,
    end: datetime,
    views: Sequence[str] | None = None,
    batch_rows: int = BATCH_ROWS,
    **store_kwargs,
) -> dict[str, int]:
    """Materialize [start, end] (both inclusive) of the named views (default: every online
    view) as `feast materialize` would; returns rows written online per view."""
    store = open_store(repo_dir, **store_kwargs)
    if views:
        chosen = [store.get_feature_view(v) for v in views]
    else:
        chosen = [v for v in store.list_feature_views() if v.online]
    rows = {}
    for view in chosen:
        rows[view.name] = _write_view(store, view, start=start, end=end, batch_rows=batch_rows)
        # what `feast materialize` records, so `feast materialize-incremental` resumes after it
        store.registry.apply_materialization(view, store.project, start, end)
    return rows
