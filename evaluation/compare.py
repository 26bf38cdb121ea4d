"""Compare two arms, ranx style: `compare(control, treatment, ...) -> Report`.

For each task: per request and seed, the task's metrics; per request, the mean over seeds; then
the paired comparison across the requests both arms scored (see `evaluation.significance`), for
all requests and for each segment. TAJ's pooled AUC is compared with a paired cluster bootstrap
over requests. The Report renders itself (`to_table`, `to_dict`, `to_markdown`, `to_html`); the
statistics here know nothing of presentation.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from rich.progress import Progress

from evaluation.metrics import PRIMARY_METRIC
from evaluation.pooled_auc import bootstrap_pooled_auc, pooled_auc
from evaluation.result import Comparison, Report, SegmentResult, TaskResult
from evaluation.runs import Arm
from evaluation.segments import Segment
from evaluation.significance import (
    MetricComparison,
    bootstrap_pvalue,
    compare_paired,
    percentile_ci,
    relative_lift_pct,
    seed_spread,
)
from evaluation.task_metrics import MetricSettings, MetricSpec, metric_specs, per_request_values


def _nanmean(a: np.ndarray) -> np.ndarray:
    """Mean over axis 0 ignoring NaN; NaN (without a warning) where every value is NaN."""
    ok = np.isfinite(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, a, 0.0).sum(axis=0) / ok.sum(axis=0)


def _pooled(
    rows: dict[str, dict[int, pd.DataFrame]], n_samples: int, seed: int
) -> MetricComparison:
    """Pooled AUC per arm (mean over seeds) with a paired cluster bootstrap over requests."""
    ids = set.intersection(
        *(set(np.unique(f["request_id"])) for a in rows.values() for f in a.values())
    )
    index = pd.Index(sorted(ids))
    if len(index) == 0:
        return MetricComparison(*[np.nan] * 6, 0, "none")
    point, boot, per_seed = {}, {}, {}
    for arm, frames in rows.items():
        vals, samples = [], []
        for f in frames.values():
            f = f[f["request_id"].isin(index)]
            score, label = f["score"].to_numpy(np.float64), f["label"].to_numpy()
            vals.append(pooled_auc(score, label))
            cluster = index.get_indexer(f["request_id"])
            samples.append(bootstrap_pooled_auc(score, label, cluster, len(index), n_samples, seed))
        point[arm], per_seed[arm] = float(_nanmean(np.array(vals))), vals
        boot[arm] = _nanmean(np.vstack(samples))
    c, t = point["control"], point["treatment"]
    low, high = percentile_ci(relative_lift_pct(boot["control"], boot["treatment"]))
    p = bootstrap_pvalue(boot["treatment"] - boot["control"], t - c)
    return MetricComparison(
        c,
        t,
        relative_lift_pct(c, t),
        low,
        high,
        p,
        len(index),
        "paired bootstrap",
        seed_spread(per_seed["control"]),
        seed_spread(per_seed["treatment"]),
    )


def _seed_mean(seeds: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per request, the mean over seeds of every column (NaN where no seed defines it)."""
    return pd.concat(list(seeds.values())).groupby(level=0).mean()


def _compare_values(
    spec: MetricSpec, values: dict[str, dict[int, pd.DataFrame]], n_samples: int, seed: int
) -> MetricComparison:
    """Paired comparison of a mean or ratio metric from per-(arm, seed) per-request frames."""
    num_col, den_col = spec.columns
    cols = [c for c in (num_col, den_col) if c]
    means = {
        arm: _seed_mean({s: v[cols] for s, v in seeds.items()}) for arm, seeds in values.items()
    }
    paired = (
        means["control"].join(means["treatment"], how="inner", lsuffix="_c", rsuffix="_t").dropna()
    )
    num = paired[[f"{num_col}_c", f"{num_col}_t"]].to_numpy()
    den = paired[[f"{den_col}_c", f"{den_col}_t"]].to_numpy() if den_col else np.ones_like(num)
    result = compare_paired(num, den, n_samples=n_samples, seed=seed, ratio=bool(den_col))
    spreads = {}
    for arm, seeds in values.items():
        per_seed = []
        for v in seeds.values():
            v = v.reindex(paired.index)
            total = v[den_col].sum() if den_col else v[num_col].count()
            per_seed.append(v[num_col].sum() / total if total else np.nan)
        spreads[arm] = seed_spread(per_seed)
    return replace(
        result, control_seed_sd=spreads["control"], treatment_seed_sd=spreads["treatment"]
    )


def _metrics(
    task: str,
    specs: list[MetricSpec],
    rows: dict[str, dict[int, pd.DataFrame]],
    values: dict[str, dict[int, pd.DataFrame]] | None,
    n_samples: int,
    seed: int,
) -> dict[str, MetricComparison]:
    """Every metric of a task from its rows (pooled AUC) and per-request values (the rest)."""
    return {
        spec.name: _pooled(rows, n_samples, seed)
        if spec.kind == "pooled"
        else _compare_values(spec, values, n_samples, seed)
        for spec in specs
    }


def _distributions(task: str, primary: str, rows, values) -> dict[str, np.ndarray]:
    """Per-request primary metric per arm (seed-averaged); pooled metrics: the scores."""
    if values is not None and primary in next(iter(values["control"].values())):
        return {
            arm: _seed_mean({s: v[[primary]] for s, v in seeds.items()})[primary]
            .dropna()
            .to_numpy()
            for arm, seeds in values.items()
        }
    return {
        arm: np.concatenate([f["score"].to_numpy(np.float64) for f in frames.values()])
        for arm, frames in rows.items()
    }


def _request_ids(rows: dict[str, dict[int, pd.DataFrame]]) -> set:
    """Requests present in every arm and seed."""
    return set.intersection(*(set(f["request_id"]) for a in rows.values() for f in a.values()))


def compare_task(
    task: str,
    control: dict[int, pd.DataFrame],
    treatment: dict[int, pd.DataFrame],
    *,
    segments: list[Segment] = (),
    settings: MetricSettings = MetricSettings(),
    bootstrap_samples: int = 1000,
    seed: int = 0,
) -> TaskResult:
    """Compare one task's predictions (seed -> frame per arm), overall and per segment.

    Per-request values are computed once; member segments select requests from them, and only
    row segments (new_jobs) recompute on their rows."""
    rows = {"control": control, "treatment": treatment}
    specs = metric_specs(task, settings)
    needs_values = any(s.kind != "pooled" for s in specs)

    def values_of(r):
        if not needs_values:
            return None
        return {
            arm: {s: per_request_values(task, f, settings) for s, f in fr.items()}
            for arm, fr in r.items()
        }

    values = values_of(rows)
    shared = _request_ids(rows)
    primary = PRIMARY_METRIC.get(task, specs[0].name)
    result = TaskResult(
        task=task,
        primary_metric=primary,
        n_requests=len(shared),
        seeds={"control": sorted(control), "treatment": sorted(treatment)},
        metrics=_metrics(task, specs, rows, values, bootstrap_samples, seed),
        distributions=_distributions(task, primary, rows, values),
    )
    for seg in segments:
        sub_rows = {a: {s: seg.select(f, task) for s, f in fr.items()} for a, fr in rows.items()}
        n = len(shared & _request_ids(sub_rows))
        if n == 0:
            result.segments[seg.name] = SegmentResult(seg.name, seg.description, 0, {})
            continue
        if seg.by == "member_id" and values is not None:
            keep = {
                a: {s: set(f["request_id"]) for s, f in fr.items()} for a, fr in sub_rows.items()
            }
            sub_values = {
                a: {s: v[v.index.isin(keep[a][s])] for s, v in sv.items()}
                for a, sv in values.items()
            }
        else:
            sub_values = values_of(sub_rows)
        seg_metrics = _metrics(task, specs, sub_rows, sub_values, bootstrap_samples, seed)
        result.segments[seg.name] = SegmentResult(seg.name, seg.description, n, seg_metrics)
    return result


def compare(
    control: Arm,
    treatment: Arm,
    *,
    segments: list[Segment] = (),
    settings: MetricSettings = MetricSettings(),
    bootstrap_samples: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    title: str = "Offline A/B evaluation",
    progress: bool = True,
) -> Report:
    """Compare two arms on every task both have predictions for; returns a renderable Report."""
    tasks = [t for t in control.predictions if t in treatment.predictions]
    comparison = Comparison(title=title, control=control.name, treatment=treatment.name)
    with Progress(disable=not progress, transient=True) as bar:
        job = bar.add_task("comparing arms", total=len(tasks))
        for task in tasks:
            bar.update(job, description=f"comparing {task}")
            comparison.tasks[task] = compare_task(
                task,
                control.predictions[task],
                treatment.predictions[task],
                segments=segments,
                settings=settings,
                bootstrap_samples=bootstrap_samples,
                seed=seed,
            )
            bar.advance(job)
    return Report(comparison=comparison, alpha=alpha)
