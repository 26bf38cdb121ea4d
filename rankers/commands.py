"""Ranker commands: `linksage train-ranker`."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

console = Console()


def train_ranker(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    task: str = typer.Option(..., "--task", "-t", help="jymbii, search, taj or ebr."),
    arm: str = typer.Option(
        ..., "--arm", "-a", help="control or gnn: selects the feature service <task>_<arm>."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Training seed."),
) -> None:
    """Train one ranker (task x arm x seed) and write its run directory."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from linksage.config import load_config
    from rankers.train import train_ranker_from_config

    run_dir = train_ranker_from_config(load_config(config), task, arm, seed)
    console.print(f"wrote {run_dir}")


def register(app: typer.Typer) -> None:
    """Add the ranker commands to the CLI."""
    app.command("train-ranker")(train_ranker)
