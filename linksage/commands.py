"""Core commands: generate, validate, stats."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the core commands to the CLI."""
