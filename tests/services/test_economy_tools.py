"""Ledger tools, flags, preferences and reminders on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from engine.content.bundle import Bundle
from engine.services import reminders as reminders_module
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.flags import FlagRules, FlagService, longest_run
from engine.services.ledger import LedgerService
from engine.services.preferences import PreferencesService, UnknownTimezoneError
from engine.services.profile import ProfileService
from engine.services.reminders import STREAK, VIP, ReminderService, streak_due, usual_hour
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import metadata, points_transactions, user_profiles
from tests.services.support import (
    ANA,
    BEA,
    CLARA,
    NOON,
    clock,
    count,
    gamification,
    play_service,
    register,
    set_gamification,
    set_user,
)


async def test_the_migration_matches_the_tables(database: Database) -> None:
    """migrations/versions/0005 creates exactly the claims and flood_rejections tables."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d for d in compare_metadata(context, metadata) if "claims" in repr(d) or "flood_rej" in repr(d)
        ]

    async with database.connect() as conn:
        assert await conn.run_sync(differences) == []


# -- users show / economy verify ------------------------------------------------------------------


async def test_user_report_shows_balance_and_last_transactions(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    await ProfileService(database, StaticContent(example_bundle), at).checkin(ANA.id)
    ledger = LedgerService(database)
    report = await ledger.user(ANA.id, last=1)
    assert report is not None
    row = await gamification(database, ANA.id)
    assert (report.balance, report.total_earned, report.streak) == (row.balance, row.total_earned, 1)
    assert report.transaction_count == await count(database, points_transactions, user_id=ANA.id) >= 2
    assert len(report.transactions) == 1
    assert report.transactions[0].idempotency_key == f"checkin:{ANA.id}:2026-03-10:0"
    assert report.transactions[0].balance_after == row.balance
    assert report.to_dict()["transactions"][0]["reason"] == "rule:visita_diaria"
    assert await ledger.user(999) is None


async def test_verify_finds_every_kind_of_difference(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    for user in (ANA, BEA, CLARA):
        await play.start(user)
    await ProfileService(database, StaticContent(example_bundle), at).checkin(ANA.id)
    ledger = LedgerService(database)
    clean = await ledger.verify()
    assert clean.ok and clean.players == 3 and clean.transactions >= 4
    # A hand edit to Bea's balance, to Clara's earned total, and a broken chain in Ana's ledger.
    bea = await gamification(database, BEA.id)
    await set_gamification(database, BEA.id, balance=bea.balance + 7)
    clara = await gamification(database, CLARA.id)
    await set_gamification(database, CLARA.id, total_earned=clara.total_earned - 1)
    t = points_transactions.c
    async with database.transaction() as conn:
        last = await conn.scalar(sa.select(sa.func.max(t.id)).where(t.user_id == ANA.id))
        await conn.execute(
            sa.update(points_transactions).where(t.id == last).values(balance_after=t.balance_after + 3)
        )
    found = await ledger.verify()
    assert not found.ok
    assert [(d.user_id, d.check) for d in found.differences] == [
        (ANA.id, "chain"),
        (BEA.id, "balance"),
        (CLARA.id, "total_earned"),
    ]
    chain, balance, earned = found.differences
    assert (chain.transaction, chain.actual - chain.expected) == (last, 3)
    assert (balance.expected, balance.actual) == (bea.balance, bea.balance + 7)
    assert (earned.expected, earned.actual) == (clara.total_earned, clara.total_earned - 1)
    only_bea = await ledger.verify(BEA.id)
    assert [d.check for d in only_bea.differences] == ["balance"] and only_bea.players == 1


# -- flags ----------------------------------------------------------------------------------------


def test_longest_run_of_days() -> None:
    d = date(2026, 3, 1)
    days = {d, d + timedelta(days=1), d + timedelta(days=3), d + timedelta(days=4), d + timedelta(days=5)}
    assert longest_run(days) == (3, d + timedelta(days=5))
    assert longest_run(set()) == (0, None)


async def test_flags_from_capped_days_referrals_and_floods(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    cap = example_bundle.rewards.daily_cap
    assert cap is not None
    # Ana earns the whole cap three days running (rows as the ledger would hold them).
    balance = (await gamification(database, ANA.id)).balance
    async with database.transaction() as conn:
        for day in range(3):
            balance += cap
            await conn.execute(
                sa.insert(points_transactions).values(
                    user_id=ANA.id,
                    amount=cap,
                    kind="earn",
                    reason="rule:decision",
                    event="choice_made",
                    idempotency_key=f"farm:{day}",
                    balance_after=balance,
                    created_at=NOON + timedelta(days=day),
                )
            )
    # Bea brings five new players in one day; Clara gets turned away by the flood guard ten times.
    await play.start(BEA)
    for n in range(5):
        await play.start(UserInfo(8_000_000 + n, f"Alt{n}", referred_by=BEA.id))
    await register(database, CLARA, at.now())
    at.advance(days=2)
    service = FlagService(database, at)
    for _ in range(10):
        await service.record_flood(CLARA.id)
    await service.record_flood(999)  # never started: nothing to record, nothing breaks
    found = await service.flags(cap)
    assert [(f.rule, f.user_id, f.count) for f in found] == [
        ("daily_cap", ANA.id, 3),
        ("referrals", BEA.id, 5),
        ("flood", CLARA.id, 10),
    ]
    assert found[0].day == date(2026, 3, 12) and found[1].day == date(2026, 3, 10)
    # Stricter thresholds, no cap, a banned player: no flags.
    assert await service.flags(None, FlagRules(referrals_per_day=6, flood_bursts=11)) == []
    await set_user(database, ANA.id, banned=True)
    assert [f.rule for f in await service.flags(cap)] == ["referrals", "flood"]


# -- preferences ----------------------------------------------------------------------------------


async def test_timezone_and_reminder_preferences(database: Database) -> None:
    await register(database, ANA, NOON)
    prefs = PreferencesService(database, clock())
    assert (await prefs.get(ANA.id)) is not None
    assert await prefs.set_timezone(ANA.id, "europe/madrid") == "Europe/Madrid"
    assert await prefs.set_timezone(ANA.id, " America/Mexico City ") == "America/Mexico_City"
    with pytest.raises(UnknownTimezoneError) as bad:
        await prefs.set_timezone(ANA.id, "Madrid/Spain")
    assert "Europe/Madrid" in bad.value.suggestions
    with pytest.raises(UnknownTimezoneError) as bad:
        await prefs.set_timezone(ANA.id, "Mars/Olympus")
    assert bad.value.suggestions == []
    current = await prefs.get(ANA.id)
    assert current is not None and (current.timezone, current.reminders) == ("America/Mexico_City", True)
    assert await prefs.set_reminders(ANA.id, False)
    assert await prefs.set_reminders(ANA.id, False)  # idempotent
    current = await prefs.get(ANA.id)
    assert current is not None and current.reminders is False
    assert await count(database, user_profiles, user_id=ANA.id) == 1
    assert await prefs.set_timezone(999, "UTC") is None
    assert not await prefs.set_reminders(999, True)
    assert await prefs.get(999) is None


# -- reminders ------------------------------------------------------------------------------------


def test_usual_hour_is_the_most_common_local_hour() -> None:
    at = datetime(2026, 3, 10, 20, 30, tzinfo=UTC)  # 21:30 in Madrid (CET), 14:30 in Mexico City
    moments = [at, at + timedelta(days=1), at - timedelta(hours=12)]
    assert usual_hour(moments, "Europe/Madrid", 19) == 21
    assert usual_hour(moments, "America/Mexico_City", 19) == 14
    assert usual_hour([], "UTC", 19) == 19
    tie = [datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 8, tzinfo=UTC)]
    assert usual_hour(tie, "UTC", 19) == 8  # ties: the earlier hour
    assert usual_hour(moments, "Not/AZone", 19) == 20  # an unknown zone counts as UTC


def test_streak_due_only_on_the_last_day_from_the_usual_hour() -> None:
    now = datetime(2026, 3, 10, 18, tzinfo=UTC)
    yesterday, before = date(2026, 3, 9), date(2026, 3, 8)
    assert streak_due(now, "UTC", yesterday, 4, 0, 18) == date(2026, 3, 10)
    assert streak_due(now, "UTC", yesterday, 4, 0, 19) is None  # not yet its hour
    assert streak_due(now, "UTC", yesterday, 4, 1, 18) is None  # grace: tomorrow is the last day
    assert streak_due(now, "UTC", before, 4, 1, 18) == date(2026, 3, 10)
    assert streak_due(now, "UTC", date(2026, 3, 10), 4, 0, 0) is None  # checked in today
    assert streak_due(now, "UTC", yesterday, 0, 0, 0) is None
    # 01:00 UTC on the 11th is still the 10th in Mexico City (UTC-6): its last day, hour 19 reached.
    late = datetime(2026, 3, 11, 1, tzinfo=UTC)
    assert streak_due(late, "America/Mexico_City", yesterday, 4, 0, 19) == date(2026, 3, 10)


async def test_streak_and_vip_reminders_once_each(
    database: Database, example_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders_module, "CHUNK", 1)  # the id lists go in chunks: one id each here
    bundle = replace(example_bundle, rewards=replace(example_bundle.rewards, grace_days=0))
    at = FixedClock(datetime(2026, 3, 10, 9, tzinfo=UTC))
    play = play_service(database, bundle, at)
    profiles = ProfileService(database, StaticContent(bundle), at)
    for user in (ANA, BEA, CLARA):
        await play.start(user)
        await profiles.checkin(user.id)  # activity at 09:00 UTC: their usual hour
    await PreferencesService(database, at).set_reminders(CLARA.id, False)
    await set_gamification(database, BEA.id, vip_until=datetime(2026, 3, 13, 6, tzinfo=UTC))
    reminders = ReminderService(database, StaticContent(bundle), at)
    assert [(r.kind, r.user_id) for r in await reminders.due()] == [(VIP, BEA.id)]  # 2 days 21 h away: due
    at.current = datetime(2026, 3, 11, 8, tzinfo=UTC)  # the last day, before the usual hour
    due = await reminders.due()
    assert [(r.kind, r.user_id) for r in due] == [(VIP, BEA.id)]
    assert await reminders.claim(due[0])
    assert not await reminders.claim(due[0])  # a second replica loses
    at.current = datetime(2026, 3, 11, 9, 5, tzinfo=UTC)  # the usual hour: Ana and Bea; Clara opted out
    due = await reminders.due()
    assert [(r.kind, r.user_id, r.streak) for r in due] == [(STREAK, ANA.id, 1), (STREAK, BEA.id, 1)]
    assert due[0].key == f"remind:streak:{ANA.id}:2026-03-11"
    for reminder in due:
        assert await reminders.claim(reminder)
    at.advance(hours=5)
    assert await reminders.due() == []  # once per local day, once per expiry date
    await set_gamification(database, BEA.id, vip_until=datetime(2026, 4, 13, 6, tzinfo=UTC))
    await set_user(database, ANA.id, banned=True)
    at.current = datetime(2026, 4, 11, 12, tzinfo=UTC)  # a renewed pass: its own reminder
    assert [(r.kind, r.user_id) for r in await reminders.due()] == [(VIP, BEA.id)]
    at.current = datetime(2026, 3, 12, 12, tzinfo=UTC)  # the streak is gone: nothing at risk
    assert [r.kind for r in await reminders.due()] == []
