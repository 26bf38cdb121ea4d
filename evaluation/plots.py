"""The report's figures (matplotlib, Agg), returned as base64 PNG for a self-contained HTML page.

- per-task lift of every metric with its 95% CI;
- per-segment lift of each task's primary metric with its CI;
- distributions of each task's primary metric per request (pooled-AUC tasks: the scores).
- promoted-jobs targeting: each method's budget utilisation, audience recall and
  qualified-apply share.
"""

from __future__ import annotations

import base64
import io
import textwrap
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from evaluation.metrics import LOWER_IS_BETTER  # noqa: E402

if TYPE_CHECKING:
    from evaluation.result import Comparison

WIN, LOSS, FLAT = "#2a9d55", "#c0392b", "#7f8c8d"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _colour(metric: str, m, alpha: float) -> str:
    if not m.significant(alpha) or not np.isfinite(m.lift_pct):
        return FLAT
    better = m.lift_pct < 0 if metric in LOWER_IS_BETTER else m.lift_pct > 0
    return WIN if better else LOSS


def _lift_axes(ax, labels, results, alpha, metrics):
    y = np.arange(len(labels))[::-1]
    for yi, m, metric in zip(y, results, metrics, strict=True):
        if not np.isfinite(m.lift_pct):
            continue
        lo, hi = m.ci95_low, m.ci95_high
        err = [[max(m.lift_pct - lo, 0)], [max(hi - m.lift_pct, 0)]] if np.isfinite(lo) else None
        ax.errorbar(m.lift_pct, yi, xerr=err, fmt="o", color=_colour(metric, m, alpha), capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel("relative lift, % (95% CI)")
    ax.grid(axis="x", alpha=0.3)


def task_lift_plot(comparison: Comparison, alpha: float) -> str:
    """One panel per task: every metric's lift with its CI (green/red: significant win/loss)."""
    tasks = list(comparison.tasks.values())
    fig, axes = plt.subplots(
        1,
        max(len(tasks), 1),
        figsize=(4.2 * max(len(tasks), 1), 3.4),
        squeeze=False,
        layout="constrained",
    )
    for ax, t in zip(axes[0], tasks, strict=False):
        names = list(t.metrics)
        _lift_axes(ax, names, [t.metrics[n] for n in names], alpha, names)
        ax.set_title(f"{t.task} ({t.n_requests:,} requests)")
    fig.suptitle(textwrap.shorten(f"{comparison.treatment} vs {comparison.control}", 120))
    return _png(fig)


def segment_lift_plot(comparison: Comparison, alpha: float) -> str:
    """One panel per task: the primary metric's lift in each segment, with its CI."""
    tasks = list(comparison.tasks.values())
    fig, axes = plt.subplots(
        1,
        max(len(tasks), 1),
        figsize=(4.2 * max(len(tasks), 1), 3.8),
        squeeze=False,
        layout="constrained",
    )
    for ax, t in zip(axes[0], tasks, strict=False):
        labels, results = ["all"], [t.metrics[t.primary_metric]]
        for name, seg in t.segments.items():
            if t.primary_metric in seg.metrics:
                labels.append(f"{name} (n={seg.n_requests:,})")
                results.append(seg.metrics[t.primary_metric])
        _lift_axes(ax, labels, results, alpha, [t.primary_metric] * len(labels))
        ax.set_title(f"{t.task}: {t.primary_metric} by segment")
    return _png(fig)


def distribution_plot(comparison: Comparison) -> str:
    """Histograms of each task's per-request primary metric (or scores) for both arms."""
    tasks = [t for t in comparison.tasks.values() if t.distributions]
    fig, axes = plt.subplots(
        1,
        max(len(tasks), 1),
        figsize=(4.2 * max(len(tasks), 1), 3.0),
        squeeze=False,
        layout="constrained",
    )
    for ax, t in zip(axes[0], tasks, strict=False):
        what = "score" if t.primary_metric == "pooled_auc" else t.primary_metric
        values = [v for v in t.distributions.values() if len(v)]
        if not values:
            continue
        lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 21)
        for arm, label in (("control", comparison.control), ("treatment", comparison.treatment)):
            v = t.distributions.get(arm)
            if v is not None and len(v):
                ax.hist(v, bins=bins, alpha=0.5, label=f"{label} (mean {v.mean():.3f})")
        ax.set_title(f"{t.task}: {what} per {'example' if what == 'score' else 'request'}")
        ax.legend(fontsize=8)
    return _png(fig)


TARGETING_PANELS = (
    ("budget_utilisation", "budget utilisation (spent / budget)"),
    ("audience_recall", "audience recall (actual appliers held)"),
    ("qualified_apply_share", "qualified-apply share"),
)


def targeting_plot(section: dict) -> str:
    """Promoted-jobs targeting (report.json `promoted_targeting`): one panel per measure, one
    bar per method; a measure the data could not give is marked n/a."""
    names = list(section["methods"])
    fig, axes = plt.subplots(
        1,
        len(TARGETING_PANELS),
        figsize=(4.2 * len(TARGETING_PANELS), 0.5 * len(names) + 1.6),
        squeeze=False,
        layout="constrained",
    )
    y = np.arange(len(names))[::-1]
    for ax, (key, title) in zip(axes[0], TARGETING_PANELS, strict=True):
        for yi, name in zip(y, names, strict=True):
            v = section["methods"][name].get(key)
            if v is None:
                ax.text(0, yi, " n/a", va="center", color=FLAT)
            else:
                ax.barh(yi, v, color=WIN if name.startswith("graph") else FLAT)
                ax.text(v, yi, f" {v:.3f}", va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.set_ylim(-0.6, len(names) - 0.4)  # an n/a row keeps its place
        ax.set_title(title, fontsize=10)
        ax.margins(x=0.25)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Promoted jobs: audiences of at most {section['audience_size']:,} members")
    return _png(fig)
