"""Trimmed ego inputs: the same arrays as cap-padded ones once padded back, the same
embeddings from the ONNX encoders (mean and attention aggregation), less padding."""

from __future__ import annotations

import numpy as np
import pytest

from gnn_encoder.ego import SnapshotLookup, build_ego_inputs
from gnn_encoder.graph import build_graph
from nearline.encoders import EgoEncoders
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import export_encoders, random_encoder, vocab

CAP = 3


@pytest.fixture(scope="module")
def snapshot():
    tables = hand_tables()
    id_maps = vocab(tables, ts(5))
    graph = build_graph(tables, time=ts(10), id_maps=id_maps, top_skills=5)
    return tables, id_maps, graph


def _pad(array: np.ndarray, shape: tuple[int, ...], fill) -> np.ndarray:
    out = np.full(shape, fill, array.dtype)
    out[tuple(slice(0, n) for n in array.shape)] = array
    return out


@pytest.mark.parametrize("target", ["member", "job"])
def test_trimmed_inputs_padded_back_equal_padded_inputs(snapshot, target):
    _, _, graph = snapshot
    lookup = SnapshotLookup(graph)
    ids = graph.member_ids if target == "member" else graph.job_ids
    full = build_ego_inputs(target, ids, lookup, lookup, CAP)
    trimmed = build_ego_inputs(target, ids, lookup, lookup, CAP, trim=True)
    assert list(trimmed) == list(full)
    narrower = 0
    for name, array in full.items():
        got = trimmed[name]
        assert got.dtype == array.dtype and got.ndim == array.ndim, name
        assert all(1 <= g <= f for g, f in zip(got.shape, array.shape, strict=True)), name
        narrower += got.size < array.size
        # padding: 0 for masks, features and attribute ids (build_ego_inputs clips -1 to 0)
        np.testing.assert_array_equal(_pad(got, array.shape, 0), array, err_msg=name)
    assert narrower > 0, "the hand-made graph must have slots narrower than the cap"


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
def test_trimmed_and_padded_sessions_give_the_same_embeddings(snapshot, tmp_path, aggregation):
    _, id_maps, graph = snapshot
    encoder = random_encoder(id_maps, aggregation=aggregation)
    trimmed = export_encoders(encoder, id_maps, tmp_path, CAP)
    padded = EgoEncoders(
        tmp_path / "encoder_member.onnx", tmp_path / "encoder_job.onnx", trim=False
    )
    assert trimmed.trim and not padded.trim
    lookup = SnapshotLookup(graph)
    for target, ids in (("member", graph.member_ids), ("job", graph.job_ids)):
        a = trimmed.embed(target, ids, lookup, lookup)
        b = padded.embed(target, ids, lookup, lookup)
        assert a.shape == (len(ids), 4)
        np.testing.assert_allclose(a, b, atol=1e-5)
        one = trimmed.embed(target, ids[:1], lookup, lookup)  # batch of one: its own widths
        np.testing.assert_allclose(one, b[:1], atol=1e-5)


def test_unknown_encoder_path_is_a_clear_error(tmp_path):
    from linksage.errors import LinksageError

    with pytest.raises(LinksageError, match="encoder_member.onnx: ONNX encoder not found"):
        EgoEncoders(tmp_path / "encoder_member.onnx", tmp_path / "encoder_job.onnx")
