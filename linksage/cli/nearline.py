"""CLI: `linksage replay` (publish test-window events) and `linksage nearline` (the worker)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config
from linksage.errors import ConfigError

console = Console(stderr=True)


def nearline_dir(cfg: ExperimentConfig) -> Path:
    """OUT/nearline: the embedded store's state and the worker's stats."""
    return artifacts.nearline_dir(cfg.output_dir)


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        import pandas as pd

        return (
            pd.Timestamp(value).tz_convert("UTC")
            if pd.Timestamp(value).tzinfo
            else pd.Timestamp(value, tz="UTC")
        )
    except ValueError:
        raise ConfigError(f"{option} {value!r}: not an ISO-8601 time") from None


def replay_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    rate: float | None = typer.Option(None, "--rate", help="Events per second (default: config)."),
    to: str | None = typer.Option(
        None, "--to", help="redis://HOST:PORT/STREAM or file:PATH (default: nearline.source)."
    ),
    start: str | None = typer.Option(
        None, "--start", help="First event time (default t_test_start)."
    ),
    end: str | None = typer.Option(
        None, "--end", help="Events before this time (default t_test_end)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Publish at most this many events."),
) -> None:
    """Publish the test-window events from the tables in time order at --rate events/s."""
    from nearline.replay import replay_to

    cfg = load_config(config)
    if rate is not None and rate <= 0:
        raise ConfigError(f"--rate must be > 0, got {rate}")
    n, achieved = replay_to(
        cfg.data,
        cfg.data_dir,
        target=to or cfg.nearline.source,
        start=_time(start, "--start") or cfg.windows.t_test_start,
        end=_time(end, "--end") or cfg.windows.t_test_end,
        rate=rate or cfg.nearline.replay_rate,
        limit=limit,
    )
    console.print(f"published {n:,} events to {to or cfg.nearline.source} at {achieved:,.0f}/s")


def nearline_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    source: str | None = typer.Option(
        None, "--source", help="redis://HOST:PORT/STREAM or file:PATH (default: nearline.source)."
    ),
    refresh: str | None = typer.Option(None, "--refresh", help="touched | ego (default: config)."),
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop when no event is waiting."),
    max_events: int | None = typer.Option(None, "--max-events", help="Stop after N events."),
    stats: Path | None = typer.Option(None, "--stats", help="Write the worker's stats (JSON)."),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes in the consumer group (default: config)."
    ),
) -> None:
    """Run the nearline worker: events in, fresh embeddings pushed to the Feast online store."""
    from linksage.cli.gnn import gnn_dir
    from linksage.data.datasource import load_tables
    from linksage.io import atomic_write_text
    from nearline.pool import run_pool
    from nearline.service import run_nearline

    overrides = {"nearline.refresh": refresh} if refresh else {}
    if workers is not None:
        overrides["nearline.workers"] = workers
    cfg = load_config(config, overrides or None)
    uri = source or cfg.nearline.source
    stem = Path(uri.removeprefix("file:")).stem if uri.startswith("file:") else "redis"
    out = nearline_dir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    cfg.save(out / "config.yaml")
    tables = load_tables(cfg.data, cfg.data_dir, validate=False)

    def show(s) -> None:
        console.print(
            f"\r{s.events:,} events, {s.embeddings:,} embeddings, {s.dead_lettered} dead-lettered",
            end="",
        )

    kwargs = dict(
        source_uri=uri,
        tables=tables,
        gnn_dir=gnn_dir(cfg),
        repo_dir=cfg.feast.repo_dir,
        state_path=out / f"state-{stem}.sqlite",
        start_time=cfg.windows.t_test_start,
        online_store=cfg.feast.online_store,
        redis_connection_string=cfg.feast.redis_connection_string,
        refresh=cfg.nearline.refresh,
        max_batch=cfg.nearline.max_batch,
        stop_when_idle=until_idle,
        max_events=max_events,
        consumer=cfg.nearline.consumer,
    )
    if cfg.nearline.workers > 1:
        summary = run_pool(workers=cfg.nearline.workers, **kwargs)
    else:
        summary = run_nearline(**kwargs, on_batch=show).summary()
    console.print()
    console.print(json.dumps(summary, indent=2))
    if stats is not None:
        atomic_write_text(stats, json.dumps(summary, indent=2))


def nearline_ablation_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
) -> None:
    """Replay post-GNN events through the worker into a daily+nearline repo copy and train the
    gnn_nearline arm of jymbii and search (run after `linksage materialize`)."""
    from linksage.cli.ablation import nearline_ablation_from_config

    runs = nearline_ablation_from_config(load_config(config))
    console.print(f"trained {len(runs)} gnn_nearline ranker runs" if runs else "nothing to do")


def register(app: typer.Typer) -> None:
    """Add replay, nearline and nearline-ablation to the CLI."""
    app.command("replay")(replay_command)
    app.command("nearline")(nearline_command)
    app.command("nearline-ablation")(nearline_ablation_command)
