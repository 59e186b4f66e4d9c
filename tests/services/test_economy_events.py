"""Events outside the story on SQLite and PostgreSQL: achievements at the check-in, referral rewards."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.accounts import AccountService
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.tables import player_states, points_transactions, user_achievements
from tests.services.support import (
    ANA,
    BEA,
    CLARA,
    DANI,
    clock,
    gamification,
    play_service,
    register,
    set_gamification,
    set_user,
)


async def keys(database: Database, user_id: int) -> list[tuple[str, int, str]]:
    t = points_transactions.c
    async with database.connect() as conn:
        rows = await conn.execute(
            sa.select(t.idempotency_key, t.amount, t.reason).where(t.user_id == user_id).order_by(t.id)
        )
        return [(k, int(a), str(r)) for k, a, r in rows]


async def achievements(database: Database, user_id: int) -> set[tuple[str, str]]:
    a = user_achievements.c
    async with database.connect() as conn:
        rows = await conn.execute(sa.select(a.achievement_id, a.tier).where(a.user_id == user_id))
        return {(str(x), str(y)) for x, y in rows}


async def test_a_streak_achievement_unlocks_at_the_checkin_that_reaches_it(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    service = ProfileService(database, StaticContent(example_bundle), at)
    results = []
    for _ in range(3):
        results.append(await service.checkin(ANA.id))
        at.advance(days=1)
    assert [r.streak for r in results] == [1, 2, 3]
    # Day 3: 10 + 2x5 streak bonus, then "constancia" bronze unlocks and the "logro" rule pays 5.
    assert results[2].awarded == 25
    assert ("constancia", "bronze") in await achievements(database, ANA.id)
    assert any("Constancia" in notice for notice in results[2].notices)  # Spanish: Ana's language
    async with database.connect() as conn:
        state = await conn.scalar(sa.select(player_states.c.state).where(player_states.c.user_id == ANA.id))
    assert state["achievements"]["constancia"] == "bronze"
    # The next story move does not unlock (nor pay) it again.
    current = await play.current(ANA.id)
    await play.press(ANA.id, current.nonce, "continue")
    rewarded = [k for k, _, reason in await keys(database, ANA.id) if reason == "rule:logro"]
    assert len(rewarded) == 1
    row = await gamification(database, ANA.id)
    assert row.balance == sum(amount for _, amount, _ in await keys(database, ANA.id))


async def test_a_player_without_a_story_state_checks_in_without_achievements(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    await register(database, ANA, at.now())
    service = ProfileService(database, StaticContent(example_bundle), at)
    for _ in range(3):
        result = await service.checkin(ANA.id)
        at.advance(days=1)
    assert result.awarded == 20
    assert await achievements(database, ANA.id) == set()


async def test_a_referral_rewards_the_referrer_once_per_new_player(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    before = (await gamification(database, ANA.id)).balance
    await play.start(replace(BEA, referred_by=ANA.id))
    await play.start(replace(BEA, referred_by=ANA.id))  # the same player again: not new
    ledger = await keys(database, ANA.id)
    assert (f"referral:{BEA.id}:0", 25, "rule:invitacion") in ledger
    assert (await gamification(database, ANA.id)).balance == before + 25
    # An existing player following a link later, and a self-referral, earn nothing.
    await register(database, CLARA, at.now())
    await play.start(replace(CLARA, referred_by=ANA.id))
    await play.start(replace(DANI, referred_by=DANI.id))
    assert (await gamification(database, ANA.id)).balance == before + 25
    # Erasing the referred account and coming back through the link earns nothing twice.
    await AccountService(database, at).erase(BEA.id, actor="test")
    await play.start(replace(BEA, referred_by=ANA.id))
    assert [k for k, _, _ in await keys(database, ANA.id) if k.startswith("referral:")] == [
        f"referral:{BEA.id}:0"
    ]


async def test_a_referral_honours_the_referrers_daily_cap_and_ban(
    database: Database, example_bundle: Bundle
) -> None:
    at = FixedClock(clock().now())
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    row = await gamification(database, ANA.id)
    today = at.now().date().isoformat()
    await set_gamification(database, ANA.id, economy={**row.economy, "day": today, "earned_today": 490})
    await play.start(replace(BEA, referred_by=ANA.id))
    assert (await gamification(database, ANA.id)).balance == row.balance + 10  # 10 left under 500
    await set_user(database, ANA.id, banned=True)
    at.advance(days=1)
    balance = (await gamification(database, ANA.id)).balance
    await play.start(replace(CLARA, referred_by=ANA.id))
    assert (await gamification(database, ANA.id)).balance == balance
    await play.start(replace(DANI, referred_by=999_999_999))  # unknown referrer: nothing breaks
    assert (await play.current(DANI.id)).outcome == "unchanged"
