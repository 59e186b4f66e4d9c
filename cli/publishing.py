"""`diana publish`, `releases`, `diff`, `rollback`: the admin's release commands (same PublishService the
bot's admin commands use)."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.runtime import open_database
from engine.content.diff import BundleDiff
from engine.diagnostics import ContentError
from engine.play.compat import Compatibility
from engine.services.publish import PublishOutcome, PublishService
from engine.services.release_channel import RedisReleaseChannel
from engine.settings import Settings
from engine.store.database import Database

console = Console()
errors = Console(stderr=True)


def default_author() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def show_compat(compat: Compatibility) -> None:
    if compat.stranded:
        console.print("[bold yellow]Players who would be moved to a chapter start[/] (scene → players):")
        for scene, count in sorted(compat.stranded.items(), key=lambda kv: -kv[1]):
            console.print(f"  {escape(scene)} → {count}")
    if compat.aliased:
        console.print(
            "[green]Carried over by alias[/]: "
            + ", ".join(f"{escape(s)} ({n})" for s, n in compat.aliased.items())
        )
    if compat.mistyped:
        console.print("[bold yellow]Saved variables that no longer fit[/] (variable → players):")
        for name, count in compat.mistyped.items():
            console.print(f"  {escape(name)} → {count}")
    if compat.now_vip:
        console.print("[bold yellow]Players inside a chapter that became VIP-only[/]:")
        for scene, count in compat.now_vip.items():
            console.print(f"  {escape(scene)} → {count}")


def show_diff(diff: BundleDiff, *, texts: bool = True) -> None:
    if diff.empty:
        console.print("no differences")
        return
    for name in ("chapters", "scenes", "choices", "achievements", "products"):
        section = getattr(diff, name)
        if section.empty:
            continue
        parts = []
        if section.added:
            parts.append(f"[green]+{len(section.added)}[/] " + ", ".join(map(escape, section.added[:8])))
        if section.removed:
            parts.append(f"[red]-{len(section.removed)}[/] " + ", ".join(map(escape, section.removed[:8])))
        if section.changed:
            parts.append(f"[yellow]~{len(section.changed)}[/] " + ", ".join(map(escape, section.changed[:8])))
        console.print(f"[bold]{name}[/]: " + "; ".join(parts))
    if texts:
        for change in diff.texts[:40]:
            console.print(f"[dim]{escape(change.key)} ({change.locale})[/]")
            console.print(f"  [red]- {escape(change.before[:160])}[/]")
            console.print(f"  [green]+ {escape(change.after[:160])}[/]")


def report(outcome: PublishOutcome, output: str) -> None:
    if output == "json":
        print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
        return
    style = "green" if outcome.ok else "bold red"
    console.print(f"[{style}]{escape(outcome.message)}[/]")
    show_compat(outcome.compatibility)
    if outcome.diff is not None:
        show_diff(outcome.diff, texts=False)


def exit_code(outcome: PublishOutcome) -> int:
    return 0 if outcome.ok else 1


def publisher(settings: Settings, database: Database) -> PublishService:
    """The publish service, announcing on Redis too where REDIS_URL is set."""
    channel = RedisReleaseChannel(settings.redis_url) if settings.redis_url else None
    return PublishService(database, channel=channel)


def publish(
    settings: Settings, path: Path, *, notes: str, dry_run: bool, force: bool, author: str, output: str
) -> int:
    async def run() -> PublishOutcome:
        async with open_database(settings) as database:
            return await publisher(settings, database).publish_path(
                path, author=author, notes=notes, dry_run=dry_run, force=force
            )

    try:
        outcome = asyncio.run(run())
    except ContentError as exc:
        if output == "json":
            print(
                json.dumps(
                    {
                        "status": "refused_lint",
                        "message": str(exc),
                        "diagnostics": [d.to_dict() for d in exc.diagnostics],
                    },
                    indent=2,
                )
            )
        else:
            errors.print(f"[bold red]not published:[/] the story has {len(exc.diagnostics)} error(s)")
            for item in exc.diagnostics[:20]:
                errors.print(f"  {escape(str(item.loc))}: {item.code} {escape(item.message)}")
            errors.print(f"run [bold]diana lint {escape(str(path))}[/] for details and hints")
        return 1
    report(outcome, output)
    return exit_code(outcome)


def releases(settings: Settings, *, limit: int, output: str) -> None:
    async def run() -> list[dict[str, object]]:
        async with open_database(settings) as database:
            return [r.to_dict() for r in await PublishService(database).releases(limit)]

    rows = asyncio.run(run())
    if output == "json":
        print(json.dumps({"releases": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print("no releases yet: run [bold]diana publish[/]")
        return
    table = Table("id", "hash", "when", "author", "scenes", "notes", "active")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["hash"])[:12],
            str(row["created_at"])[:19],
            escape(str(row["author"])),
            str(row["scenes"]),
            escape(str(row["notes"])[:40]),
            "[bold green]●[/]" if row["active"] else "",
        )
    console.print(table)


def diff(settings: Settings, before: int, after: int, *, output: str) -> int:
    async def run() -> BundleDiff | None:
        async with open_database(settings) as database:
            return await PublishService(database).diff(before, after)

    result = asyncio.run(run())
    if result is None:
        errors.print(f"[bold red]diana:[/] no release {before} or {after} (see diana releases)")
        return 2
    if output == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        show_diff(result)
    return 0


def rollback(settings: Settings, release: int, *, force: bool, author: str, output: str) -> int:
    async def run() -> PublishOutcome:
        async with open_database(settings) as database:
            return await publisher(settings, database).rollback(release, author=author, force=force)

    outcome = asyncio.run(run())
    report(outcome, output)
    return exit_code(outcome)


def register(app: typer.Typer, settings_factory: Callable[[], Settings]) -> None:
    """Attach the commands to the main app (kept here so main.py stays an index)."""

    @app.command("publish")
    def publish_command(
        path: Path = typer.Argument(Path("content"), help="The content folder to publish."),
        notes: str = typer.Option("", "--notes", "-m", help="What changed, for the release list."),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Do everything but commit; show what would change."
        ),
        force: bool = typer.Option(False, "--force", help="Publish even if players would lose their place."),
        author: str = typer.Option("", "--author", help="Who publishes (default: cli:$USER)."),
        output: str = typer.Option("human", "--format", "-f", help="human or json."),
    ) -> None:
        """Lint, compile and make a story the live one, without a deploy.

        Any lint error refuses. Publishing an unchanged story is a no-op that says so. Players on
        scenes that disappear without an [bold]aliases[/] entry are counted and the publish is refused
        unless --force. Running bots and chats switch within a second. Exit 0 published/unchanged,
        1 refused.
        """
        raise typer.Exit(
            publish(
                settings_factory(),
                path,
                notes=notes,
                dry_run=dry_run,
                force=force,
                author=author or default_author(),
                output=output,
            )
        )

    @app.command("releases")
    def releases_command(
        limit: int = typer.Option(50, "--limit", help="How many, newest first."),
        output: str = typer.Option("human", "--format", "-f", help="human or json."),
    ) -> None:
        """List published releases: id, hash, when, author, notes, and which is active."""
        releases(settings_factory(), limit=limit, output=output)

    @app.command("diff")
    def diff_command(
        before: int = typer.Argument(..., help="Release id (older)."),
        after: int = typer.Argument(..., help="Release id (newer)."),
        output: str = typer.Option("human", "--format", "-f", help="human or json."),
    ) -> None:
        """What changed between two releases: scenes, choices, achievements, products, texts."""
        raise typer.Exit(diff(settings_factory(), before, after, output=output))

    @app.command("rollback")
    def rollback_command(
        release: int = typer.Argument(..., help="The release id to make active again."),
        force: bool = typer.Option(False, "--force", help="Even if players would lose their place."),
        author: str = typer.Option("", "--author", help="Who rolls back (default: cli:$USER)."),
        output: str = typer.Option("human", "--format", "-f", help="human or json."),
    ) -> None:
        """Make an earlier release active again (moves the pointer; same compatibility check)."""
        raise typer.Exit(
            rollback(
                settings_factory(), release, force=force, author=author or default_author(), output=output
            )
        )
