"""CLI: `linksage train-gnn` and `linksage embed` (thin wrappers over gnn_encoder.train/embed)."""

from __future__ import annotations

from pathlib import Path

import typer

from linksage import artifacts
from linksage.config import ExperimentConfig, load_config


def gnn_dir(cfg: ExperimentConfig) -> Path:
    """OUT/gnn: where train-gnn writes and embed reads."""
    return artifacts.gnn_dir(cfg.output_dir)


def set_threads(n: int) -> None:
    """Pin torch's intra-op threads (OpenMP spinning across busy cores made one training step
    30x slower with 2 threads than with 1 on a shared 2-core machine)."""
    import torch

    if n > 0:
        torch.set_num_threads(n)


def train_gnn_from_config(
    cfg: ExperimentConfig, output_dir: Path | None = None, progress: bool = True
) -> dict:
    """Unpack the config's gnn section into gnn_encoder.train.train_gnn."""
    from gnn_encoder.train import train_gnn
    from linksage.data.datasource import load_tables

    g, w = cfg.gnn, cfg.windows
    set_threads(g.torch_threads)
    tables = load_tables(cfg.data, cfg.data_dir, validate=False)
    return train_gnn(
        tables,
        output_dir or gnn_dir(cfg),
        t_gnn_end=w.t_gnn_end,
        eval_start=w.t_gnn_end,
        eval_end=w.t_test_end,
        params=g.params(),
        device=g.device,
        config_yaml=cfg.to_yaml(),
        progress=progress,
    )


def embed_from_config(cfg: ExperimentConfig, progress: bool = True) -> dict:
    """Unpack the config into gnn_encoder.embed.embed_snapshots."""
    from gnn_encoder.embed import embed_snapshots
    from gnn_encoder.train import resolve_device
    from linksage.data.datasource import load_tables

    set_threads(cfg.gnn.torch_threads)
    tables = load_tables(cfg.data, cfg.data_dir, validate=False)
    return embed_snapshots(
        tables=tables,
        checkpoint_path=gnn_dir(cfg) / artifacts.CHECKPOINT,
        snapshot_times=cfg.snapshot_times(),
        repo_data_dir=artifacts.repo_data_dir(cfg.feast.repo_dir),
        gnn_dir=gnn_dir(cfg),
        leaky_full_graph=cfg.evaluation.LEAKY_embed_on_full_graph,
        full_graph_end=cfg.windows.t_test_end,
        device=str(resolve_device(cfg.gnn.device)),
        progress=progress,
    )


def train_gnn_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    no_skill_nodes: bool = typer.Option(
        False, "--no-skill-nodes", help="Build the graph without skills."
    ),
    aggregation: str | None = typer.Option(None, "--aggregation", help="mean | attention"),
    decoder: str | None = typer.Option(None, "--decoder", help="mlp | cosine | inbatch"),
    out: Path | None = typer.Option(None, "--out", help="Run directory (default OUT/gnn)."),
) -> None:
    """Train the GNN encoder-decoder on data before t_gnn_end; write OUT/gnn/."""
    overrides: dict = {}
    if no_skill_nodes:
        overrides["gnn.skill_nodes"] = False
    if aggregation:
        overrides["gnn.aggregation"] = aggregation
    if decoder:
        overrides["gnn.decoder"] = decoder
    cfg = load_config(config, overrides)
    metrics = train_gnn_from_config(cfg, output_dir=out)
    if metrics:
        table = metrics.get("link_prediction", {}).get("models", {})
        for name, row in table.items():
            print(f"{name:>20}: " + "  ".join(f"{k}={v:.4f}" for k, v in row.items()))
        print(f"wrote {out or gnn_dir(cfg)}")


def embed_command(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
) -> None:
    """Embed every member and job at each snapshot with the frozen encoder; export ONNX."""
    cfg = load_config(config)
    manifest = embed_from_config(cfg)
    print(
        f"embedded {len(manifest['snapshots'])} snapshots (model {manifest['model_version']}) "
        f"into {cfg.feast.repo_dir / 'data'}"
    )


def register(app: typer.Typer) -> None:
    """Add train-gnn and embed to the CLI."""
    app.command("train-gnn")(train_gnn_command)
    app.command("embed")(embed_command)
