"""The embeddings table every writer produces: (<entity>_id, embedding, event_timestamp,
model_version), embedding as list<float32>, timestamps UTC microseconds; `with_feature_ts` adds
the GNN views' `feature_ts` column, so the file can be published as it is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from linksage.feature_store.repo import FEATURE_TS

TIMESTAMP = pa.timestamp("us", tz="UTC")


def embeddings_table(
    *,
    id_column: str,
    ids: Sequence[int] | np.ndarray,
    vectors: np.ndarray,
    event_timestamps: Sequence | np.ndarray | pd.Series,
    model_version: str,
) -> pa.Table:
    """One row per (id, vector, event_timestamp); `vectors` is [n, dim] (n may be 0)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    flat = pa.array(vectors.reshape(-1), pa.float32())
    embedding = pa.FixedSizeListArray.from_arrays(flat, dim).cast(pa.list_(pa.float32()))
    ts = pd.to_datetime(pd.Series(np.asarray(event_timestamps)), utc=True)
    return pa.table(
        {
            id_column: pa.array(np.asarray(ids, dtype=np.int64), pa.int64()),
            "embedding": embedding,
            "event_timestamp": pa.array(ts.astype("datetime64[us, UTC]"), TIMESTAMP),
            "model_version": pa.array([model_version] * len(vectors), pa.string()),
        }
    )


def with_feature_ts(table: pa.Table) -> pa.Table:
    """`table` with `feature_ts` (= event_timestamp) appended, the column every feature view
    carries: written by `linksage embed`, a checked file becomes a view's source by a rename."""
    if FEATURE_TS in table.column_names:
        return table
    return table.append_column(FEATURE_TS, table["event_timestamp"])
