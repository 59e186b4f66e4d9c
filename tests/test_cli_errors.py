"""A command that cannot run says why in one ``diana: ...`` line on stderr (cli/reporting.py)."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from tests.conftest import CONTENT

runner = CliRunner()


def test_an_error_shows_bracketed_input_as_typed_not_as_markup() -> None:
    """What the user typed comes back verbatim: ``[red]`` was read as rich markup and vanished from
    the message (in `diana play`, `diana worker` and the other commands whose helper did not escape)."""
    result = runner.invoke(app, ["play", str(CONTENT), "--today", "[red]x"], input="")
    assert result.exit_code == 2
    assert result.stderr.strip() == "diana: --today must be YYYY-MM-DD, not '[red]x'"


def test_the_events_commands_escape_too() -> None:
    result = runner.invoke(
        app, ["events", "stats", "--day", "[bold]soon"], env={"REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "diana: --day: not a date (YYYY-MM-DD): '[bold]soon'"
