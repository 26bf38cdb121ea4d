"""The embeddings of the arms that stand in for the GNN's (mf, oracle), in the feature repo.

Each goes through the same Feast path as the GNN's: `data/<entity>_<arm>.parquet` is the source
of the feature view `<entity>_<arm>` (tagged `group: <arm>`), and the services `<task>_<arm>`
hold the control's features plus those two views (feature_repo/definitions.py declares them when
both files exist). The views are offline only: the arms are experiments, never served.
"""

from __future__ import annotations

from pathlib import Path

from linksage.data.vectors import EntityVectors
from linksage.feature_store.embeddings import embeddings_table, with_feature_ts
from linksage.feature_store.repo import ENTITY_ID
from linksage.io import write_parquet

ARM_FILE = "data/{entity}_{arm}.parquet"


def arm_embedding_files(repo_dir: Path | str, arm: str) -> dict[str, Path]:
    """Per entity, the file the arm's feature view reads."""
    return {e: Path(repo_dir) / ARM_FILE.format(entity=e, arm=arm) for e in ENTITY_ID}


def write_arm_embeddings(
    repo_dir: Path | str, arm: str, vectors: dict[str, EntityVectors], *, model_version: str
) -> dict[str, Path]:
    """Write an arm's member and job vectors as its views' sources (each file atomically);
    `model_version` names where they came from. Returns the files."""
    files = arm_embedding_files(repo_dir, arm)
    for entity, path in files.items():
        v = vectors[entity]
        table = embeddings_table(
            id_column=ENTITY_ID[entity],
            ids=v.ids,
            vectors=v.vectors,
            event_timestamps=v.valid_from,
            model_version=model_version,
        )
        write_parquet(with_feature_ts(table), path)
    return files


def placebo_vectors(repo_dir: Path | str, seed: int = 0) -> dict[str, EntityVectors]:
    """The `placebo` arm: the GNN's own embeddings (every snapshot) with each entity's rows
    moved to another entity of the same kind, by one fixed permutation of the ids. The vectors,
    their distribution and their snapshots are the GNN's; only which member or job they belong to
    is lost. A ranker that gains as much from these as from the real ones gains from the extra
    inputs, not from what the GNN learned about each member and job."""
    import numpy as np
    import pyarrow.parquet as pq

    from linksage.feature_store.repo import embedding_files

    rng = np.random.default_rng(seed)
    out = {}
    for entity, path in embedding_files(repo_dir).items():
        table = pq.read_table(path, columns=[ENTITY_ID[entity], "embedding", "event_timestamp"])
        ids = table[ENTITY_ID[entity]].to_numpy()
        distinct = np.unique(ids)
        moved = rng.permutation(distinct)[np.searchsorted(distinct, ids)]
        flat = table["embedding"].combine_chunks().flatten().to_numpy()
        out[entity] = EntityVectors(
            moved.astype(np.int64),
            flat.reshape(len(ids), -1),
            table["event_timestamp"].to_pandas(),
        )
    return out
