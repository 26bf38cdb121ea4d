"""Nearline job embeddings for the ablation: stamped after their edges, joined point-in-time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from linksage.cli.ablation import build_nearline_repo, nearline_job_embeddings
from nearline.replay import events_from_tables
from tests.support.nearline import NEARLINE_CAP, batch_embeddings


def test_nearline_rows_are_fresh_exact_and_joined_point_in_time(nearline_experiment):
    from gnn_encoder.checkpoint import load_checkpoint
    from linksage.data.tables import read_tables
    from linksage.feature_store import FEATURE_TS, historical_features
    from linksage.feature_store.embeddings import embeddings_table
    from linksage.io import write_parquet

    _, cfg = nearline_experiment
    tables = read_tables(cfg.data_dir, validate=False)
    start = cfg.windows.t_test_start
    end = start + pd.Timedelta(days=3)
    gnn = cfg.output_dir / "gnn"
    table = nearline_job_embeddings(
        tables=tables,
        gnn_dir=gnn,
        start=start,
        end=end,
        refresh="ego",
        availability_delay_s=1.0,
        progress=False,
    )
    rows = table.to_pandas()
    events = events_from_tables(tables, start=start, end=end)
    posted = {e.job_id: pd.Timestamp(e.at) for e in events if e.type == "job_posted"}
    assert posted, "the window must post new jobs"
    first = rows.groupby("job_id")["event_timestamp"].min()
    for job, at in posted.items():  # a new job is available one delay after it was posted
        assert first[job] >= at + pd.Timedelta(seconds=1)
    ckpt = load_checkpoint(gnn / "checkpoint.pt")
    batch = batch_embeddings(ckpt.encoder, tables, ckpt.id_maps, time=end, cap=NEARLINE_CAP)
    last = rows.sort_values("event_timestamp").groupby("job_id").tail(1)
    for job, vector in zip(last["job_id"], last["embedding"], strict=True):  # ego: exact
        np.testing.assert_allclose(vector, batch[("job", int(job))], atol=1e-4)

    # daily rows only at the snapshot before the window; the copy adds the nearline rows
    repo = cfg.feast.repo_dir
    daily_jobs = batch_embeddings(ckpt.encoder, tables, ckpt.id_maps, time=start, cap=NEARLINE_CAP)
    ids = sorted(i for t, i in daily_jobs if t == "job")
    for entity in ("job", "member"):
        keys = sorted(i for t, i in daily_jobs if t == entity)
        daily = embeddings_table(
            id_column=f"{entity}_id",
            ids=keys,
            vectors=np.stack([daily_jobs[(entity, i)] for i in keys]),
            event_timestamps=[start] * len(keys),
            model_version=ckpt.model_version,
        )
        write_parquet(
            daily.append_column(FEATURE_TS, daily["event_timestamp"]),
            repo / "data" / f"{entity}_gnn.parquet",
        )
    from linksage.feature_store.profile_features import write_profile_features

    write_profile_features(tables, [start], repo)
    copy = build_nearline_repo(
        repo_dir=repo, out_repo_dir=cfg.output_dir / "nl_repo", nearline_jobs=table
    )
    assert len(pq.read_table(copy / "data" / "job_gnn.parquet")) == len(ids) + len(rows)
    job, at = next(iter(posted.items()))
    entity_df = pd.DataFrame(
        {
            "member_id": [int(tables.members["member_id"].iloc[0])] * 3,
            "job_id": [job] * 3,
            "event_timestamp": [at, first[job], end + pd.Timedelta(days=1)],
        }
    )
    from linksage.feature_store import apply_repo

    apply_repo(repo)
    offline = historical_features(repo, entity_df, "jymbii_gnn")
    fresh = historical_features(copy, entity_df, "jymbii_gnn")
    assert offline["job_gnn__embedding"].isna().all()  # a job posted after the daily snapshot
    assert fresh["job_gnn__embedding"].isna().iloc[0]  # not yet available when posted
    assert fresh["job_gnn__embedding"].notna().iloc[1:].all()
    assert (fresh["job_gnn__feature_ts"].dropna() <= entity_df["event_timestamp"][1:]).all()
