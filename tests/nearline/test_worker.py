"""The worker's embeddings equal the batch snapshot's (hand-made marketplace, real ONNX)."""

from __future__ import annotations

import numpy as np
import pytest

from nearline.events import Engagement, event_to_json
from nearline.replay import events_from_tables
from nearline.sinks import RecordingSink
from nearline.sources import MemorySource
from nearline.worker import NearlineWorker
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import (
    batch_embeddings,
    export_encoders,
    fresh_state,
    random_encoder,
    vocab,
)

CAP = 2  # small, so that lists overflow and the recency cap matters


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tables = hand_tables()
    id_maps = vocab(tables, ts(5))
    encoder = random_encoder(id_maps)
    encoders = export_encoders(encoder, id_maps, tmp_path_factory.mktemp("onnx"), CAP)
    return tables, id_maps, encoder, encoders


def _worker(setup, refresh, t0=ts(5), max_batch=3):
    tables, id_maps, _, encoders = setup
    state = fresh_state(tables, id_maps, time=t0, cap=CAP)
    source, sink = MemorySource([]), RecordingSink()
    worker = NearlineWorker(
        source=source,
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=id_maps,
        refresh=refresh,
        max_batch=max_batch,
    )
    return worker, source, sink


@pytest.mark.parametrize("s", [ts(6, 1), ts(8, 1), ts(10)])
def test_ego_refresh_equals_batch_snapshot_for_every_written_node(setup, s):
    tables, _, encoder, _ = setup
    worker, source, sink = _worker(setup, "ego")
    events = [e for e in events_from_tables(tables, start=ts(5), end=ts(12)) if e.at < s]
    assert events, "the window must hold events"
    source.extend(event_to_json(e) for e in events)
    worker.run(stop_when_idle=True)
    batch = batch_embeddings(encoder, tables, worker.id_maps, time=s, cap=CAP)
    written = {("job", i): v for i, v in sink.latest("job").items()}
    written |= {("member", i): v for i, v in sink.latest("member").items()}
    touched_jobs = {e.job_id for e in events if hasattr(e, "job_id")} & {
        i for t, i in batch if t == "job"
    }
    assert touched_jobs <= {i for t, i in written if t == "job"}
    for node, vector in written.items():
        np.testing.assert_allclose(vector, batch[node], atol=1e-4, err_msg=str(node))
    assert worker.stats.dead_lettered == 0


def test_touched_refresh_leaves_two_hop_neighbours_stale_until_touched(setup):
    """Member 11 saving job 101 changes job 100's 2-hop graph (100 <- 11 <- {100, 101}) without
    touching job 100: "touched" re-embeds only 11 and 101; "ego" also 100 and the rest."""
    tables, id_maps, encoder, _ = setup
    event = Engagement(member_id=11, job_id=101, action="save", at=ts(8, 12))
    tables_after = hand_tables()
    tables_after.engagements.loc[len(tables_after.engagements)] = {
        "member_id": 11,
        "job_id": 101,
        "action": "save",
        "channel": "jymbii",
        "request_id": None,
        "at": ts(8, 12),
    }
    before = batch_embeddings(encoder, tables, id_maps, time=ts(8, 12), cap=CAP)
    after = batch_embeddings(encoder, tables_after, id_maps, time=ts(9), cap=CAP)
    assert not np.allclose(before[("job", 100)], after[("job", 100)], atol=1e-4)

    results = {}
    for refresh in ("touched", "ego"):
        worker, source, sink = _worker(setup, refresh, t0=ts(8, 12))
        source.extend([event_to_json(event)])
        worker.run(stop_when_idle=True)
        results[refresh] = sink
    touched = results["touched"]
    assert {(r[0], r[1]) for r in touched.rows} == {("member", 11), ("job", 101)}
    for node in (("member", 11), ("job", 101)):
        np.testing.assert_allclose(touched.latest(node[0])[node[1]], after[node], atol=1e-4)
    ego = results["ego"].latest("job")
    assert 100 in ego
    np.testing.assert_allclose(ego[100], after[("job", 100)], atol=1e-4)


def test_views_and_dismissals_change_nothing(setup):
    worker, source, sink = _worker(setup, "touched")
    source.extend(
        [
            event_to_json(Engagement(member_id=10, job_id=101, action="view", at=ts(6))),
            event_to_json(Engagement(member_id=10, job_id=101, action="dismiss", at=ts(6))),
        ]
    )
    worker.run(stop_when_idle=True)
    assert sink.rows == [] and worker.stats.applied == 2 and source.acked == 2
