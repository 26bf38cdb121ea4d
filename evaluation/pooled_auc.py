"""Pooled AUC with a cluster bootstrap, for tasks where per-request grouping is degenerate.

TAJ is a classifier: one application is one example, so a "request" holds a single row and a
per-request AUC does not exist. Its AUC is pooled over all test examples, and its uncertainty comes
from resampling requests (clusters of rows) with replacement, the same resample for both arms.

scikit-learn's `roc_auc_score` takes sample weights but one weight vector per call; a thousand
resamples would be a thousand sorts. Here the scores are sorted once and every resample is a row
of cluster counts, so all resamples are evaluated with a few array operations (written by hand for
that reason; the point estimate equals `roc_auc_score`, which the tests check, ties included).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Most cells (resamples x rows) held in memory at once.
MAX_CELLS = 4_000_000


def resample_counts(
    n_units: int, n_samples: int, seed: int, max_cells: int = MAX_CELLS, width: int | None = None
) -> Iterator[np.ndarray]:
    """Bootstrap resamples of `n_units` units as count matrices, in chunks of rows.

    Deterministic for a given seed, so every metric of a comparison sees the same resamples.
    `width` (default n_units) only sizes the chunks, for callers that expand units into rows.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, max_cells // max(width or n_units, n_units, 1))
    done = 0
    while done < n_samples:
        b = min(chunk, n_samples - done)
        idx = rng.integers(0, n_units, size=(b, n_units))
        flat = (idx + np.arange(b)[:, None] * n_units).ravel()
        yield np.bincount(flat, minlength=b * n_units).reshape(b, n_units)
        done += b


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC of `scores` against binary `labels` under each row of `weights` (shape (B, n)).

    Tied scores count one half, as in the Mann-Whitney statistic. Returns shape (B,); NaN where
    a resample has no positive or no negative weight.
    """
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    y = labels[order] > 0
    w = np.atleast_2d(weights)[:, order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos_w = np.add.reduceat(w * y, starts, axis=1)
    neg_w = np.add.reduceat(w * ~y, starts, axis=1)
    below = np.cumsum(neg_w, axis=1) - neg_w
    num = (pos_w * (below + 0.5 * neg_w)).sum(axis=1)
    den = pos_w.sum(axis=1) * neg_w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def pooled_auc(scores, labels) -> float:
    """AUC over all rows (equals sklearn.metrics.roc_auc_score)."""
    scores = np.asarray(scores, dtype=np.float64)
    return float(weighted_auc(scores, np.asarray(labels), np.ones((1, len(scores))))[0])


def bootstrap_pooled_auc(
    scores: np.ndarray,
    labels: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    n_samples: int,
    seed: int,
) -> np.ndarray:
    """Pooled AUC under `n_samples` cluster-bootstrap resamples (shape (n_samples,)).

    `cluster[i]` is row i's unit index in [0, n_clusters); the same seed gives the same resamples
    for every arm and seed whose rows share the cluster index.
    """
    scores = np.asarray(scores, dtype=np.float64)
    out = []
    for counts in resample_counts(n_clusters, n_samples, seed, width=len(scores)):
        out.append(weighted_auc(scores, labels, counts[:, cluster]))
    return np.concatenate(out) if out else np.empty(0)
