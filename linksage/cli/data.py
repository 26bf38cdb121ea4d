"""Core commands: generate, validate, stats, config."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from linksage import artifacts
from linksage.config import load_config
from linksage.errors import DataValidationError

console = Console()


def generate(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for the tables (default: <output_dir>/data)."
    ),
    members: int | None = typer.Option(None, "--members", help="Override the member count."),
    seed: int | None = typer.Option(None, "--seed", help="Override the generator seed."),
) -> None:
    """Write the synthetic job marketplace (every table of the data contract) as parquet."""
    from linksage.data.tables import write_tables
    from linksage.synthetic.marketplace import generate_marketplace

    overrides = {}
    if members is not None:
        overrides["data.synthetic.members"] = members
    if seed is not None:
        overrides["data.synthetic.seed"] = seed
    cfg = load_config(config, overrides)
    s = cfg.data.synthetic
    out = out or artifacts.generated_data_dir(cfg.output_dir)
    with console.status(f"generating {s.members:,} members (seed {s.seed})"):
        tables = generate_marketplace(
            members=s.members, seed=s.seed, start=s.start, days=s.days, preset=s.preset
        )
        paths = write_tables(tables, out)
    for p in paths:
        console.print(f"wrote {p}")


def validate(directory: Path = typer.Argument(..., help="Directory of parquet tables.")) -> None:
    """Check a data directory against the data contract; exit 2 listing every problem."""
    from linksage.data.validation import validate_directory

    report = validate_directory(directory)
    if not report.ok:
        raise DataValidationError(report.render(), report.problems)
    console.print(report.render())


def stats(
    directory: Path = typer.Argument(..., help="Directory of parquet tables."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Degree-distribution PNG (default: DIR/degree_distribution.png)."
    ),
) -> None:
    """Print node and edge counts per type beside the paper's ratios; plot degree distributions."""
    from linksage.data.stats import compute_stats, plot_degree_distribution, render_stats
    from linksage.data.tables import read_tables

    tables = read_tables(directory)
    render_stats(compute_stats(tables), console=console)
    plot = plot or Path(directory) / "degree_distribution.png"
    plot_degree_distribution(tables, plot)
    console.print(f"degree distribution: {plot}")


def run(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    start_from: str | None = typer.Option(
        None,
        "--from",
        metavar="STAGE",
        help="Rerun this stage and every later one, even if their records match (data, "
        "plan-tasks, train-gnn, embed, features, materialize, nearline-ablation, rankers, "
        "evaluate).",
    ),
) -> None:
    """Run the whole pipeline: data, GNN, embeddings, Feast, rankers in both arms, A/B report.

    Rerun into the same output directory, it reuses the stages whose records still match."""
    from linksage.cli.pipeline import run_pipeline

    run_pipeline(load_config(config), console=console, start_from=start_from)


def register(app: typer.Typer) -> None:
    """Add the core commands to the CLI."""
    app.command("run")(run)
    app.command("generate")(generate)
    app.command("validate")(validate)
    app.command("stats")(stats)
