"""`linksage run`: every stage in order, each reading the previous stage's files.

The stages are the same library functions the single-stage commands call; this module only
orders them, runs each in a process of its own (linksage.cli.stage_process: its memory goes back
to the OS when it ends), shows progress and saves the config beside the outputs. A rerun reuses
the stages whose record still matches what they would consume (linksage.cli.stage_records, the
table in linksage.cli.stage_deps); a lock keeps a second run out of the output directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console

from linksage import artifacts
from linksage.cli.run_lock import output_dir_lock
from linksage.cli.stage_deps import stage_consumes
from linksage.cli.stage_process import run_in_own_process
from linksage.cli.stage_records import (
    Consumes,
    Decision,
    complete_record,
    discard_record,
    plan_stages,
    remove_stale,
    stage_index,
    start_record,
    upstream_digest,
)
from linksage.cli.stage_table import StageRecord, StageTable
from linksage.config import ExperimentConfig
from linksage.data.datasource import ensure_data
from linksage.errors import DataValidationError
from linksage.io import atomic_write_text

# What a stage read and wrote, counted in rows of its inputs and outputs (None: not counted).
Rows = tuple[int | None, int | None]


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[ExperimentConfig], Rows]


def _parquet_rows(paths) -> int:
    """Rows of the parquet files that exist among `paths` (from their footers, nothing read)."""
    return sum(pq.read_metadata(p).num_rows for p in paths if Path(p).is_file())


def _input_rows(cfg: ExperimentConfig) -> int:
    return _parquet_rows(cfg.data_dir.glob("*.parquet"))


def _repo_rows(cfg: ExperimentConfig, *names: str) -> int:
    return _parquet_rows(
        artifacts.repo_data_dir(cfg.feast.repo_dir) / f"{n}.parquet" for n in names
    )


def _data(cfg: ExperimentConfig) -> Rows:
    from linksage.data.validation import validate_directory

    ensure_data(cfg.data, cfg.data_dir)
    report = validate_directory(cfg.data_dir)
    if not report.ok:
        raise DataValidationError(report.render(), report.problems)
    return None, _input_rows(cfg)


def _plan(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.rankers import plan_from_config

    plan = plan_from_config(cfg)
    Console().print(f"tasks to run: {', '.join(plan.run)}")
    for task, why in plan.skipped.items():
        Console().print(f"[yellow]skipping {task}: {why}")
    return _input_rows(cfg), sum(sum(plan.positives[t].values()) for t in plan.run)


def _train_gnn(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.gnn import train_gnn_from_config

    metrics = train_gnn_from_config(cfg)
    return _input_rows(cfg), metrics.get("train_pairs")


def _embed(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.gnn import embed_from_config

    embed_from_config(cfg)
    return _input_rows(cfg), _repo_rows(cfg, "member_embeddings", "job_embeddings")


def _features(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.features import features_from_config

    features_from_config(cfg)
    return _input_rows(cfg), _repo_rows(cfg, "member_profile", "job_profile")


def _materialize(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.features import materialize_from_config

    views = ("member_gnn", "job_gnn", "member_profile", "job_profile")
    online = materialize_from_config(cfg)
    return _repo_rows(cfg, *views), sum(online.values())


def _nearline_ablation(cfg: ExperimentConfig) -> Rows:
    if not cfg.evaluation.nearline_ablation:
        return None, None
    from linksage.cli.ablation import nearline_ablation_from_config

    nearline_ablation_from_config(cfg)
    written = artifacts.nearline_dir(cfg.output_dir) / "job_gnn_nearline.parquet"
    return _input_rows(cfg), _parquet_rows([written])


def _run_rows(cfg: ExperimentConfig, table: str) -> int:
    """Rows of every ranker run's `table` (examples or predictions)."""
    return _parquet_rows(artifacts.run_files(cfg.output_dir, ("*",), f"{table}.parquet"))


def _rankers(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.evaluate import train_missing_rankers
    from linksage.cli.rankers import plan_from_config

    train_missing_rankers(cfg, plan_from_config(cfg).run)
    return _run_rows(cfg, "examples"), _run_rows(cfg, "predictions")


def _evaluate(cfg: ExperimentConfig) -> Rows:
    from linksage.cli.evaluate import LeakageAuditFailed, evaluate_from_config, leakage_failure

    report = evaluate_from_config(cfg, train_missing=False)
    message = leakage_failure(report, artifacts.evaluation_dir(cfg.output_dir) / "report.md")
    # A deliberately leaky run is expected to fail; any other run must not pass silently.
    if message and not cfg.evaluation.LEAKY_embed_on_full_graph:
        raise LeakageAuditFailed(message)
    return _run_rows(cfg, "predictions"), None  # it reads the runs' predictions; writes reports


STAGES: tuple[Stage, ...] = (
    Stage("data", _data),
    Stage("plan tasks", _plan),
    Stage("train-gnn", _train_gnn),
    Stage("embed", _embed),
    Stage("features", _features),
    Stage("materialize", _materialize),
    Stage("nearline ablation", _nearline_ablation),
    Stage("rankers", _rankers),
    Stage("evaluate", _evaluate),
)


def _save_table(cfg: ExperimentConfig, stages: StageTable) -> None:
    atomic_write_text(artifacts.stage_table(cfg.output_dir), json.dumps(stages.to_dict(), indent=1))


def _print_plan(console: Console, decisions: list[Decision]) -> None:
    reused = [s.name for s, d in zip(STAGES, decisions, strict=True) if d.action == "reuse"]
    if len(reused) == len(STAGES):
        console.print("every stage's record matches: nothing to run (--from STAGE reruns one)")
    elif reused:
        first = len(reused)
        verb = "resuming" if decisions[first].action == "resume" else "running from"
        console.print(f"reusing {', '.join(reused)} (their records in stage_records/ match)")
        console.print(f"{verb} {STAGES[first].name}: {decisions[first].reason}")


def _run_stage(
    cfg: ExperimentConfig, i: int, consumes: Consumes, decision: Decision, table: StageTable
) -> StageRecord:
    """Run STAGES[i] in its own process between its two records (started, then complete)."""
    stage = STAGES[i]
    if decision.action == "run":  # afresh: nothing an earlier attempt or config left counts
        discard_record(cfg, stage.name)  # first: a kill while removing leaves no record
        remove_stale(consumes.stale(cfg))
    upstream = upstream_digest(cfg, [s.name for s in STAGES[:i]])
    record = start_record(cfg, stage.name, consumes, upstream)
    with table.measure(stage.name) as row:
        row.reason = decision.reason
        outcome = run_in_own_process(stage.run, cfg, name=stage.name)
        row.rows_in, row.rows_out = outcome.result
        row.peak_rss_bytes = outcome.peak_rss_bytes
    complete_record(cfg, record, consumes, row.stats())
    return row


def _run_stages(
    cfg: ExperimentConfig, decisions: list[Decision], stages: StageTable, console: Console
) -> None:
    consumes = stage_consumes(cfg)
    for i, (stage, decision) in enumerate(zip(STAGES, decisions, strict=True)):
        if decision.action == "reuse":
            stages.reuse(stage.name, (decision.record or {}).get("stats", {}), decision.reason)
            continue
        console.rule(f"[bold]{i + 1}/{len(STAGES)} {stage.name}")
        row = _run_stage(cfg, i, consumes[stage.name], decision, stages)
        console.print(f"[green]{stage.name} done in {row.seconds:.1f}s")
        _save_table(cfg, stages)  # a run killed later keeps the table so far


def run_pipeline(
    cfg: ExperimentConfig, console: Console | None = None, start_from: str | None = None
) -> Path:
    """Run every stage for `cfg`, reusing those whose record matches (linksage.cli.stage_records)
    unless `start_from` names an earlier one; print the stage table; return the report's path.
    Raises OutputDirectoryBusy while another run holds the output directory."""
    console = console or Console()
    first = None if start_from is None else stage_index([s.name for s in STAGES], start_from)
    with output_dir_lock(cfg.output_dir):
        cfg.save(cfg.output_dir / "config.yaml")
        consumes = stage_consumes(cfg)
        decisions = plan_stages(cfg, [(s.name, consumes[s.name]) for s in STAGES], first)
        _print_plan(console, decisions)
        stages = StageTable()
        try:
            _run_stages(cfg, decisions, stages, console)
        except BaseException:
            console.print(stages.to_rich())  # the stages so far; the failed one is the last row
            raise
        finally:  # a failed run keeps its table too
            _save_table(cfg, stages)
    report = artifacts.evaluation_dir(cfg.output_dir) / "report.md"
    console.rule("finished")
    console.print(stages.to_rich())
    console.print(f"report: {report} (.html, .json beside it)")
    return report
