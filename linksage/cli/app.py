"""The `linksage` command line. Each command parses options and calls one library function.

Commands are registered by one module per stage in this package (`register(app)`); this package is
the only one that knows every stage. Errors a user can act on (LinksageError) are printed without a traceback and
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
    from linksage.cli import data, evaluate, features, gnn, nearline, rankers

    for module in (data, gnn, features, rankers, evaluate, nearline):
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app()
