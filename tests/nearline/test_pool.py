"""Several workers in one Redis consumer group sharing one graph state (real redis-server, real
ONNX): each event applied once, and the newest-stamped embedding of every node equals the batch
snapshot's, in process (interleaved workers) and with `linksage nearline --workers 2`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis
import yaml

from nearline.backends import RedisBackend
from nearline.events import Engagement, event_to_json
from nearline.replay import events_from_tables
from nearline.service import bootstrap_state
from nearline.sinks import RecordingSink
from nearline.sources import MemorySource, RedisStreamSource, publish_redis
from nearline.state import GraphState
from nearline.worker import NearlineWorker
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import (
    batch_embeddings,
    export_encoders,
    fresh_state,
    random_encoder,
    vocab,
)

CAP = 2
PREFIX = "linksage:nearline:ev:"


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    tables = hand_tables()
    id_maps = vocab(tables, ts(5))
    encoder = random_encoder(id_maps, seed=3)
    encoders = export_encoders(encoder, id_maps, tmp_path_factory.mktemp("onnx"), CAP)
    return tables, id_maps, encoder, encoders


def _shared_worker(hand, host, port, consumer, sink):
    tables, id_maps, _, encoders = hand
    backend = RedisBackend(redis.Redis(host=host, port=port), prefix=PREFIX)
    state = GraphState(backend, cap=CAP, consumer=consumer)
    if state.info() is None:
        bootstrap_state(state, tables, time=ts(5), id_maps=id_maps, info={})
    client = redis.Redis(host=host, port=port, decode_responses=True)
    source = RedisStreamSource(client, "ev", consumer=consumer)
    worker = NearlineWorker(
        source=source,
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=id_maps,
        refresh="ego",
        max_batch=1,  # one event per turn: the most interleaving
        shared=True,
    )
    return worker, state


def _newest(rows) -> dict:
    """What an online store that keeps the newest row holds: per node, the highest stamp."""
    best: dict = {}
    for entity, i, vector, at in rows:
        if (entity, i) not in best or at > best[(entity, i)][0]:
            best[(entity, i)] = (at, vector)
    return {node: vector for node, (_, vector) in best.items()}


def _stream(tables) -> list[str]:
    """The table events, then every member applying to every job (one list, many writers)."""
    events = [event_to_json(e) for e in events_from_tables(tables, start=ts(5), end=ts(12))]
    at = ts(12)
    for m in tables.members["member_id"].tolist():
        for j in tables.jobs["job_id"].tolist():
            at += pd.Timedelta(minutes=1)
            events.append(event_to_json(Engagement(member_id=m, job_id=j, action="apply", at=at)))
    return events


def test_interleaved_workers_equal_one_worker(hand, redis_server, redis_client):
    """Two workers taking turns (one event each) over one shared state end where one worker
    alone ends: the same neighbour lists, the same newest embedding of every node."""
    tables, id_maps, _, encoders = hand
    host, port = redis_server
    payloads = _stream(tables)
    for p in payloads:
        publish_redis(redis_client, "ev", p)
    sink = RecordingSink()
    one, state = _shared_worker(hand, host, port, "w-1", sink)
    two, _ = _shared_worker(hand, host, port, "w-2", sink)
    while one.step(block_ms=10) + two.step(block_ms=10):
        pass  # alternate: each worker must see what the other committed
    assert one.stats.applied > 0 and two.stats.applied > 0
    assert one.stats.applied + two.stats.applied == len(payloads) == state.applied_events()
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0
    keys = [(r[0], r[1], r[3]) for r in sink.rows]
    assert len(set(keys)) == len(keys), "one node written twice with one stamp"

    alone_sink = RecordingSink()
    alone_state = fresh_state(tables, id_maps, time=ts(5), cap=CAP)
    alone = NearlineWorker(
        source=MemorySource(list(payloads)),
        state=alone_state,
        encoders=encoders,
        sink=alone_sink,
        id_maps=id_maps,
        refresh="ego",
        max_batch=1,
    )
    alone.run(stop_when_idle=True)
    raw = redis.Redis(host=host, port=port)
    list_keys = [k.decode()[len(PREFIX) :] for k in raw.keys(PREFIX + "n|*")]
    assert list_keys
    assert state.backend.get_many(list_keys) == alone_state.backend.get_many(list_keys)
    shared, expected = _newest(sink.rows), _newest(alone_sink.rows)
    assert set(shared) == set(expected)
    for node, vector in expected.items():
        np.testing.assert_allclose(shared[node], vector, atol=1e-5, err_msg=str(node))


def test_claimed_stamps_increase_even_when_events_go_back_in_time(hand, redis_server):
    host, port = redis_server
    _, state = _shared_worker(hand, host, port, "w-1", RecordingSink())
    node = ("job", 100)
    first = state.claim_stamps({node: 2_000})[node]
    later_but_older = state.claim_stamps({node: 1_000})[node]
    assert (first, later_but_older) == (2_000, 2_001)
    assert state.claim_stamps({node: 5_000})[node] == 5_000


def test_cli_pool_of_two_processes(nearline_experiment, redis_server, redis_client):
    """`linksage nearline --workers 2` with the Redis online store: every event applied once,
    nothing pending, each touched job's online embedding equals the batch snapshot's."""
    from gnn_encoder.checkpoint import load_checkpoint
    from linksage.data.tables import read_tables
    from linksage.feature_store import apply_repo, open_store
    from tests.nearline.conftest import NEARLINE_CAP

    path, cfg = nearline_experiment
    host, port = redis_server
    raw = yaml.safe_load(path.read_text())
    raw["feast"] = {
        **raw.get("feast", {}),
        "online_store": "redis",
        "redis_connection_string": f"{host}:{port}",
    }
    path.write_text(yaml.safe_dump(raw))
    apply_repo(cfg.feast.repo_dir, online_store="redis", redis_connection_string=f"{host}:{port}")
    tables = read_tables(cfg.data_dir, validate=False)
    s = cfg.windows.t_test_start + pd.Timedelta(days=4)
    events = events_from_tables(tables, start=cfg.windows.t_test_start, end=s)
    for e in events:
        publish_redis(redis_client, "ev", event_to_json(e))
    cli = str(Path(sys.executable).parent / "linksage")
    cmd = [cli, "nearline", "--config", str(path), "--source", f"redis://{host}:{port}/ev"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run(
        [*cmd, "--workers", "2", "--refresh", "ego", "--until-idle"],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert int(redis_client.get(f"{PREFIX}meta|applied_events")) == len(events)
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0
    ckpt = load_checkpoint(cfg.output_dir / "gnn" / "checkpoint.pt")
    batch = batch_embeddings(ckpt.encoder, tables, ckpt.id_maps, time=s, cap=NEARLINE_CAP)
    jobs = sorted({e.job_id for e in events if getattr(e, "action", "") in ("click", "apply")})
    store = open_store(
        cfg.feast.repo_dir, online_store="redis", redis_connection_string=f"{host}:{port}"
    )
    rows = store.get_online_features(
        features=["job_gnn:embedding"], entity_rows=[{"job_id": j} for j in jobs]
    ).to_dict()
    assert jobs and all(v is not None for v in rows["embedding"])
    for j, v in zip(jobs, rows["embedding"], strict=True):
        np.testing.assert_allclose(v, batch[("job", j)], atol=1e-4, err_msg=f"job {j}")

    for args, message in (
        (["--workers", "0"], "nearline.workers"),
        (["--workers", "2", "--source", "file:events.jsonl"], "needs a redis:// source"),
    ):
        bad = subprocess.run([*cmd[:4], *args], env=env, capture_output=True, timeout=120)
        assert bad.returncode != 0, args
        out = bad.stderr.decode() + bad.stdout.decode()
        assert message in out and "Traceback" not in out, out[-2000:]


def test_refresh_forgets_exactly_what_the_change_log_names(redis_server):
    host, port = redis_server
    mine = GraphState(RedisBackend(redis.Redis(host=host, port=port), prefix="t:"), cap=CAP)
    mine.shared = True
    other = RedisBackend(redis.Redis(host=host, port=port), prefix="t:")

    def vec(v: float) -> bytes:
        return np.full(2, v, np.float32).tobytes()

    other.commit({"f|job|1": vec(1), "f|job|2": vec(2)}, log=True)
    mine.refresh()  # the first refresh forgets everything and notes where the log stands
    np.testing.assert_array_equal(mine.features("job", [1, 2]), [[1, 1], [2, 2]])
    other.commit({"f|job|2": vec(20)}, log=True)  # another worker's commit
    other.commit({"f|job|1": vec(10)})  # a write the log does not name (no worker does that)
    mine.refresh()
    np.testing.assert_array_equal(mine.features("job", [1, 2]), [[1, 1], [20, 20]])
