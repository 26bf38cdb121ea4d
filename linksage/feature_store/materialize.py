"""Writes into the feature store: guard the embeddings at the door, publish them as the GNN
views' sources (a rename), apply and materialize (bulk, or `feast materialize`); nearline pushes
through Feast's push API."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa

from linksage.artifacts import repo_data_dir
from linksage.feature_store.bulk import bulk_materialize
from linksage.feature_store.dask_tokens import identity_dask_tokens
from linksage.feature_store.embedding_guard import (
    EmbeddingValidationError,
    check_embeddings,
    in_published_form,
)
from linksage.feature_store.embeddings import with_feature_ts
from linksage.feature_store.reads import utc_column
from linksage.feature_store.repo import (
    CANDIDATE_FILE,
    ENTITY_ID,
    FEATURE_TS,
    PUBLISHED_FILE,
    FeatureStoreError,
    MaterializeMethod,
    OnlineStoreKind,
    apply_repo,
    embedding_files,
    ensure_repo,
    open_store,
    write_settings,
)
from linksage.io import write_parquet


def check_embedding_files(
    repo_dir: Path | str, *, embedding_dim: int, model_version: str | None = None
) -> dict[str, pa.Table]:
    """Guard the door: check each entity's newest embeddings file (`embedding_files`: the
    candidate `data/<entity>_embeddings.parquet`, or the published `data/<entity>_gnn.parquet`
    on a re-run), each file's rules, then that both come from the same model. Writes nothing."""
    files = embedding_files(repo_dir)
    checked = {
        entity: check_embeddings(
            files[entity],
            id_column=id_column,
            embedding_dim=embedding_dim,
            model_version=model_version,
        )
        for entity, id_column in ENTITY_ID.items()
    }
    versions = {e: t["model_version"][0].as_py() for e, t in checked.items()}
    if versions["member"] != versions["job"]:
        member, job = files["member"], files["job"]
        raise EmbeddingValidationError(
            f"{member.parent}: column model_version differs between {member.name} "
            f"({versions['member']!r}) and {job.name} ({versions['job']!r})"
        )
    return checked


def publish_embeddings(repo_dir: Path | str, checked: dict[str, pa.Table]) -> dict[str, int]:
    """Make checked candidates the GNN views' sources (`data/<entity>_gnn.parquet`): a candidate
    already in the published form (what `linksage embed` writes) is renamed, so each embedding
    stays on disk once; any other is written normalized with `feature_ts`, then removed. An
    entity without a candidate was published before and is left as it is. Returns rows per view."""
    repo_dir = Path(repo_dir)
    for entity, table in checked.items():
        candidate = repo_dir / CANDIDATE_FILE.format(entity=entity)
        published = repo_dir / PUBLISHED_FILE.format(entity=entity)
        if not candidate.is_file():
            continue
        if in_published_form(candidate, ENTITY_ID[entity]):
            os.replace(candidate, published)
        else:
            write_parquet(with_feature_ts(table), published)
            candidate.unlink()
    return {f"{e}_gnn": t.num_rows for e, t in checked.items()}


def materialize(
    repo_dir: Path | str,
    *,
    start: datetime,
    end: datetime,
    views: Sequence[str] | None = None,
    **store_kwargs,
) -> None:
    """`feast materialize START END` (both ends inclusive for the file offline store)."""
    store = open_store(repo_dir, **store_kwargs)
    with identity_dask_tokens():
        store.materialize(
            start_date=start, end_date=end, feature_views=list(views) if views else None
        )


def prepare_and_materialize(
    repo_dir: Path | str,
    *,
    ttl_days: int,
    embedding_dim: int,
    start: datetime,
    end: datetime,
    model_version: str | None = None,
    online_store: OnlineStoreKind = "sqlite",
    redis_connection_string: str | None = None,
    method: MaterializeMethod = "bulk",
) -> dict[str, int]:
    """The whole door: check embeddings (refusing before anything is written), write settings,
    publish the checked embeddings, apply the definitions and materialize [start, end] with
    `method` (`bulk_materialize`, or `feast materialize` through Feast's API). Returns the
    published rows per GNN view."""
    repo_dir = ensure_repo(repo_dir)
    data = repo_data_dir(repo_dir)
    for name in ("member_profile", "job_profile"):
        if not (data / f"{name}.parquet").is_file():
            raise FeatureStoreError(
                f"{data / name}.parquet: profile features not found (run `linksage features`)"
            )
    store_kwargs = {
        "online_store": online_store,
        "redis_connection_string": redis_connection_string,
    }
    # Check first so a refused file leaves registry, sources and online store untouched.
    checked = check_embedding_files(
        repo_dir, embedding_dim=embedding_dim, model_version=model_version
    )
    write_settings(repo_dir, ttl_days=ttl_days, embedding_dim=embedding_dim)
    rows = publish_embeddings(repo_dir, checked)
    apply_repo(repo_dir, **store_kwargs)
    if method == "bulk":
        bulk_materialize(repo_dir, start=start, end=end, **store_kwargs)
    else:
        materialize(repo_dir, start=start, end=end, **store_kwargs)
    return rows


def push_embeddings(store, entity: Literal["member", "job"], frame: pd.DataFrame) -> None:
    """Nearline write: push fresh embeddings to the online store through `<entity>_gnn_push`.
    `frame` columns: `<entity>_id`, embedding (float32 list), event_timestamp (UTC),
    model_version; `feature_ts` is added (= event_timestamp)."""
    from feast.data_source import PushMode

    df = frame.copy()
    df["event_timestamp"] = utc_column(df["event_timestamp"], "event_timestamp")
    df[FEATURE_TS] = df["event_timestamp"]
    store.push(f"{entity}_gnn_push", df, to=PushMode.ONLINE)
