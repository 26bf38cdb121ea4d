"""validate and read accept what real exports write for a column's logical type, and still
refuse a wrong logical type, naming file and column."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from linksage.data.tables import read_tables
from linksage.data.validation import validate_directory
from linksage.errors import DataValidationError


@pytest.fixture
def export_dir(tiny_data_dir, tmp_path):
    out = tmp_path / "export"
    shutil.copytree(tiny_data_dir, out)
    return out


def _rewrite(directory, table_name, column, transform):
    path = directory / f"{table_name}.parquet"
    table = pq.read_table(path)
    i = table.schema.get_field_index(column)
    table = table.set_column(i, column, transform(table.column(column)))
    pq.write_table(table, path)


REAL_EXPORT_TYPES = {
    "all-null request_id (Arrow null type)": (
        "engagements",
        "request_id",
        lambda c: pa.nulls(len(c)),
    ),
    "int32 member ids": ("members", "member_id", lambda c: pc.cast(c, pa.int32())),
    "uint32 job ids": ("jobs", "job_id", lambda c: pc.cast(c, pa.uint32())),
    "float32 skill scores": ("member_skills", "score", lambda c: pc.cast(c, pa.float32())),
    "timestamps in ms": ("engagements", "at", lambda c: pc.cast(c, pa.timestamp("ms", "UTC"))),
    "timestamps in s": ("jobs", "posted_at", lambda c: pc.cast(c, pa.timestamp("s", "UTC"))),
    "timestamps in ns, another zone": (
        "members",
        "created_at",
        lambda c: pc.cast(c, pa.timestamp("ns", "Europe/Paris")),
    ),
    "large_string titles": ("jobs", "title", lambda c: pc.cast(c, pa.large_string())),
    "dictionary-encoded companies": ("members", "company", lambda c: c.dictionary_encode()),
}


@pytest.mark.parametrize("case", sorted(REAL_EXPORT_TYPES))
def test_validate_and_read_accept_real_export_types(export_dir, case):
    table_name, column, transform = REAL_EXPORT_TYPES[case]
    before = read_tables(export_dir, validate=False)
    _rewrite(export_dir, table_name, column, transform)
    report = validate_directory(export_dir)
    assert report.ok, report.render()
    after = read_tables(export_dir)
    frame_before = getattr(before, table_name)
    frame_after = getattr(after, table_name)
    assert frame_after[column].dtype == frame_before[column].dtype
    if case.startswith("all-null"):
        assert frame_after[column].isna().all()
    elif "float32" not in case:
        assert frame_after[column].equals(frame_before[column])


def test_a_string_in_an_int_column_is_refused_naming_file_and_column(export_dir):
    _rewrite(export_dir, "jobs", "job_id", lambda c: pc.cast(c, pa.string()))
    report = validate_directory(export_dir)
    assert not report.ok
    text = report.render()
    assert "jobs.parquet, column 'job_id': wrong type string, expected int64" in text
    with pytest.raises(DataValidationError, match="jobs.parquet"):
        read_tables(export_dir)


def test_an_id_that_does_not_fit_int64_is_refused(export_dir):
    def huge(c):
        return pa.array([2**63 + 5] + [1] * (len(c) - 1), pa.uint64())

    _rewrite(export_dir, "members", "member_id", huge)
    text = validate_directory(export_dir).render()
    assert "members.parquet, column 'member_id': values do not fit int64" in text


def test_all_null_type_is_refused_for_a_required_non_null_column(export_dir):
    _rewrite(export_dir, "engagements", "job_id", lambda c: pa.nulls(len(c)))
    text = validate_directory(export_dir).render()
    assert "engagements.parquet, column 'job_id': wrong type null, expected int64" in text
