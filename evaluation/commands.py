"""`linksage evaluate` and `linksage compare`: thin wrappers over evaluation.api."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from linksage.errors import LinksageError

console = Console()


class LeakageAuditFailed(LinksageError):
    """The reports were written, but the leakage audit failed: the numbers are not trustworthy."""

    exit_code = 3


def _finish(report, out_dir: Path, fail_on_leak: bool) -> None:
    console.print(report.to_table(primary_only=True))
    console.print(f"report: {out_dir / 'report.md'} (.html, .json beside it)")
    audit = report.leakage_audit
    if audit is not None and not audit.passed:
        failed = ", ".join(c.name for c in audit.checks if not c.passed)
        message = f"LEAKAGE AUDIT FAILED ({failed}); see {out_dir / 'report.md'}"
        if fail_on_leak:
            raise LeakageAuditFailed(message)
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
    from evaluation.api import evaluate as run_evaluation
    from linksage.config import load_config

    cfg = load_config(config)
    report = run_evaluation(cfg, train_missing=not no_train)
    _finish(report, cfg.output_dir / "evaluation", fail_on_leak)


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

    out = out or run_b / "evaluation" / f"compare_vs_{run_a.resolve().name}"
    report = compare_runs(run_a, run_b, arm=arm, out_dir=out)
    _finish(report, out, fail_on_leak)


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the CLI."""
    app.command("evaluate")(evaluate)
    app.command("compare")(compare)
