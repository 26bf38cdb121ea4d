"""Replay table events through the nearline worker and keep the job embeddings it would have
pushed, each stamped with the time it became available (the newest event of its batch plus a
delay). The nearline ablation feeds these rows to a ranker arm; every row is stamped after all
the edges it contains, so a point-in-time join never sees an edge at or after its example."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from linksage.data.tables import Tables
from linksage.errors import LinksageError
from linksage.feature_store.embeddings import embeddings_table
from nearline.artifacts import load_artifacts
from nearline.backends import SqliteBackend
from nearline.encoders import EgoEncoders
from nearline.events import event_to_dict
from nearline.replay import events_from_tables
from nearline.service import bootstrap_state
from nearline.sinks import RecordingSink
from nearline.sources import MemorySource
from nearline.state import GraphState
from nearline.worker import NearlineWorker


def nearline_job_embeddings(
    *,
    tables: Tables,
    gnn_dir: Path,
    start: datetime,
    end: datetime,
    refresh: str = "touched",
    availability_delay_s: float = 1.0,
    max_batch: int = 32,
    progress: bool = True,
) -> pa.Table:
    """Job embeddings the nearline worker makes available for events in [start, end), in the
    embeddings-parquet schema (event_timestamp = newest event of the batch + delay)."""
    art = load_artifacts(gnn_dir)
    encoders = EgoEncoders(art.member_encoder, art.job_encoder)
    state = GraphState(
        SqliteBackend(":memory:"), cap=encoders.cap, skill_nodes=encoders.skill_nodes
    )
    bootstrap_state(state, tables, time=start, id_maps=art.id_maps, top_skills=art.top_skills)
    events = events_from_tables(tables, start=start, end=end)
    sink = RecordingSink()
    worker = NearlineWorker(
        source=MemorySource([event_to_dict(e) for e in events]),
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=art.id_maps,
        top_skills=art.top_skills,
        refresh=refresh,
        max_batch=max_batch,
        stamp="batch",
        entities=("job",),  # the ablation's arm changes only the job embeddings
    )
    with tqdm(total=len(events), desc="nearline replay", unit="event", disable=not progress) as bar:
        worker.run(stop_when_idle=True, block_ms=0, on_batch=lambda s: bar.update(s.events - bar.n))
    if worker.stats.dead_lettered:
        raise LinksageError(
            f"nearline replay dead-lettered {worker.stats.dead_lettered} table events: "
            f"{worker.stats.dead_letter_reasons}"
        )
    rows = [(i, v, t) for _, i, v, t in sink.rows]
    delay = pd.Timedelta(seconds=availability_delay_s)
    frame = pd.DataFrame(
        {
            "job_id": np.asarray([r[0] for r in rows], np.int64),
            "embedding": [r[1] for r in rows],
            "event_timestamp": pd.to_datetime([r[2] + delay for r in rows], utc=True),
        }
    ).drop_duplicates(["job_id", "event_timestamp"], keep="last")
    vectors = np.stack(frame["embedding"].to_list()) if len(frame) else np.zeros((0, encoders.dim))
    return embeddings_table(
        id_column="job_id",
        ids=frame["job_id"].to_numpy(),
        vectors=vectors,
        event_timestamps=frame["event_timestamp"],
        model_version=art.model_version,
    )
