"""The `linksage` command line. Each command parses options and calls one library function.

Commands are registered by one module per stage in this package (`register(app)`); this package is
the only one that knows every stage. Errors a user can act on (LinksageError) are printed without a traceback and
exit non-zero; `--debug` shows the traceback.
"""

from __future__ import annotations

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from linksage.errors import LinksageError
from linksage.progress import configure_for_logs


class _CleanErrorGroup(TyperGroup):
    """Prints an error as one clean line with its exit code (the traceback only with --debug):
    a LinksageError with its own code, anything else (a bug) with code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (
            click.exceptions.Exit,
            click.exceptions.Abort,
            click.ClickException,
            typer.Exit,  # not click's Exit in this typer: --help ends with it
            typer.Abort,
        ):
            raise  # typer's own exits and usage errors print themselves
        except LinksageError as err:
            if _state["debug"]:
                raise
            _print_error(str(err))
            raise typer.Exit(err.exit_code) from None
        except Exception as err:  # noqa: BLE001  (the one place that turns bugs into a line)
            if _state["debug"]:
                raise
            _print_error(
                f"unexpected {type(err).__name__}: {err} (a linksage bug: rerun with --debug "
                "for the traceback and report it)"
            )
            raise typer.Exit(1) from None


def _print_error(message: str) -> None:
    # soft_wrap: a file path in the message stays on one line (copyable, greppable)
    err_console.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)


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
    from linksage.cli import (
        data,
        evaluate,
        features,
        gnn,
        nearline,
        rankers,
        retrieve,
        serve,
        targeting,
    )

    stages = (data, gnn, features, rankers, evaluate, nearline, retrieve, targeting, serve)
    for module in stages:
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    # before any command imports tqdm; the processes a command starts inherit it
    configure_for_logs()
    app()
