"""The daily check-in on SQLite and PostgreSQL: once per local day, streaks, grace, rewards, concurrency."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from engine.content.bundle import Bundle, Predicate, RuleSpec
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.tables import outbox, points_transactions, user_gamification
from tests.services.support import (
    ANA,
    NOON,
    clock,
    count,
    gamification,
    play_service,
    register,
    set_gamification,
    set_user,
)


def profiles(database: Database, bundle: Bundle, at: FixedClock) -> ProfileService:
    return ProfileService(database, StaticContent(bundle), at)


async def ledger(database: Database, user_id: int) -> list[tuple[str, int, int]]:
    """(idempotency key, amount, balance after) of a player's ledger, oldest first."""
    t = points_transactions.c
    async with database.connect() as conn:
        rows = await conn.execute(
            sa.select(t.idempotency_key, t.amount, t.balance_after).where(t.user_id == user_id).order_by(t.id)
        )
        return [(k, int(a), int(b)) for k, a, b in rows]


async def assert_balance_matches_ledger(database: Database, user_id: int) -> None:
    row = await gamification(database, user_id)
    assert row.balance == sum(amount for _, amount, _ in await ledger(database, user_id))


async def test_first_checkin_applies_once_per_day(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await register(database, ANA, at.now())
    service = profiles(database, example_bundle, at)
    first = await service.checkin(ANA.id)
    assert first.applied
    assert (first.streak, first.awarded, first.balance, first.day) == (1, 10, 10, date(2026, 3, 10))
    at.advance(hours=6)
    again = await service.checkin(ANA.id)
    assert again.outcome == "already"
    assert (again.applied, again.streak, again.awarded, again.balance) == (False, 1, 0, 10)
    assert await ledger(database, ANA.id) == [(f"checkin:{ANA.id}:2026-03-10:0", 10, 10)]
    row = await gamification(database, ANA.id)
    assert (row.balance, row.total_earned, row.streak, row.last_checkin) == (10, 10, 1, date(2026, 3, 10))
    assert row.economy["last_checkin"] == "2026-03-10"
    async with database.connect() as conn:
        event = (await conn.execute(sa.select(outbox).where(outbox.c.user_id == ANA.id))).one()
    assert event.event_id == f"checkin:{ANA.id}:2026-03-10"
    assert event.type == "daily_checkin"
    assert event.payload["data"] == {"day": "2026-03-10", "streak": 1}
    assert event.payload["awarded"] == 10


async def test_consecutive_days_grow_the_streak_and_the_bonus(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    await register(database, ANA, at.now())
    service = profiles(database, example_bundle, at)
    results = []
    for _ in range(4):
        results.append(await service.checkin(ANA.id))
        at.advance(days=1)
    # visita_diaria: 10 points + 5 per day of streak beyond the first.
    assert [(r.streak, r.awarded) for r in results] == [(1, 10), (2, 15), (3, 20), (4, 25)]
    assert results[-1].balance == 70
    await assert_balance_matches_ledger(database, ANA.id)
    assert (await gamification(database, ANA.id)).streak == 4


async def test_one_missed_day_is_covered_by_grace_two_are_not(
    database: Database, example_bundle: Bundle
) -> None:
    assert example_bundle.rewards.grace_days == 1
    at = clock()
    await register(database, ANA, at.now())
    service = profiles(database, example_bundle, at)
    assert (await service.checkin(ANA.id)).streak == 1
    at.advance(days=1)
    assert (await service.checkin(ANA.id)).streak == 2
    at.advance(days=2)  # one day missed: grace
    kept = await service.checkin(ANA.id)
    assert (kept.streak, kept.awarded) == (3, 20)
    at.advance(days=3)  # two days missed: broken
    broken = await service.checkin(ANA.id)
    assert (broken.streak, broken.awarded) == (1, 10)


async def test_without_grace_a_missed_day_breaks_the_streak(
    database: Database, example_bundle: Bundle
) -> None:
    strict = replace(example_bundle, rewards=replace(example_bundle.rewards, grace_days=0))
    at = clock()
    await register(database, ANA, at.now())
    service = profiles(database, strict, at)
    await service.checkin(ANA.id)
    at.advance(days=2)
    assert (await service.checkin(ANA.id)).streak == 1


@pytest.mark.parametrize(
    ("timezone", "utc_hour", "local_day"),
    [
        ("Pacific/Kiritimati", 11, date(2026, 3, 11)),  # UTC+14: already tomorrow
        ("America/Los_Angeles", 5, date(2026, 3, 9)),  # UTC-7 in March: still yesterday
    ],
)
async def test_today_is_the_players_local_day(
    database: Database, example_bundle: Bundle, timezone: str, utc_hour: int, local_day: date
) -> None:
    at = clock(datetime(2026, 3, 10, utc_hour, tzinfo=UTC))
    await register(database, ANA, at.now())
    await set_user(database, ANA.id, timezone=timezone)
    service = profiles(database, example_bundle, at)
    first = await service.checkin(ANA.id)
    assert first.day == local_day
    assert (await gamification(database, ANA.id)).last_checkin == local_day


async def test_local_midnight_starts_a_new_day_before_utc_does(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))  # 23:30 on the 10th in Kiritimati
    await register(database, ANA, at.now())
    await set_user(database, ANA.id, timezone="Pacific/Kiritimati")
    service = profiles(database, example_bundle, at)
    assert (await service.checkin(ANA.id)).day == date(2026, 3, 10)
    at.advance(hours=1)  # 10:30 UTC, still the 10th in UTC; the 11th in Kiritimati
    second = await service.checkin(ANA.id)
    assert second.applied
    assert (second.day, second.streak) == (date(2026, 3, 11), 2)
    # A UTC player checking in at the same two instants gets one check-in.
    other = clock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    from tests.services.support import BEA

    await register(database, BEA, other.now())
    utc = profiles(database, example_bundle, other)
    assert (await utc.checkin(BEA.id)).applied
    other.advance(hours=1)
    assert (await utc.checkin(BEA.id)).outcome == "already"


async def test_vip_multiplies_and_the_daily_cap_limits(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await register(database, ANA, at.now())
    await set_gamification(database, ANA.id, vip_until=NOON + timedelta(days=30))
    service = profiles(database, example_bundle, at)
    assert (await service.checkin(ANA.id)).awarded == 15  # 10 x 1.5
    at.advance(days=1)
    await set_gamification(database, ANA.id, vip_until=NOON)  # expired
    today = "2026-03-11"
    row = await gamification(database, ANA.id)
    economy = {**row.economy, "day": today, "earned_today": 495}  # 5 left under the cap of 500
    await set_gamification(database, ANA.id, economy=economy)
    capped = await service.checkin(ANA.id)
    assert capped.applied
    assert capped.awarded == 5
    await assert_balance_matches_ledger(database, ANA.id)


async def test_rule_conditions_read_the_saved_story_state(database: Database, example_bundle: Bundle) -> None:
    extra = (
        RuleSpec("fiel", "daily_checkin", 7, condition=Predicate.from_source("streak >= 2")),
        RuleSpec("curiosa", "daily_checkin", 3, condition=Predicate.from_source("visited('encuentro.mesa')")),
        RuleSpec("nunca", "daily_checkin", 100, condition=Predicate.from_source("confianza >= 10")),
    )
    bundle = replace(
        example_bundle, rewards=replace(example_bundle.rewards, rules=example_bundle.rewards.rules + extra)
    )
    at = clock()
    play = play_service(database, bundle, at)
    started = await play.start(ANA)
    index = [c.key for c in bundle.scenes[bundle.start].choices].index("acercarse")
    moved = await play.choose(ANA.id, started.nonce, index)
    assert moved.view is not None and moved.view.scene == "encuentro.mesa"
    service = profiles(database, bundle, at)
    first = await service.checkin(ANA.id)
    assert first.awarded == 10 + 3  # visita_diaria + curiosa (visited); fiel needs a streak of 2
    at.advance(days=1)
    second = await service.checkin(ANA.id)
    assert second.awarded == 15 + 7 + 3
    keys = [k for k, _, _ in await ledger(database, ANA.id) if k.startswith("checkin:")]
    assert keys == [
        f"checkin:{ANA.id}:2026-03-10:0",
        f"checkin:{ANA.id}:2026-03-10:1",
        f"checkin:{ANA.id}:2026-03-11:0",
        f"checkin:{ANA.id}:2026-03-11:1",
        f"checkin:{ANA.id}:2026-03-11:2",
    ]
    await assert_balance_matches_ledger(database, ANA.id)


async def test_checkin_keeps_the_story_going(database: Database, example_bundle: Bundle) -> None:
    """The check-in's economy (streak, daily counters) is what the next story decision sees."""
    at = clock()
    play = play_service(database, example_bundle, at)
    started = await play.start(ANA)
    service = profiles(database, example_bundle, at)
    checked = await service.checkin(ANA.id)
    moved = await play.choose(ANA.id, started.nonce, 0)
    assert moved.applied
    row = await gamification(database, ANA.id)
    assert row.economy["last_checkin"] == "2026-03-10"
    assert row.streak == 1
    assert row.balance == checked.balance + sum(a.amount for a in moved.awards)
    await assert_balance_matches_ledger(database, ANA.id)


async def test_level_follows_total_earned(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await register(database, ANA, at.now())
    row = await gamification(database, ANA.id)
    await set_gamification(
        database, ANA.id, total_earned=95, economy={**row.economy, "total_earned": 95}, level=1
    )
    await profiles(database, example_bundle, at).checkin(ANA.id)
    row = await gamification(database, ANA.id)
    assert (row.total_earned, row.level) == (105, 2)


@pytest.mark.parametrize("started", [False, True], ids=["no-story", "in-story"])
async def test_concurrent_checkins_apply_once(
    database: Database, example_bundle: Bundle, started: bool
) -> None:
    at = clock()
    if started:
        await play_service(database, example_bundle, at).start(ANA)
    else:
        await register(database, ANA, at.now())
    before = (await gamification(database, ANA.id)).balance
    results = await asyncio.gather(
        *(profiles(database, example_bundle, at).checkin(ANA.id) for _ in range(4))
    )
    assert sorted(r.outcome for r in results) == ["already", "already", "already", "applied"]
    assert {r.balance for r in results} == {before + 10}
    assert await count(database, outbox, type="daily_checkin") == 1
    assert len([k for k, _, _ in await ledger(database, ANA.id) if k.startswith("checkin:")]) == 1
    await assert_balance_matches_ledger(database, ANA.id)


async def test_unknown_and_banned_players_do_not_check_in(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    service = profiles(database, example_bundle, at)
    assert (await service.checkin(404)).outcome == "unknown_user"
    await register(database, ANA, at.now())
    await set_user(database, ANA.id, banned=True)
    banned = await service.checkin(ANA.id)
    assert banned.outcome == "banned"
    assert not banned.applied
    assert await count(database, points_transactions) == 0
    assert await count(database, user_gamification, streak=0) == 1
