"""The evaluation's entry points. Neither trains nor generates: predictions on disk + tables +
windows in, a Report out.

- `evaluate_runs(run_dir, ...)`: compare the control and gnn arms already on disk, audit the
  artifacts for leakage, optionally add the nearline ablation; plain keyword arguments.
- `compare_runs(run_a, run_b)`: the same comparison between one arm of two runs (e.g. mean vs
  attention encoder, or a clean run vs a deliberately leaky one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from evaluation.arms import task_arms
from evaluation.compare import compare
from evaluation.drift import arm_vector_files, drift_columns, embedding_drift
from evaluation.leakage import audit_run
from evaluation.report_model import Report
from evaluation.result import AuditCheck, LeakageAudit
from evaluation.runs import MissingRunError, available_seeds, load_arm
from evaluation.segments import build_segments, unavailable_segments
from evaluation.task_metrics import MetricSettings
from evaluation.verdicts import VerdictRules
from linksage import artifacts
from linksage.config import EvaluationSection, ExperimentConfig, WindowsSection, load_config
from linksage.data.tables import Tables
from linksage.errors import LinksageError
from linksage.tasks import NEARLINE_ARM, NEARLINE_TASKS, PLACEBO_ARM, TASKS

_DEFAULTS = EvaluationSection()  # the defaults live once, in the config


def evaluate_runs(
    run_dir: Path,
    *,
    tables: Tables,
    windows: WindowsSection,
    seeds: Sequence[int],
    repo_dir: Path,
    tasks: Sequence[str] = TASKS,
    skipped: dict[str, str] | None = None,
    control_arm: str = "control",
    treatment_arm: str = "gnn",
    nearline_arm: str | None = NEARLINE_ARM,
    other_arms: Sequence[str] = (),
    bootstrap_samples: int = _DEFAULTS.bootstrap_samples,
    alpha: float = _DEFAULTS.alpha,
    cold_start_max_engagements: int = _DEFAULTS.cold_start_max_engagements,
    ndcg_k: Sequence[int] = _DEFAULTS.ndcg_k,
    recall_k: Sequence[int] = _DEFAULTS.recall_k,
    ebr_recall_k: Sequence[int] = _DEFAULTS.ebr_recall_k,
    recall_max_share: float = _DEFAULTS.recall_max_share,
    rules: VerdictRules | None = None,
    out_dir: Path | None = None,
    progress: bool = True,
) -> Report:
    """Compare `treatment_arm` with `control_arm` on the predictions under run_dir; audit; write
    the reports into out_dir when given. `nearline_arm` (if its predictions exist) adds the
    nearline ablation section: treatment_arm vs nearline_arm on jymbii and search. `other_arms`
    (mf, oracle, placebo) are compared with the same control beside the treatment
    (`details.<task>.arms`, evaluation.arms). `skipped` (task -> reason) lists the tasks the
    data could not support."""
    run_dir = Path(run_dir)
    control = load_arm(run_dir, control_arm, tasks=tasks, seeds=seeds)
    treatment = load_arm(run_dir, treatment_arm, tasks=tasks, seeds=seeds)
    if not set(control.predictions) & set(treatment.predictions):
        raise MissingRunError(
            f"{run_dir / 'rankers'}: no task has predictions for both '{control_arm}' and "
            f"'{treatment_arm}' (seeds {list(seeds)}); run `linksage train-ranker` first"
        )
    segments = build_segments(
        tables, t_gnn_end=windows.t_gnn_end, cold_start_max_engagements=cold_start_max_engagements
    )
    common = dict(
        segments=segments,
        settings=_settings(tables, windows, ndcg_k, recall_k, ebr_recall_k, recall_max_share),
        bootstrap_samples=bootstrap_samples,
        alpha=alpha,
        rules=rules,
        progress=progress,
    )
    report = compare(control, treatment, **common)
    others = [load_arm(run_dir, a, tasks=tasks, seeds=seeds) for a in other_arms]
    _add_arms(report, control, [treatment, *others], common)
    _add_diagnostics(report, run_dir, repo_dir, [treatment, *others])
    ranker_runs = [
        (t, a.name, s)
        for a in (control, treatment, *others)
        for t in a.predictions
        for s in a.seeds(t)
    ]
    if nearline_arm:
        ranker_runs += _add_nearline(
            report, run_dir, nearline_arm, treatment_arm, tasks, seeds, skipped, common
        )
    report.leakage_audit = audit_run(
        run_dir, windows=windows, repo_dir=repo_dir, ranker_runs=ranker_runs
    )
    report.comparison.skipped = dict(skipped or {})
    report.unavailable_segments = unavailable_segments(tables)
    report.meta.update(run_dir=str(run_dir), seeds=list(seeds), tasks=list(report.tasks))
    if out_dir is not None:
        report.write(Path(out_dir))
    return report


def _add_nearline(
    report: Report,
    run_dir: Path,
    nearline_arm: str,
    treatment_arm: str,
    tasks,
    seeds,
    skipped,
    common: dict,
) -> list[tuple[str, str, int]]:
    """The nearline ablation section (treatment_arm vs nearline_arm on jymbii and search) when
    its predictions exist, or a note saying why it was skipped; returns its ranker runs."""
    nearline_tasks = [
        t for t in NEARLINE_TASKS if t in tasks and available_seeds(run_dir, t, nearline_arm)
    ]
    if not nearline_tasks:
        if any(t in (skipped or {}) for t in NEARLINE_TASKS):
            why = "; ".join(skipped[t] for t in NEARLINE_TASKS if t in skipped)
            report.notes.append(f"Nearline ablation skipped: {why}.")
        return []
    nearline = load_arm(run_dir, nearline_arm, tasks=nearline_tasks)
    section = compare(
        load_arm(run_dir, treatment_arm, tasks=nearline_tasks, seeds=seeds), nearline, **common
    ).comparison
    section.skipped = {t: skipped[t] for t in NEARLINE_TASKS if t in (skipped or {})}
    section.title = "Nearline ablation: daily-snapshot vs nearline embeddings"
    section.description = "Both arms use GNN features; the treatment's embeddings are refreshed nearline (see the new_jobs segment)."
    report.add_section("nearline_ablation", section)
    return [(t, nearline_arm, s) for t in nearline.predictions for s in nearline.seeds(t)]


def _add_arms(report: Report, control, arms: list, common: dict) -> None:
    """`details.<task>.arms` when arms beyond the treatment were trained (evaluation.arms)."""
    if len(arms) < 2:
        return
    for task, result in report.comparison.tasks.items():
        present = {a.name: a for a in arms if task in a.predictions}
        result.arms = task_arms(
            task,
            control.predictions[task],
            {name: a.predictions[task] for name, a in present.items()},
            {name: a.tuning.get(task, {}) for name, a in present.items()},
            settings=common["settings"],
            primary=result.primary_metric,
            n_samples=common["bootstrap_samples"],
        )


def _add_diagnostics(report: Report, run_dir: Path, repo_dir: Path, arms: list) -> None:
    """`details.<task>.diagnostics`: each embedding arm's train-vs-test drift (its first seed's
    examples; evaluation.drift) and, with a placebo arm, the placebo's lift against control."""
    for task, result in report.comparison.tasks.items():
        drift = {}
        for arm in (a for a in arms if task in a.predictions):
            path = artifacts.run_dir(Path(run_dir), task, arm.name, arm.seeds(task)[0])
            if (path / artifacts.EXAMPLES).is_file():
                have = pq.read_schema(path / artifacts.EXAMPLES).names
                wanted = [c for c in drift_columns(arm.name) if c in have]
                examples = pd.read_parquet(path / artifacts.EXAMPLES, columns=wanted)
                files = arm_vector_files(Path(repo_dir), arm.name)
                drift[arm.name] = embedding_drift(examples, files, arm.name)
        diagnostics = {"drift": drift} if any(drift.values()) else {}
        if PLACEBO_ARM in result.arms:
            diagnostics["placebo"] = {
                k: result.arms[PLACEBO_ARM][k]
                for k in ("lift_pct", "ci95_low", "ci95_high", "p_value")
            }
        result.diagnostics = diagnostics


def _settings(
    tables: Tables,
    windows: WindowsSection,
    ndcg_k: Sequence[int],
    recall_k: Sequence[int],
    ebr_recall_k: Sequence[int],
    recall_max_share: float,
) -> MetricSettings:
    """Cut-offs, tables and the windows the metrics, proxies and baselines need."""
    return MetricSettings(
        ndcg_k=tuple(ndcg_k),
        recall_k=tuple(recall_k),
        ebr_recall_k=tuple(ebr_recall_k),
        tables=tables,
        test_start=windows.t_test_start,
        test_end=windows.t_test_end,
        train_start=windows.t_train_start,
        train_end=windows.t_train_end,
        recall_max_share=recall_max_share,
    )


def _run_config(run_dir: Path) -> ExperimentConfig:
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise MissingRunError(f"{path}: not found; is {run_dir} the output_dir of a linksage run?")
    return load_config(path)


def compare_runs(
    run_a: Path,
    run_b: Path,
    *,
    arm: str = "gnn",
    out_dir: Path | None = None,
    progress: bool = True,
) -> Report:
    """Compare `arm` of run B (treatment) with `arm` of run A (control), paired over the test
    requests both runs share (they must use the same data and windows), with both audits."""
    from linksage.data.tables import read_tables

    run_a, run_b = Path(run_a), Path(run_b)
    cfg_a, cfg_b = _run_config(run_a), _run_config(run_b)
    for section in ("data", "windows"):
        if getattr(cfg_a, section) != getattr(cfg_b, section):
            raise LinksageError(
                f"{run_a} and {run_b} differ in '{section}': their test requests cannot be paired"
            )
    ev = cfg_a.evaluation
    data_dir = (
        cfg_a.data.directory
        if cfg_a.data.source == "directory"
        else artifacts.generated_data_dir(run_a)
    )
    tables = read_tables(data_dir, validate=False)
    names = (run_a.name, run_b.name)
    if names[0] == names[1]:
        names = tuple(f"{r.resolve().parent.name}/{r.name}" for r in (run_a, run_b))
    arms = [load_arm(r, arm, name=f"{n}:{arm}") for r, n in zip((run_a, run_b), names, strict=True)]
    segments = build_segments(
        tables,
        t_gnn_end=cfg_a.windows.t_gnn_end,
        cold_start_max_engagements=ev.cold_start_max_engagements,
    )
    settings = _settings(
        tables, cfg_a.windows, ev.ndcg_k, ev.recall_k, ev.ebr_recall_k, ev.recall_max_share
    )
    rules = VerdictRules.from_config(ev)
    report = compare(
        *arms,
        segments=segments,
        settings=settings,
        bootstrap_samples=ev.bootstrap_samples,
        alpha=ev.alpha,
        rules=rules,
        title=f"Run comparison: {names[1]} vs {names[0]}",
        progress=progress,
    )
    _add_audits(
        report,
        runs=(run_a, run_b),
        configs=(cfg_a, cfg_b),
        names=names,
        arms=arms,
        arm=arm,
        compare_kwargs=dict(
            segments=segments,
            settings=settings,
            bootstrap_samples=ev.bootstrap_samples,
            alpha=ev.alpha,
            rules=rules,
            progress=progress,
        ),
    )
    report.meta.update(run_a=str(run_a), run_b=str(run_b), arm=arm)
    if cfg_a.feast.repo_dir == cfg_b.feast.repo_dir:
        report.notes.append(
            f"Both runs share the feature repo {cfg_a.feast.repo_dir}: the embedding checks read whichever run wrote it last."
        )
    if out_dir is not None:
        report.write(Path(out_dir))
    return report


def _add_audits(report: Report, *, runs, configs, names, arms, arm: str, compare_kwargs) -> None:
    """Audit both runs into `report`; when exactly one fails, add the leaky-vs-clean section."""
    audits = []
    for r, cfg, n, a in zip(runs, configs, names, arms, strict=True):
        ranker_runs = [(t, arm, s) for t in a.predictions for s in a.seeds(t)]
        audits.append(
            audit_run(r, windows=cfg.windows, repo_dir=cfg.feast.repo_dir, ranker_runs=ranker_runs)
        )
        report.leakage_audit = report.leakage_audit or LeakageAudit()
        report.leakage_audit.checks += [
            AuditCheck(f"{n}/{c.name}", c.passed, c.detail) for c in audits[-1].checks
        ]
    if audits[0].passed == audits[1].passed:
        return
    leaky, clean = (1, 0) if audits[0].passed else (0, 1)
    section = (
        replace(report.comparison)
        if leaky == 1
        else compare(arms[1], arms[0], **compare_kwargs).comparison
    )
    section.title = f"Leaky run vs clean run: {names[leaky]} failed the leakage audit"
    section.description = f"Lifts of {names[leaky]} over the clean {names[clean]} are inflation from leaked test-window information, not improvement."
    report.add_section("leaky_vs_clean", section)
