"""The Feast feature repository through Feast's Python API: prepare, apply, publish, materialize,
read training frames (point-in-time) and online features.

The repository itself (feature_repo/) is a normal declarative Feast repo that the `feast` CLI
uses as is; this module does the same steps from Python so `linksage run` needs no shell.
Feature columns come back with full names, `<view>__<feature>` (e.g. `member_gnn__embedding`);
`<view>__feature_ts` is the event timestamp of the row the join picked (for the leakage audit).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import yaml

from linksage.errors import LinksageError
from linksage.feature_store.embedding_guard import EmbeddingValidationError, check_embeddings
from linksage.io import atomic_write_text, write_parquet

REPO_FILES = ("definitions.py", "feature_store.yaml", "feature_store.redis.yaml", "README.md")
SETTINGS_FILE = "data/linksage_settings.json"
ENTITY_ID = {"member": "member_id", "job": "job_id"}
GNN_VIEWS = ("member_gnn", "job_gnn")
FEATURE_TS = "feature_ts"
OnlineStoreKind = Literal["sqlite", "redis"]


class FeatureStoreError(LinksageError):
    """The feature repository is missing, incomplete or cannot serve what was asked."""

    exit_code = 2


@contextmanager
def identity_dask_tokens() -> Iterator[None]:
    """Workaround for a Feast file-offline-store bottleneck (Feast 0.67 + dask), used by
    `materialize` and `historical_features` (first found by the rankers, rankers/training_frame.py).

    Each point-in-time join and each materialization `.persist()`s its frames several times, and
    dask names every persisted frame by hashing its content, which pickles (and unpickles, to check
    determinism) every cell of object columns. With Array(Float32) embeddings that was ~76% of a
    100K-member materialize (59 s of 78 s, profiled) and ~95% of a demo training-frame join.
    Inside this block a pandas DataFrame's dask token is its identity plus a random suffix instead
    (unique, so correct; only dask's reuse of identical graphs is lost). Reentrant; the previous
    tokenizer is restored on exit. Not thread-safe (dask's tokenizer registry is global)."""
    from dask.base import normalize_token

    normalize_token(pd.DataFrame())  # let dask's lazy pandas registration run first
    previous = normalize_token._lookup.get(pd.DataFrame)
    normalize_token.register(pd.DataFrame)(lambda df: ("DataFrame", id(df), uuid.uuid4().hex))
    try:
        yield
    finally:
        if previous is None:
            normalize_token._lookup.pop(pd.DataFrame, None)
        else:
            normalize_token._lookup[pd.DataFrame] = previous


def template_dir() -> Path:
    """The packaged feature_repo/ (definitions and store yaml files)."""
    import feature_repo

    return Path(feature_repo.__file__).resolve().parent


def copy_repo(dst: Path | str, *, src: Path | str | None = None) -> Path:
    """Copy the repository's definition files (not its data) into `dst`; return `dst`."""
    src, dst = Path(src) if src else template_dir(), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for name in REPO_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    (dst / "data").mkdir(exist_ok=True)
    return dst


def ensure_repo(repo_dir: Path | str) -> Path:
    """Make `repo_dir` a feature repository: copy the definitions in if they are absent
    (a repo_dir that already has them, e.g. an edited copy, is left alone)."""
    repo_dir = Path(repo_dir)
    if (
        not (repo_dir / "definitions.py").is_file()
        or not (repo_dir / "feature_store.yaml").is_file()
    ):
        copy_repo(repo_dir)
    (repo_dir / "data").mkdir(parents=True, exist_ok=True)
    return repo_dir


def write_settings(repo_dir: Path | str, *, ttl_days: int, embedding_dim: int) -> Path:
    """Write the settings the declarative definitions read (TTL, embedding dimension)."""
    path = Path(repo_dir) / SETTINGS_FILE
    settings = {"ttl_days": int(ttl_days), "embedding_dim": int(embedding_dim)}
    atomic_write_text(path, json.dumps(settings, indent=2) + "\n")
    return path


def load_definitions(repo_dir: Path | str) -> list:
    """Import the repo's definitions.py afresh (so current settings apply) and return its Feast
    objects, as `feast apply` collects them."""
    from feast import Entity, FeatureService, FeatureView
    from feast.data_source import DataSource

    path = Path(repo_dir).resolve() / "definitions.py"
    if not path.is_file():
        raise FeatureStoreError(f"{path}: feature definitions not found")
    spec = importlib.util.spec_from_file_location(f"_linksage_repo_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kinds = (Entity, DataSource, FeatureView, FeatureService)
    objects = [v for v in vars(module).values() if isinstance(v, kinds)]
    return list({id(o): o for o in objects}.values())


def open_store(
    repo_dir: Path | str,
    *,
    online_store: OnlineStoreKind = "sqlite",
    redis_connection_string: str | None = None,
):
    """A `feast.FeatureStore` for the repo: SQLite from feature_store.yaml, or Redis from
    feature_store.redis.yaml (connection string overridable)."""
    from feast import FeatureStore
    from feast.repo_config import RepoConfig

    repo_dir = Path(repo_dir).resolve()
    name = "feature_store.yaml" if online_store == "sqlite" else "feature_store.redis.yaml"
    yaml_path = repo_dir / name
    if not yaml_path.is_file():
        raise FeatureStoreError(f"{yaml_path}: store configuration not found")
    raw = yaml.safe_load(os.path.expandvars(yaml_path.read_text()))
    if online_store == "redis" and redis_connection_string:
        raw["online_store"]["connection_string"] = redis_connection_string
    config = RepoConfig(**raw)
    config.repo_path = repo_dir
    return FeatureStore(repo_path=str(repo_dir), config=config)


def apply_repo(repo_dir: Path | str, **store_kwargs):
    """`feast apply` through the Python API; returns the FeatureStore."""
    store = open_store(repo_dir, **store_kwargs)
    store.apply(load_definitions(repo_dir))
    return store


def check_embedding_files(
    repo_dir: Path | str, *, embedding_dim: int, model_version: str | None = None
) -> dict[str, pa.Table]:
    """Guard the door: check `data/member_embeddings.parquet` and `data/job_embeddings.parquet`
    (each file's rules, then that both come from the same model). Writes nothing."""
    data = Path(repo_dir) / "data"
    checked = {
        entity: check_embeddings(
            data / f"{entity}_embeddings.parquet",
            id_column=id_column,
            embedding_dim=embedding_dim,
            model_version=model_version,
        )
        for entity, id_column in ENTITY_ID.items()
    }
    versions = {e: t["model_version"][0].as_py() for e, t in checked.items()}
    if versions["member"] != versions["job"]:
        raise EmbeddingValidationError(
            f"{data}: column model_version differs between member_embeddings.parquet "
            f"({versions['member']!r}) and job_embeddings.parquet ({versions['job']!r})"
        )
    return checked


def publish_embeddings(repo_dir: Path | str, checked: dict[str, pa.Table]) -> dict[str, int]:
    """Write checked embeddings as the GNN views' sources (`data/<entity>_gnn.parquet`, with
    `feature_ts`). Returns rows per view."""
    data = Path(repo_dir) / "data"
    for entity, table in checked.items():
        table = table.append_column(FEATURE_TS, table["event_timestamp"])
        write_parquet(table, data / f"{entity}_gnn.parquet")
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
) -> dict[str, int]:
    """The whole door: check embeddings (refusing before anything is written), write settings,
    publish the checked embeddings, apply the definitions and materialize [start, end]."""
    repo_dir = ensure_repo(repo_dir)
    data = repo_dir / "data"
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
    materialize(repo_dir, start=start, end=end, **store_kwargs)
    return rows


def _utc(series: pd.Series, what: str) -> pd.Series:
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
    progress: bool = False,
) -> pd.DataFrame:
    """Point-in-time correct training frame via Feast's `get_historical_features`.

    `entity_df` holds member_id, job_id (int64), event_timestamp (UTC) and any extra columns
    (kept). For each view of `feature_service` the newest row with
    event_timestamp <= the example's timestamp (and within the TTL) is joined; columns are
    `<view>__<feature>` plus `<view>__feature_ts` (the picked row's timestamp; null when no row
    is visible). Rows come back in the input order, one per input row.
    """
    required = [c for c in ("member_id", "job_id", "event_timestamp") if c not in entity_df]
    if required:
        raise FeatureStoreError(f"entity_df is missing column(s): {', '.join(required)}")
    store = open_store(repo_dir)
    service = get_feature_service(store, feature_service)
    out = entity_df.copy()
    out["event_timestamp"] = _utc(out["event_timestamp"], "event_timestamp")
    # Each view is joined by Feast on its own unique (entity, timestamp) keys, then merged back:
    # Feast's file (dask) offline store drops an entity row outright when every feature row of
    # that entity is newer than the row (instead of returning nulls), and collapses rows that
    # share keys and timestamp. Joining per view keeps one output row per input row and keeps
    # one view's missing row from blanking the others; it also shrinks the join (many examples
    # share a member and a timestamp).
    for projection in service.feature_view_projections:
        view = projection.name_to_use()
        join_key = store.get_feature_view(projection.name).entity_columns[0].name
        refs = [f"{view}:{f.name}" for f in projection.features]
        keys = out[[join_key, "event_timestamp"]].drop_duplicates(ignore_index=True)
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


def get_feature_service(store, name: str):
    """The named FeatureService, or a FeatureStoreError listing the ones that exist."""
    try:
        return store.get_feature_service(name)
    except Exception:  # Feast raises its own not-found type
        known = sorted(s.name for s in store.list_feature_services())
        raise FeatureStoreError(
            f"feature service {name!r} not found in {store.repo_path}; known: {', '.join(known)}"
        ) from None


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


def push_embeddings(store, entity: Literal["member", "job"], frame: pd.DataFrame) -> None:
    """Nearline write: push fresh embeddings to the online store through `<entity>_gnn_push`.
    `frame` columns: `<entity>_id`, embedding (float32 list), event_timestamp (UTC),
    model_version; `feature_ts` is added (= event_timestamp)."""
    from feast.data_source import PushMode

    df = frame.copy()
    df["event_timestamp"] = _utc(df["event_timestamp"], "event_timestamp")
    df[FEATURE_TS] = df["event_timestamp"]
    store.push(f"{entity}_gnn_push", df, to=PushMode.ONLINE)


def arrow_embeddings(
    ids: Sequence[int], vectors, *, id_column: str, event_timestamp: datetime, model_version: str
) -> pa.Table:
    """Build an embeddings table in the contract's schema (for tests and benchmarks)."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    flat = pa.array(vectors.reshape(-1))
    return pa.table(
        {
            id_column: pa.array(ids, pa.int64()),
            "embedding": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1]).cast(
                pa.list_(pa.float32())
            ),
            "event_timestamp": pa.array([event_timestamp] * len(ids), pa.timestamp("us", "UTC")),
            "model_version": pa.array([model_version] * len(ids), pa.string()),
        }
    )
