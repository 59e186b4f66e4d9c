"""`--help` reads as paragraphs: docstrings are reflowed, so the terminal alone decides where lines wrap."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app, reflow_help


def test_every_command_help_is_reflowed_into_paragraphs() -> None:
    reflow_help(app)
    seen = 0
    stack = [app]
    while stack:
        current = stack.pop()
        for command in current.registered_commands:
            assert command.help is not None, command.name
            for paragraph in command.help.split("\n\n"):
                assert "\n" not in paragraph, (command.name, paragraph)
            seen += 1
        stack.extend(group.typer_instance for group in current.registered_groups if group.typer_instance)
    assert seen >= 20  # lint, play, publish, ... and the commands of every group


def test_help_keeps_the_paragraph_breaks() -> None:
    reflow_help(app)
    result = CliRunner().invoke(app, ["publish", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Lint, compile and make a story the live one, without a deploy." in result.output
    assert "Players on scenes that disappear without an aliases entry are counted and the publish" in (
        result.output
    )
