"""`diana worker` and `diana leaderboard rebuild|show`: the event bus and the leaderboards from the
terminal, on the same engine.bus and LeaderboardService the bot runs."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import redis.asyncio as aioredis
import typer
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table

from cli.reporting import ReportFormat, fail
from cli.runtime import open_database
from engine.bus.boards import BoardKeys, completion_time
from engine.bus.consumers import AnalyticsConsumer
from engine.bus.worker import build_worker
from engine.services.leaderboards import Board, BoardView, LeaderboardService
from engine.services.profile import ProfileService
from engine.services.releases import ActiveContent
from engine.settings import Settings
from engine.store.database import Database

console = Console()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_board(text: str) -> Board:
    """``all``, ``week`` or ``chapter:ID``."""
    kind, _, chapter = text.partition(":")
    try:
        return Board(kind, chapter or None)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc} (e.g. all, week, chapter:encuentro)") from None


def leaderboards(database: Database, redis: Any | None, prefix: str) -> LeaderboardService:
    # The board queries read no story content: the unstarted release watcher is never asked for one.
    profiles = ProfileService(database, ActiveContent(database))
    return LeaderboardService(database, profiles, redis, keys=BoardKeys(prefix))


def show_board(view: BoardView) -> None:
    title = view.board.kind if view.board.chapter is None else f"chapter {view.board.chapter}"
    table = Table(title=f"{title} (from {view.source})")
    table.add_column("#", justify="right")
    table.add_column("user", justify="right")
    table.add_column("name")
    table.add_column("completed" if view.board.chapter else "points", justify="right")
    for entry in view.entries:
        score = (
            completion_time(entry.score).strftime("%Y-%m-%d %H:%M")
            if view.board.chapter
            else str(entry.score)
        )
        table.add_row(str(entry.rank), str(entry.user_id), entry.first_name, score)
    console.print(table)
    if view.own is not None:
        console.print(f"user {view.own.user_id}: rank {view.own.rank}", highlight=False)


def register(app: typer.Typer, settings: Callable[[], Settings]) -> None:
    board_app = typer.Typer(
        help="Leaderboards: show them, rebuild Redis from the database.", no_args_is_help=True
    )
    app.add_typer(board_app, name="leaderboard")

    @app.command("worker")
    def worker_command(
        drain: bool = typer.Option(
            False, "--drain", help="Relay and consume what is waiting, report, and exit (no waiting)."
        ),
        output: ReportFormat = typer.Option(
            ReportFormat.human, "--format", "-f", help="human or json (with --drain)."
        ),
    ) -> None:
        """Relay the outbox to Redis Streams and run the leaderboards and analytics consumer groups.

        Runs until SIGTERM or Ctrl-C, then finishes the batch in hand (an applied batch is always
        acknowledged) and exits 0. Any number of workers and bot replicas can run side by side: the
        relay claims rows with FOR UPDATE SKIP LOCKED and consumers share their groups. Needs
        REDIS_URL (without it the bot's in-process bus is all there is, and leaderboards come from
        the database). Exit 2 when it cannot run.
        """
        config = settings()
        if not config.redis_url:
            raise fail("REDIS_URL: required by diana worker (without Redis the bot relays in-process)")

        async def run() -> dict[str, Any]:
            async with open_database(config) as database:
                worker = build_worker(
                    database,
                    config.redis_url,
                    keys=BoardKeys(config.redis_prefix),
                    stream=f"{config.redis_prefix}events",
                )
                if drain:
                    published = await worker.relay.drain()
                    applied = {}
                    for runner in worker.runners:
                        await worker.bus.ensure_group(runner.group)
                        total = 0
                        while (n := await runner.step(block_ms=0)) > 0:
                            total += n
                        applied[runner.group] = total
                    await worker.bus.close()
                    return {"published": published, "applied": applied}
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                console.print(f"diana worker: relaying, groups {', '.join(worker.groups)}", highlight=False)
                await worker.run(stop)
                return {
                    "published": worker.relay.published,
                    "applied": {r.group: r.applied for r in worker.runners},
                }

        try:
            result = asyncio.run(run())
        except (RedisError, OSError) as exc:
            raise fail(f"cannot reach Redis or the database: {exc}") from None
        if output is ReportFormat.json:
            print(json.dumps(result))
        else:
            groups = ", ".join(f"{g} {n}" for g, n in result["applied"].items())
            console.print(f"published {result['published']} events; applied: {groups}", highlight=False)

    @board_app.command("rebuild")
    def rebuild_command(
        output: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human or json."),
    ) -> None:
        """Rebuild the Redis leaderboards (all time, this week, every chapter) from the database.

        The points come from the ledger's totals and this week's earn rows, chapter completions from
        story progress; each board is written aside and swapped in with RENAME (MULTI/EXEC), so /top
        never sees a half-built board. Events already counted in that snapshot are marked so the
        consumers do not count them again. Run it after losing Redis' data. Exit 2 without REDIS_URL.
        """
        config = settings()
        if not config.redis_url:
            raise fail("REDIS_URL: not set; without Redis the leaderboards are computed from the database")

        async def run() -> dict[str, Any]:
            client = aioredis.from_url(config.redis_url or "", socket_connect_timeout=2)
            try:
                async with open_database(config) as database:
                    return (await leaderboards(database, client, config.redis_prefix).rebuild()).to_dict()
            finally:
                await client.aclose()

        try:
            report = asyncio.run(run())
        except (RedisError, OSError) as exc:
            raise fail(f"cannot reach Redis or the database: {exc}") from None
        if output is ReportFormat.json:
            print(json.dumps(report))
            return
        table = Table(title=f"leaderboards rebuilt (week {report['week']})")
        table.add_column("key")
        table.add_column("players", justify="right")
        for key, count in report["boards"].items():
            table.add_row(key, str(count))
        console.print(table)
        console.print(
            f"{report['marked']} pending events marked as counted; {report['seconds']} s", highlight=False
        )

    events_app = typer.Typer(help="The event bus: backlog, stream and groups; analytics counters.")
    app.add_typer(events_app, name="events")

    @events_app.command("status")
    def status_command(
        output: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human or json."),
    ) -> None:
        """Outbox rows not yet relayed, the stream's length and each consumer group's pending and lag.

        Exit 0; 1 when a backlog is waiting (nothing relays: start diana worker or the bot); 2 when it
        cannot run.
        """
        config = settings()

        async def run() -> dict[str, Any]:
            async with open_database(config) as database:
                worker = build_worker(
                    database, config.redis_url, keys=BoardKeys(config.redis_prefix),
                    stream=f"{config.redis_prefix}events",
                )  # fmt: skip
                try:
                    found: dict[str, Any] = {
                        "backlog": await worker.relay.backlog(),
                        "redis": bool(worker.redis),
                    }
                    if worker.redis is not None:
                        stream = f"{config.redis_prefix}events"
                        found["stream"] = stream
                        found["length"] = int(await worker.redis.xlen(stream))
                        groups = await worker.redis.xinfo_groups(stream) if found["length"] else []
                        found["groups"] = {
                            _text(g["name"]): {"pending": int(g["pending"]), "lag": g.get("lag")}
                            for g in groups
                        }
                    return found
                finally:
                    await worker.bus.close()

        try:
            found = asyncio.run(run())
        except (RedisError, OSError) as exc:
            raise fail(f"cannot reach Redis or the database: {exc}") from None
        if output is ReportFormat.json:
            print(json.dumps(found))
        else:
            console.print(f"outbox backlog: {found['backlog']} events not yet relayed", highlight=False)
            if found["redis"]:
                console.print(f"stream {found['stream']}: {found['length']} entries", highlight=False)
                for name, group in found.get("groups", {}).items():
                    console.print(
                        f"  group {name}: {group['pending']} pending, lag {group['lag']}", highlight=False
                    )
            else:
                console.print("no REDIS_URL: the bot relays to its in-process bus")
        raise typer.Exit(1 if found["backlog"] else 0)

    @events_app.command("stats")
    def stats_command(
        day: str = typer.Option("", "--day", "-d", help="YYYY-MM-DD (UTC); default today."),
        output: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human or json."),
    ) -> None:
        """Events per type on one day, as counted by the analytics consumer group (needs REDIS_URL)."""
        config = settings()
        if not config.redis_url:
            raise fail("REDIS_URL: not set; the analytics counters live in Redis")
        try:
            when = date.fromisoformat(day) if day else datetime.now(UTC).date()
        except ValueError:
            raise fail(f"--day: not a date (YYYY-MM-DD): {day!r}") from None

        async def run() -> dict[str, int]:
            client = aioredis.from_url(config.redis_url or "", socket_connect_timeout=2)
            try:
                return await AnalyticsConsumer(client, BoardKeys(config.redis_prefix)).day(when.isoformat())
            finally:
                await client.aclose()

        try:
            counts = asyncio.run(run())
        except (RedisError, OSError) as exc:
            raise fail(f"cannot reach Redis: {exc}") from None
        if output is ReportFormat.json:
            print(json.dumps({"day": when.isoformat(), "events": counts}))
            return
        table = Table(title=f"events on {when.isoformat()} (UTC)")
        table.add_column("type")
        table.add_column("count", justify="right")
        for kind, n in counts.items():
            table.add_row(kind, str(n))
        console.print(table)

    @board_app.command("show")
    def show_command(
        board: str = typer.Option("all", "--board", "-b", help="all, week or chapter:ID."),
        user: int = typer.Option(0, "--user", "-u", help="Also show this player's rank."),
        limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many players."),
        output: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human or json."),
    ) -> None:
        """Show a leaderboard as /top does: from Redis when REDIS_URL answers, else the database."""
        config = settings()
        chosen = parse_board(board)

        async def run() -> BoardView:
            client = (
                aioredis.from_url(config.redis_url, socket_connect_timeout=2) if config.redis_url else None
            )
            try:
                async with open_database(config) as database:
                    return await leaderboards(database, client, config.redis_prefix).top(user, chosen, limit)
            finally:
                if client is not None:
                    await client.aclose()

        try:
            view = asyncio.run(run())
        except OSError as exc:
            raise fail(f"cannot reach the database: {exc}") from None
        if output is ReportFormat.json:
            print(json.dumps(view.to_dict(), ensure_ascii=False))
        else:
            show_board(view)
