"""Reads from the feature store: point-in-time correct training frames (offline store) and
serving reads (online store). Feature columns come back with full names, `<view>__<feature>`
(e.g. `member_gnn__embedding`); `<view>__feature_ts` is the event timestamp of the row the join
picked (for the leakage audit)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from linksage.feature_store.dask_tokens import identity_dask_tokens
from linksage.feature_store.repo import (
    FEATURE_TS,
    FeatureStoreError,
    get_feature_service,
    open_store,
)


def utc_column(series: pd.Series, what: str) -> pd.Series:
    """`series` as UTC timestamps, or a FeatureStoreError naming the column."""
    try:
        return pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as err:
        raise FeatureStoreError(f"entity_df column {what}: not timestamps ({err})") from None


def historical_features(
    repo_dir: Path | str,
    entity_df: pd.DataFrame,
    feature_service: str,
    *,
    chunk_rows: int = 250_000,
    join_keys: Sequence[str] = ("member_id", "job_id"),
    progress: bool = False,
) -> pd.DataFrame:
    """Point-in-time correct training frame via Feast's `get_historical_features`.

    `entity_df` holds member_id, job_id (int64), event_timestamp (UTC) and any extra columns
    (kept). For each view of `feature_service` the newest row with
    event_timestamp <= the example's timestamp (and within the TTL) is joined; columns are
    `<view>__<feature>` plus `<view>__feature_ts` (the picked row's timestamp; null when no row
    is visible). Rows come back in the input order, one per input row. Only the views keyed by
    one of `join_keys` are joined (e.g. `("job_id",)` for job features alone).
    """
    required = [c for c in ("member_id", "job_id", "event_timestamp") if c not in entity_df]
    if required:
        raise FeatureStoreError(f"entity_df is missing column(s): {', '.join(required)}")
    store = open_store(repo_dir)
    service = get_feature_service(store, feature_service)
    out = entity_df.copy()
    out["event_timestamp"] = utc_column(out["event_timestamp"], "event_timestamp")
    # Each view is joined by Feast on its own unique (entity, timestamp) keys, then merged back:
    # Feast's file (dask) offline store drops an entity row outright when every feature row of
    # that entity is newer than the row (instead of returning nulls), and collapses rows that
    # share keys and timestamp. Joining per view keeps one output row per input row and keeps
    # one view's missing row from blanking the others; it also shrinks the join (many examples
    # share a member and a timestamp).
    for projection in service.feature_view_projections:
        view = projection.name_to_use()
        join_key = store.get_feature_view(projection.name).entity_columns[0].name
        if join_key not in join_keys:
            continue
        refs = [f"{view}:{f.name}" for f in projection.features]
        keys = out[[join_key, "event_timestamp"]].drop_duplicates(ignore_index=True)
        if keys.empty:  # Feast cannot join an empty entity frame; the columns still exist
            for f in projection.features:
                out[f"{view}__{f.name}"] = pd.Series(dtype=object)
            continue
        parts = []
        starts = range(0, len(keys), chunk_rows)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"{feature_service}: {view}", unit="chunk")
        for i in starts:
            with identity_dask_tokens():
                job = store.get_historical_features(
                    entity_df=keys.iloc[i : i + chunk_rows], features=refs, full_feature_names=True
                )
                parts.append(job.to_df())
        joined = pd.concat(parts, ignore_index=True)
        joined["event_timestamp"] = pd.to_datetime(joined["event_timestamp"], utc=True)
        out = out.merge(joined, on=[join_key, "event_timestamp"], how="left", validate="m:1")
    for col in feature_ts_columns(out):
        out[col] = pd.to_datetime(out[col], utc=True).astype("datetime64[us, UTC]")
    return out


def feature_ts_columns(frame: pd.DataFrame) -> list[str]:
    """The audit columns (`<view>__feature_ts`) of a training frame; not model inputs."""
    return [c for c in frame.columns if c.endswith(f"__{FEATURE_TS}")]


def online_features(
    store, feature_service: str, *, member_id: int, job_ids: Sequence[int]
) -> pd.DataFrame:
    """Serving read: the service's features for one member and many jobs, one row per job
    (member features repeated), columns `<view>__<feature>`, from the online store."""
    service = get_feature_service(store, feature_service)
    rows = {"member_id": [int(member_id)] * len(job_ids), "job_id": [int(j) for j in job_ids]}
    response = store.get_online_features(
        features=service, entity_rows=rows, full_feature_names=True
    )
    return response.to_df()
