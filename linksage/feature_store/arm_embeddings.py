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
