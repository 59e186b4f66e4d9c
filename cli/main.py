"""``diana``: lint, playtest and (later) publish and run a Diana story.

Exit codes: 0 success; 1 the content (or the command's subject) has errors; 2 the command could not run
(missing folder, bad configuration).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
from datetime import date
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from cli import analysis, economy, events, lint_output, payments, publishing, terminal_view
from cli.chat import chat_loop
from cli.config import ConfigError, lint_config
from cli.playtest import Playtest
from cli.reporting import fail
from cli.runtime import NotMigratedError, open_database, open_runtime
from engine.content.api import build_path, lint_path
from engine.diagnostics import ContentError
from engine.mood import KeywordClassifier
from engine.play import Context
from engine.services.releases import NoActiveReleaseError
from engine.settings import Settings, SettingsError, load_settings
from engine.store import migrate
from engine.store.players import UserInfo

app = typer.Typer(
    name="diana",
    help="Diana: write, check, playtest and serve interactive stories for Telegram.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Not a terminal (CI logs, pipes): do not wrap, so file:line:col stays whole on one line.
console = Console(soft_wrap=not sys.stdout.isatty())
errors = Console(stderr=True, soft_wrap=True)
# Story scenes always wrap inside their panel, terminal or not.
screen = Console()

DEFAULT_CONTENT = Path("content")


class LintFormat(str, Enum):
    human = "human"
    json = "json"
    sarif = "sarif"
    github = "github"


@app.command()
def lint(
    path: Path = typer.Argument(DEFAULT_CONTENT, help="The content folder (with story.yaml)."),
    output: LintFormat = typer.Option(
        LintFormat.human, "--format", "-f", help="human, json, sarif (code scanning), github."
    ),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
) -> None:
    """Check a story and report every problem with file:line:column and a hint.

    Exit 0 when there are no errors, 1 when there are (or warnings with --strict), 2 when the
    check could not run. Silence one finding with a comment on its line:
    [bold]# diana: ignore[D504][/]; configure the project in pyproject.toml under
    [bold]\\[tool.diana.lint][/] (ignore, severity, strict).
    """
    try:
        config = lint_config(path, strict=strict)
        report = lint_path(path, config)
    except (FileNotFoundError, NotADirectoryError, ConfigError) as exc:
        raise fail(str(exc)) from None
    if output is LintFormat.json:
        print(lint_output.as_json(report))
    elif output is LintFormat.sarif:
        print(lint_output.sarif(report, path))
    elif output is LintFormat.github:
        text = lint_output.github(report, path)
        if text:
            print(text)
    else:
        lint_output.human(report, path, console)
    raise typer.Exit(1 if report.failed else 0)


@app.command("play")
def play_command(
    path: Path = typer.Argument(DEFAULT_CONTENT, help="The content folder to play."),
    locale: str = typer.Option("", "--locale", "-l", help="Play in this locale (default: the story's)."),
    vip: bool = typer.Option(False, "--vip", help="Play as a VIP player."),
    points: int = typer.Option(0, "--points", min=0, help="Start with this many points."),
    name: str = typer.Option("", "--name", help="The player's first name for {name}."),
    script: str = typer.Option(
        "",
        "--script",
        help="Play inputs from FILE (or - for stdin), one per line; print the transcript.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per view."),
    today: str = typer.Option("", "--today", help="The player's day (YYYY-MM-DD) for daily rules."),
) -> None:
    """Playtest a story in the terminal, on the real interpreter, in memory.

    Type a button's number or a choice id; on mood scenes type free text. [bold]:state[/] shows
    points and variables, [bold]:back[/] undoes, [bold]:restart[/], [bold]:goto chapter.scene[/].
    With --script the inputs come from a file and the transcript is printed, which makes
    playthroughs testable. Exit 1 if the story has errors.
    """
    try:
        _, bundle = build_path(path, lint_config(path))
    except (FileNotFoundError, NotADirectoryError, ConfigError) as exc:
        raise fail(str(exc)) from None
    except ContentError as exc:
        raise fail(f"the story has errors; run 'diana lint {path}' ({exc})", 1) from None
    chosen_locale = locale or bundle.default_locale
    if chosen_locale not in bundle.locales:
        raise fail(f"locale '{chosen_locale}' is not one of {', '.join(bundle.locales)}")
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise fail(f"--today must be YYYY-MM-DD, not '{today}'") from None
    ctx = Context(
        locale=chosen_locale,
        today=day,
        player_name=name,
        classify=KeywordClassifier(bundle.moods.examples),
    )
    session = Playtest.begin(bundle, ctx, points=points, vip=vip)
    interactive = not script and sys.stdin.isatty() and not as_json
    lines = _script_lines(script) if script else None

    def emit_view() -> None:
        assert session.view is not None
        if as_json:
            print(json.dumps(terminal_view.as_dict(session.view), ensure_ascii=False))
        elif interactive:
            terminal_view.show(session.view, screen)
        else:
            print(terminal_view.plain(session.view))
            print()

    emit_view()
    source = iter(lines) if lines is not None else None
    while True:
        if source is not None:
            line = next(source, None)
            if line is None:
                break
            if not as_json:
                print(f"> {line}")
        else:
            try:
                line = console.input("[bold cyan]› [/]") if interactive else input()
            except (EOFError, KeyboardInterrupt):
                break
        reply = session.handle(line)
        if reply.quit:
            break
        if reply.note:
            if as_json:
                print(json.dumps({"note": reply.note}, ensure_ascii=False))
            else:
                console.print(f"[yellow]{reply.note}[/]") if interactive else print(f"! {reply.note}")
        if reply.state is not None:
            print(json.dumps(reply.state, ensure_ascii=False, indent=None if as_json else 2))
        if reply.view is not None:
            emit_view()


def _script_lines(script: str) -> list[str]:
    try:
        text = sys.stdin.read() if script == "-" else Path(script).read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read script: {exc}") from None
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


db_app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the migrations (DATABASE_URL, or ./diana.db when unset). Safe to run repeatedly."""
    settings = _settings()

    async def run() -> tuple[str | None, str | None]:
        async with open_database(settings) as database:
            await migrate.upgrade(database, revision)
            return await migrate.current(database)

    try:
        now, head = asyncio.run(run())
    except OSError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    console.print(f"database at revision [bold]{now}[/] (head {head})", highlight=False)


@db_app.command("current")
def db_current(
    output: str = typer.Option("human", "--format", "-f", help="human or json."),
) -> None:
    """Show the database's migration revision and the newest one this code knows (exit 1 if behind)."""
    settings = _settings()

    async def run() -> tuple[str | None, str | None]:
        async with open_database(settings) as database:
            return await migrate.current(database)

    now, head = asyncio.run(run())
    if output == "json":
        print(json.dumps({"current": now, "head": head, "up_to_date": now == head}))
    else:
        state = "[green]up to date[/]" if now == head else "[yellow]behind: run diana db upgrade[/]"
        console.print(f"current {now or 'none'}, head {head}: {state}", highlight=False)
    raise typer.Exit(0 if now == head else 1)


@app.command()
def chat(
    user: int = typer.Option(1, "--user", "-u", help="The player's id (a Telegram user id)."),
    name: str = typer.Option("", "--name", help="The player's first name (default: $USER)."),
    language: str = typer.Option("", "--language", help="Player language (es, en)."),
    script: str = typer.Option("", "--script", help="Read inputs from FILE (or -), print a transcript."),
) -> None:
    """Play as a player in the terminal, through the same services and database as the bot.

    It plays the active release (run [bold]diana publish[/] first) and switches to a newly
    published one on the next scene. Progress is saved: quit and run it again to resume where
    you left off. Uses DATABASE_URL (default: ./diana.db).
    """
    settings = _settings()
    who = UserInfo(
        id=user,
        first_name=name or os.environ.get("USER", "") or "Player",
        language=language or None,
    )
    lines = iter(_script_lines(script)) if script else None

    async def run() -> None:
        async with open_runtime(settings) as runtime:
            await chat_loop(runtime.play, who, screen, lines, None if lines else _read_line)

    try:
        asyncio.run(run())
    except (NotMigratedError, NoActiveReleaseError) as exc:
        raise fail(str(exc)) from None


def _read_line() -> str:
    return console.input("[bold cyan]› [/]")


publishing.register(app, _settings)
economy.register(app, _settings)
analysis.register(app)
payments.register(app, _settings)
events.register(app, _settings)


@app.command()
def serve() -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN required).

    Polling by default; webhook mode when WEBHOOK_URL is set (with WEBHOOK_SECRET checked on every
    request). Serves /health, /ready and /metrics on HOST:PORT. Plays the active release: run
    [bold]diana db upgrade[/] and [bold]diana publish[/] first.
    """
    import logging

    settings = _settings()
    if not settings.telegram_bot_token:
        raise fail("TELEGRAM_BOT_TOKEN: required to run the bot (without it, use diana chat)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from bot.app import serve as run_bot

    try:
        asyncio.run(run_bot(settings))
    except NoActiveReleaseError as exc:
        raise fail(str(exc)) from None


def _reflowed(text: str) -> str:
    """A docstring's paragraphs as single lines: rich help keeps source line breaks, which made every
    command's help wrap twice (once at 100 columns in the source, once at the terminal's width)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in part.splitlines()) for part in paragraphs)


def reflow_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app`` (and of its groups) its docstring reflowed as its help."""
    for command in typer_app.registered_commands:
        doc = command.help or (inspect.getdoc(command.callback) if command.callback else None)
        if doc:
            command.help = _reflowed(doc)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)


def main() -> None:
    reflow_help(app)
    app()


if __name__ == "__main__":
    main()
