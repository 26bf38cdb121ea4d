"""The reported MDE means what it says: an effect of the MDE's size, planted in simulated paired
data, is detected by the report's own test in about 80% of repeats; no effect, in about 5%.

The MDE is computed once, from a pilot sample, exactly as the report computes it (the
MetricComparison of that sample); then fresh samples of the same design, with the effect planted
or not, go through the same comparison the report runs. Fixed seeds: the rates cannot flake; the
bands allow the binomial spread of 200 repeats (sd about 0.03 at 0.8, 0.015 at 0.05).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.compare import compare_task
from evaluation.power import mde_pct, requests_needed, ttest_effect_size, ttest_power
from evaluation.significance import compare_paired

ALPHA, POWER, REPEATS = 0.05, 0.8, 200


def _paired(rng, n: int, delta: float) -> np.ndarray:
    """Per-request metric of two arms: control ~ Beta(2, 5), treatment = control + delta + noise."""
    control = rng.beta(2, 5, n)
    return np.column_stack([control, control + delta + rng.normal(0, 0.1, n)])


def _detection_rate(rng, n: int, delta: float) -> float:
    hits = 0
    for _ in range(REPEATS):
        num = _paired(rng, n, delta)
        hits += compare_paired(num, np.ones_like(num), n_samples=100, seed=0).significant(ALPHA)
    return hits / REPEATS


def test_mean_metric_mde_is_detected_80_percent_of_the_time():
    rng = np.random.default_rng(11)
    pilot = _paired(rng, 400, 0.0)
    m = compare_paired(pilot, np.ones_like(pilot), n_samples=100, seed=0)
    mde = m.mde_pct(ALPHA, POWER)
    assert 0 < mde < 100
    delta = mde / 100 * m.control  # the MDE in the metric's units (it is % of the control)
    rate = _detection_rate(rng, 400, delta)
    assert 0.70 <= rate <= 0.90, rate


def test_mean_metric_without_effect_is_detected_5_percent_of_the_time():
    rate = _detection_rate(np.random.default_rng(12), 400, 0.0)
    assert 0.02 <= rate <= 0.09, rate


def _taj_arms(rng, n_requests: int, sep_control: float, sep_treatment: float):
    """TAJ-like rows (1-3 applications per request), one seed per arm; the arms share half of
    their noise, as two rankers of the same examples do."""
    sizes = rng.integers(1, 4, n_requests)
    rid = np.repeat(np.arange(n_requests), sizes)
    label = (rng.random(len(rid)) < 0.3).astype(np.int8)
    shared, own = rng.normal(0, 1, len(rid)), rng.normal(0, 1, len(rid))
    base = pd.DataFrame({"request_id": rid, "member_id": rid, "job_id": np.arange(len(rid))})
    base = base.assign(at=pd.Timestamp("2026-02-06", tz="UTC"), label=label)
    control = base.assign(score=sep_control * label + shared)
    treatment = base.assign(score=sep_treatment * label + 0.5 * shared + np.sqrt(0.75) * own)
    return {0: control}, {0: treatment}


def _taj_rate(rng, sep_c: float, sep_t: float) -> float:
    hits = 0
    for _ in range(REPEATS):
        c, t = _taj_arms(rng, 300, sep_c, sep_t)
        m = compare_task("taj", c, t, bootstrap_samples=200).metrics["pooled_auc"]
        hits += m.significant(ALPHA)
    return hits / REPEATS


def test_pooled_auc_mde_from_the_bootstrap_is_detected_80_percent_of_the_time():
    rng = np.random.default_rng(13)
    sep = 0.8  # binormal: AUC = Phi(sep / sqrt(2))
    c, t = _taj_arms(rng, 300, sep, sep)
    # the pilot's MDE with the report's default 1000 resamples; the repeats only need p-values
    m = compare_task("taj", c, t, bootstrap_samples=1000).metrics["pooled_auc"]
    assert m.test == "paired bootstrap"
    mde = m.mde_pct(ALPHA, POWER)
    target_auc = stats.norm.cdf(sep / np.sqrt(2)) + mde / 100 * m.control
    rate = _taj_rate(rng, sep, np.sqrt(2) * stats.norm.ppf(target_auc))
    assert 0.70 <= rate <= 0.90, (mde, rate)
    assert 0.02 <= _taj_rate(np.random.default_rng(14), sep, sep) <= 0.09


def test_ttest_effect_size_solves_the_power_equation():
    d = ttest_effect_size(100, ALPHA, POWER)
    assert d == pytest.approx(0.2829, abs=1e-3)  # Cohen's tables; statsmodels TTestPower
    assert ttest_power(d, 100, ALPHA) == pytest.approx(POWER)
    # large n: the normal approximation (z_0.975 + z_0.8) / sqrt(n)
    assert ttest_effect_size(10_000, ALPHA, POWER) == pytest.approx(2.8016 / 100, rel=1e-3)
    assert np.isnan(ttest_effect_size(1, ALPHA, POWER))


def test_mde_units_and_requests_needed():
    # bootstrap: (z + z) * se, relative to the control
    assert mde_pct("paired bootstrap", 50, 0.01, 0.5, alpha=ALPHA, power=POWER) == pytest.approx(
        100 * 2.8016 * 0.01 / 0.5, rel=1e-4
    )
    assert np.isnan(mde_pct("paired t-test", 50, 0.01, 0.0, alpha=ALPHA, power=POWER))
    assert np.isnan(mde_pct("none", 50, 0.01, 0.5, alpha=ALPHA, power=POWER))
    # the standard error shrinks as 1/sqrt(n): halving the MDE takes four times the requests
    assert requests_needed(1000, 20.0, 10.0) == 4000
    assert requests_needed(1000, float("nan"), 10.0) is None
