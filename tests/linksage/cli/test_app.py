"""The CLI's error handling: one line and an exit code, the traceback only with --debug."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from linksage.cli.app import app


@pytest.fixture
def failing_command():
    """A command that fails the way a bug does (not a LinksageError), removed afterwards."""

    def explode() -> None:
        raise KeyError("member_gnn__embedding")

    app.command("explode-for-test")(explode)
    yield "explode-for-test"
    app.registered_commands.pop()


def test_an_unexpected_error_is_one_line_and_exit_1(failing_command):
    result = CliRunner().invoke(app, [failing_command])
    assert result.exit_code == 1
    assert "unexpected KeyError: 'member_gnn__embedding'" in result.output
    assert "--debug" in result.output and "Traceback" not in result.output


def test_debug_lets_the_traceback_through(failing_command):
    result = CliRunner().invoke(app, ["--debug", failing_command])
    assert isinstance(result.exception, KeyError)


def test_an_unreadable_table_is_named_with_exit_2(tmp_path):
    for name in ("members", "jobs", "engagements"):
        (tmp_path / f"{name}.parquet").write_bytes(b"not parquet")
    result = CliRunner().invoke(app, ["stats", str(tmp_path)])
    assert result.exit_code == 2
    assert "members.parquet" in result.output and "Traceback" not in result.output
