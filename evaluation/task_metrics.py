"""Which metrics each task reports, and how one predictions frame becomes per-request values.

A metric is either the mean over requests of a per-request value ("mean"), a ratio of per-request
sums ("ratio", e.g. dismisses / applies in the top 10), or the AUC pooled over every test example
("pooled", TAJ). This module only computes; `evaluation.compare` pairs the arms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from evaluation.metrics import RANKING_TASKS, corpus_recall, request_metrics
from evaluation.proxies import proxy_flags
from linksage.config import EvaluationSection
from linksage.data.tables import Tables


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is aggregated over requests: kind "mean", "ratio" (num / den) or "pooled"."""

    name: str
    kind: str = "mean"
    num: str | None = None
    den: str | None = None

    @property
    def columns(self) -> tuple[str, str | None]:
        """(numerator column, denominator column or None) in the per-request frame."""
        return (self.num, self.den) if self.kind == "ratio" else (self.name, None)


_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


@dataclass(frozen=True)
class MetricSettings:
    """Cut-offs, the logs the offline proxies need (tables None: proxies and baselines left
    out) and the train window the popularity baseline counts applies in.

    `recall_k` / `ebr_recall_k` are the standard cut-offs a task's Recall@K is chosen from
    (evaluation.corpus.choose_recall_k); a task's own settings hold the chosen K only."""

    ndcg_k: tuple[int, ...] = _DEFAULTS.ndcg_k
    recall_k: tuple[int, ...] = _DEFAULTS.recall_k
    ebr_recall_k: tuple[int, ...] = _DEFAULTS.ebr_recall_k
    tables: Tables | None = None
    test_start: datetime | None = None
    test_end: datetime | None = None
    train_start: datetime | None = None
    train_end: datetime | None = None
    recall_max_share: float = _DEFAULTS.recall_max_share

    @property
    def has_proxies(self) -> bool:
        return self.tables is not None and self.test_start is not None


def metric_specs(task: str, settings: MetricSettings) -> list[MetricSpec]:
    """The metrics reported for a task, in table order."""
    if task == "taj":
        return [MetricSpec("pooled_auc", "pooled")]
    if task == "ebr":
        return [MetricSpec(f"recall@{k}") for k in settings.ebr_recall_k] + [MetricSpec("mrr")]
    specs = [MetricSpec(f"ndcg@{k}") for k in settings.ndcg_k]
    specs += [MetricSpec("auc"), MetricSpec("mrr")]
    specs += [MetricSpec(f"recall@{k}") for k in settings.recall_k]
    if task in RANKING_TASKS and settings.has_proxies:
        specs.append(MetricSpec("qualified_applies@10"))
        specs.append(MetricSpec("dismiss_apply_ratio@10", "ratio", "dismisses@10", "applies@10"))
    return specs


def per_request_values(task: str, rows: pd.DataFrame, settings: MetricSettings) -> pd.DataFrame:
    """Per-request metric values of one arm and seed (index request_id)."""
    if task == "ebr":
        return corpus_recall(rows, ks=settings.ebr_recall_k)
    extra = None
    if task in RANKING_TASKS and settings.has_proxies:
        extra = proxy_flags(rows, settings.tables, settings.test_start, settings.test_end)
    return request_metrics(
        rows, ndcg_k=settings.ndcg_k, recall_k=settings.recall_k, extra_top10=extra
    )
