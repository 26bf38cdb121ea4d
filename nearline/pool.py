"""Several nearline workers, one process each, in one Redis Streams consumer group.

The stream's entries are shared out by Redis (each entry goes to one consumer); the workers
share one graph state in the same Redis (see nearline/worker.py for the locking and the
timestamps that keep the online store exact). The parent bootstraps the state once, then starts
`workers` processes named `<consumer>-1` .. `<consumer>-N`: a restarted pool gets the same
names, so each worker re-reads its own unacknowledged entries first. One process per worker
because ego-input building and onnxruntime hold the GIL for much of a batch; the processes use
one onnxruntime thread each.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from typing import Any

import numpy as np

from linksage.errors import ConfigError, LinksageError
from nearline.sources import parse_source_uri


def consumer_names(consumer: str, workers: int) -> list[str]:
    """The consumer-group member name of each worker (`consumer` itself for one worker)."""
    return [consumer] if workers == 1 else [f"{consumer}-{k}" for k in range(1, workers + 1)]


def bootstrap_shared_state(source_uri: str, *, tables, gnn_dir, start_time) -> None:
    """Bootstrap the Redis state the workers of `source_uri` share (no-op if it exists)."""
    import redis

    from nearline.artifacts import load_artifacts
    from nearline.backends import RedisBackend
    from nearline.encoders import EgoEncoders
    from nearline.service import ensure_state
    from nearline.state import GraphState

    _, args = parse_source_uri(source_uri)
    art = load_artifacts(gnn_dir)
    encoders = EgoEncoders(art.member_encoder, art.job_encoder)
    client = redis.Redis(host=args["host"], port=args["port"])
    try:
        backend = RedisBackend(client, prefix=f"linksage:nearline:{args['stream']}:")
        state = GraphState(backend, cap=encoders.cap, skill_nodes=encoders.skill_nodes)
        ensure_state(state, tables, art, start_time=start_time, where=source_uri)
    except redis.ConnectionError as err:
        raise LinksageError(f"--source {source_uri}: cannot reach Redis ({err})") from None
    finally:
        client.close()


def _child(kwargs: dict, results: Any) -> None:
    from nearline.service import run_nearline

    stats = run_nearline(**kwargs, shared=True)
    results.put({"latencies_s": stats.latencies_s, **stats.summary()})


def run_pool(*, workers: int, source_uri: str, tables, consumer: str, **kwargs) -> dict:
    """Run `workers` worker processes over a Redis stream until they stop (`stop_when_idle` or
    `max_events` each); return their summed counters and the latency percentiles of all.
    `kwargs` are `run_nearline`'s."""
    if workers < 1:
        raise ConfigError(f"nearline.workers must be >= 1, got {workers}")
    if parse_source_uri(source_uri)[0] != "redis":
        raise ConfigError(
            f"nearline.workers = {workers} needs a redis:// source (one consumer group); "
            f"got {source_uri}"
        )
    if kwargs.get("online_store", "sqlite") != "redis":
        raise ConfigError(
            f"nearline.workers = {workers} needs feast.online_store: redis (it keeps the newest "
            "row of each key, which the workers' timestamps rely on; SQLite keeps the last one)"
        )
    bootstrap_shared_state(
        source_uri, tables=tables, gnn_dir=kwargs["gnn_dir"], start_time=kwargs["start_time"]
    )
    ctx = mp.get_context("spawn")  # no fork of a process holding Redis sockets and threads
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_child,
            args=({**kwargs, "source_uri": source_uri, "tables": None, "consumer": name}, results),
            name=f"nearline-{name}",
        )
        for name in consumer_names(consumer, workers)
    ]
    for p in procs:
        p.start()
    try:
        summaries = _collect(results, procs)
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    failed = [p.name for p in procs if p.exitcode != 0]
    if failed:
        raise LinksageError(f"nearline workers failed: {', '.join(failed)} (see their output)")
    return merge_summaries(summaries)


def _collect(results: Any, procs: list) -> list[dict]:
    """Each worker's summary, as they finish; stops waiting for workers that died."""
    out: list[dict] = []
    while len(out) < len(procs):
        try:
            out.append(results.get(timeout=0.5))
        except queue.Empty:
            if not any(p.is_alive() for p in procs) and results.empty():
                break
    return out


def merge_summaries(summaries: list[dict]) -> dict:
    """Counters summed over workers; latency percentiles over every worker's events."""
    counters = ("events", "applied", "redelivered", "dead_lettered", "batches", "embeddings")
    merged: dict[str, Any] = {k: sum(s[k] for s in summaries) for k in counters}
    merged["workers"] = len(summaries)
    merged["busy_s"] = [round(s["busy_s"], 3) for s in summaries]
    reasons: dict[str, int] = {}
    for s in summaries:
        for k, v in s["dead_letter_reasons"].items():
            reasons[k] = reasons.get(k, 0) + v
    merged["dead_letter_reasons"] = reasons
    stages: dict[str, float] = {}
    for s in summaries:
        for k, v in s.get("stage_s", {}).items():
            stages[k] = stages.get(k, 0.0) + v
    merged["stage_s"] = stages
    lat = np.concatenate([np.asarray(s["latencies_s"], float) for s in summaries] or [[]]) * 1000
    for q in (50, 99, 99.9):
        merged[f"p{q}_ms"] = float(np.percentile(lat, q)) if len(lat) else None
    return merged
