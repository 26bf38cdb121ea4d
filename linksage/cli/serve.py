"""`linksage serve`: the HTTP ranking service over a trained run (serving/, docs/serving.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from linksage.config import load_config
from linksage.errors import ConfigError


def serve(
    config: Path = typer.Option(..., "--config", "-c", help="Experiment config (YAML)."),
    run_dir: Path | None = typer.Option(
        None, "--run-dir", help="The run's output directory (default: the config's output_dir)."
    ),
    host: str | None = typer.Option(None, "--host", help="Listen address (default serving.host)."),
    port: int | None = typer.Option(None, "--port", help="Listen port (default serving.port)."),
) -> None:
    """Serve POST /rank (member_id, task, query?, candidates | k) with the trained runs' ONNX
    models; /healthz, /readyz, /metrics (Prometheus). Runs until interrupted."""
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"--port {port}: expected 1..65535")
    if run_dir is not None and not run_dir.is_dir():
        raise ConfigError(f"--run-dir {run_dir}: not a directory")
    from serving.service import serve as run_service

    run_service(load_config(config), run_dir, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
