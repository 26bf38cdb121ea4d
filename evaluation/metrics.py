"""Per-request ranking metrics: AUC, NDCG@k, MRR, Recall@k, and EBR Recall@k over the corpus.

Every metric is computed for all requests at once (vectorised with pandas group ranks), because a
test window holds tens of thousands of requests. Ties in scores are resolved by their expectation
under a random order of the tied items (as scikit-learn's `ndcg_score` does), so a model that
outputs constant scores is not rewarded or punished by row order. MRR uses the average rank of the
best-placed positive. A metric is NaN for a request where it is undefined (no positive for
NDCG/MRR/Recall; no positive or no negative for AUC): such requests are left out of the means.

The single-request functions (`ndcg_at_k`, ...) are the reference definitions the tests check by
hand and against scikit-learn; `request_metrics` is what the comparison runs on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The metric each task is judged on (the first row of its table). Ranking tasks are judged on the
# quality of the first screen (NDCG@10), TAJ is a classifier (one application = one example), so
# pooled AUC; EBR on how many positives reach the top K of the live corpus, K chosen from the
# corpus size so that it does not saturate (evaluation.corpus.choose_recall_k).
PRIMARY_METRIC = {"jymbii": "ndcg@10", "search": "ndcg@10", "taj": "pooled_auc", "ebr": "recall@K"}
RANKING_TASKS = ("jymbii", "search")

# Metrics where a smaller value is better (used to colour plots and word the report).
LOWER_IS_BETTER = {"dismiss_apply_ratio@10"}


def primary_metric(task: str, recall_k: int | None) -> str | None:
    """The primary metric's name for a task (EBR: Recall@ the task's chosen K)."""
    name = PRIMARY_METRIC.get(task)
    if name == "recall@K":
        return f"recall@{recall_k}" if recall_k else None
    return name


def _discounts(n: int) -> np.ndarray:
    """cum[j] = sum_{i=1..j} 1/log2(i+1); cum[0] = 0."""
    return np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, n + 2)))])


def tie_positions(df: pd.DataFrame, score: str = "score") -> tuple[np.ndarray, np.ndarray]:
    """First and last 1-based position each row's tie group occupies in its request's ranking."""
    g = df.groupby("request_id", sort=False)[score]
    lo = g.rank(method="min", ascending=False).to_numpy()
    hi = g.rank(method="max", ascending=False).to_numpy()
    return lo.astype(np.int64), hi.astype(np.int64)


def top_k_share(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """Probability that each row lands in the top k when its ties are ordered at random."""
    inside = np.minimum(hi, k) - np.minimum(lo - 1, k)
    return np.clip(inside, 0, None) / (hi - lo + 1)


def expected_discount(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """Expected DCG discount of each row at cutoff k, averaged over its tie group's positions."""
    cum = _discounts(int(hi.max()) if len(hi) else 1)
    return (cum[np.minimum(hi, k)] - cum[np.minimum(lo - 1, k)]) / (hi - lo + 1)


def request_metrics(
    df: pd.DataFrame, *, ndcg_k=(5, 10), recall_k=(10, 50), extra_top10: dict | None = None
) -> pd.DataFrame:
    """Per-request AUC, NDCG@k, MRR and Recall@k of a predictions frame (one row per request).

    `df` needs request_id, label, score. `extra_top10` maps an output column to a per-row 0/1
    array; each is summed over the expected top 10 of each request (used for the offline proxies
    of online metrics, see `evaluation.proxies`).
    """
    df = df[["request_id", "label", "score"]].reset_index(drop=True)
    label = df["label"].to_numpy(dtype=np.float64)
    lo, hi = tie_positions(df)
    rid = df["request_id"].to_numpy()
    g = pd.Series(label).groupby(rid, sort=True)
    n_pos = g.sum()
    n = g.size()
    n_neg = n - n_pos
    out = pd.DataFrame(index=n_pos.index.rename("request_id"))
    has_pos = n_pos > 0

    # AUC per request: Mann-Whitney U from average ranks (ascending score).
    avg_rank = df.groupby("request_id", sort=False)["score"].rank(method="average").to_numpy()
    rank_sum = pd.Series(avg_rank * label).groupby(rid, sort=True).sum()
    auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    out["auc"] = auc.where(has_pos & (n_neg > 0))

    for k in ndcg_k:
        dcg = pd.Series(label * expected_discount(lo, hi, k)).groupby(rid, sort=True).sum()
        cum = _discounts(int(n.max()))
        idcg = pd.Series(cum[np.minimum(n_pos.to_numpy().astype(int), k)], index=out.index)
        out[f"ndcg@{k}"] = (dcg / idcg).where(has_pos)

    # MRR: reciprocal of the average tie rank of the best-placed positive.
    desc_avg = (lo + hi) / 2.0
    first = pd.Series(np.where(label > 0, desc_avg, np.inf)).groupby(rid, sort=True).min()
    out["mrr"] = (1.0 / first).where(has_pos)

    for k in recall_k:
        hits = pd.Series(label * top_k_share(lo, hi, k)).groupby(rid, sort=True).sum()
        out[f"recall@{k}"] = (hits / n_pos).where(has_pos)

    share10 = top_k_share(lo, hi, 10)
    for name, flags in (extra_top10 or {}).items():
        vals = np.asarray(flags, dtype=np.float64) * share10
        out[name] = pd.Series(vals).groupby(rid, sort=True).sum()
    return out


def corpus_recall(df: pd.DataFrame, *, ks=(10, 50, 100)) -> pd.DataFrame:
    """EBR Recall@k over the whole live corpus, per request, from the 1-based `rank` column.

    Only the positives matter: Recall@k = positives with rank <= k / all positives of the request.
    """
    pos = df.loc[df["label"] > 0, ["request_id", "rank"]]
    g = pos.groupby("request_id", sort=True)["rank"]
    out = pd.DataFrame(index=pd.Index(np.unique(df["request_id"]), name="request_id"))
    n_pos = g.size().reindex(out.index)
    for k in ks:
        hits = pos.assign(hit=pos["rank"] <= k).groupby("request_id")["hit"].sum()
        out[f"recall@{k}"] = hits.reindex(out.index) / n_pos
    out["mrr"] = 1.0 / g.min().reindex(out.index).astype(float)
    return out


# --- single-request reference definitions (used by tests and for readability) ---------------


def ndcg_at_k(labels, scores, k: int) -> float:
    """NDCG@k of one request with tie-averaged gains (same convention as sklearn.ndcg_score)."""
    frame = pd.DataFrame({"request_id": 0, "label": labels, "score": scores})
    return float(request_metrics(frame, ndcg_k=(k,), recall_k=())[f"ndcg@{k}"].iloc[0])


def recall_at_k(labels, scores, k: int) -> float:
    """Share of one request's positives in its top k (ties shared out in expectation)."""
    frame = pd.DataFrame({"request_id": 0, "label": labels, "score": scores})
    return float(request_metrics(frame, ndcg_k=(), recall_k=(k,))[f"recall@{k}"].iloc[0])
