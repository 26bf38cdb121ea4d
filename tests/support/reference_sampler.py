"""A per-node Python neighbour sampler: the oracle for tests and the baseline for benchmarks of
the vectorised `gnn_encoder.sampler.sample_rows`."""

from __future__ import annotations

import numpy as np


def python_loop_sample(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, fanout: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Up to `fanout` distinct neighbours of each row, one row at a time. Returns (row position in
    `rows`, neighbour index) for every sampled edge, grouped by row."""
    owner, out = [], []
    for pos, r in enumerate(rows):
        nb = indices[indptr[r] : indptr[r + 1]]
        pick = nb if len(nb) <= fanout else rng.choice(nb, fanout, replace=False)
        owner.extend([pos] * len(pick))
        out.extend(pick.tolist())
    return np.asarray(owner, np.int64), np.asarray(out, np.int64)
