"""`linksage run`: every stage in order, each reading the previous stage's files.

The stages are the same library functions the single-stage commands call; this module only
orders them, shows progress and saves the config beside the outputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from linksage.cli.stage_table import StageTable
from linksage.config import ExperimentConfig
from linksage.data.datasource import ensure_data
from linksage.errors import DataValidationError
from linksage.io import atomic_write_text


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[ExperimentConfig], object]


def _data(cfg: ExperimentConfig) -> None:
    from linksage.data.validation import validate_directory

    ensure_data(cfg.data, cfg.data_dir)
    report = validate_directory(cfg.data_dir)
    if not report.ok:
        raise DataValidationError(report.render(), report.problems)


def _train_gnn(cfg: ExperimentConfig) -> None:
    from linksage.cli.gnn import train_gnn_from_config

    train_gnn_from_config(cfg)


def _embed(cfg: ExperimentConfig) -> None:
    from linksage.cli.gnn import embed_from_config

    embed_from_config(cfg)


def _features(cfg: ExperimentConfig) -> None:
    from linksage.cli.features import features_from_config

    features_from_config(cfg)


def _materialize(cfg: ExperimentConfig) -> None:
    from linksage.cli.features import materialize_from_config

    materialize_from_config(cfg)


def _nearline_ablation(cfg: ExperimentConfig) -> None:
    if not cfg.evaluation.nearline_ablation:
        return
    from linksage.cli.ablation import nearline_ablation_from_config

    nearline_ablation_from_config(cfg)


def _evaluate(cfg: ExperimentConfig) -> None:
    from linksage.cli.evaluate import LeakageAuditFailed, evaluate_from_config, leakage_failure

    report = evaluate_from_config(cfg)
    message = leakage_failure(report, cfg.output_dir / "evaluation" / "report.md")
    # A deliberately leaky run is expected to fail; any other run must not pass silently.
    if message and not cfg.evaluation.LEAKY_embed_on_full_graph:
        raise LeakageAuditFailed(message)


STAGES: tuple[Stage, ...] = (
    Stage("data", _data),
    Stage("train-gnn", _train_gnn),
    Stage("embed", _embed),
    Stage("features", _features),
    Stage("materialize", _materialize),
    Stage("nearline ablation", _nearline_ablation),
    Stage("rankers + evaluate", _evaluate),
)


def run_pipeline(cfg: ExperimentConfig, console: Console | None = None) -> Path:
    """Run every stage for `cfg`; print the stage table; return the path of the markdown report."""
    console = console or Console()
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    cfg.save(cfg.output_dir / "config.yaml")
    stages = StageTable()
    for i, stage in enumerate(STAGES, 1):
        console.rule(f"[bold]{i}/{len(STAGES)} {stage.name}")
        with stages.measure(stage.name) as record:
            stage.run(cfg)
        console.print(f"[green]{stage.name} done in {record.seconds:.1f}s")
    atomic_write_text(cfg.output_dir / "stages.json", json.dumps(stages.to_dict(), indent=1))
    report = cfg.output_dir / "evaluation" / "report.md"
    console.rule("finished")
    console.print(stages.to_rich())
    console.print(f"report: {report} (.html, .json beside it)")
    return report
