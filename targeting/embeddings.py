"""GNN embeddings from the feature repository's parquet sources (`<repo>/data/member_gnn.parquet`,
`job_gnn.parquet`: one row per entity and snapshot, `embedding` a list of floats), read with
pyarrow. A snapshot stamped `s` was computed from the graph before `s`, so the vectors of the
latest snapshot at or before a time are what a system could have used at that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TS = "event_timestamp"


@dataclass(frozen=True)
class Vectors:
    """Unit-normalised vectors of some ids (row i is ids[i]), for cosine similarity."""

    ids: np.ndarray
    vectors: np.ndarray

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Row of each id in `vectors` (-1 when the id has no vector)."""
        return pd.Index(self.ids).get_indexer(np.asarray(ids))


def _unit(table: pa.Table) -> np.ndarray:
    emb = table["embedding"].combine_chunks()
    dim = len(emb[0]) if len(emb) else 0
    x = emb.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, dim)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def snapshot_times(path: Path) -> pd.DatetimeIndex:
    """The distinct snapshot times of an embeddings file, ascending."""
    ts = pc.unique(pq.read_table(path, columns=[TS])[TS]).to_pandas()
    return pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).sort_values()


def member_vectors(path: Path, at: pd.Timestamp) -> tuple[Vectors, pd.Timestamp] | None:
    """Every member's vector of the latest snapshot at or before `at` (None: no such one)."""
    times = snapshot_times(path)
    times = times[times <= at]
    if len(times) == 0:
        return None
    snap = times[-1]
    table = pq.read_table(path, columns=["member_id", "embedding"], filters=[(TS, "==", snap)])
    ids = table["member_id"].to_numpy()
    return Vectors(ids=ids, vectors=_unit(table)), snap


def job_vectors(path: Path, starts: pd.Series) -> Vectors:
    """Each job's vector of its latest snapshot at or before its start (`starts`: job_id ->
    time); a job with no such snapshot has no row."""
    ids = [int(i) for i in starts.index]
    table = pq.read_table(
        path, columns=["job_id", "embedding", TS], filters=[("job_id", "in", ids)]
    )
    ts = pd.to_datetime(table[TS].to_pandas(), utc=True).to_numpy()
    job = table["job_id"].to_numpy()
    start = pd.to_datetime(starts.reindex(job).to_numpy(), utc=True).to_numpy()
    frame = pd.DataFrame({"job_id": job, "ts": ts, "row": np.arange(len(job))})
    frame = frame[ts <= start].sort_values(["job_id", "ts"]).drop_duplicates("job_id", keep="last")
    picked = table.take(pa.array(frame["row"].to_numpy()))
    return Vectors(ids=picked["job_id"].to_numpy(), vectors=_unit(picked))
