"""Paired tests on constructed data: a known effect is detected, no effect gives uniform p-values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evaluation.significance import (
    bootstrap_pvalue,
    compare_paired,
    paired_ttest_pvalue,
    relative_lift_pct,
    seed_spread,
)


def _pairs(rng, n, effect):
    base = rng.beta(2, 5, n)  # per-request metric of the control arm
    return np.column_stack([base, base + effect + rng.normal(0, 0.05, n)])


def test_known_effect_is_detected_with_ci_around_true_lift():
    rng = np.random.default_rng(1)
    num = _pairs(rng, 2000, effect=0.02)
    res = compare_paired(num, np.ones_like(num), n_samples=500, seed=0)
    true_lift = 100 * 0.02 / num[:, 0].mean()
    assert res.p_value < 1e-6 and res.significant(0.05)
    assert res.ci95_low < true_lift < res.ci95_high
    assert res.ci95_low > 0
    assert res.lift_pct == pytest.approx(100 * (num[:, 1].mean() / num[:, 0].mean() - 1))
    assert res.test == "paired t-test" and res.n_requests == 2000


def test_no_effect_gives_uniform_pvalues():
    rng = np.random.default_rng(2)
    pvalues = [paired_ttest_pvalue(*_pairs(rng, 200, effect=0.0).T) for _ in range(400)]
    # Kolmogorov-Smirnov against U(0, 1); fixed seed, so this cannot flake
    assert stats.kstest(pvalues, "uniform").pvalue > 0.05
    assert 0.02 < np.mean(np.array(pvalues) < 0.05) < 0.09  # false positive rate near alpha


def test_paired_ttest_matches_scipy_and_identical_arms():
    rng = np.random.default_rng(3)
    c, t = rng.random(50), rng.random(50)
    assert paired_ttest_pvalue(c, t) == pytest.approx(stats.ttest_rel(t, c).pvalue)
    assert paired_ttest_pvalue(c, c) == 1.0


def test_ratio_metric_uses_bootstrap_pvalue_and_ratio_of_sums():
    rng = np.random.default_rng(4)
    den = rng.integers(0, 3, size=(3000, 1)).repeat(2, axis=1).astype(float)
    num = np.column_stack([rng.binomial(2, 0.3, 3000), rng.binomial(2, 0.2, 3000)]).astype(float)
    res = compare_paired(num, den, n_samples=400, seed=0, ratio=True)
    assert res.control == pytest.approx(num[:, 0].sum() / den[:, 0].sum())
    assert res.test == "paired bootstrap"
    assert res.p_value < 0.01 and res.ci95_high < 0


def test_bootstrap_pvalue_and_helpers():
    rng = np.random.default_rng(5)
    assert bootstrap_pvalue(rng.normal(0.0, 1.0, 1000), 0.01) > 0.5
    assert bootstrap_pvalue(rng.normal(5.0, 1.0, 1000), 5.0) < 0.01
    assert relative_lift_pct(0.5, 0.55) == pytest.approx(10.0)
    assert np.isnan(relative_lift_pct(0.0, 0.1))
    assert np.isnan(seed_spread([0.3]))
    assert seed_spread([0.1, 0.3]) == pytest.approx(np.std([0.1, 0.3], ddof=1))
