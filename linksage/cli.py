"""The `linksage` command line. Each command parses options and calls one library function.

Commands are registered by each package's `commands.py` (`register(app)`), so a stage's CLI lives
beside its code. Errors a user can act on (LinksageError) are printed without a traceback and
exit non-zero; `--debug` shows the traceback.
"""

from __future__ import annotations

import typer
from rich.console import Console
from typer.core import TyperGroup

from linksage.errors import LinksageError


class _CleanErrorGroup(TyperGroup):
    """Prints LinksageError as one clean message with its exit code (traceback with --debug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LinksageError as err:
            if _state["debug"]:
                raise
            # soft_wrap: a file path in the message stays on one line (copyable, greppable)
            err_console.print(f"error: {err}", highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(err.exit_code) from None


app = typer.Typer(
    name="linksage",
    help="LinkSAGE: train a GNN once, freeze it, feed its embeddings to existing rankers "
    "through Feast, and measure what they bought with an offline A/B evaluation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_CleanErrorGroup,
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
    """Console-script entry point."""
    app()
