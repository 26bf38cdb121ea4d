"""Readers and writers for the input tables of the data contract (see `linksage.data.schema`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.conform import ColumnTypeError, conform_table
from linksage.data.schema import TABLES, TableSpec
from linksage.errors import DataValidationError, MissingTableError


@dataclass
class Tables:
    """The marketplace tables as pandas DataFrames; optional tables may be None."""

    members: pd.DataFrame
    jobs: pd.DataFrame
    engagements: pd.DataFrame
    member_skills: pd.DataFrame | None = None
    job_skills: pd.DataFrame | None = None
    member_positions: pd.DataFrame | None = None
    recruiter_actions: pd.DataFrame | None = None
    impressions: pd.DataFrame | None = None

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        """(name, frame) for every table that is present."""
        out = []
        for f in fields(self):
            df = getattr(self, f.name)
            if df is not None:
                out.append((f.name, df))
        return out

    def require(self, name: str, needed_for: str) -> pd.DataFrame:
        """Return an optional table, or raise a clear error naming what needed it."""
        df = getattr(self, name)
        if df is None:
            raise MissingTableError(f"{name}.parquet is absent; it is needed for {needed_for}")
        return df


def to_arrow(spec: TableSpec, df: pd.DataFrame) -> pa.Table:
    """Convert a frame to the contract's Arrow schema (casting; raises on impossible casts)."""
    present = set(df.columns)
    schema = spec.arrow_schema(present)
    arrays = []
    for field in schema:
        col = df[field.name]
        if pa.types.is_timestamp(field.type):
            col = pd.to_datetime(col, utc=True)
        arrays.append(pa.array(col, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


_NULLABLE_INT = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas keeping int64 ids, UTC timestamps and plain object strings."""
    df = table.to_pandas(types_mapper=None, timestamp_as_object=False)
    for field in table.schema:
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            df[field.name] = df[field.name].astype(object)
        elif pa.types.is_integer(field.type) and table.column(field.name).null_count:
            # nullable ids (engagements.request_id) stay integers instead of becoming float64
            df[field.name] = table.column(field.name).to_pandas(types_mapper=_NULLABLE_INT.get)
    return df


def write_tables(tables: Tables, directory: Path | str) -> list[Path]:
    """Write every present table as `<name>.parquet` into `directory`.

    The files are written into a temp directory first and moved into place only when all of
    them succeeded, so a failure leaves what was there before untouched.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    written = []
    try:
        for name, df in tables.items():
            spec = TABLES[name]
            pq.write_table(to_arrow(spec, df), staging / spec.file_name, compression="zstd")
        for name, _ in tables.items():
            target = directory / TABLES[name].file_name
            os.replace(staging / TABLES[name].file_name, target)
            written.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def read_table(directory: Path | str, name: str) -> pd.DataFrame | None:
    """Read one table; None if the file is absent (only allowed for optional tables)."""
    spec = TABLES[name]
    path = Path(directory) / spec.file_name
    if not path.exists():
        if spec.required:
            raise MissingTableError(f"{path}: required table is missing")
        return None
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise DataValidationError(f"{path}: not a readable parquet file ({err})", []) from None
    try:
        return from_arrow(conform_table(spec, table))
    except ColumnTypeError as err:
        raise DataValidationError(f"{Path(directory)}/{err}", []) from None


def read_tables(directory: Path | str, validate: bool = True) -> Tables:
    """Read all tables from a directory; with `validate`, refuse data that breaks the contract."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MissingTableError(f"{directory}: data directory not found")
    if validate:
        from linksage.data.validation import validate_directory

        report = validate_directory(directory)
        if not report.ok:
            raise DataValidationError(report.render(), report.problems)
    frames = {name: read_table(directory, name) for name in TABLES}
    return Tables(**frames)
