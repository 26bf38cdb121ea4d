"""Every arm against the shared control, and each arm's share of the oracle's headroom.

`details.<task>.arms.<arm>` (docs/report.md): for gnn and each alternative arm (`evaluation.arms`:
mf, oracle, placebo), the primary metric's paired comparison with the control (lift %, 95% CI, p, the
same test as the verdict's) and the integration the arm chose on validation. With the oracle arm
(synthetic data only: the generator's hidden vectors as embeddings) its lift is the headroom, and
every arm gets `share_of_headroom` = (arm - control) / (oracle - control) on the primary metric,
with a percentile CI from one paired bootstrap over the requests all three arms scored. The gnn
arm is also compared with the best alternative arm (mf; never the oracle or the placebo) by the
same paired test.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.compare import compare_metrics, task_settings
from evaluation.significance import MetricComparison, percentile_ci
from evaluation.task_metrics import MetricSettings, MetricSpec, metric_specs, per_request_values
from linksage.tasks import ORACLE_ARM, PLACEBO_ARM

Predictions = Mapping[int, pd.DataFrame]  # seed -> one arm's predictions of a task


def arm_entry(comparison: MetricComparison, tuning: Mapping[int, dict]) -> dict:
    """One arm's comparison with the control, and the integration its runs chose."""
    chosen = sorted({c.get("gnn_inputs") for c in tuning.values() if c.get("gnn_inputs")})
    return {
        **comparison.as_json(),
        "n_requests": int(comparison.n_requests),
        "test": comparison.test,
        "integration": chosen[0] if len(chosen) == 1 else (chosen or None),
    }


def request_ratio_parts(
    spec: MetricSpec, values: Mapping[str, Mapping[int, pd.DataFrame]]
) -> pd.DataFrame:
    """Per request (rows) and arm, the seed-mean numerator and denominator of a mean or ratio
    metric (`<arm>:num`, `<arm>:den`), over the requests every arm scored."""
    num_col, den_col = spec.columns
    parts = []
    for arm, seeds in values.items():
        frame = pd.concat([v[[c for c in (num_col, den_col) if c]] for v in seeds.values()])
        mean = frame.groupby(level=0).mean()
        den = mean[den_col] if den_col else pd.Series(1.0, index=mean.index)
        parts.append(pd.DataFrame({f"{arm}:num": mean[num_col], f"{arm}:den": den}))
    return pd.concat(parts, axis=1, join="inner").dropna()


def share_of_headroom(
    parts: pd.DataFrame, arm: str, *, n_samples: int, seed: int
) -> tuple[float, float, float]:
    """(share, CI low, CI high) of the oracle's gain over the control that `arm` captures, on
    `request_ratio_parts` of control, arm and oracle. NaN where the oracle gains nothing."""

    def ratio(name: str, idx: np.ndarray | slice) -> np.ndarray:
        num, den = parts[f"{name}:num"].to_numpy(), parts[f"{name}:den"].to_numpy()
        return num[idx].sum(axis=-1) / den[idx].sum(axis=-1)

    def share(idx) -> np.ndarray:
        c, a, o = ratio("control", idx), ratio(arm, idx), ratio("oracle", idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(o - c > 0, (a - c) / (o - c), np.nan)

    n = len(parts)
    if n < 2:
        return float("nan"), float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, n, size=(n_samples, n))
    low, high = percentile_ci(share(idx))
    return float(share(slice(None))), low, high


def task_arms(
    task: str,
    control: Predictions,
    arms: Mapping[str, Predictions],
    tuning: Mapping[str, Mapping[int, dict]],
    *,
    settings: MetricSettings,
    primary: str,
    n_samples: int,
    seed: int = 0,
) -> dict:
    """`details.<task>.arms`: each arm of `arms` (gnn, mf, oracle: seed -> predictions) against
    the control on the primary metric, over the requests every arm scored; with an oracle,
    each arm's share of its headroom; with an alternative arm, gnn against the best of them."""
    rows = {"control": dict(control), **{a: dict(p) for a, p in arms.items()}}
    shared = set.intersection(*(set(f["request_id"]) for a in rows.values() for f in a.values()))
    rows = {
        a: {s: f[f["request_id"].isin(shared)] for s, f in seeds.items()}
        for a, seeds in rows.items()
    }
    first = rows["control"][min(rows["control"])]
    settings, _ = task_settings(task, first, settings)
    spec = next((s for s in metric_specs(task, settings) if s.name == primary), None)
    if spec is None or not shared:
        return {}
    values = None
    if spec.kind != "pooled":
        values = {
            a: {s: per_request_values(task, f, settings) for s, f in seeds.items()}
            for a, seeds in rows.items()
        }

    def against(base: str, arm: str) -> MetricComparison:
        pair = {"control": rows[base], "treatment": rows[arm]}
        pair_values = {"control": values[base], "treatment": values[arm]} if values else None
        return compare_metrics(task, [spec], pair, pair_values, n_samples, seed)[primary]

    out = {a: arm_entry(against("control", a), tuning.get(a, {})) for a in arms}
    if ORACLE_ARM in arms and values is not None:
        parts = request_ratio_parts(spec, values)
        for a in arms:
            point, low, high = share_of_headroom(parts, a, n_samples=n_samples, seed=seed)
            if not np.isfinite(point):  # the oracle gains nothing here: no share to estimate
                low = high = float("nan")
            out[a]["share_of_headroom"] = _finite(point)
            out[a]["share_of_headroom_ci95"] = [_finite(low), _finite(high)]
    # the oracle is the ceiling and the placebo a diagnostic: neither is an alternative to adopt
    alternatives = [a for a in arms if a not in ("gnn", ORACLE_ARM, PLACEBO_ARM)]
    if "gnn" in arms and alternatives:
        best = max(alternatives, key=lambda a: out[a]["treatment"] or -np.inf)
        out["gnn_vs_best_alternative"] = {"alternative": best, **against(best, "gnn").as_json()}
    return out


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
