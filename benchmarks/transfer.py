"""What the GNN hands the rankers: each pair score alone on a finished run's ranking lists.

For a finished `linksage run` (its OUT and feature repo), on the test requests of a ranking task
(jymbii by default), scores every candidate by:

- `decoder`: the frozen GNN's own link decoder on the point-in-time member and job embeddings
  (`REPO/data/gnn_decoder.json`), the affinity the GNN was trained to score;
- `dot`: the dot product of the same embeddings (what a ranker that only sees the vectors and
  their product receives);
- `random`: a seeded uniform score (the floor);
- the control and gnn rankers' own scores (seed 0), from their `predictions.parquet`;

and prints NDCG@10 of each over the requests that hold a positive, and each one's ratio to
`random` (a ratio against a baseline measured in the same run). The embeddings are those the
rankers joined: the newest snapshot row at or before the request (Feast's point-in-time rule).

    .venv/bin/python benchmarks/transfer.py --out runs/demo --repo feature_repo [--task jymbii]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evaluation.metrics import request_metrics  # noqa: E402
from linksage.feature_store.decoder import read_decoder  # noqa: E402


def point_in_time(rows: pd.DataFrame, path: Path, key: str) -> np.ndarray:
    """Each row's newest embedding of its `key` entity with event_timestamp <= at (zeros: none)."""
    emb = pd.read_parquet(path, columns=[key, "embedding", "event_timestamp"])
    emb = emb[emb[key].isin(rows[key].unique())].sort_values("event_timestamp")
    left = rows[[key, "at"]].reset_index().sort_values("at")
    joined = pd.merge_asof(
        left, emb, left_on="at", right_on="event_timestamp", by=key, direction="backward"
    ).sort_values("index")
    dim = len(emb["embedding"].iloc[0])
    out = np.zeros((len(rows), dim), np.float32)
    have = joined["embedding"].notna().to_numpy()
    out[have] = np.stack(joined.loc[have, "embedding"].to_numpy())
    return out


def ndcg10(rows: pd.DataFrame, score: np.ndarray) -> float:
    frame = rows[["request_id", "label"]].assign(score=score)
    values = request_metrics(frame, ndcg_k=(10,), recall_k=())["ndcg@10"]
    return float(values.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "demo")
    parser.add_argument("--repo", type=Path, default=ROOT / "feature_repo")
    parser.add_argument("--task", default="jymbii")
    args = parser.parse_args()
    runs = args.out / "rankers" / args.task
    control = pd.read_parquet(runs / "control" / "seed0" / "predictions.parquet")
    gnn = pd.read_parquet(runs / "gnn" / "seed0" / "predictions.parquet")
    keys = ["request_id", "job_id"]
    rows = control.merge(gnn[keys + ["score"]], on=keys, suffixes=("_control", "_gnn"))
    positive = rows.groupby("request_id")["label"].transform("max") > 0
    rows = rows[positive].reset_index(drop=True)
    rows["at"] = pd.to_datetime(rows["at"], utc=True)
    m = point_in_time(rows, args.repo / "data" / "member_gnn.parquet", "member_id")
    j = point_in_time(rows, args.repo / "data" / "job_gnn.parquet", "job_id")
    decoder = read_decoder(args.repo)
    scores = {
        "random": np.random.default_rng(0).random(len(rows)),
        "dot": np.sum(m * j, axis=1),
        "decoder": decoder.logits(m, j) if decoder is not None else None,
        "control ranker": rows["score_control"].to_numpy(),
        "gnn ranker": rows["score_gnn"].to_numpy(),
    }
    both = (m.any(axis=1) & j.any(axis=1)).mean()
    print(
        f"{args.task}: {rows['request_id'].nunique():,} test requests with a positive, "
        f"{len(rows):,} candidates; both embeddings present on {both:.1%} of them"
    )
    floor = ndcg10(rows, scores["random"])
    print(f"{'score':<16} {'NDCG@10':>8} {'x random':>9}")
    for name, score in scores.items():
        if score is None:
            print(f"{name:<16} {'(no decoder file in the repo)':>18}")
            continue
        value = ndcg10(rows, score)
        print(f"{name:<16} {value:8.4f} {value / floor:9.2f}")


if __name__ == "__main__":
    main()
