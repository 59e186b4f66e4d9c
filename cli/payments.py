"""`diana payments list/show` and `diana stats`: the payment records and the /stats figures, from the CLI.

Same services as the bot (engine/services/payments.py, AdminService.stats), read-only: nothing here
needs an active release or the bot. Refunds go through the bot's ``/refund`` (Telegram Stars: only the
bot can call refundStarPayment) or the Stripe dashboard (the webhook records them).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from cli.reporting import fail
from cli.runtime import open_database
from engine.services.admin import AdminService, Stats
from engine.services.payments import STARS, PaymentRecord, find_payments, list_payments
from engine.settings import Settings
from engine.store.database import Database
from engine.store.migrate import current

console = Console()
errors = Console(stderr=True)

T = TypeVar("T")
FORMAT_HELP = "human (a table) or json (one document, for scripts)."


def money(amount: int, currency: str) -> str:
    """An amount in minor units as people read it: 250 XTR → "250 ⭐", 499 eur → "4.99 EUR"."""
    if currency.upper() == STARS:
        return f"{amount} ⭐"
    return f"{amount / 100:.2f} {currency.upper()}"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--at: not an ISO 8601 time (got {text!r}), e.g. 2026-03-10T12:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_format(output: str) -> None:
    if output not in ("human", "json"):
        raise fail(f"--format must be human or json (got {output!r})")


def _grant(record: PaymentRecord) -> str:
    parts = []
    if record.vip_granted:
        parts.append(f"VIP +{record.vip_granted.total_seconds() / 86400:g}d")
    if record.points:
        parts.append(f"+{record.points} pts")
    return ", ".join(parts)


def show_table(records: list[PaymentRecord]) -> None:
    table = Table("when", "provider", "charge", "user", "product", "amount", "status", "granted")
    for r in records:
        status = r.status if r.status != "refunded" else f"[red]refunded[/] {_when(r.refunded_at)}"
        table.add_row(
            _when(r.created_at),
            r.provider,
            escape(r.charge_id),
            str(r.user_id),
            escape(r.product_id),
            money(r.amount, r.currency),
            status,
            _grant(r),
        )
    console.print(table)


def show_record(record: PaymentRecord) -> None:
    console.print(f"[bold]{escape(record.provider)} {escape(record.charge_id)}[/]", highlight=False)
    fields = [
        ("status", record.status),
        ("user", str(record.user_id)),
        ("product", record.product_id),
        ("amount", money(record.amount, record.currency)),
        ("order", record.order_id or ""),
        ("paid at", _when(record.created_at)),
        ("VIP granted", f"{_when(record.vip_from)} → {_when(record.vip_to)}" if record.vip_to else ""),
        ("points granted", str(record.points) if record.points else ""),
        ("refunded", f"{_when(record.refunded_at)} by {record.refunded_by}" if record.refunded_at else ""),
        ("points not taken back", str(record.shortfall) if record.shortfall else ""),
    ]
    for name, value in fields:
        if value:
            console.print(f"  {name}: {escape(value)}", highlight=False)
    console.print("  provider record:", highlight=False)
    console.print_json(json.dumps(record.raw, default=str))


def show_stats(stats: Stats) -> None:
    console.print(f"[bold]Stats[/] at {stats.at.strftime('%Y-%m-%d %H:%M')} UTC", highlight=False)
    players = f"players today {stats.players_today}, 7 days {stats.players_7d}"
    console.print(f"  {players}, new this week {stats.new_users_7d}", highlight=False)
    console.print(f"  decisions today {stats.decisions_today}, 7 days {stats.decisions_7d}", highlight=False)
    revenue = ", ".join(money(amount, currency) for currency, amount in stats.revenue.items())
    console.print(f"  revenue (7 days, refunds left out): {revenue or 'none yet'}", highlight=False)
    if stats.top_choices:
        console.print("  top choices:", highlight=False)
        for scene, choice, count in stats.top_choices:
            console.print(f"    {escape(scene)} → {escape(choice)}: {count}", highlight=False)


class NotReadyError(Exception):
    """The database cannot answer yet (unreachable, or not migrated to this code's schema)."""


async def _database_ready(database: Database) -> None:
    try:
        revision, head = await current(database)
    except (OSError, SQLAlchemyError) as exc:
        raise NotReadyError(f"cannot read the database: {exc}") from None
    if revision != head:
        raise NotReadyError(
            f"the database is at revision {revision or 'none'}, this code needs {head}: "
            "run 'diana db upgrade'"
        )


def _run(work: Callable[[Database], Awaitable[T]], settings: Settings) -> T:
    """Open the database, check it is migrated, run ``work``; exit 2 with one line when it cannot."""

    async def run() -> T:
        async with open_database(settings) as database:
            await _database_ready(database)
            return await work(database)

    try:
        return asyncio.run(run())
    except NotReadyError as exc:
        raise fail(str(exc)) from None


def register(app: typer.Typer, settings_factory: Callable[[], Settings]) -> None:
    """Attach ``payments`` and ``stats`` to the main app."""
    payments_app = typer.Typer(
        help="Payment records (Telegram Stars and Stripe): list and inspect.", no_args_is_help=True
    )
    app.add_typer(payments_app, name="payments")

    @payments_app.command("list")
    def list_command(
        user: int | None = typer.Option(None, "--user", "-u", help="Only this player's (Telegram user id)."),
        limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000, help="How many, newest first."),
        output: str = typer.Option("human", "--format", "-f", help=FORMAT_HELP),
    ) -> None:
        """List payments, newest first.

        Each row: when, provider, charge id, player, product, amount, status, and what was granted.
        Amounts are in each currency's units (Stars; cents shown as 4.99 EUR).

        Exit 0 (also when there are none), 2 if the database cannot answer.
        Example: [bold]diana payments list --user 12345 -f json[/]
        """
        _check_format(output)

        async def work(database: Database) -> list[PaymentRecord]:
            return await list_payments(database, user_id=user, limit=limit)

        records = _run(work, settings_factory())
        if output == "json":
            print(json.dumps({"payments": [r.to_dict() for r in records]}, ensure_ascii=False))
            return
        if not records:
            console.print("no payments yet" if user is None else f"no payments by user {user}")
            return
        show_table(records)

    @payments_app.command("show")
    def show_command(
        charge_id: str = typer.Argument(..., help="The provider's charge id (as in `diana payments list`)."),
        provider: str | None = typer.Option(None, "--provider", "-p", help="telegram or stripe."),
        output: str = typer.Option("human", "--format", "-f", help=FORMAT_HELP),
    ) -> None:
        """Show one payment in full, with the provider's own record of it.

        Exit 0 when found, 1 when no payment has this charge id, 2 if the database cannot answer.
        """
        _check_format(output)

        async def work(database: Database) -> list[PaymentRecord]:
            return await find_payments(database, charge_id, provider)

        records = _run(work, settings_factory())
        if output == "json":
            print(json.dumps({"payments": [r.to_dict(raw=True) for r in records]}, ensure_ascii=False))
        elif not records:
            errors.print(f"[bold red]diana:[/] no payment with charge id {escape(charge_id)!r}")
        for record in records if output != "json" else []:
            show_record(record)
        raise typer.Exit(0 if records else 1)

    @app.command("stats")
    def stats_command(
        at: str = typer.Option(
            "", "--at", help="The figures as of this time (ISO 8601, UTC unless it says; default: now)."
        ),
        output: str = typer.Option("human", "--format", "-f", help=FORMAT_HELP),
    ) -> None:
        """The bot's /stats figures: players, decisions, top choices, revenue.

        Players and decisions today and over 7 days, the most taken choices, and revenue per currency
        over 7 days (completed payments; refunded ones left out). Exit 0; 2 if the database cannot answer.

        Read-only and not audited (the bot's /stats is audited because a person in the chat ran it).
        """
        _check_format(output)
        when = _moment(at) if at else None

        async def work(database: Database) -> Stats:
            return await AdminService(database).stats(when)

        figures = _run(work, settings_factory())
        if output == "json":
            print(json.dumps(figures.to_dict(), ensure_ascii=False))
            return
        show_stats(figures)
