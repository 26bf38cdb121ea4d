"""The nearline ablation (issue 8, part 4): rankers fed daily-snapshot vs nearline job embeddings.

Design (the simplest honest one): replay every event after the GNN window through the same
worker (state, ONNX encoders, "batch" stamps), and record each job embedding it writes, stamped
with the time it became available: the newest event of its batch plus `availability_delay_s`.
These rows are added to the daily snapshot rows in a copy of the feature repository
(`OUT/nearline/feature_repo`, same definitions), whose `job_gnn` source therefore holds
"daily + nearline" rows. The `gnn_nearline` arm of jymbii and search is the `gnn` feature service
trained and evaluated on that copy: the same model, inputs and examples, only fresher job
embeddings. A point-in-time join still never sees an edge at or after the example's time, since
every row is stamped after all the edges it contains.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from gnn_encoder.nearline.backends import SqliteBackend
from gnn_encoder.nearline.encoders import EgoEncoders
from gnn_encoder.nearline.events import event_to_dict
from gnn_encoder.nearline.replay import events_from_tables
from gnn_encoder.nearline.service import bootstrap_state
from gnn_encoder.nearline.sinks import RecordingSink
from gnn_encoder.nearline.sources import MemorySource
from gnn_encoder.nearline.state import GraphState
from gnn_encoder.nearline.worker import NearlineWorker
from linksage.errors import LinksageError
from linksage.io import write_parquet
from linksage.tables import Tables

NEARLINE_ARM = "gnn_nearline"
NEARLINE_TASKS = ("jymbii", "search")
_REPO_DATA = (
    "member_profile.parquet",
    "job_profile.parquet",
    "member_gnn.parquet",
    "linksage_settings.json",
)


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
    from gnn_encoder.checkpoint import load_checkpoint

    ckpt = load_checkpoint(gnn_dir / "checkpoint.pt")
    encoders = EgoEncoders(gnn_dir / "encoder_member.onnx", gnn_dir / "encoder_job.onnx")
    state = GraphState(
        SqliteBackend(":memory:"), cap=encoders.cap, skill_nodes=encoders.skill_nodes
    )
    bootstrap_state(state, tables, time=start, id_maps=ckpt.id_maps, top_skills=ckpt.top_skills)
    events = events_from_tables(tables, start=start, end=end)
    sink = RecordingSink()
    worker = NearlineWorker(
        source=MemorySource([event_to_dict(e) for e in events]),
        state=state,
        encoders=encoders,
        sink=sink,
        id_maps=ckpt.id_maps,
        top_skills=ckpt.top_skills,
        refresh=refresh,
        max_batch=max_batch,
        stamp="batch",
    )
    with tqdm(total=len(events), desc="nearline replay", unit="event", disable=not progress) as bar:
        worker.run(stop_when_idle=True, block_ms=0, on_batch=lambda s: bar.update(s.events - bar.n))
    if worker.stats.dead_lettered:
        raise LinksageError(
            f"nearline replay dead-lettered {worker.stats.dead_lettered} table events: "
            f"{worker.stats.dead_letter_reasons}"
        )
    rows = [(i, v, t) for e, i, v, t in sink.rows if e == "job"]
    delay = pd.Timedelta(seconds=availability_delay_s)
    frame = pd.DataFrame(
        {
            "job_id": np.asarray([r[0] for r in rows], np.int64),
            "embedding": [r[1] for r in rows],
            "event_timestamp": pd.to_datetime([r[2] + delay for r in rows], utc=True),
        }
    ).drop_duplicates(["job_id", "event_timestamp"], keep="last")
    dim = int(ckpt.encoder_kwargs["embedding_dim"])
    flat = np.concatenate(frame["embedding"].to_list()) if len(frame) else np.zeros(0, np.float32)
    return pa.table(
        {
            "job_id": pa.array(frame["job_id"], pa.int64()),
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), dim).cast(
                pa.list_(pa.float32())
            ),
            "event_timestamp": pa.array(frame["event_timestamp"]).cast(pa.timestamp("us", "UTC")),
            "model_version": pa.array([ckpt.model_version] * len(frame), pa.string()),
        }
    )


def build_nearline_repo(*, repo_dir: Path, out_repo_dir: Path, nearline_jobs: pa.Table) -> Path:
    """A copy of the feature repo whose `job_gnn` source holds daily + nearline rows; applied."""
    from linksage.feature_store import FEATURE_TS, apply_repo, copy_repo

    daily = Path(repo_dir) / "data" / "job_gnn.parquet"
    if not daily.is_file():
        raise LinksageError(
            f"{daily}: daily job embeddings not published (run `linksage materialize`)"
        )
    out = copy_repo(out_repo_dir, src=repo_dir)
    for name in _REPO_DATA:
        if (Path(repo_dir) / "data" / name).is_file():
            shutil.copy2(Path(repo_dir) / "data" / name, out / "data" / name)
    base = pq.read_table(daily)
    fresh = nearline_jobs.append_column(FEATURE_TS, nearline_jobs["event_timestamp"])
    fresh = fresh.select(base.schema.names).cast(base.schema)
    merged = pa.concat_tables([base, fresh]).to_pandas()
    merged = merged.sort_values(["job_id", "event_timestamp"], kind="stable")
    merged = merged.drop_duplicates(["job_id", "event_timestamp"], keep="first")  # daily wins
    write_parquet(
        pa.Table.from_pandas(merged, schema=base.schema, preserve_index=False),
        out / "data" / "job_gnn.parquet",
    )
    apply_repo(out)
    return out


def nearline_ablation_from_config(cfg, *, progress: bool = True) -> list[Path]:
    """Build OUT/nearline/job_gnn_nearline.parquet and its repo copy, then train the missing
    `gnn_nearline` ranker runs (jymbii and search, every evaluation seed). Returns run dirs."""
    from gnn_encoder.commands import gnn_dir
    from linksage.datasource import load_tables
    from rankers.train import train_ranker_from_config

    tasks = [t for t in NEARLINE_TASKS if t in cfg.rankers.tasks]
    out = cfg.output_dir / "nearline"
    pending = [
        (t, s)
        for t in tasks
        for s in cfg.evaluation.seeds
        if not (
            cfg.output_dir / "rankers" / t / NEARLINE_ARM / f"seed{s}" / "predictions.parquet"
        ).is_file()
    ]
    if not pending:
        return []
    repo = out / "feature_repo"
    if not (repo / "data" / "registry.db").is_file():
        tables = load_tables(cfg.data, cfg.data_dir, validate=False)
        jobs = nearline_job_embeddings(
            tables=tables,
            gnn_dir=gnn_dir(cfg),
            start=cfg.windows.t_train_start,
            end=cfg.windows.t_test_end,
            refresh=cfg.nearline.refresh,
            availability_delay_s=cfg.nearline.availability_delay_s,
            progress=progress,
        )
        write_parquet(jobs, out / "job_gnn_nearline.parquet")
        cfg.save(out / "config.yaml")
        build_nearline_repo(repo_dir=cfg.feast.repo_dir, out_repo_dir=repo, nearline_jobs=jobs)
    return [
        train_ranker_from_config(
            cfg, task, NEARLINE_ARM, seed, repo_dir=repo, feature_service=f"{task}_gnn"
        )
        for task, seed in pending
    ]
