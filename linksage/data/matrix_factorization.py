"""Implicit ALS (Hu, Koren and Volinsky 2008; the `implicit` package) on a binary members x jobs
matrix: one home for the fixed settings, shared by the ALS baseline (evaluation/collaborative.py)
and the `mf` arm's embeddings (linksage/feature_store/arm_embeddings.py).

The settings are implicit's defaults and fixed constants, chosen once and never tuned on any
window. One thread (and one BLAS thread) with a fixed seed: the same factors on every run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from linksage.data.history import engagement_matrix
from linksage.data.vectors import EntityVectors

ALS_FACTORS = 64
ALS_REGULARIZATION = 0.01  # implicit's default
ALS_ALPHA = 1.0  # confidence 1 + alpha for an engaged pair (implicit's default)
ALS_ITERATIONS = 15  # implicit's default
ALS_SEED = 0


def als_factors(x: sparse.csr_matrix, factors: int = ALS_FACTORS) -> tuple[np.ndarray, np.ndarray]:
    """Member (row) and job (column) factors of `x`; a row or column without any engagement has
    no fit and gets a zero vector."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    used_rows = np.flatnonzero(np.diff(x.indptr) > 0)
    used_cols = np.flatnonzero(np.asarray((x != 0).sum(axis=0)).ravel() > 0)
    sub = sparse.csr_matrix(x[used_rows][:, used_cols], dtype=np.float32)
    with threadpool_limits(1):  # one BLAS thread too: deterministic, and as implicit advises
        model = AlternatingLeastSquares(
            factors=factors, regularization=ALS_REGULARIZATION, alpha=ALS_ALPHA,
            iterations=ALS_ITERATIONS, random_state=ALS_SEED, num_threads=1,
            calculate_training_loss=False,
        )  # fmt: skip
        model.fit(sub, show_progress=False)
    users = np.zeros((x.shape[0], factors))
    users[used_rows] = model.user_factors
    items = np.zeros((x.shape[1], factors))
    items[used_cols] = model.item_factors
    return users, items


def mf_vectors(engagements, jobs, before) -> dict[str, EntityVectors]:
    """The `mf` arm's embeddings: ALS factors of the clicks, saves and applies strictly before
    `before` (the GNN window's end, so both arms learn from the same engagements), per entity,
    valid from `before`. A member or job without an engagement there has no vector: the ranker
    sees it as missing, as matrix factorization cannot place it."""
    job_index = pd.Index(np.union1d(jobs["job_id"].to_numpy(), engagements["job_id"].to_numpy()))
    x, members = engagement_matrix(engagements, job_index, None, before)
    if not x.nnz:
        raise ValueError(f"no click, save or apply before {before} to fit the mf arm on")
    users, items = als_factors(x)
    used_rows = np.diff(x.indptr) > 0
    used_cols = np.asarray((x != 0).sum(axis=0)).ravel() > 0
    stamp = pd.Timestamp(before)

    def vectors(ids: np.ndarray, factors: np.ndarray) -> EntityVectors:
        return EntityVectors(ids, factors.astype(np.float32), pd.Series([stamp] * len(ids)))

    return {
        "member": vectors(members.to_numpy()[used_rows], users[used_rows]),
        "job": vectors(job_index.to_numpy()[used_cols], items[used_cols]),
    }
