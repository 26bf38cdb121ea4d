"""One verdict per task, with its reason: what the comparison of the primary metric supports.

The rules, in order (docs/report.md, "Verdicts"):

1. `underpowered`: the ranker learnt from fewer than `min_training_positives` positives: neither
   arm had the data to learn from, so no comparison of them is evidence either way (the reason
   says how much more activity it would need, and how the control fared against the baselines).
2. `not_credible`: the control does not beat popularity and item-kNN on the primary metric
   (or the metric is undefined): a lift over a control weaker than popularity is no evidence.
   ALS and the profile overlap are reported beside and decide nothing.
3. `gnn_better` / `gnn_worse`: the primary metric's difference is significant at alpha, by sign.
4. `underpowered`: not significant, and the test could not have seen a 10% effect (MDE >
   `max_mde_pct`).
5. `no_detectable_difference`: not significant although the test could have seen such an effect.

A verdict also carries warnings: what the verdict does not say but a reader must know (e.g. EBR's
quality rules leaving fewer than k jobs for most requests, `rules_warning`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.baselines import Baselines
from evaluation.metrics import LOWER_IS_BETTER
from evaluation.power import requests_needed
from evaluation.significance import MetricComparison
from linksage.config import EvaluationSection

VERDICTS = ("gnn_better", "gnn_worse", "no_detectable_difference", "underpowered", "not_credible")
# the baselines a credible control must beat (Dacrema et al. 2019); the others are reported beside
CREDIBILITY_BASELINES = ("popularity", "item_knn")

_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


@dataclass(frozen=True)
class VerdictRules:
    """The thresholds of the verdicts (evaluation.* in the config)."""

    alpha: float = _DEFAULTS.alpha
    power: float = _DEFAULTS.power
    max_mde_pct: float = _DEFAULTS.max_mde_pct
    min_training_positives: int = _DEFAULTS.min_training_positives

    @classmethod
    def from_config(cls, ev: EvaluationSection) -> VerdictRules:
        """The rules of an experiment config's evaluation section."""
        return cls(ev.alpha, ev.power, ev.max_mde_pct, ev.min_training_positives)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    mde_pct: float
    requests_needed: int | None = None
    warnings: tuple[str, ...] = ()


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _significant(name: str, m: MetricComparison, mde: float, alpha: float) -> Verdict:
    better = (m.treatment < m.control) if name in LOWER_IS_BETTER else (m.treatment > m.control)
    reason = (
        f"{name} lift {m.lift_pct:+.2f}% (95% CI [{m.ci95_low:+.2f}%, {m.ci95_high:+.2f}%]), "
        f"p = {m.p_value:.2g} < {alpha}"
    )
    return Verdict("gnn_better" if better else "gnn_worse", reason, mde)


def _underpowered(
    m: MetricComparison, mde: float, positives: int | None, rules: VerdictRules
) -> Verdict | None:
    """The underpowered verdict when the MDE or the training positives call for it."""
    parts, needed = [], None
    if not np.isfinite(mde):
        parts.append(f"the MDE cannot be computed on {m.n_requests:,} requests")
    elif mde > rules.max_mde_pct:
        needed = requests_needed(m.n_requests, mde, rules.max_mde_pct)
        parts.append(
            f"MDE {mde:.1f}% > {rules.max_mde_pct:g}%: about {needed:,} requests would be needed "
            f"to detect a {rules.max_mde_pct:g}% lift (now {m.n_requests:,})"
        )
    if positives is not None and positives < rules.min_training_positives:
        factor = rules.min_training_positives / max(positives, 1)
        parts.append(
            f"the ranker trained on {positives:,} positives (< {rules.min_training_positives:,}): "
            f"about {factor:.1f}x the train window's activity would be needed (members x days)"
        )
    if not parts:
        return None
    p = "–" if not np.isfinite(m.p_value) else f"{m.p_value:.2g}"
    return Verdict("underpowered", f"not significant (p = {p}); " + "; ".join(parts), mde, needed)


def decide(
    name: str,
    m: MetricComparison | None,
    *,
    baselines: Baselines,
    training_positives: int | None,
    rules: VerdictRules,
) -> Verdict:
    """The verdict on one task's primary metric `name` (rules in the module docstring)."""
    if m is None or not np.isfinite(m.control):
        return Verdict("not_credible", f"{name} is undefined on these requests", float("nan"))
    mde = m.mde_pct(rules.alpha, rules.power)
    sign = -1.0 if name in LOWER_IS_BETTER else 1.0
    unbeaten = {
        base: value
        for base, value in baselines.values.items()
        if base in CREDIBILITY_BASELINES and np.isfinite(value) and sign * m.control <= sign * value
    }
    weaker = None
    if unbeaten:  # name the strongest baseline the control does not beat
        base, value = max(unbeaten.items(), key=lambda kv: sign * kv[1])
        weaker = f"control weaker than baseline {base} ({name} {_fmt(m.control)} vs {_fmt(value)})"
    few = training_positives is not None and training_positives < rules.min_training_positives
    if few:
        verdict = _underpowered(m, mde, training_positives, rules)
        note = f"; {weaker}" if weaker else ""
        return Verdict(verdict.verdict, verdict.reason + note, mde, verdict.requests_needed)
    if weaker:
        return Verdict("not_credible", f"{weaker}: lift not credible", mde)
    if m.significant(rules.alpha):
        return _significant(name, m, mde, rules.alpha)
    weak = _underpowered(m, mde, training_positives, rules)
    if weak is not None:
        return weak
    reason = (
        f"not significant (p = {m.p_value:.2g}) although the test detects a {mde:.1f}% lift "
        f"{rules.power:.0%} of the time"
    )
    return Verdict("no_detectable_difference", reason, mde)


def rules_warning(rules: dict | None) -> str | None:
    """A warning when EBR's quality rules (`details.ebr.rules`, computed by retrieval) leave
    fewer than k jobs for most requests, naming the rule that removes the most live jobs and
    the column it reads; None otherwise."""
    short = (rules or {}).get("fewer_than_k")
    by_rule = (rules or {}).get("by_rule") or {}
    if short is None or short <= 0.5 or not by_rule:
        return None
    known = {n: r for n, r in by_rule.items() if r.get("removes") is not None}
    if not known:
        return None
    name, worst = max(known.items(), key=lambda kv: kv[1]["removes"])
    return (
        f"the quality rules leave fewer than {rules['k']} jobs for {short:.0%} of EBR requests; "
        f"rule {name} (column {', '.join(worst['columns'])}) removes {worst['removes']:.0%} of "
        "the live jobs (details.ebr.rules.by_rule)"
    )


# a validation slice whose share of cold positives is this far from the test window's cannot
# show what the test window rewards
COLD_SHARE_GAP_POINTS = 10.0


def cold_share_warning(share: dict | None) -> str | None:
    """A warning when the validation slice's share of positives on jobs the train split never
    shows differs from the test window's by more than COLD_SHARE_GAP_POINTS points."""
    val, test = (share or {}).get("validation"), (share or {}).get("test")
    if val is None or test is None or abs(test - val) * 100 <= COLD_SHARE_GAP_POINTS:
        return None
    return (
        f"{test:.0%} of the test window's positives are on jobs the training split never shows, "
        f"{val:.0%} of the validation slice's: choices made on validation (tuning, early "
        "stopping) may not carry to the test window (details.<task>.cold_positive_share)"
    )
