import pandas as pd
import pytest

from linksage.errors import DataValidationError, MissingTableError
from linksage.data.schema import TABLES
from linksage.data.tables import read_table, read_tables, write_tables


def test_every_table_round_trips(tiny_tables, tmp_path):
    written = write_tables(tiny_tables, tmp_path / "copy")
    assert {p.name for p in written} == {f"{n}.parquet" for n, _ in tiny_tables.items()}
    again = read_tables(tmp_path / "copy")
    for name, df in tiny_tables.items():
        pd.testing.assert_frame_equal(getattr(again, name), df, check_dtype=True)


def test_tables_use_contract_types(tiny_tables):
    assert set(dict(tiny_tables.items())) == set(TABLES)
    assert tiny_tables.members["member_id"].dtype == "int64"
    assert str(tiny_tables.engagements["at"].dtype) == "datetime64[us, UTC]"


def test_failed_write_leaves_existing_files(tiny_tables, tmp_path):
    target = tmp_path / "data"
    write_tables(tiny_tables, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    broken = tiny_tables.__class__(**dict(tiny_tables.items()))
    broken.engagements = broken.engagements.assign(at="not a time")
    with pytest.raises(ValueError):
        write_tables(broken, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_read_refuses_invalid_and_missing(tiny_tables, tmp_path):
    write_tables(tiny_tables, tmp_path)
    (tmp_path / "members.parquet").unlink()
    with pytest.raises(MissingTableError, match="members.parquet"):
        read_table(tmp_path, "members")
    with pytest.raises(DataValidationError, match="members.parquet"):
        read_tables(tmp_path)
    assert read_table(tmp_path / "none", "impressions") is None
