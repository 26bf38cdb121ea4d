"""Reads from the feature store: point-in-time correct training frames (offline store) and
serving reads (online store). Feature columns come back with full names, `<view>__<feature>`
(e.g. `member_gnn__embedding`); `<view>__feature_ts` is the event timestamp of the row the join
picked (for the leakage audit)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linksage.feature_store.dask_tokens import identity_dask_tokens
from linksage.feature_store.repo import (
    FEATURE_TS,
    FeatureStoreError,
    OfflineStoreKind,
    get_feature_service,
    open_store,
)


def utc_column(series: pd.Series, what: str) -> pd.Series:
    """`series` as UTC timestamps, or a FeatureStoreError naming the column."""
    try:
        return pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as err:
        raise FeatureStoreError(f"entity_df column {what}: not timestamps ({err})") from None


# Feast's file offline store joins each entity row with every row of its entity in the view's
# source before keeping the newest visible one, so a chunk's working set is chunk keys x rows per
# entity (daily snapshots). The chunk is sized so that this product stays under the budget: a
# 250K-key chunk against 90 snapshots per member held 5.5 GB.
_JOIN_BUDGET_ROWS = 3_000_000


def _rows_per_entity(store, view_name: str, join_key: str) -> int:
    """Mean rows per entity in a view's batch source (1 when it cannot be read)."""
    source = store.get_feature_view(view_name).batch_source
    path = Path(getattr(source, "path", "") or "")
    if not path.is_absolute():
        path = Path(store.repo_path) / path
    if not path.is_file():
        return 1
    keys = pq.read_table(path, columns=[join_key]).column(join_key)
    return max(1, round(len(keys) / max(1, pc.count_distinct(keys).as_py())))


def historical_features(
    repo_dir: Path | str,
    entity_df: pd.DataFrame,
    feature_service: str,
    *,
    chunk_rows: int = 250_000,
    join_budget_rows: int = _JOIN_BUDGET_ROWS,
    join_keys: Sequence[str] = ("member_id", "job_id"),
    progress: bool = False,
    offline_store: OfflineStoreKind = "duckdb",
) -> pd.DataFrame:
    """Point-in-time correct training frame via Feast's `get_historical_features`.

    `entity_df` holds member_id, job_id (int64), event_timestamp (UTC) and any extra columns
    (kept). For each view of `feature_service` the newest row with
    event_timestamp <= the example's timestamp (and within the TTL) is joined; columns are
    `<view>__<feature>` plus `<view>__feature_ts` (the picked row's timestamp; null when no row
    is visible). Rows come back in the input order, one per input row. Only the views keyed by
    one of `join_keys` are joined (e.g. `("job_id",)` for job features alone). Each Feast call
    gets at most `chunk_rows` keys, and fewer when the view holds many rows per entity, so that
    keys x rows per entity stays within `join_budget_rows`. The join runs in Feast's DuckDB
    offline store over the repo's parquet sources; `offline_store="file"` uses Feast's file (dask)
    store instead, `"spark"` its Spark store (feature_store.spark.yaml).
    """
    required = [c for c in ("member_id", "job_id", "event_timestamp") if c not in entity_df]
    if required:
        raise FeatureStoreError(f"entity_df is missing column(s): {', '.join(required)}")
    store = open_store(repo_dir, offline_store=offline_store)
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
        per_entity = _rows_per_entity(store, projection.name, join_key)
        chunk = max(1, min(chunk_rows, join_budget_rows // per_entity))
        starts = range(0, len(keys), chunk)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"{feature_service}: {view}", unit="chunk")
        for i in starts:
            # DuckDB resolves the sources' relative paths against the working directory
            with (
                identity_dask_tokens(),
                contextlib.chdir(store.repo_path),
                warnings.catch_warnings(),
            ):
                warnings.filterwarnings("ignore", "fetch_arrow_table", DeprecationWarning)
                job = store.get_historical_features(
                    entity_df=keys.iloc[i : i + chunk], features=refs, full_feature_names=True
                )
                parts.append(job.to_df())
        joined = _utc_datetimes(pd.concat(parts, ignore_index=True), f"{view}__")
        joined["event_timestamp"] = pd.to_datetime(joined["event_timestamp"], utc=True)
        out = out.merge(joined, on=[join_key, "event_timestamp"], how="left", validate="m:1")
    for col in feature_ts_columns(out):
        out[col] = pd.to_datetime(out[col], utc=True).astype("datetime64[us, UTC]")
    return out


def _utc_datetimes(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Timestamp features as UTC microseconds whichever offline store joined them: Spark returns
    them naive in its session time zone (UTC in feature_store.spark.yaml), the file store as
    UTC."""
    for col in frame.columns:
        if col.startswith(prefix) and pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[us, UTC]")
    return frame


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
