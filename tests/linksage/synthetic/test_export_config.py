"""configs/export.yaml and the export-shaped data benchmarks/own_data.py writes for it (a small
marketplace of the config's settings: the member count overridden)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linksage.data.validation import validate_directory
from linksage.synthetic.export import EXPORT_TABLES

ROOT = Path(__file__).resolve().parents[3]


def _own_data():
    spec = importlib.util.spec_from_file_location("own_data", ROOT / "benchmarks" / "own_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_export_config_generates_an_export():
    own_data = _own_data()
    cfg, path = own_data.effective_config(own_data.DEFAULT_CONFIG, None, None, None)
    assert path == own_data.DEFAULT_CONFIG  # no override: the pipeline loads the file itself
    assert cfg.data.source == "synthetic" and cfg.data.synthetic.preset == "paper"
    s = cfg.data.synthetic
    assert s.export  # `linksage run --config configs/export.yaml` needs nothing written first
    assert cfg.windows.t_test_end <= s.start + timedelta(days=s.days)


def test_own_data_writes_an_export_and_measures_its_shape(tmp_path):
    own_data = _own_data()
    cfg, path = own_data.effective_config(own_data.DEFAULT_CONFIG, tmp_path, 800, None)
    stale = cfg.data_dir / "impressions.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left from another run")
    assert path == tmp_path / "config.yaml" and cfg.data_dir == tmp_path / "run" / "data"

    tables = own_data.write_data(cfg)

    written = sorted(p.name for p in cfg.data_dir.iterdir())
    assert written == sorted(f"{t}.parquet" for t in EXPORT_TABLES)
    engagements = pq.read_table(cfg.data_dir / "engagements.parquet")
    assert engagements.schema.field("request_id").type == pa.null()
    assert pq.read_table(cfg.data_dir / "members.parquet").schema.field("member_id").type == (
        pa.int32()
    )
    report = validate_directory(cfg.data_dir)
    assert report.ok, report.render()
    shape = own_data.data_shape(tables, cfg)
    assert shape["engagements"] == engagements.num_rows > 1000
    assert 0 < shape["all"]["gini"] < 1 and 0 < shape["apply"]["top10_share"] <= 1
    # the paper preset's sessions: most test-window requests come from members new in it
    assert shape["new_member_share"] > 0.7, shape
