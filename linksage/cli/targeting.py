"""`linksage targeting`, and the promoted-jobs targeting section `linksage evaluate` adds to the
report: the config adapter for targeting/.

Only this package knows both the synthetic generator and targeting/: the campaign simulation
needs members' responses, which only the synthetic marketplace has (its generator's own engagement
probability, `linksage.synthetic.engagement`); on the user's own data the section keeps the
offline replay and says why there is no simulation.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config
from linksage.data.tables import Tables

console = Console()


def _response_model(config: ExperimentConfig, tables: Tables):
    """(apply probability of a sponsored impression, None) on the synthetic marketplace the
    config generates; (None, why not) otherwise."""
    if config.data.source != "synthetic":
        return None, (
            "data.source is 'directory': the campaign simulation needs members' responses to "
            "jobs they were never shown, which only the synthetic marketplace's model gives"
        )
    from linksage.synthetic.engagement import engagement_model
    from targeting.campaign import SPONSORED_RANK

    s = config.data.synthetic
    model = engagement_model(s.members, s.seed, s.start, s.days, s.preset)
    if not model.describes(tables.members, tables.jobs):
        return None, (
            f"the tables in {config.data_dir} are not what data.synthetic generates (members, "
            "jobs or their titles differ), so its engagement model does not describe them"
        )
    return (lambda members, jobs: model.apply_probability(members, jobs, rank=SPONSORED_RANK)), None


def targeting_from_config(config: ExperimentConfig, tables: Tables) -> dict:
    """report.json's `promoted_targeting` for this experiment (see docs/targeting.md)."""
    from targeting import promoted_targeting

    apply_probability, why = _response_model(config, tables)
    w = config.windows
    return promoted_targeting(
        tables,
        w.t_test_start,
        w.t_test_end,
        config.targeting,
        gnn_dir=artifacts.repo_data_dir(config.feast.repo_dir),
        apply_probability=apply_probability,
        no_simulation=why or "",
    )


def targeting_table(section: dict) -> Table:
    """The method table for the terminal."""
    table = Table(title=f"Promoted jobs: audiences of at most {section['audience_size']:,}")
    keys = ("mean_audience", "audience_recall", "budget_utilisation")
    keys += ("applies_per_budget", "qualified_apply_share")
    for h in ("method", *keys, "utilisation vs title_location"):
        table.add_column(h)
    lifts = section.get("budget_utilisation_lift_pct", {})
    for name, m in section["methods"].items():
        lift = lifts.get(name)
        cells = ["–" if m[k] is None else f"{m[k]:.4f}" for k in keys]
        cells.append("" if name == "title_location" else "–" if lift is None else f"{lift:+.1f}%")
        table.add_row(name, *cells)
    return table


def targeting(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the section as JSON here."),
) -> None:
    """Audiences for the promoted jobs of the test window (title + location, hires graph, GNN),
    their recall of the actual appliers and, on synthetic data, the simulated campaign."""
    from linksage.data.datasource import load_tables

    cfg = load_config(config)
    section = targeting_from_config(cfg, load_tables(cfg.data, cfg.data_dir, validate=False))
    if section["methods"]:
        console.print(targeting_table(section))
    for part, why in section["omitted"].items():
        console.print(f"left out {part}: {why}", highlight=False)
    if out is not None:
        from linksage.io import atomic_write_text

        atomic_write_text(out, json.dumps(section, indent=2, allow_nan=False))
        console.print(f"written: {out}")


def register(app: typer.Typer) -> None:
    """Add the targeting command to the CLI."""
    app.command("targeting")(targeting)
