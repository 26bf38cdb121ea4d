"""`linksage train-ranker`, and the adapter from the config's rankers section to
rankers.train.train_ranker."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from linksage.config import ExperimentConfig, load_config

console = Console()


def train_ranker_from_config(
    config: ExperimentConfig, task: str, arm: str, seed: int, **overrides
) -> Path:
    """`train_ranker` with the arguments unpacked from an ExperimentConfig (saved beside it)."""
    from linksage.data.datasource import ensure_data
    from rankers.train import train_ranker
    from rankers.windows import SplitWindows

    kwargs = {
        "task": task,
        "arm": arm,
        "seed": seed,
        "data_dir": ensure_data(config.data, config.data_dir),
        "repo_dir": config.feast.repo_dir,
        "output_dir": config.output_dir,
        "windows": SplitWindows.from_section(config.windows),
        "params": config.rankers.params(),
        "config_yaml": config.to_yaml(),
    }
    return train_ranker(**{**kwargs, **overrides})


def train_ranker_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    task: str = typer.Option(..., "--task", "-t", help="jymbii, search, taj or ebr."),
    arm: str = typer.Option(
        ..., "--arm", "-a", help="control or gnn: selects the feature service <task>_<arm>."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Training seed."),
) -> None:
    """Train one ranker (task x arm x seed) and write its run directory."""
    run_dir = train_ranker_from_config(load_config(config), task, arm, seed)
    console.print(f"wrote {run_dir}")


def register(app: typer.Typer) -> None:
    """Add the ranker commands to the CLI."""
    app.command("train-ranker")(train_ranker_command)
