"""Small hand-made inputs for the feature-store tests: tables, snapshots, embeddings parquet.

The tables are tests/support/tables.py's `profile_tables`; embeddings are written the way
tests/support/random_repo.py writes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from linksage.feature_store import copy_repo
from linksage.feature_store.profile_features import write_profile_features
from tests.support.random_repo import random_embeddings, write_embedding_tables
from tests.support.tables import PROFILE_JOBS as JOBS
from tests.support.tables import PROFILE_MEMBERS as MEMBERS
from tests.support.tables import PROFILE_SNAPSHOTS as SNAPSHOTS
from tests.support.tables import PROFILE_T0 as T0
from tests.support.tables import profile_tables as hand_tables

DIM = 8
MODEL = "model-abc"

__all__ = [
    "DIM",
    "JOBS",
    "MEMBERS",
    "MODEL",
    "SNAPSHOTS",
    "T0",
    "build_repo",
    "embedding_tables",
    "hand_tables",
    "newest_rows",
]


def embedding_tables(seed: int = 0, model: str = MODEL) -> dict[str, pa.Table]:
    """Random embeddings per snapshot; member 4 and job 12 only have the first snapshot's
    (job 12 is posted later, so it only has the last one), so "newest" is not always the last."""
    rng = np.random.default_rng(seed)
    out = {}
    for entity, ids in (("member", MEMBERS), ("job", JOBS)):
        parts = []
        for i, s in enumerate(SNAPSHOTS):
            last = i == len(SNAPSHOTS) - 1
            if entity == "member":
                present = [m for m in ids if m != 4 or i == 0]
            else:
                present = [j for j in ids if j != 12 or last]
            parts.append(random_embeddings(entity, present, [s], DIM, rng=rng, model_version=model))
        out[entity] = pa.concat_tables(parts)
    return out


def build_repo(dst: Path) -> Path:
    """A temp copy of the repo with profile features and embeddings written (not applied)."""
    repo = copy_repo(dst)
    write_profile_features(hand_tables(), SNAPSHOTS, repo)
    write_embedding_tables(repo, embedding_tables())
    return repo


def newest_rows(table: pa.Table, id_column: str) -> pd.DataFrame:
    """The newest row per entity of an embeddings table."""
    df = table.to_pandas()
    return df.sort_values("event_timestamp").groupby(id_column).tail(1).set_index(id_column)
