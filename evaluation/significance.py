"""Paired significance across requests: t-test p-values, bootstrap CIs of relative lift, seed spread.

The unit of pairing is the request: both arms score the same test requests, so each request gives
one (control, treatment) pair of metric values (each already averaged over seeds). The p-value is
scipy's two-sided paired t-test on those pairs (the paper's test at p < 0.05); the 95% CI of the
relative lift comes from resampling requests with replacement (percentile bootstrap, vectorised as
count matrices). Metrics that are not a mean over requests (ratios of sums, pooled AUC) get their
p-value from the same paired bootstrap instead, centred under the null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from evaluation.pooled_auc import resample_counts
from evaluation.power import mde_pct
from linksage.config import EvaluationSection

_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


@dataclass(frozen=True)
class MetricComparison:
    """One metric compared between two arms (the statistics; rendering lives in report.py)."""

    control: float
    treatment: float
    lift_pct: float
    ci95_low: float
    ci95_high: float
    p_value: float
    n_requests: int
    test: str  # "paired t-test" or "paired bootstrap"
    control_seed_sd: float = float("nan")
    treatment_seed_sd: float = float("nan")
    # standard error of treatment - control: sd / sqrt(n) of the per-request differences for the
    # t-test, the sd of the bootstrap differences otherwise (what the MDE is computed from)
    diff_se: float = float("nan")
    # the metric of each seed of each arm on the paired requests (the seed spread in the report)
    control_per_seed: dict[int, float] = field(default_factory=dict)
    treatment_per_seed: dict[int, float] = field(default_factory=dict)

    def significant(self, alpha: float = _DEFAULTS.alpha) -> bool:
        """True when the two-sided p-value is below alpha."""
        return bool(np.isfinite(self.p_value) and self.p_value < alpha)

    def mde_pct(self, alpha: float, power: float) -> float:
        """Minimum detectable effect of this comparison's own test, in % of the control."""
        return mde_pct(
            self.test, self.n_requests, self.diff_se, self.control, alpha=alpha, power=power
        )

    def as_json(self) -> dict:
        """The six keys report.json holds for a metric (NaN becomes null)."""
        keys = ("control", "treatment", "lift_pct", "ci95_low", "ci95_high", "p_value")
        return {k: _finite_or_none(getattr(self, k)) for k in keys}


def _finite_or_none(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def relative_lift_pct(control, treatment):
    """100 * (treatment / control - 1); NaN where control is 0 (elementwise on arrays)."""
    control = np.asarray(control, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(control != 0, 100.0 * (np.asarray(treatment) / control - 1.0), np.nan)
    return out if out.ndim else float(out)


def paired_ttest_pvalue(control: np.ndarray, treatment: np.ndarray) -> float:
    """Two-sided paired t-test p-value; 1.0 when every difference is exactly zero."""
    diff = np.asarray(treatment, float) - np.asarray(control, float)
    if len(diff) < 2:
        return float("nan")
    if np.all(diff == 0):
        return 1.0
    return float(stats.ttest_rel(treatment, control).pvalue)


def bootstrap_ratio(
    num: np.ndarray, den: np.ndarray, n_samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Resampled sums of per-request numerators and denominators, shape (n_samples, arms).

    `num` and `den` have shape (n_requests, arms); a mean metric has den = 1. Resampling the
    requests once for all arms keeps the bootstrap paired.
    """
    nums, dens = [], []
    for counts in resample_counts(len(num), n_samples, seed):
        nums.append(counts @ num)
        dens.append(counts @ den)
    return np.concatenate(nums), np.concatenate(dens)


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap samples (NaN samples dropped)."""
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_pvalue(diff_samples: np.ndarray, observed: float) -> float:
    """Two-sided p-value of a paired bootstrap: how often the resampled difference, centred on
    the observed one, is at least as far from zero as the observation."""
    d = diff_samples[np.isfinite(diff_samples)]
    if len(d) == 0 or not np.isfinite(observed):
        return float("nan")
    if observed == 0 and np.all(d == 0):
        return 1.0
    extreme = np.abs(d - observed) >= abs(observed)
    return float((1 + extreme.sum()) / (len(d) + 1))


def bootstrap_se(diff_samples: np.ndarray) -> float:
    """Standard error of a difference from its bootstrap samples (non-finite ones dropped)."""
    d = diff_samples[np.isfinite(diff_samples)]
    return float(d.std(ddof=1)) if len(d) > 1 else float("nan")


def seed_spread(values_per_seed) -> float:
    """Standard deviation of a metric across seeds (NaN with a single seed)."""
    v = np.asarray([x for x in values_per_seed if np.isfinite(x)], dtype=np.float64)
    return float(v.std(ddof=1)) if len(v) > 1 else float("nan")


def compare_paired(
    num: np.ndarray,
    den: np.ndarray,
    *,
    n_samples: int,
    seed: int,
    ratio: bool = False,
) -> MetricComparison:
    """Compare arms on per-request values: `num`/`den` of shape (n_requests, 2) = (control,
    treatment). A mean metric (den = 1) gets the paired t-test; a ratio of sums (`ratio=True`)
    the bootstrap p-value. Both get the bootstrap CI of the relative lift."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    n = len(num)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = num.sum(axis=0) / den.sum(axis=0) if n else np.array([np.nan, np.nan])
    if n == 0:
        return MetricComparison(*point, np.nan, np.nan, np.nan, np.nan, 0, "none")
    bnum, bden = bootstrap_ratio(num, den, n_samples, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = bnum / bden
    low, high = percentile_ci(relative_lift_pct(boot[:, 0], boot[:, 1]))
    if ratio:  # a resample with no denominator gives inf; inf - inf is dropped as NaN below
        with np.errstate(invalid="ignore"):
            diff = boot[:, 1] - boot[:, 0]
        p = bootstrap_pvalue(diff, point[1] - point[0])
        test, se = "paired bootstrap", bootstrap_se(diff)
    else:
        p = paired_ttest_pvalue(num[:, 0] / den[:, 0], num[:, 1] / den[:, 1])
        diff = num[:, 1] / den[:, 1] - num[:, 0] / den[:, 0]
        test, se = "paired t-test", float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    lift = relative_lift_pct(point[0], point[1])
    return MetricComparison(
        float(point[0]), float(point[1]), lift, low, high, p, n, test, diff_se=se
    )
