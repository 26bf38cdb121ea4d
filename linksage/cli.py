"""The `linksage` command line. Each command parses options and calls one library function.

Commands are registered by each package's `commands.py` (`register(app)`), so a stage's CLI lives
beside its code. Errors a user can act on (LinksageError) are printed without a traceback and
exit non-zero; `--debug` shows the traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from linksage.errors import LinksageError

app = typer.Typer(
    name="linksage",
    help="LinkSAGE: train a GNN once, freeze it, feed its embeddings to existing rankers "
    "through Feast, and measure what they bought with an offline A/B evaluation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    _state["debug"] = debug


def _register_all() -> None:
    from linksage import commands as core_commands

    core_commands.register(app)
    for module in (
        "gnn_encoder.commands",
        "linksage.feature_commands",
        "rankers.commands",
        "evaluation.commands",
        "gnn_encoder.nearline.commands",
    ):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as err:
            if err.name and module.startswith(err.name):
                continue  # stage not built yet
            raise
        mod.register(app)


_register_all()


def main() -> None:
    """Entry point that turns LinksageError into a clean message and exit code."""
    try:
        app(standalone_mode=False)
    except LinksageError as err:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {err}", highlight=False, markup=True)
        sys.exit(err.exit_code)
