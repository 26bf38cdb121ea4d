"""Pooled AUC and its cluster bootstrap against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from evaluation.pooled_auc import bootstrap_pooled_auc, pooled_auc, resample_counts, weighted_auc


def test_pooled_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500) + 0.3 * y, 1)
    assert pooled_auc(s, y) == pytest.approx(roc_auc_score(y, s))


def test_hand_computed_auc():
    # pairs (pos, neg): 0.8>0.3, 0.8>0.5, 0.4>0.3, 0.4<0.5 -> 3 of 4
    assert pooled_auc([0.8, 0.4, 0.3, 0.5], [1, 1, 0, 0]) == pytest.approx(0.75)


def test_weighted_auc_equals_sklearn_sample_weight():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    s = rng.random(200) + 0.5 * y
    w = rng.integers(0, 4, size=(3, 200))
    got = weighted_auc(s, y, w)
    for b in range(3):
        assert got[b] == pytest.approx(roc_auc_score(y, s, sample_weight=w[b]))


def test_cluster_bootstrap_resamples_whole_requests():
    counts = np.vstack(list(resample_counts(7, 25, seed=3, max_cells=20)))
    assert counts.shape == (25, 7) and (counts.sum(axis=1) == 7).all()
    again = np.vstack(list(resample_counts(7, 25, seed=3, max_cells=1000)))
    assert counts.shape == again.shape  # chunking changes the draws, not their count
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    s = rng.random(300) + 0.5 * y
    cluster = np.arange(300) // 3
    boot = bootstrap_pooled_auc(s, y, cluster, 100, 300, seed=0)
    assert boot.shape == (300,)
    assert abs(np.mean(boot) - pooled_auc(s, y)) < 0.01
