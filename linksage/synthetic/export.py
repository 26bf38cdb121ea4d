"""A synthetic marketplace written the way a user's interaction log usually arrives.

Only the tables an export holds (members, jobs, engagements, and job skills), none of the
optional flag columns (is_premium, seeker_intent, is_promoted), `request_id` all null (Arrow's
null type, as pandas writes an all-None column), timestamps in milliseconds and ids as int32:
the shape `configs/export.yaml` (`data.synthetic.export: true`) tests the product on.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.schema import TABLES
from linksage.data.tables import Tables

EXPORT_TABLES = ("members", "jobs", "engagements", "job_skills")
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


def write_export(tables: Tables, directory: Path, names: tuple[str, ...] = EXPORT_TABLES) -> Path:
    """Write the tables `names` of `tables` into `directory` as an export looks; a table file of
    another name left there (from an earlier run) is removed, since it would be read as the
    user's. Each file goes to a temporary name first, then is renamed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for spec in TABLES.values():
        if spec.name not in names:
            (directory / spec.file_name).unlink(missing_ok=True)
    for name in names:
        df = getattr(tables, name).drop(columns=list(_DROPPED.get(name, ())), errors="ignore")
        path = directory / TABLES[name].file_name
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(_as_export(pa.Table.from_pandas(df, preserve_index=False)), tmp)
        tmp.replace(path)
    return directory
