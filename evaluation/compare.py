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

from evaluation.baselines import baseline_values
from evaluation.corpus import CandidateSizes, candidate_sizes
from evaluation.metrics import primary_metric
from evaluation.pooled_auc import bootstrap_pooled_auc, pooled_auc
from evaluation.report_model import Report
from evaluation.result import Comparison, SegmentResult, TaskResult
from evaluation.runs import Arm
from evaluation.segments import Segment
from evaluation.significance import (
    MetricComparison,
    bootstrap_pvalue,
    bootstrap_se,
    compare_paired,
    percentile_ci,
    relative_lift_pct,
    seed_spread,
)
from evaluation.task_metrics import MetricSettings, MetricSpec, metric_specs, per_request_values
from evaluation.verdicts import VerdictRules, cold_share_warning, decide
from linksage.config import EvaluationSection

_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


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
        point[arm], per_seed[arm] = (
            float(_nanmean(np.array(vals))),
            dict(zip(frames, vals, strict=True)),
        )
        boot[arm] = _nanmean(np.vstack(samples))
    c, t = point["control"], point["treatment"]
    low, high = percentile_ci(relative_lift_pct(boot["control"], boot["treatment"]))
    diff = boot["treatment"] - boot["control"]
    return MetricComparison(
        c,
        t,
        relative_lift_pct(c, t),
        low,
        high,
        bootstrap_pvalue(diff, t - c),
        len(index),
        "paired bootstrap",
        seed_spread(list(per_seed["control"].values())),
        seed_spread(list(per_seed["treatment"].values())),
        diff_se=bootstrap_se(diff),
        control_per_seed=per_seed["control"],
        treatment_per_seed=per_seed["treatment"],
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
    per_seed = {}
    for arm, seeds in values.items():
        per_seed[arm] = {}
        for s, v in seeds.items():
            v = v.reindex(paired.index)
            total = v[den_col].sum() if den_col else v[num_col].count()
            per_seed[arm][s] = float(v[num_col].sum() / total) if total else np.nan
    return replace(
        result,
        control_seed_sd=seed_spread(list(per_seed["control"].values())),
        treatment_seed_sd=seed_spread(list(per_seed["treatment"].values())),
        control_per_seed=per_seed["control"],
        treatment_per_seed=per_seed["treatment"],
    )


def compare_metrics(
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


def _first_frame(frames: dict[int, pd.DataFrame], shared: set) -> pd.DataFrame:
    """The lowest seed's rows of the shared requests (every seed ranks the same candidates)."""
    f = frames[min(frames)]
    return f[f["request_id"].isin(shared)]


def task_settings(
    task: str, frame: pd.DataFrame, settings: MetricSettings
) -> tuple[MetricSettings, CandidateSizes | None]:
    """The task's settings with Recall@K chosen from its candidate-list (or corpus) sizes."""
    if task == "taj":  # pooled AUC: no cut-off
        return settings, None
    jobs = settings.tables.jobs if settings.tables is not None else None
    standard = settings.ebr_recall_k if task == "ebr" else settings.recall_k
    sizes = candidate_sizes(task, frame, jobs, standard, settings.recall_max_share)
    key = "ebr_recall_k" if task == "ebr" else "recall_k"
    return replace(settings, **{key: (sizes.recall_k,)}), sizes


def _segment_values(seg: Segment, sub_rows, values):
    """Member segments select requests from the per-request values computed once."""
    keep = {a: {s: set(f["request_id"]) for s, f in fr.items()} for a, fr in sub_rows.items()}
    return {a: {s: v[v.index.isin(keep[a][s])] for s, v in sv.items()} for a, sv in values.items()}


def compare_task(
    task: str,
    control: dict[int, pd.DataFrame],
    treatment: dict[int, pd.DataFrame],
    *,
    segments: list[Segment] = (),
    settings: MetricSettings = MetricSettings(),
    bootstrap_samples: int = _DEFAULTS.bootstrap_samples,
    seed: int = 0,
) -> TaskResult:
    """Compare one task's predictions (seed -> frame per arm), overall and per segment, and
    score the non-learned baselines on the same requests.

    Per-request values are computed once; member segments select requests from them, and only
    row segments (new_jobs) recompute on their rows."""
    rows = {"control": control, "treatment": treatment}
    shared = _request_ids(rows)
    frame = _first_frame(control, shared)
    settings, sizes = task_settings(task, frame, settings)
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
    primary = primary_metric(task, sizes.recall_k if sizes else None) or specs[0].name
    result = TaskResult(
        task=task,
        primary_metric=primary,
        n_requests=len(shared),
        seeds={"control": sorted(control), "treatment": sorted(treatment)},
        metrics=compare_metrics(task, specs, rows, values, bootstrap_samples, seed),
        distributions=_distributions(task, primary, rows, values),
        candidates=sizes,
        baselines=baseline_values(task, frame, primary, settings),
    )
    for seg in segments:
        sub_rows = {a: {s: seg.select(f, task) for s, f in fr.items()} for a, fr in rows.items()}
        n = len(shared & _request_ids(sub_rows))
        if n == 0:
            result.segments[seg.name] = SegmentResult(seg.name, seg.description, 0, {})
            continue
        if seg.by == "member_id" and values is not None:
            sub_values = _segment_values(seg, sub_rows, values)
        else:
            sub_values = values_of(sub_rows)
        seg_metrics = compare_metrics(task, specs, sub_rows, sub_values, bootstrap_samples, seed)
        result.segments[seg.name] = SegmentResult(seg.name, seg.description, n, seg_metrics)
    return result


def compare(
    control: Arm,
    treatment: Arm,
    *,
    segments: list[Segment] = (),
    settings: MetricSettings = MetricSettings(),
    bootstrap_samples: int = _DEFAULTS.bootstrap_samples,
    alpha: float = _DEFAULTS.alpha,
    rules: VerdictRules | None = None,
    seed: int = 0,
    title: str = "Offline A/B evaluation",
    progress: bool = True,
) -> Report:
    """Compare two arms on every task both have predictions for, and give each task its verdict
    (evaluation.verdicts; `rules` default to the config's, at this `alpha`); returns a
    renderable Report."""
    rules = replace(rules or VerdictRules(), alpha=alpha)
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
            _judge(comparison.tasks[task], control, treatment, rules)
            bar.advance(job)
    report = Report(comparison=comparison, alpha=alpha, rules=rules)
    report.meta["verdict_rules"] = {
        "power": rules.power,
        "max_mde_pct": rules.max_mde_pct,
        "min_training_positives": rules.min_training_positives,
    }
    return report


def _judge(result: TaskResult, control: Arm, treatment: Arm, rules: VerdictRules) -> None:
    """Record the training positives, the tuning choices (EBR: and the negatives compared) and
    the verdict of one task's comparison."""
    task = result.task
    positives = control.training_positives.get(task)
    result.training_positives = (
        positives if positives is not None else treatment.training_positives.get(task)
    )
    result.cold_positive_share = control.cold_positive_share.get(task)
    result.tuning = {
        "control": control.tuning.get(task, {}),
        "treatment": treatment.tuning.get(task, {}),
    }
    result.negatives = {
        "control": control.negatives.get(task, {}),
        "treatment": treatment.negatives.get(task, {}),
    }
    result.verdict = decide(
        result.primary_metric,
        result.metrics.get(result.primary_metric),
        baselines=result.baselines,
        training_positives=result.training_positives,
        rules=rules,
    )
    warning = cold_share_warning(result.cold_positive_share)
    if warning:
        result.verdict = replace(result.verdict, warnings=(*result.verdict.warnings, warning))
