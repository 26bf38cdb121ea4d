"""The worker's numpy ego inputs (built from the ONNX `ego_spec`) against the torch package's:
the same arrays, and ONNX embeddings equal to `linksage embed`'s; and the worker's modules load
without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gnn_encoder.ego import SnapshotLookup, build_ego_inputs
from gnn_encoder.graph import build_graph
from nearline.ego_inputs import build_inputs
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import batch_embeddings, export_encoders, random_encoder, vocab

CAP = 3


@pytest.fixture(scope="module")
def snapshot():
    tables = hand_tables()
    id_maps = vocab(tables, ts(5))
    graph = build_graph(tables, time=ts(10), id_maps=id_maps, top_skills=5)
    return tables, id_maps, graph


@pytest.mark.parametrize("trim", [False, True])
def test_numpy_inputs_equal_the_torch_packages(snapshot, tmp_path, trim):
    _, id_maps, graph = snapshot
    encoders = export_encoders(random_encoder(id_maps), id_maps, tmp_path, CAP)
    lookup = SnapshotLookup(graph)
    for target, ids in (("member", graph.member_ids), ("job", graph.job_ids)):
        ours = build_inputs(encoders.slots[target], ids, lookup, lookup, CAP, trim=trim)
        theirs = build_ego_inputs(target, ids, lookup, lookup, CAP, trim=trim)
        assert list(ours) == list(theirs)
        for name, array in theirs.items():
            assert ours[name].dtype == array.dtype, name
            np.testing.assert_array_equal(ours[name], array, err_msg=name)


@pytest.mark.parametrize("aggregation", ["mean", "attention"])
def test_onnx_embeddings_equal_the_embed_stage(snapshot, tmp_path, aggregation):
    tables, id_maps, graph = snapshot
    encoder = random_encoder(id_maps, aggregation=aggregation)
    encoders = export_encoders(encoder, id_maps, tmp_path, CAP)
    batch = batch_embeddings(encoder, tables, id_maps, time=ts(10), cap=CAP)
    lookup = SnapshotLookup(graph)
    for target, ids in (("member", graph.member_ids), ("job", graph.job_ids)):
        got = encoders.embed(target, ids, lookup, lookup)
        want = np.stack([batch[(target, int(i))] for i in ids])
        assert np.abs(want).max() > 1e-3  # a real embedding, not zeros on both sides
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_the_worker_modules_load_without_torch():
    code = (
        "import sys, nearline.service, nearline.freshness, nearline.pool\n"
        "bad = [m for m in ('torch', 'torch_geometric', 'tensorflow', 'tf_keras') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
