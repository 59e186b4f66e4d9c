"""`diana payments list/show` and `diana stats`, in-process (typer's runner) on a migrated SQLite file."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.content.api import build_path
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.payments import PaymentService
from engine.store.database import create_database
from engine.store.migrate import upgrade
from tests.conftest import CONTENT
from tests.services.support import ANA, BEA, NOON, register

runner = CliRunner()


async def prepare(url: str, *, migrate: bool = True) -> None:
    """Two players, three payments (one refunded), paid a minute apart from just now."""
    database = create_database(url)
    try:
        if not migrate:
            return
        await upgrade(database)
        clock = FixedClock(NOON)
        _, bundle = build_path(CONTENT)
        pay = PaymentService(database, StaticContent(bundle), clock=clock)
        for user in (ANA, BEA):
            await register(database, user, NOON)
        for charge, user, product, amount, currency in (
            ("stx-1", ANA.id, "vip_30", 250, "XTR"),
            ("stx-2", BEA.id, "besitos_100", 50, "XTR"),
            ("pi_1", ANA.id, "vip_30", 499, "eur"),
        ):
            result = await pay.grant(
                provider="stripe" if charge.startswith("pi_") else "telegram",
                charge_id=charge,
                user_id=user,
                product_id=product,
                amount=amount,
                currency=currency,
                raw={"id": charge},
            )
            assert result.granted
            clock.advance(minutes=1)
        await pay.refund(provider="telegram", charge_id="stx-2", actor="cli:test", raw={})
    finally:
        await database.close()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"sqlite+aiosqlite:///{tmp_path / 'pay.db'}"
    monkeypatch.setenv("DATABASE_URL", value)
    monkeypatch.delenv("DATABASE_SCHEMA", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
    return value


def test_payments_list_and_show(url: str) -> None:
    asyncio.run(prepare(url))
    listed = runner.invoke(app, ["payments", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["payments"]
    assert [(r["charge_id"], r["status"]) for r in rows] == [
        ("pi_1", "completed"),
        ("stx-2", "refunded"),
        ("stx-1", "completed"),
    ]
    assert rows[2]["vip_from"] == NOON.isoformat()
    assert rows[2]["vip_to"] == (NOON + timedelta(days=30)).isoformat()

    mine = json.loads(runner.invoke(app, ["payments", "list", "-u", str(BEA.id), "-f", "json"]).stdout)
    assert [r["charge_id"] for r in mine["payments"]] == ["stx-2"]
    human = runner.invoke(app, ["payments", "list", "--limit", "2"])
    assert human.exit_code == 0 and "pi_1" in human.stdout and "4.99 EUR" in human.stdout
    assert "stx-1" not in human.stdout  # beyond the limit

    shown = runner.invoke(app, ["payments", "show", "stx-2", "-f", "json"])
    assert shown.exit_code == 0
    (record,) = json.loads(shown.stdout)["payments"]
    assert (record["status"], record["refunded_by"], record["raw"]["id"]) == ("refunded", "cli:test", "stx-2")
    human = runner.invoke(app, ["payments", "show", "stx-1"])
    assert human.exit_code == 0 and "250 ⭐" in human.stdout and "VIP granted" in human.stdout

    missing = runner.invoke(app, ["payments", "show", "nope"])
    assert missing.exit_code == 1 and "no payment with charge id 'nope'" in missing.stderr
    assert json.loads(runner.invoke(app, ["payments", "show", "nope", "-f", "json"]).stdout) == {
        "payments": []
    }
    assert runner.invoke(app, ["payments", "show", "stx-1", "--provider", "stripe"]).exit_code == 1
    bad = runner.invoke(app, ["payments", "list", "--format", "xml"])
    assert bad.exit_code == 2 and "--format must be human or json" in bad.stderr


def test_stats_reports_revenue_per_currency(url: str) -> None:
    asyncio.run(prepare(url))
    at = (NOON + timedelta(hours=1)).isoformat()
    result = runner.invoke(app, ["stats", "--at", at, "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["revenue"] == {"XTR": 250, "eur": 499}  # the refunded 50 ⭐ left out
    assert figures["at"] == (NOON + timedelta(hours=1)).isoformat()
    human = runner.invoke(app, ["stats", "--at", "2026-03-10T13:00"])
    assert human.exit_code == 0
    assert "revenue (7 days, refunds left out): 250 ⭐, 4.99 EUR" in human.stdout
    later = json.loads(runner.invoke(app, ["stats", "--at", "2026-03-20", "-f", "json"]).stdout)
    assert later["revenue"] == {}  # a week and more after the payments
    bad = runner.invoke(app, ["stats", "--at", "yesterday"])
    assert bad.exit_code == 2 and "--at: not an ISO 8601 time" in bad.stderr


def test_an_unmigrated_database_is_one_line_and_exit_2(url: str) -> None:
    asyncio.run(prepare(url, migrate=False))
    for args in (["payments", "list"], ["payments", "show", "x"], ["stats"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert "run 'diana db upgrade'" in result.stderr, args
