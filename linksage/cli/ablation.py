"""The nearline ablation: rankers fed daily-snapshot vs nearline job embeddings.

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
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linksage import artifacts
from linksage.errors import LinksageError
from linksage.feature_store.decoder import DECODER_FILE
from linksage.io import write_parquet
from linksage.tasks import NEARLINE_ARM, NEARLINE_TASKS
from nearline.freshness import nearline_job_embeddings

_REPO_DATA = (
    "member_profile.parquet",
    "job_profile.parquet",
    "member_gnn.parquet",
    "linksage_settings.json",
    DECODER_FILE,  # the GNN decoder the rankers score the embeddings with
)


def build_nearline_repo(*, repo_dir: Path, out_repo_dir: Path, nearline_jobs: pa.Table) -> Path:
    """A copy of the feature repo whose `job_gnn` source holds daily + nearline rows; applied."""
    from linksage.feature_store import FEATURE_TS, apply_repo, copy_repo

    src_data = artifacts.repo_data_dir(repo_dir)
    daily = src_data / "job_gnn.parquet"
    if not daily.is_file():
        raise LinksageError(
            f"{daily}: daily job embeddings not published (run `linksage materialize`)"
        )
    out = copy_repo(out_repo_dir, src=repo_dir)
    for name in _REPO_DATA:
        if (src_data / name).is_file():
            shutil.copy2(src_data / name, artifacts.repo_data_dir(out) / name)
    base = pq.read_table(daily)
    fresh = nearline_jobs.append_column(FEATURE_TS, nearline_jobs["event_timestamp"])
    fresh = fresh.select(base.schema.names).cast(base.schema)
    merged = pa.concat_tables([base, fresh]).to_pandas()
    merged = merged.sort_values(["job_id", "event_timestamp"], kind="stable")
    merged = merged.drop_duplicates(["job_id", "event_timestamp"], keep="first")  # daily wins
    write_parquet(
        pa.Table.from_pandas(merged, schema=base.schema, preserve_index=False),
        artifacts.repo_data_dir(out) / "job_gnn.parquet",
    )
    apply_repo(out)
    return out


def nearline_ablation_from_config(cfg, *, progress: bool = True) -> list[Path]:
    """Build OUT/nearline/job_gnn_nearline.parquet and its repo copy, then train the missing
    `gnn_nearline` ranker runs (jymbii and search, every evaluation seed). Returns run dirs."""
    from linksage.cli.rankers import plan_from_config, train_rankers_in_parallel

    tasks = [t for t in NEARLINE_TASKS if t in plan_from_config(cfg).run]
    out = artifacts.nearline_dir(cfg.output_dir)
    pending = [
        (t, s)
        for t in tasks
        for s in cfg.evaluation.seeds
        if not (
            artifacts.run_dir(cfg.output_dir, t, NEARLINE_ARM, s) / artifacts.PREDICTIONS
        ).is_file()
    ]
    if not pending:
        return []
    repo = out / "feature_repo"
    if not (artifacts.repo_data_dir(repo) / "registry.db").is_file():
        _replay_into_repo(cfg, repo, progress=progress)
    overrides = {"repo_dir": repo}
    jobs = [
        (task, NEARLINE_ARM, seed, {**overrides, "feature_service": f"{task}_gnn"})
        for task, seed in pending
    ]
    return train_rankers_in_parallel(cfg, jobs)


def _replay_into_repo(cfg, repo: Path, *, progress: bool) -> None:
    """The replay's job embeddings, written to OUT/nearline/ and into the repo copy `repo`."""
    from linksage.cli.gnn import gnn_dir
    from linksage.data.datasource import load_tables

    jobs = nearline_job_embeddings(
        tables=load_tables(cfg.data, cfg.data_dir, validate=False),
        gnn_dir=gnn_dir(cfg),
        start=cfg.windows.t_train_start,
        end=cfg.windows.t_test_end,
        refresh=cfg.nearline.refresh,
        availability_delay_s=cfg.nearline.availability_delay_s,
        progress=progress,
    )
    out = artifacts.nearline_dir(cfg.output_dir)
    write_parquet(jobs, out / "job_gnn_nearline.parquet")
    cfg.save(out / "config.yaml")
    build_nearline_repo(repo_dir=cfg.feast.repo_dir, out_repo_dir=repo, nearline_jobs=jobs)
