"""ProfileService.profile and .leaderboard on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.profile import LeaderboardEntry, ProfileService
from engine.store.database import Database
from engine.store.players import PlayerStore, UserInfo
from engine.store.tables import user_achievements
from tests.services.support import (
    ANA,
    BEA,
    CLARA,
    DANI,
    NOON,
    clock,
    play_service,
    register,
    set_gamification,
    set_user,
)


def profiles(database: Database, bundle: Bundle, at: FixedClock) -> ProfileService:
    return ProfileService(database, StaticContent(bundle), at)


async def test_unknown_player_has_no_profile(database: Database, example_bundle: Bundle) -> None:
    assert await profiles(database, example_bundle, clock()).profile(404) is None


async def test_profile_of_a_new_player(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    started = await play_service(database, example_bundle, at).start(ANA)
    assert started.view is not None
    profile = await profiles(database, example_bundle, at).profile(ANA.id)
    assert profile is not None
    assert profile.first_name == "Ana"
    assert profile.points == started.view.points == 50  # the welcome reward
    assert profile.total_earned == 50
    assert (profile.level, profile.next_level_at) == (1, 100)
    assert profile.level_name == {"es": "Desconocido", "en": "Stranger"}
    assert (profile.streak, profile.last_checkin) == (0, None)
    assert (profile.vip_until, profile.vip_active) == (None, False)
    assert profile.achievements == []
    assert profile.chapters_done == []
    json.dumps(profile.to_dict())


async def test_profile_reads_level_vip_achievements_and_chapters(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    await register(database, ANA, at.now())
    await set_gamification(database, ANA.id, balance=20, total_earned=350, vip_until=NOON + timedelta(days=3))
    async with database.transaction() as conn:
        await conn.execute(
            sa.insert(user_achievements),
            [
                {"user_id": ANA.id, "achievement_id": "constancia", "tier": "bronze", "unlocked_at": NOON},
                {
                    "user_id": ANA.id,
                    "achievement_id": "primer_beso",
                    "tier": "",
                    "unlocked_at": NOON + timedelta(minutes=1),
                },
            ],
        )
        store = PlayerStore()
        await store.progress(conn, ANA.id, "encuentro", NOON)
        await store.progress(conn, ANA.id, "encuentro", NOON, completed=True, ending="good")
        await store.progress(conn, ANA.id, "carta", NOON)  # started, not finished
    service = profiles(database, example_bundle, at)
    profile = await service.profile(ANA.id)
    assert profile is not None
    assert (profile.points, profile.total_earned, profile.level) == (20, 350, 3)
    assert profile.level_name["en"] == "Confidant"
    assert profile.next_level_at == 700
    assert profile.vip_active
    assert profile.vip_until == NOON + timedelta(days=3)
    assert [(a.id, a.tier, a.unlocked_at) for a in profile.achievements] == [
        ("constancia", "bronze", NOON),
        ("primer_beso", "", NOON + timedelta(minutes=1)),
    ]
    assert profile.chapters_done == ["encuentro"]
    at.advance(days=4)
    expired = await service.profile(ANA.id)
    assert expired is not None and not expired.vip_active
    assert json.loads(json.dumps(expired.to_dict()))["achievements"][0]["id"] == "constancia"


async def test_profile_streak_drops_to_zero_once_broken(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await register(database, ANA, at.now())
    service = profiles(database, example_bundle, at)
    await service.checkin(ANA.id)
    at.advance(days=1)
    await service.checkin(ANA.id)
    profile = await service.profile(ANA.id)
    assert profile is not None and profile.streak == 2
    at.advance(days=2)  # one missed day: still inside grace
    profile = await service.profile(ANA.id)
    assert profile is not None and profile.streak == 2
    at.advance(days=1)  # two missed days
    profile = await service.profile(ANA.id)
    assert profile is not None and profile.streak == 0
    assert profile.last_checkin is not None and profile.last_checkin.isoformat() == "2026-03-11"


async def _players(database: Database, totals: dict[UserInfo, int]) -> None:
    for user, total in totals.items():
        await register(database, user, NOON)
        await set_gamification(database, user.id, total_earned=total, balance=total)


async def test_leaderboard_orders_by_total_then_id(database: Database, example_bundle: Bundle) -> None:
    await _players(database, {ANA: 100, BEA: 300, CLARA: 100, DANI: 50})
    board = await profiles(database, example_bundle, clock()).leaderboard(CLARA.id)
    assert board.entries == [
        LeaderboardEntry(1, BEA.id, "Bea", 300),
        LeaderboardEntry(2, ANA.id, "Ana", 100),  # a tie: the lower id first
        LeaderboardEntry(3, CLARA.id, "Clara", 100),
        LeaderboardEntry(4, DANI.id, "Dani", 50),
    ]
    assert board.own == LeaderboardEntry(3, CLARA.id, "Clara", 100)
    assert board.own_rank == 3
    assert json.loads(json.dumps(board.to_dict()))["own"]["rank"] == 3


async def test_own_rank_outside_the_top(database: Database, example_bundle: Bundle) -> None:
    await _players(database, {ANA: 100, BEA: 300, CLARA: 200, DANI: 50})
    board = await profiles(database, example_bundle, clock()).leaderboard(DANI.id, limit=2)
    assert [e.user_id for e in board.entries] == [BEA.id, CLARA.id]
    assert board.own == LeaderboardEntry(4, DANI.id, "Dani", 50)


async def test_banned_players_are_not_ranked(database: Database, example_bundle: Bundle) -> None:
    await _players(database, {ANA: 100, BEA: 300, CLARA: 200})
    await set_user(database, BEA.id, banned=True)
    service = profiles(database, example_bundle, clock())
    board = await service.leaderboard(ANA.id)
    assert [(e.rank, e.user_id) for e in board.entries] == [(1, CLARA.id), (2, ANA.id)]
    assert board.own_rank == 2
    assert (await service.leaderboard(BEA.id)).own is None


async def test_unknown_player_sees_the_board_without_a_rank(
    database: Database, example_bundle: Bundle
) -> None:
    await _players(database, {ANA: 10})
    board = await profiles(database, example_bundle, clock()).leaderboard(404)
    assert [e.user_id for e in board.entries] == [ANA.id]
    assert board.own is None and board.own_rank is None
