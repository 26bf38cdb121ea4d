"""Restart without loss or duplicates, and dead letters, against a real redis-server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis

from nearline.backends import RedisBackend
from nearline.events import event_to_json
from nearline.replay import events_from_tables
from nearline.service import bootstrap_state
from nearline.sinks import RecordingSink
from nearline.sources import RedisStreamSource, publish_redis
from nearline.state import GraphState
from nearline.worker import NearlineWorker
from tests.gnn_encoder.handmade import hand_tables, ts
from tests.nearline.helpers import (
    batch_embeddings,
    export_encoders,
    random_encoder,
    vocab,
)

CAP = 2
PREFIX = "linksage:nearline:ev:"


class FlakySink(RecordingSink):
    """Records writes; the `fail_on`-th write raises (the online store went away)."""

    def __init__(self, fail_on: int):
        super().__init__()
        self.calls, self.fail_on = 0, fail_on

    def write(self, entity, ids, vectors, timestamps) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise ConnectionError("online store unreachable")
        super().write(entity, ids, vectors, timestamps)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    tables = hand_tables()
    id_maps = vocab(tables, ts(5))
    encoder = random_encoder(id_maps, seed=1)
    encoders = export_encoders(encoder, id_maps, tmp_path_factory.mktemp("onnx"), CAP)
    return tables, id_maps, encoder, encoders


def _worker(hand, host, port, sink, refresh="ego"):
    tables, id_maps, _, encoders = hand
    state = GraphState(RedisBackend(redis.Redis(host=host, port=port), prefix=PREFIX), cap=CAP)
    if state.info() is None:
        bootstrap_state(state, tables, time=ts(5), id_maps=id_maps, info={})
    source = RedisStreamSource(redis.Redis(host=host, port=port, decode_responses=True), "ev")
    worker = NearlineWorker(
        source=source,
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=id_maps,
        refresh=refresh,
        max_batch=2,
    )
    return worker, state


def test_crash_between_commit_and_ack_loses_nothing_and_applies_nothing_twice(
    hand, redis_server, redis_client
):
    tables, _, encoder, _ = hand
    host, port = redis_server
    events = events_from_tables(tables, start=ts(5), end=ts(12))
    for e in events:
        publish_redis(redis_client, "ev", event_to_json(e))
    publish_redis(redis_client, "ev", json.dumps({"type": "engagement", "member_id": "x"}))

    first, _ = _worker(hand, host, port, FlakySink(fail_on=3))
    with pytest.raises(ConnectionError):  # the worker dies after a state commit, before its ack
        first.run(stop_when_idle=True, block_ms=10)
    pending = redis_client.xpending("ev", "linksage-nearline")["pending"]
    assert pending > 0

    sink = RecordingSink()
    second, state = _worker(hand, host, port, sink)  # a new process: fresh caches, same Redis
    second.run(stop_when_idle=True, block_ms=10)
    assert second.stats.redelivered > 0  # it re-read what the first left unacknowledged
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0
    assert state.applied_events() == len(events)  # each event applied exactly once
    assert first.stats.dead_lettered + second.stats.dead_lettered == 1
    (dead,) = redis_client.xrange("ev:deadletter")
    assert "'member_id' must be an integer" in dead[1]["reason"]
    batch = batch_embeddings(encoder, tables, hand[1], time=ts(12), cap=CAP)
    for entity in ("member", "job"):
        for i, v in sink.latest(entity).items():
            np.testing.assert_allclose(v, batch[(entity, i)], atol=1e-4)


def test_malformed_and_unknown_events_are_dead_lettered_and_the_worker_goes_on(
    hand, redis_server, redis_client
):
    host, port = redis_server
    good = json.loads(event_to_json(events_from_tables(hand[0], start=ts(5), end=ts(12))[0]))
    bad = [
        "{oops",
        json.dumps({"type": "meteor", "at": "2026-01-05T00:00:00Z"}),
        json.dumps(
            {
                **good,
                "type": "engagement",
                "member_id": 999,
                "job_id": 100,
                "action": "apply",
                "channel": "jymbii",
            }
        ),
        json.dumps(
            {
                "type": "engagement",
                "member_id": 10,
                "job_id": 101,
                "action": "apply",
                "at": "not a time",
            }
        ),
    ]
    for payload in [bad[0], event_to_json_dict(good), *bad[1:]]:
        publish_redis(redis_client, "ev", payload)
    redis_client.xadd("ev", {"something": "else"})  # an entry without an event field
    worker, state = _worker(hand, host, port, RecordingSink())
    worker.run(stop_when_idle=True, block_ms=10)
    assert worker.stats.dead_lettered == 5
    assert state.applied_events() == 1
    reasons = [entry[1]["reason"] for entry in redis_client.xrange("ev:deadletter")]
    assert any("not valid JSON" in r for r in reasons)
    assert any("unknown event type 'meteor'" in r for r in reasons)
    assert any("unknown member 999" in r for r in reasons)
    assert any("not an ISO-8601 timestamp" in r for r in reasons)
    assert any("no 'event' field" in r for r in reasons)
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0


def event_to_json_dict(d: dict) -> str:
    return json.dumps(d)


def test_worker_process_killed_mid_stream_resumes_from_last_ack(
    nearline_experiment, redis_server, redis_client, tmp_path
):
    """SIGKILL the real `linksage nearline` process mid-stream, restart it: every event applied
    exactly once, nothing pending, the online store equals the uninterrupted batch result."""
    from gnn_encoder.checkpoint import load_checkpoint
    from linksage.data.tables import read_tables
    from tests.linksage.cli.test_nearline import _online
    from tests.nearline.conftest import NEARLINE_CAP

    path, cfg = nearline_experiment
    host, port = redis_server
    tables = read_tables(cfg.data_dir, validate=False)
    s = cfg.windows.t_test_start + pd.Timedelta(days=4)
    events = events_from_tables(tables, start=cfg.windows.t_test_start, end=s)
    for e in events:
        publish_redis(redis_client, "ev", event_to_json(e))
    uri = f"redis://{host}:{port}/ev"
    cli = str(Path(sys.executable).parent / "linksage")
    cmd = [
        cli,
        "nearline",
        "--config",
        str(path),
        "--source",
        uri,
        "--refresh",
        "ego",
        "--until-idle",
    ]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    raw = redis.Redis(host=host, port=port)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    applied = 0
    while time.monotonic() < deadline and proc.poll() is None:
        blob = raw.get("linksage:nearline:ev:meta|applied_events")
        applied = int(blob) if blob else 0
        if applied >= 10:
            break
        time.sleep(0.005)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < applied < len(events)

    done = subprocess.run(cmd, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert redis_client.xrange("ev:deadletter") == []
    assert int(raw.get("linksage:nearline:ev:meta|applied_events")) == len(events)
    assert redis_client.xpending("ev", "linksage-nearline")["pending"] == 0

    ckpt = load_checkpoint(cfg.output_dir / "gnn" / "checkpoint.pt")
    batch = batch_embeddings(ckpt.encoder, tables, ckpt.id_maps, time=s, cap=NEARLINE_CAP)
    jobs = sorted(
        {
            e.job_id
            for e in events
            if getattr(e, "action", "apply") in ("click", "save", "apply") and hasattr(e, "job_id")
        }
    )
    online = _online(cfg.feast.repo_dir, "job", jobs)
    assert set(online) == set(jobs)
    for j in jobs:
        np.testing.assert_allclose(online[j], batch[("job", j)], atol=1e-4)
