"""`diana users show`, `diana economy verify`, `diana flags`: the economy's admin tools.

The same services as the bot's admin commands (LedgerService, FlagService). Exit codes: 0 fine; 1 the
subject is wrong (an unknown user, a ledger that disagrees, flags raised); 2 the command could not run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.reporting import ReportFormat, fail
from cli.runtime import NotMigratedError, open_database, open_runtime
from engine.services.flags import FlagRules, FlagService
from engine.services.ledger import LedgerService, UserReport, Verification
from engine.services.releases import NoActiveReleaseError
from engine.settings import Settings

console = Console()


FORMAT = typer.Option(ReportFormat.human, "--format", "-f", help="human (tables) or json (one object).")


def show_user(report: UserReport) -> None:
    vip = report.vip_until.isoformat(timespec="minutes") if report.vip_until else "—"
    console.print(
        f"[bold]{escape(report.first_name or '—')}[/] ({report.user_id}"
        + (f", @{escape(report.username)}" if report.username else "")
        + ")"
        + (" [bold red]banned[/]" if report.banned else ""),
        highlight=False,
    )
    console.print(
        f"balance [bold]{report.balance}[/] · earned {report.total_earned} · level {report.level} · "
        f"streak {report.streak} (last check-in {report.last_checkin or '—'}) · VIP until {vip}",
        highlight=False,
    )
    console.print(
        f"language {report.language or '—'} · timezone {escape(report.timezone)} · "
        f"referred by {report.referred_by or '—'} · joined {report.created_at:%Y-%m-%d}",
        highlight=False,
    )
    table = Table(title=f"last {len(report.transactions)} of {report.transaction_count} transactions")
    for column in ("id", "when (UTC)", "amount", "kind", "reason", "event", "balance after"):
        table.add_column(column, justify="right" if column in ("id", "amount", "balance after") else "left")
    for x in report.transactions:
        table.add_row(
            str(x.id),
            f"{x.created_at:%Y-%m-%d %H:%M}",
            f"{x.amount:+d}",
            x.kind,
            escape(x.reason),
            x.event or "",
            str(x.balance_after),
        )
    console.print(table)


def show_verification(result: Verification) -> None:
    if result.ok:
        console.print(
            f"[green]ledger consistent[/]: {result.players} players, {result.transactions} transactions",
            highlight=False,
        )
        return
    table = Table(title=f"{len(result.differences)} difference(s)")
    for column in ("user", "check", "ledger says", "stored", "transaction"):
        table.add_column(column)
    for d in result.differences:
        table.add_row(str(d.user_id), d.check, str(d.expected), str(d.actual), str(d.transaction or ""))
    console.print(table)


def register(app: typer.Typer, settings: Callable[[], Settings]) -> None:
    users_app = typer.Typer(help="Look players up.", no_args_is_help=True)
    economy_app = typer.Typer(help="The points economy: check the ledger.", no_args_is_help=True)
    app.add_typer(users_app, name="users")
    app.add_typer(economy_app, name="economy")

    @users_app.command("show")
    def users_show(
        user_id: int = typer.Argument(..., help="The player's Telegram user id."),
        last: int = typer.Option(10, "--last", "-n", min=0, help="How many recent transactions."),
        output: ReportFormat = FORMAT,
    ) -> None:
        """A player's balance, earned total, level, streak, VIP and their last ledger transactions.

        Exit 1 for an unknown user.
        """
        config = settings()

        async def run() -> UserReport | None:
            async with open_database(config) as database:
                return await LedgerService(database).user(user_id, last=last)

        report = asyncio.run(run())
        if report is None:
            if output is ReportFormat.json:
                print(json.dumps({"error": f"no user {user_id}"}))
            raise fail(f"no user {user_id}", 1)
        if output is ReportFormat.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
        else:
            show_user(report)

    @economy_app.command("verify")
    def economy_verify(
        user_id: int | None = typer.Option(None, "--user", "-u", help="Check one player only."),
        output: ReportFormat = FORMAT,
    ) -> None:
        """Recompute balances from the ledger and report every difference (exit 1 if any).

        Checks, per player: the balance equals the sum of their transactions; the earned total equals
        the sum of their [bold]earn[/] transactions; each transaction's balance_after is the previous
        one's plus its amount. Nothing is repaired: a difference is a bug or a hand edit to look at.
        """
        config = settings()

        async def run() -> Verification:
            async with open_database(config) as database:
                return await LedgerService(database).verify(user_id)

        result = asyncio.run(run())
        if output is ReportFormat.json:
            print(json.dumps(result.to_dict()))
        else:
            show_verification(result)
        raise typer.Exit(0 if result.ok else 1)

    @app.command("flags")
    def flags(
        days: int = typer.Option(7, "--days", min=1, help="How far back to look."),
        cap_days: int = typer.Option(3, "--cap-days", min=1, help="Daily cap hit this many days in a row."),
        referrals: int = typer.Option(5, "--referrals", min=1, help="New players via one link in a day."),
        flood: int = typer.Option(10, "--flood", min=1, help="Bursts of taps turned away in a day."),
        output: ReportFormat = FORMAT,
    ) -> None:
        """Suspicious patterns for an admin to look at (exit 1 when there are any).

        [bold]daily_cap[/]: earned the whole daily cap N days in a row; [bold]referrals[/]: many new
        players through one referral link in a day; [bold]flood[/]: many bursts of taps turned away by
        the bot's flood guard in a day. Banned players are left out. See docs/economy.md.
        """
        config = settings()
        rules = FlagRules(days=days, cap_days=cap_days, referrals_per_day=referrals, flood_bursts=flood)

        async def run() -> list[dict[str, object]]:
            async with open_runtime(config) as runtime:
                cap = runtime.content.current().rewards.daily_cap
                found = await FlagService(runtime.database).flags(cap, rules)
            return [flag.to_dict() for flag in found]

        try:
            found = asyncio.run(run())
        except (NotMigratedError, NoActiveReleaseError) as exc:
            raise fail(str(exc)) from None
        if output is ReportFormat.json:
            print(json.dumps({"flags": found}, ensure_ascii=False))
        elif not found:
            console.print(f"[green]no flags[/] in the last {days} days", highlight=False)
        else:
            table = Table(title=f"{len(found)} flag(s), last {days} days")
            for column in ("rule", "user", "name", "day", "count", "detail"):
                table.add_column(column)
            for flag in found:
                table.add_row(
                    str(flag["rule"]),
                    str(flag["user_id"]),
                    escape(str(flag["first_name"])),
                    str(flag["day"]),
                    str(flag["count"]),
                    escape(str(flag["detail"])),
                )
            console.print(table)
        raise typer.Exit(1 if found else 0)
