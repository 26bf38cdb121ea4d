"""`linksage validate DIR`: check a directory of tables against the data contract.

Every problem is collected (not just the first), each with the file, the column and a few example
rows, so a user can fix a dataset in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.conform import ColumnTypeError, conform_table
from linksage.data.schema import SENIORITY_RANGE, TABLES, TableSpec

MAX_EXAMPLES = 3
# Sentinel-looking timestamps (epoch zero, year 9999) are outside any real marketplace's range.
EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
LATEST = pd.Timestamp("2100-01-01", tz="UTC")


@dataclass
class Problem:
    file: str
    column: str | None
    message: str
    examples: list[dict] = field(default_factory=list)

    def render(self) -> str:
        where = f"{self.file}" + (f", column '{self.column}'" if self.column else "")
        text = f"{where}: {self.message}"
        for row in self.examples:
            text += f"\n    e.g. {row}"
        return text


@dataclass
class ValidationReport:
    directory: Path
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        if self.ok:
            counts = ", ".join(f"{k}={v}" for k, v in self.rows.items())
            return f"{self.directory}: valid ({counts})"
        head = f"{self.directory}: {len(self.problems)} problem(s) with the input tables"
        return "\n".join([head] + ["  " + p.render() for p in self.problems])


def _examples(df: pd.DataFrame, mask: np.ndarray | pd.Series) -> list[dict]:
    rows = df.loc[np.asarray(mask)].head(MAX_EXAMPLES)
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")]


def _conform(spec: TableSpec, table: pa.Table, problems: list[Problem]) -> pa.Table:
    """The table's usable contract columns in their contract types; one problem per column that
    is missing (when required), of the wrong logical type, or whose values do not fit."""
    for col in spec.columns:
        if col.name not in table.schema.names and not col.optional:
            problems.append(Problem(spec.file_name, col.name, "required column is missing"))
    errors: dict[str, ColumnTypeError] = {}
    conformed = conform_table(spec, table, errors)
    for name, err in errors.items():
        examples = [{name: v} for v in table.column(name).slice(0, MAX_EXAMPLES).to_pylist()]
        problems.append(Problem(spec.file_name, name, str(err), examples))
    return conformed


def _check_values(spec: TableSpec, df: pd.DataFrame, usable: set[str], problems: list[Problem]):
    f = spec.file_name
    for col in spec.columns:
        if col.name not in usable:
            continue
        s = df[col.name]
        null = s.isna().to_numpy()
        if not col.nullable and null.any():
            problems.append(
                Problem(f, col.name, f"{int(null.sum())} null/NaN value(s)", _examples(df, null))
            )
        if col.allowed is not None:
            bad = (~s.isin(col.allowed) & ~null).to_numpy()
            if bad.any():
                problems.append(
                    Problem(
                        f,
                        col.name,
                        f"{int(bad.sum())} value(s) not in {list(col.allowed)}",
                        _examples(df, bad),
                    )
                )
        if pa.types.is_floating(col.type):
            inf = np.isinf(s.to_numpy(dtype=float, na_value=np.nan))
            if inf.any():
                problems.append(Problem(f, col.name, "infinite value(s)", _examples(df, inf)))
        if pa.types.is_timestamp(col.type):
            out = ((s < EARLIEST) | (s >= LATEST)).to_numpy() & ~null
            if out.any():
                problems.append(
                    Problem(
                        f,
                        col.name,
                        f"{int(out.sum())} timestamp(s) outside the data's range "
                        f"[{EARLIEST.date()}, {LATEST.date()})",
                        _examples(df, out),
                    )
                )
    if "seniority" in usable:
        lo, hi = SENIORITY_RANGE
        bad = ((df["seniority"] < lo) | (df["seniority"] > hi)).to_numpy()
        if bad.any():
            problems.append(
                Problem(f, "seniority", f"value(s) outside {lo}-{hi}", _examples(df, bad))
            )
    if spec.key and spec.key in usable:
        dup = df[spec.key].duplicated(keep=False).to_numpy()
        if dup.any():
            problems.append(
                Problem(
                    f,
                    spec.key,
                    f"{int(df[spec.key].duplicated().sum())} duplicate id(s)",
                    _examples(df, dup),
                )
            )


def _check_order(name: str, df: pd.DataFrame, first: str, then: str, problems: list[Problem]):
    """Rows where `then` is before `first` (e.g. a job expiring before it is posted)."""
    if first not in df or then not in df:
        return
    bad = (df[then] < df[first]).to_numpy()
    if bad.any():
        problems.append(
            Problem(
                TABLES[name].file_name,
                then,
                f"{int(bad.sum())} row(s) where {then} is before {first}",
                _examples(df, bad),
            )
        )


def _check_references(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Dangling member/job ids, and events dated before the job or member they refer to."""
    parents = {
        "member_id": ("members", "created_at"),
        "job_id": ("jobs", "posted_at"),
    }
    for child_name, child in frames.items():
        for key, (parent_name, born_col) in parents.items():
            parent = frames.get(parent_name)
            if child_name == parent_name or key not in child or parent is None or key not in parent:
                continue
            known = parent[key].to_numpy()
            dangling = ~np.isin(child[key].to_numpy(), known)
            if dangling.any():
                problems.append(
                    Problem(
                        TABLES[child_name].file_name,
                        key,
                        f"{int(dangling.sum())} row(s) refer to a {key} missing from "
                        f"{TABLES[parent_name].file_name}",
                        _examples(child, dangling),
                    )
                )
            if "at" in child and born_col in parent and parent[key].is_unique:
                born = child[key].map(parent.set_index(key)[born_col])
                early = (child["at"] < born).to_numpy() & ~dangling
                if early.any():
                    problems.append(
                        Problem(
                            TABLES[child_name].file_name,
                            "at",
                            f"{int(early.sum())} event(s) dated before their {key}'s "
                            f"{born_col} in {TABLES[parent_name].file_name}",
                            _examples(child, early),
                        )
                    )


def validate_directory(directory: Path | str) -> ValidationReport:
    """Check every table in `directory` against the contract and return all problems found."""
    directory = Path(directory)
    report = ValidationReport(directory)
    if not directory.is_dir():
        report.problems.append(Problem(str(directory), None, "data directory not found"))
        return report
    frames: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        path = directory / spec.file_name
        if not path.exists():
            if spec.required:
                report.problems.append(Problem(spec.file_name, None, "required table is missing"))
            continue
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as err:
            report.problems.append(
                Problem(spec.file_name, None, f"not a readable parquet file: {err}")
            )
            continue
        conformed = _conform(spec, table, report.problems)
        usable = set(conformed.schema.names)
        df = conformed.to_pandas()
        _check_values(spec, df, usable, report.problems)
        frames[name] = df
        report.rows[name] = table.num_rows
    if "jobs" in frames:
        _check_order("jobs", frames["jobs"], "posted_at", "expires_at", report.problems)
    if "member_positions" in frames:
        _check_order(
            "member_positions", frames["member_positions"], "start_at", "end_at", report.problems
        )
    _check_references(frames, report.problems)
    return report
