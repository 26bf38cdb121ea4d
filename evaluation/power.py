"""Power of the report's paired tests: the minimum detectable effect (MDE) of a comparison, and
how many requests an underpowered comparison would need.

The MDE is the smallest true difference the report's own test (evaluation.significance) detects
with probability `power` at level `alpha`, two-sided, given the observed spread of the paired
differences:

- paired t-test (mean metrics): the standardised effect d solving the noncentral-t power equation
  for n pairs (what statsmodels' TTestPower.solve_power computes), times the observed standard
  deviation of the per-request differences;
- paired bootstrap (ratios of sums, pooled AUC): (z_{1-alpha/2} + z_power) times the bootstrap
  standard error of the difference (a normal approximation of the bootstrap distribution).

It is reported relative to the control, in percent, like the lift.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats


def ttest_power(effect_size: float, n: int, alpha: float) -> float:
    """Power of a two-sided paired t-test on n pairs when the mean difference is `effect_size`
    standard deviations of the differences (noncentral t with n - 1 degrees of freedom)."""
    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)
    nc = effect_size * math.sqrt(n)
    # the lower tail P(T < -crit) is written as the upper tail at -nc: scipy's nct.cdf returns
    # NaN far in the tail, its sf does not
    return float(stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc))


def ttest_effect_size(n: int, alpha: float, power: float) -> float:
    """Smallest standardised effect a two-sided paired t-test on n pairs detects with `power`."""
    if n < 2:
        return float("nan")
    high = 1.0
    while ttest_power(high, n, alpha) < power:  # the power grows with the effect: bracket it
        high *= 2
        if high > 1e6:
            return float("nan")
    return float(optimize.brentq(lambda d: ttest_power(d, n, alpha) - power, 0.0, high))


def z_effect_factor(alpha: float, power: float) -> float:
    """z_{1-alpha/2} + z_power: the MDE in standard errors under a normal approximation."""
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def mde_pct(
    test: str, n: int, diff_se: float, control: float, *, alpha: float, power: float
) -> float:
    """The MDE of a comparison, in percent of the control (NaN when it cannot be computed).

    `diff_se` is the standard error of the treatment - control difference: the t-test's
    sd / sqrt(n), or the standard deviation of the bootstrap differences."""
    if not (np.isfinite(diff_se) and np.isfinite(control)) or control == 0 or n < 2:
        return float("nan")
    if test == "paired t-test":
        absolute = ttest_effect_size(n, alpha, power) * diff_se * math.sqrt(n)
    elif test == "paired bootstrap":
        absolute = z_effect_factor(alpha, power) * diff_se
    else:
        return float("nan")
    return float(100 * absolute / abs(control))


def requests_needed(n: int, mde: float, target_pct: float) -> int | None:
    """Requests that would bring the MDE down to `target_pct`: the standard error shrinks as
    1 / sqrt(n), so n scales with (mde / target)^2. None when the MDE is unknown."""
    if not np.isfinite(mde) or n < 1:
        return None
    return int(math.ceil(n * (mde / target_pct) ** 2))
