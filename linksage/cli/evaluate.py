"""`linksage evaluate` and `linksage compare`; the config adapter that trains the missing ranker
runs before handing the predictions to evaluation.api."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config
from linksage.errors import LinksageError
from linksage.tasks import ARMS, NEARLINE_ARM

console = Console()


class LeakageAuditFailed(LinksageError):
    """The reports were written, but the leakage audit failed: the numbers are not trustworthy."""

    exit_code = 3


def leakage_failure(report, where: Path) -> str | None:
    """The one-line alarm for a report whose leakage audit failed (None when it passed)."""
    audit = report.leakage_audit
    if audit is None or audit.passed:
        return None
    failed = ", ".join(c.name for c in audit.checks if not c.passed)
    return f"LEAKAGE AUDIT FAILED ({failed}); see {where}: its numbers are not trustworthy"


def train_missing_rankers(config: ExperimentConfig, tasks: tuple[str, ...]) -> list[Path]:
    """Train every (task, arm, seed) of `tasks` whose predictions are not on disk yet."""
    from evaluation.runs import predictions_path
    from linksage.cli.rankers import train_rankers_in_parallel

    missing = [
        (t, a, s, {})
        for t in tasks
        for a in config.evaluation.arms
        for s in config.evaluation.seeds
        if not predictions_path(config.output_dir, t, a, s).is_file()
    ]
    return train_rankers_in_parallel(config, missing)


def evaluate_from_config(
    config: ExperimentConfig, *, train_missing: bool = True, progress: bool = True
):
    """Plan the tasks, train missing ranker runs (both arms, every seed), compare, audit and
    write the reports to OUT/evaluation/ (report.md, report.html, report.json, config.yaml)."""
    from evaluation.api import evaluate_runs
    from evaluation.verdicts import VerdictRules
    from linksage.cli.rankers import plan_from_config
    from linksage.data.datasource import load_tables

    tables = load_tables(config.data, config.data_dir, validate=False)
    plan = plan_from_config(config, tables)
    if train_missing:
        train_missing_rankers(config, plan.run)
    ev = config.evaluation
    out_dir = artifacts.evaluation_dir(config.output_dir)
    report = evaluate_runs(
        config.output_dir,
        tables=tables,
        windows=config.windows,
        seeds=ev.seeds,
        repo_dir=config.feast.repo_dir,
        tasks=plan.run,
        skipped=plan.skipped,
        nearline_arm=NEARLINE_ARM if ev.nearline_ablation else None,
        other_arms=tuple(a for a in ev.arms if a not in ARMS),
        bootstrap_samples=ev.bootstrap_samples,
        alpha=ev.alpha,
        cold_start_max_engagements=ev.cold_start_max_engagements,
        ndcg_k=ev.ndcg_k,
        recall_k=ev.recall_k,
        ebr_recall_k=ev.ebr_recall_k,
        recall_max_share=ev.recall_max_share,
        rules=VerdictRules.from_config(ev),
        progress=progress,
    )
    report.meta["config"] = config.name
    if "ebr" in report.tasks:  # computed here and handed over: evaluation imports no retrieval
        from linksage.cli.retrieve import rules_comparison_from_config

        report.tasks["ebr"].attach_retrieval_rules(rules_comparison_from_config(config))
    from linksage.cli.targeting import targeting_from_config  # targeting/ is not evaluation's

    report.promoted_targeting = targeting_from_config(config, tables)
    if ev.LEAKY_embed_on_full_graph:
        report.notes.append(
            "This run was made with evaluation.LEAKY_embed_on_full_graph: embeddings saw the test "
            "window. The audit must fail; compare it with a clean run (`linksage compare CLEAN "
            "LEAKY`) to see the inflation."
        )
    config.save(out_dir / "config.yaml")
    report.write(out_dir)
    return report


def _finish(report, out_dir: Path, fail_on_leak: bool) -> None:
    console.print(report.to_table(primary_only=True))
    console.print(f"report: {out_dir / 'report.md'} (.html, .json beside it)")
    message = leakage_failure(report, out_dir / "report.md")
    if message and fail_on_leak:
        raise LeakageAuditFailed(message)
    if message:
        console.print(f"[bold red]{message}")


def evaluate(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    no_train: bool = typer.Option(
        False, "--no-train", help="Compare what is on disk; do not train missing ranker runs."
    ),
    fail_on_leak: bool = typer.Option(
        True, "--fail-on-leak/--no-fail-on-leak", help="Exit 3 when the leakage audit fails."
    ),
) -> None:
    """Train missing ranker runs, compare control vs gnn, audit for leakage, write the reports."""
    cfg = load_config(config)
    report = evaluate_from_config(cfg, train_missing=not no_train)
    _finish(report, artifacts.evaluation_dir(cfg.output_dir), fail_on_leak)


def compare(
    run_a: Path = typer.Argument(..., help="Output directory of the control run."),
    run_b: Path = typer.Argument(..., help="Output directory of the treatment run."),
    arm: str = typer.Option("gnn", "--arm", help="Which arm of each run to compare."),
    out: Path | None = typer.Option(
        None, "--out", help="Report directory (default: RUN_B/evaluation/compare_vs_<RUN_A>)."
    ),
    fail_on_leak: bool = typer.Option(
        False, "--fail-on-leak/--no-fail-on-leak", help="Exit 3 when either run fails the audit."
    ),
) -> None:
    """Compare one arm of two evaluation runs (e.g. mean vs attention encoder) the same way."""
    from evaluation.api import compare_runs

    out = out or artifacts.evaluation_dir(run_b) / f"compare_vs_{run_a.resolve().name}"
    report = compare_runs(run_a, run_b, arm=arm, out_dir=out)
    _finish(report, out, fail_on_leak)


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the CLI."""
    app.command("evaluate")(evaluate)
    app.command("compare")(compare)
