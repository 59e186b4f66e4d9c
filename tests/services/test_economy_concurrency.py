"""Many concurrent awards for one player, and streaks across timezones and a DST change.

On PostgreSQL the tasks really run in parallel on separate connections and race for the player's row
lock; on SQLite they queue on the database lock. Either way: the ledger sums to the balance, the
``balance_after`` chain holds, and the daily cap is never exceeded.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from engine.content.bundle import Bundle, RuleSpec
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.ledger import LedgerService
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import points_transactions
from tests.services.support import ANA, gamification, play_service, register, set_user

CAP = 100


def capped_bundle(bundle: Bundle) -> Bundle:
    """Every scene entered earns 40 (a restart enters one), a check-in 10, a referral 25; cap 100."""
    rules = (
        RuleSpec("entra", "scene_entered", 40),
        RuleSpec("visita", "daily_checkin", 10),
        RuleSpec("invita", "referral_joined", 25),
    )
    return replace(bundle, rewards=replace(bundle.rewards, rules=rules, daily_cap=CAP))


async def earned_on(database: Database, user_id: int) -> int:
    t = points_transactions.c
    async with database.connect() as conn:
        total = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(t.amount), 0)).where(
                t.user_id == user_id, t.kind == "earn"
            )
        )
    return int(total or 0)


async def test_concurrent_decisions_checkins_and_referrals_keep_the_ledger_and_the_cap(
    database: Database, example_bundle: Bundle
) -> None:
    bundle = capped_bundle(example_bundle)
    at = FixedClock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    play = play_service(database, bundle, at)
    profiles = ProfileService(database, StaticContent(bundle), at)
    await play.start(ANA)  # enters the first scene: 40
    newcomers = [UserInfo(9_100_000 + n, f"N{n}", referred_by=ANA.id) for n in range(6)]
    tasks = [play.restart(ANA.id) for _ in range(12)]
    tasks += [profiles.checkin(ANA.id) for _ in range(6)]
    tasks += [play.start(user) for user in newcomers]
    await asyncio.gather(*tasks)
    row = await gamification(database, ANA.id)
    assert row.economy["earned_today"] == CAP == await earned_on(database, ANA.id)
    assert row.balance == row.total_earned == CAP
    assert (await LedgerService(database).verify()).ok
    checkins = [k for k in await keys(database, ANA.id) if k.startswith("checkin:")]
    assert len(checkins) <= 1  # once per day, whoever won the race (the cap may have left nothing)
    # The next day the cap starts again; still exactly the ledger.
    at.advance(days=1)
    await asyncio.gather(*(play.restart(ANA.id) for _ in range(5)), profiles.checkin(ANA.id))
    row = await gamification(database, ANA.id)
    assert row.economy["earned_today"] == CAP
    assert row.balance == 2 * CAP == await earned_on(database, ANA.id)
    assert (await LedgerService(database).verify()).ok


async def keys(database: Database, user_id: int) -> list[str]:
    t = points_transactions.c
    async with database.connect() as conn:
        return list(await conn.scalars(sa.select(t.idempotency_key).where(t.user_id == user_id)))


async def streak_days(
    database: Database, bundle: Bundle, timezone: str, moments: list[datetime]
) -> list[tuple[str, int, date | None]]:
    at = FixedClock(moments[0])
    await register(database, ANA, at.now())
    await set_user(database, ANA.id, timezone=timezone)
    service = ProfileService(database, StaticContent(bundle), at)
    results = []
    for moment in moments:
        at.current = moment
        result = await service.checkin(ANA.id)
        results.append((result.outcome, result.streak, result.day))
    return results


async def test_streak_across_the_october_dst_change_in_madrid(
    database: Database, example_bundle: Bundle
) -> None:
    """Europe/Madrid leaves summer time on Sunday 25 October 2026 (03:00 CEST → 02:00 CET): that
    local day has 25 hours. Days follow the wall clock, not 24-hour blocks of UTC."""
    bundle = replace(example_bundle, rewards=replace(example_bundle.rewards, grace_days=0))
    utc = [
        datetime(2026, 10, 24, 21, 30, tzinfo=UTC),  # 23:30 CEST on the 24th
        datetime(2026, 10, 24, 22, 10, tzinfo=UTC),  # 00:10 CEST on the 25th: same UTC day, new local day
        datetime(2026, 10, 25, 22, 50, tzinfo=UTC),  # 23:50 CET on the 25th, 24 h 40 min later: same day
        datetime(2026, 10, 25, 23, 5, tzinfo=UTC),  # 00:05 CET on the 26th
        datetime(2026, 10, 27, 23, 30, tzinfo=UTC),  # 00:30 on the 28th: the 27th was missed
    ]
    assert await streak_days(database, bundle, "Europe/Madrid", utc) == [
        ("applied", 1, date(2026, 10, 24)),
        ("applied", 2, date(2026, 10, 25)),
        ("already", 2, date(2026, 10, 25)),
        ("applied", 3, date(2026, 10, 26)),
        ("applied", 1, date(2026, 10, 28)),
    ]


async def test_streak_in_mexico_city_follows_its_own_day(database: Database, example_bundle: Bundle) -> None:
    """America/Mexico_City is UTC-6 all year (no DST since 2022): 23:00 there is 05:00 UTC the next day,
    and the US/EU DST weekends change nothing."""
    bundle = replace(example_bundle, rewards=replace(example_bundle.rewards, grace_days=0))
    evening = datetime(2026, 10, 24, 23, tzinfo=UTC) + timedelta(hours=6)  # 23:00 local on the 24th
    utc = [
        evening,
        evening + timedelta(hours=2),  # 01:00 local on the 25th (07:00 UTC)
        evening + timedelta(days=1),  # 23:00 local on the 25th, still the 25th
        evening + timedelta(days=1, hours=1, minutes=30),  # 00:30 local on the 26th
        datetime(2026, 11, 1, 12, tzinfo=UTC),  # 06:00 local on 1 November (US DST ends): a gap
    ]
    assert await streak_days(database, bundle, "America/Mexico_City", utc) == [
        ("applied", 1, date(2026, 10, 24)),
        ("applied", 2, date(2026, 10, 25)),
        ("already", 2, date(2026, 10, 25)),
        ("applied", 3, date(2026, 10, 26)),
        ("applied", 1, date(2026, 11, 1)),
    ]
