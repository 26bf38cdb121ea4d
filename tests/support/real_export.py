"""A synthetic marketplace written the way a real interaction log usually arrives.

Only the three required tables (members, jobs, engagements), none of the optional flag columns
(is_premium, seeker_intent, is_promoted), `request_id` all null (Arrow type null, as pandas
writes an all-None column), timestamps in milliseconds and ids as int32.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.tables import Tables

_DROPPED = {"members": ("is_premium", "seeker_intent"), "jobs": ("is_promoted",)}


def _as_export(table: pa.Table) -> pa.Table:
    """ids to int32, timestamps to ms, request_id to the Arrow null type."""
    columns = []
    for field in table.schema:
        col = table.column(field.name)
        if field.name == "request_id":
            col = pa.nulls(len(col), pa.null())
        elif field.name.endswith("_id"):
            col = col.cast(pa.int32())
        elif pa.types.is_timestamp(field.type):
            col = col.cast(pa.timestamp("ms", tz="UTC"))
        columns.append(col)
    return pa.table(columns, names=table.schema.names)


def write_real_export(tables: Tables, directory: Path, also: tuple[str, ...] = ()) -> Path:
    """Write members, jobs and engagements of `tables` (and the optional tables named in `also`)
    into `directory` as a real export looks."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("members", "jobs", "engagements", *also):
        df = getattr(tables, name).drop(columns=list(_DROPPED.get(name, ())), errors="ignore")
        table = _as_export(pa.Table.from_pandas(df, preserve_index=False))
        pq.write_table(table, directory / f"{name}.parquet")
    return directory
