"""Wiring a worker from an experiment's artifacts: bootstrap the state, open the encoders."""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from gnn_encoder.graph import build_graph
from gnn_encoder.id_maps import IdMaps, position_key
from linksage.data.tables import Tables
from linksage.errors import LinksageError
from nearline.artifacts import load_artifacts
from nearline.backends import RedisBackend, SqliteBackend
from nearline.encoders import EgoEncoders
from nearline.sinks import FeastSink
from nearline.sources import FileSource, RedisStreamSource, parse_source_uri
from nearline.state import GraphState, last_positions
from nearline.worker import NearlineWorker, WorkerStats


def bootstrap_state(
    state: GraphState,
    tables: Tables,
    *,
    time: datetime,
    id_maps: IdMaps,
    top_skills: int = 5,
    info: dict | None = None,
) -> None:
    """Fill `state` with the batch snapshot at `time` (every edge before it, lists capped)."""
    graph = build_graph(
        tables, time=time, id_maps=id_maps, top_skills=top_skills, skill_nodes=state.skill_nodes
    )
    positions = tables.member_positions
    if positions is not None:
        positions = positions[np.isin(positions["member_id"].to_numpy(np.int64), graph.member_ids)]
    latest = last_positions(
        positions,
        before=pd.Timestamp(time),
        position_ids=lambda p: id_maps.lookup("position", position_key(p["company"], p["title"])),
    )
    state.bootstrap(
        graph,
        last_positions=latest,
        info={"time": pd.Timestamp(time).isoformat(), "cap": state.cap, **(info or {})},
    )


def open_source_and_backend(
    source_uri: str, *, state_path: Path, follow: bool, consumer: str = "worker-1"
):
    """(source, state backend) for `redis://HOST:PORT/STREAM` (state in the same Redis) or
    `file:PATH` (state in SQLite at `state_path`)."""
    kind, args = parse_source_uri(source_uri)
    if kind == "file":
        return FileSource(args["path"], follow=follow), SqliteBackend(state_path)
    import redis

    events = redis.Redis(host=args["host"], port=args["port"], decode_responses=True)
    try:
        events.ping()
    except redis.ConnectionError as err:
        raise LinksageError(f"--source {source_uri}: cannot reach Redis ({err})") from None
    raw = redis.Redis(host=args["host"], port=args["port"])
    stream = args["stream"]
    source = RedisStreamSource(events, stream, consumer=consumer)
    return source, RedisBackend(raw, prefix=f"linksage:nearline:{stream}:")


def ensure_state(
    state: GraphState, tables: Tables | None, art, *, start_time: datetime, where: str
) -> None:
    """Bootstrap an empty state from the snapshot at `start_time`; refuse a state built for
    another model (`where` names it in the error). `tables=None`: the state must exist."""
    info = state.info()
    if info is None and tables is None:
        raise LinksageError(f"nearline state ({where}) is empty and no tables were given")
    if info is None:
        bootstrap_state(
            state,
            tables,
            time=start_time,
            id_maps=art.id_maps,
            top_skills=art.top_skills,
            info={"model_version": art.model_version},
        )
    elif info.get("model_version") != art.model_version:
        raise LinksageError(
            f"nearline state ({where}) was built for model {info.get('model_version')}, "
            f"not {art.model_version}; delete it"
        )


def run_nearline(
    *,
    source_uri: str,
    tables: Tables | None,
    gnn_dir: Path,
    repo_dir: Path,
    state_path: Path,
    start_time: datetime,
    online_store: str = "sqlite",
    redis_connection_string: str | None = None,
    refresh: str = "touched",
    max_batch: int = 64,
    stop_when_idle: bool = False,
    max_events: int | None = None,
    consumer: str = "worker-1",
    sink_method: str = "push",
    on_batch=None,
    trim_inputs: bool = True,
    async_push: bool = True,
    shared: bool = False,
) -> WorkerStats:
    """Run a nearline worker over `source_uri` until idle (or forever): bootstrap the state from
    the snapshot at `start_time` on first start, push embeddings to the Feast online store.
    `shared`: other workers of the same consumer group share the state (nearline/pool.py; the
    pool bootstraps it first). `trim_inputs=False` / `async_push=False` restore the slower paths
    (cap-padded ONNX inputs, synchronous `store.push`) for comparison."""
    from linksage.feature_store import apply_repo, ensure_repo, open_store

    art = load_artifacts(gnn_dir)
    encoders = EgoEncoders(art.member_encoder, art.job_encoder, trim=trim_inputs)
    source, backend = open_source_and_backend(
        source_uri, state_path=state_path, follow=not stop_when_idle, consumer=consumer
    )
    state = GraphState(
        backend, cap=encoders.cap, skill_nodes=encoders.skill_nodes, consumer=consumer
    )
    where = str(state_path) if source_uri.startswith("file:") else source_uri
    ensure_state(state, tables, art, start_time=start_time, where=where)
    store_kwargs = {
        "online_store": online_store,
        "redis_connection_string": redis_connection_string,
    }
    repo_dir = ensure_repo(repo_dir)
    if not (repo_dir / "data" / "registry.db").exists():
        apply_repo(repo_dir, **store_kwargs)
    store = open_store(repo_dir, **store_kwargs)
    sink = FeastSink(store, art.model_version, sink_method, async_push=async_push)
    worker = NearlineWorker(
        source=source,
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=art.id_maps,
        top_skills=art.top_skills,
        refresh=refresh,
        max_batch=max_batch,
        shared=shared,
    )
    # Long-lived process: move everything built at start-up (tables, Feast registry, ONNX
    # sessions) out of the cyclic GC's reach so full collections stay short (tail latency).
    gc.collect()
    gc.freeze()
    try:
        return worker.run(stop_when_idle=stop_when_idle, max_events=max_events, on_batch=on_batch)
    finally:
        gc.unfreeze()
        sink.close()
        source.close()
        backend.close()
