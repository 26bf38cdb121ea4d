"""A Feast repo filled with random embeddings: GNN embeddings of the documented schema drawn from
a seeded normal (their values do not matter to the code under test or to the benchmarks), written
next to the profile features, optionally applied and materialized."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ENTITIES = ("member", "job")


def random_embeddings(
    entity: str,
    ids,
    times: Sequence,
    dim: int,
    *,
    rng: np.random.Generator,
    model_version: str,
    dtype=np.float64,
) -> pa.Table:
    """`entity`'s embeddings table: every id at every time, one standard-normal draw of
    (len(ids), dim) per time, in order (float64 draws are cast to float32 by the table)."""
    from linksage.feature_store.embeddings import embeddings_table

    parts = [
        embeddings_table(
            id_column=f"{entity}_id",
            ids=ids,
            vectors=rng.standard_normal((len(ids), dim), dtype=dtype),
            event_timestamps=[t] * len(ids),
            model_version=model_version,
        )
        for t in times
    ]
    return pa.concat_tables(parts)


def write_embedding_tables(repo: Path, tables: dict[str, pa.Table]) -> None:
    """Write {entity: embeddings table} where the repo reads them (data/<entity>_embeddings)."""
    for entity, table in tables.items():
        pq.write_table(table, Path(repo) / "data" / f"{entity}_embeddings.parquet")


def write_random_embeddings(
    repo: Path, tables, times: Sequence, dim: int, *, model_version: str, seed: int = 0
) -> dict[str, pa.Table]:
    """Random embeddings for every member and job of `tables` at every time (one generator seeded
    with `seed`, members first), written into the repo; returns them."""
    rng = np.random.default_rng(seed)
    out = {
        entity: random_embeddings(
            entity,
            frame[f"{entity}_id"].to_numpy(),
            times,
            dim,
            rng=rng,
            model_version=model_version,
        )
        for entity, frame in (("member", tables.members), ("job", tables.jobs))
    }
    write_embedding_tables(repo, out)
    return out


def random_decoder(dim: int, *, model_version: str, seed: int = 0, hidden: int = 16):
    """A seeded MLP link decoder (`LinkDecoder`) for `dim`-dimensional embeddings."""
    from linksage.feature_store.decoder import LinkDecoder

    rng = np.random.default_rng(seed + 1)
    shapes = {"w1": (hidden, 3 * dim), "b1": (hidden,), "w2": (1, hidden), "b2": (1,)}
    weights = {
        k: (rng.standard_normal(s) / np.sqrt(s[-1])).astype(np.float32) for k, s in shapes.items()
    }
    return LinkDecoder("mlp", model_version, weights)


def random_feast_repo(
    repo_dir: Path,
    tables,
    times: Sequence,
    *,
    dim: int,
    top_k: int,
    ttl_days: int,
    model_version: str,
    seed: int = 0,
) -> Path:
    """A Feast repo at `repo_dir` with the profile features of `tables`, random embeddings at
    every snapshot time and a random MLP link decoder of the same model version, applied; only
    the last snapshot is materialized online (enough for serving, and quick). Returns the
    repo."""
    from linksage.feature_store import ensure_repo, prepare_and_materialize
    from linksage.feature_store.decoder import write_decoder
    from linksage.feature_store.profile_features import write_profile_features

    repo = ensure_repo(repo_dir)
    write_profile_features(tables, times, repo, top_k=top_k)
    write_random_embeddings(repo, tables, times, dim, model_version=model_version, seed=seed)
    write_decoder(repo / "data", random_decoder(dim, model_version=model_version, seed=seed))
    prepare_and_materialize(
        repo,
        ttl_days=ttl_days,
        embedding_dim=dim,
        start=times[-1] - timedelta(hours=1),
        end=times[-1],
    )
    return repo


def write_embedded(repo: Path, tables, times: Sequence, dim: int, out_dir: Path) -> None:
    """What `linksage embed` leaves for `linksage materialize`: random embeddings of model
    version m1 at `times` in the repo, and the manifest naming that version under out_dir/gnn."""
    write_random_embeddings(repo, tables, times, dim, model_version="m1")
    manifest = Path(out_dir) / "gnn" / "embeddings_manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"model_version": "m1", "embedding_dim": dim, "snapshots": []}))
