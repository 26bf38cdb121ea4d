"""The id maps file beside the ONNX encoders: read back as written, clear errors otherwise."""

from __future__ import annotations

import pytest

from gnn_encoder.onnx_export import write_id_maps_file
from linksage.errors import LinksageError
from nearline.artifacts import ID_MAPS_FILE, load_artifacts
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import vocab


def test_written_by_the_export_read_by_the_worker(tmp_path):
    id_maps = vocab(hand_tables(), ts(5))
    path = write_id_maps_file(tmp_path, id_maps, top_skills=3, model_version="abc123")
    assert path.name == ID_MAPS_FILE
    art = load_artifacts(tmp_path)
    assert (art.model_version, art.top_skills) == ("abc123", 3)
    assert art.id_maps.to_dict() == id_maps.to_dict()
    assert art.job_encoder == tmp_path / "encoder_job.onnx"


def test_missing_or_malformed_file_is_a_clear_error(tmp_path):
    with pytest.raises(LinksageError, match=f"{ID_MAPS_FILE}: id maps file not found"):
        load_artifacts(tmp_path)
    (tmp_path / ID_MAPS_FILE).write_text('{"top_skills": 5}')
    with pytest.raises(LinksageError, match="not a valid id maps file.*model_version|id_maps"):
        load_artifacts(tmp_path)
