"""Each validation failure: one corrupted copy of the tiny marketplace, one assertion on the
message (file and column named) and the CLI's exit code."""

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from linksage.cli.app import app
from linksage.data.validation import validate_directory

runner = CliRunner()


@pytest.fixture
def data_copy(tiny_data_dir, tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(tiny_data_dir, dst)
    return dst


def _edit(directory, name, fn):
    path = directory / f"{name}.parquet"
    df = pq.read_table(path).to_pandas()
    out = fn(df)
    table = out if isinstance(out, pa.Table) else pa.Table.from_pandas(out, preserve_index=False)
    pq.write_table(table, path)


def _set(col, row, value):
    def fn(df):
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
        return df

    return fn


def test_generated_data_is_valid(tiny_data_dir):
    report = validate_directory(tiny_data_dir)
    assert report.ok, report.render()
    result = runner.invoke(app, ["validate", str(tiny_data_dir)])
    assert result.exit_code == 0, result.output


def _first_engaged(directory, key):
    return pq.read_table(directory / "engagements.parquet").column(key)[0].as_py()


CASES = {
    "missing column": (
        "members",
        lambda df: df.drop(columns=["location"]),
        "members.parquet",
        "location",
        "missing",
    ),
    "wrong type": (
        "jobs",
        lambda df: df.assign(job_id=df["job_id"].astype(str)),
        "jobs.parquet",
        "job_id",
        "wrong type",
    ),
    "naive timestamp": (
        "engagements",
        lambda df: df.assign(at=df["at"].dt.tz_localize(None)),
        "engagements.parquet",
        "at",
        "timezone-aware",
    ),
    "duplicate id": (
        "members",
        lambda df: pd.concat([df, df.head(2)]),
        "members.parquet",
        "member_id",
        "duplicate",
    ),
    "null not allowed": ("members", _set("title", 3, None), "members.parquet", "title", "null"),
    "NaN score": (
        "member_skills",
        _set("score", 0, float("nan")),
        "member_skills.parquet",
        "score",
        "null/NaN",
    ),
    "unknown action": (
        "engagements",
        _set("action", 0, "like"),
        "engagements.parquet",
        "action",
        "not in",
    ),
    "seniority range": (
        "jobs",
        lambda df: df.assign(seniority=df["seniority"] + 9),
        "jobs.parquet",
        "seniority",
        "outside 0-6",
    ),
    "dangling member": (
        "engagements",
        lambda df: df.assign(member_id=df["member_id"] + 10**9),
        "engagements.parquet",
        "member_id",
        "missing from members.parquet",
    ),
    "dangling job": (
        "impressions",
        lambda df: df.assign(job_id=df["job_id"] + 10**9),
        "impressions.parquet",
        "job_id",
        "missing from jobs.parquet",
    ),
    "timestamp out of range": (
        "recruiter_actions",
        _set("at", 0, pd.Timestamp("1970-01-01", tz="UTC")),
        "recruiter_actions.parquet",
        "at",
        "outside the data's range",
    ),
    "expires before posted": (
        "jobs",
        lambda df: df.assign(expires_at=df["posted_at"] - pd.Timedelta(days=1)),
        "jobs.parquet",
        "expires_at",
        "expires_at is before posted_at",
    ),
    "event before job posted": (
        "engagements",
        lambda df: df.assign(at=df["at"] - pd.Timedelta(days=400)),
        "engagements.parquet",
        "at",
        "before their job_id's posted_at",
    ),
    "position ends before start": (
        "member_positions",
        lambda df: df.assign(end_at=df["start_at"] - pd.Timedelta(days=1)),
        "member_positions.parquet",
        "end_at",
        "end_at is before start_at",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_corruption_is_reported_with_file_and_column(data_copy, case):
    table, edit, file, column, words = CASES[case]
    _edit(data_copy, table, edit)
    report = validate_directory(data_copy)
    matching = [p for p in report.problems if p.file == file and p.column == column]
    assert matching, report.render()
    assert any(words in p.message for p in matching), report.render()
    result = runner.invoke(app, ["validate", str(data_copy)])
    assert result.exit_code == 2
    assert file in result.output and f"'{column}'" in result.output


def test_examples_show_offending_rows(data_copy):
    _edit(data_copy, "members", _set("title", 5, None))
    problem = next(p for p in validate_directory(data_copy).problems if p.column == "title")
    assert problem.examples and problem.examples[0]["title"] is None


def test_missing_required_table(data_copy):
    (data_copy / "jobs.parquet").unlink()
    result = runner.invoke(app, ["validate", str(data_copy)])
    assert result.exit_code == 2
    assert "jobs.parquet" in result.output and "required table is missing" in result.output


def test_optional_tables_may_be_absent(data_copy):
    for name in [
        "impressions",
        "recruiter_actions",
        "member_positions",
        "member_skills",
        "job_skills",
    ]:
        (data_copy / f"{name}.parquet").unlink()
    assert validate_directory(data_copy).ok


def test_unreadable_file(data_copy):
    (data_copy / "engagements.parquet").write_bytes(b"not parquet")
    report = validate_directory(data_copy)
    assert any("not a readable parquet" in p.message for p in report.problems)
