"""Embedding drift: can a classifier tell the train split's rows from the test window's by the
embeddings the ranker was fed? (`details.<task>.diagnostics.drift`)

For one arm's run, a sample of its train and test examples gets the member and job vectors the
point-in-time join picked (`<view>__feature_ts` in examples.parquet names the row), and a logistic
regression separates the two splits (3-fold cross-validated ROC AUC, scikit-learn). About 0.5:
the test window's vectors look like those the ranker learned from. Near 1: they moved (snapshots
drift as edges arrive, a job new in the test window looks unlike any training job), so what the
ranker learned about them transfers less: a reason an arm can lose at test time while winning on
validation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linksage.feature_store.arm_embeddings import arm_embedding_files
from linksage.feature_store.repo import ENTITY_ID, embedding_files

DRIFT_ROWS = 3000  # per split: enough for a stable AUC, small enough to stay quick
DRIFT_SEED = 0


def arm_vector_files(repo_dir: Path, arm: str) -> dict[str, Path]:
    """Per entity, the embeddings file an arm's runs joined (gnn: the published GNN files)."""
    return embedding_files(repo_dir) if arm == "gnn" else arm_embedding_files(repo_dir, arm)


def _picked_vectors(path: Path, key: str, ids: pd.Series, at: pd.Series) -> np.ndarray:
    """The vector of each (id, feature_ts) the join picked; NaN rows where it picked none."""
    wanted = pa.array(ids.unique().astype(np.int64))
    table = pq.read_table(
        path,
        columns=[key, "event_timestamp", "embedding"],
        filters=pc.is_in(pc.field(key).cast(pa.int64()), value_set=wanted),
    )
    dim = len(table["embedding"][0]) if table.num_rows else 1
    mat = table["embedding"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    rows = pd.DataFrame(
        {
            key: table[key].to_numpy(),
            "ts": pd.to_datetime(table["event_timestamp"].to_pandas(), utc=True),
            "row": np.arange(table.num_rows),
        }
    ).drop_duplicates([key, "ts"])
    want = pd.DataFrame({key: ids.to_numpy(), "ts": pd.to_datetime(at, utc=True).to_numpy()})
    hit = want.merge(rows, on=[key, "ts"], how="left")["row"].to_numpy()
    out = np.full((len(want), dim), np.nan, np.float32)
    found = ~np.isnan(hit)
    out[found] = mat.reshape(-1, dim)[hit[found].astype(int)]
    return out


def drift_columns(arm: str) -> list[str]:
    """The examples' columns `embedding_drift` reads for `arm` (read only these: the file holds
    every feature's timestamp and every split's rows)."""
    views = [f"{entity}_{arm}__feature_ts" for entity in ENTITY_ID]
    return ["split", *ENTITY_ID.values(), *views]


def embedding_drift(examples: pd.DataFrame, files: dict[str, Path], arm: str) -> dict | None:
    """Train-vs-test classifier AUC on the vectors one arm's run was fed (`files`: entity ->
    embeddings parquet; the examples carry `<entity>_<arm>__feature_ts`), with the share of
    rows without a vector per split. None when a split, a column or a file is absent."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(DRIFT_SEED)
    parts = []
    for split in ("train", "test"):
        rows = examples[examples["split"] == split]
        if rows.empty:
            return None
        take = rng.choice(len(rows), size=min(DRIFT_ROWS, len(rows)), replace=False)
        parts.append(rows.iloc[np.sort(take)])
    sample = pd.concat(parts, ignore_index=True)
    is_test = (sample["split"] == "test").to_numpy()
    columns, missing = [], {}
    for entity, path in files.items():
        key, ts = ENTITY_ID[entity], f"{entity}_{arm}__feature_ts"
        if ts not in sample or not Path(path).is_file():
            return None
        vec = _picked_vectors(Path(path), key, sample[key], sample[ts])
        present = ~np.isnan(vec).any(axis=1)
        columns += [np.nan_to_num(vec), present[:, None].astype(np.float32)]
        missing[entity] = {
            "train": float(1 - present[~is_test].mean()),
            "test": float(1 - present[is_test].mean()),
        }
    auc = cross_val_score(
        LogisticRegression(max_iter=500), np.hstack(columns), is_test.astype(int), cv=3,
        scoring="roc_auc",
    )  # fmt: skip
    return {
        "train_vs_test_auc": float(np.mean(auc)),
        "rows_per_split": int(min(len(p) for p in parts)),
        "missing_share": missing,
    }
