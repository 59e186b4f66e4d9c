"""Outbox → relay → bus → consumer groups, on SQLite and PostgreSQL, against the real Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.bus.base import BusEvent
from engine.bus.boards import member
from engine.bus.consumers import AnalyticsConsumer, LeaderboardConsumer, NotificationConsumer
from engine.bus.memory import InProcessBus
from engine.bus.redis_streams import RedisStreamBus
from engine.bus.relay import Relay, RelayTuning
from engine.content.bundle import Bundle
from engine.services.content import StaticContent
from engine.services.leaderboards import ALL_TIME, THIS_WEEK, Board, LeaderboardService
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.tables import outbox
from tests.bus.conftest import RedisSpace
from tests.bus.support import complete_chapter, consume_all, unpublished
from tests.services.support import ANA, BEA, CLARA, DANI, NOON, clock, play_service, set_user


def services(database: Database, bundle: Bundle, space: RedisSpace | None, at: object) -> LeaderboardService:
    profiles = ProfileService(database, StaticContent(bundle), at)  # type: ignore[arg-type]
    client = space.client if space is not None else None
    keys = space.keys if space is not None else None
    return LeaderboardService(database, profiles, client, keys=keys, clock=at)  # type: ignore[arg-type]


async def test_boards_from_redis_equal_the_database(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    profiles = ProfileService(database, StaticContent(example_bundle), at)
    for user in (ANA, BEA, CLARA, DANI):
        await play.start(user)
    at.advance(days=1)
    await profiles.checkin(BEA.id)  # Bea earns more than the rest
    await complete_chapter(database, CLARA.id, "encuentro", NOON + timedelta(hours=1), 1)
    await complete_chapter(database, ANA.id, "encuentro", NOON + timedelta(hours=2), 1)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    relay = Relay(database, bus, clock=at)
    published = await relay.drain()
    assert published > 0 and await unpublished(database) == 0
    applied = await consume_all(bus, LeaderboardConsumer(redis_space.client, redis_space.keys))
    assert applied == published

    boards = services(database, example_bundle, redis_space, at)
    fallback = services(database, example_bundle, None, at)
    for board in (ALL_TIME, THIS_WEEK, Board("chapter", "encuentro")):
        from_redis = await boards.top(ANA.id, board)
        from_db = await fallback.top(ANA.id, board)
        assert (from_redis.source, from_db.source) == ("redis", "database")
        assert from_redis.entries == from_db.entries, board
        assert from_redis.own == from_db.own, board
    top = await boards.top(DANI.id)
    assert top.entries[0].user_id == BEA.id and top.entries[0].score > top.entries[1].score
    chapter = await boards.top(DANI.id, Board("chapter", "encuentro"))
    assert [e.user_id for e in chapter.entries] == [CLARA.id, ANA.id]  # the earlier completion first
    assert chapter.own is None  # Dani has not completed it


async def test_a_republished_batch_is_counted_once(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    """The relay published, then failed before marking: the rows go out again, the boards move once."""
    at = clock()
    await play_service(database, example_bundle, at).start(ANA)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)

    def die(_events: list[BusEvent]) -> None:
        raise ConnectionResetError("lost the database between publishing and marking")

    with pytest.raises(ConnectionResetError):
        await Relay(database, bus, clock=at, after_publish=die).relay_once()
    backlog = await unpublished(database)
    assert backlog > 0  # nothing marked: the transaction rolled back
    assert await Relay(database, bus, clock=at).drain() == backlog
    consumer = LeaderboardConsumer(redis_space.client, redis_space.keys)
    assert await consume_all(bus, consumer) == 2 * backlog  # every event delivered twice...
    score = await redis_space.client.zscore(redis_space.keys.all_time(), member(ANA.id))
    assert -score == 50  # ...and counted once: the welcome reward


async def test_a_dead_consumers_pending_events_are_claimed_and_applied_once(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    at = clock()
    await play_service(database, example_bundle, at).start(ANA)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    await Relay(database, bus, clock=at).drain()
    consumer = LeaderboardConsumer(redis_space.client, redis_space.keys)
    await bus.ensure_group(consumer.group)
    # "dead" read the events and applied them, and died before XACK.
    taken = await bus.read(consumer.group, "dead", 100, 0)
    await consumer.apply([d.event for d in taken])
    assert await bus.pending(consumer.group) == len(taken) > 0
    from engine.bus.runner import ConsumerRunner, RunnerTuning

    survivor = ConsumerRunner(bus, consumer, name="alive", tuning=RunnerTuning(claim_idle_ms=0, block_ms=0))
    assert await survivor.claim() == len(taken)
    assert await bus.pending(consumer.group) == 0
    score = await redis_space.client.zscore(redis_space.keys.all_time(), member(ANA.id))
    assert -score == 50


async def test_analytics_counts_events_per_type_and_day_once(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    at = clock()
    await play_service(database, example_bundle, at).start(ANA)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    await Relay(database, bus, clock=at).drain()
    async with database.connect() as conn:
        types = [str(t) for t in await conn.scalars(sa.select(outbox.c.type))]
    consumer = AnalyticsConsumer(redis_space.client, redis_space.keys)
    await consume_all(bus, consumer)
    await consumer.apply([d.event for d in await bus.read_own_pending(consumer.group, "c1", 100)])
    expected = {t: types.count(t) for t in sorted(set(types))}
    assert await consumer.day(NOON.date().isoformat()) == expected


async def test_rebuild_swaps_in_the_database_boards_and_pending_events_are_not_counted_twice(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    for user in (ANA, BEA):
        await play.start(user)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    await Relay(database, bus, clock=at).drain()
    await redis_space.client.zadd(redis_space.keys.all_time(), {"garbage": -999})
    boards = services(database, example_bundle, redis_space, at)
    report = await boards.rebuild()
    assert report.boards[redis_space.keys.all_time()] == 2 and report.marked > 0
    # The events were published but not yet consumed when the snapshot was taken: consuming them now
    # must not add them on top of the rebuilt board.
    await consume_all(bus, LeaderboardConsumer(redis_space.client, redis_space.keys))
    fallback = services(database, example_bundle, None, at)
    for board in (ALL_TIME, THIS_WEEK):
        assert (await boards.top(ANA.id, board)).entries == (await fallback.top(ANA.id, board)).entries
    assert await redis_space.client.zscore(redis_space.keys.all_time(), "garbage") is None


async def test_banned_players_are_left_out_of_the_redis_board_like_the_database(
    database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    for user in (ANA, BEA, CLARA):
        await play.start(user)
    await ProfileService(database, StaticContent(example_bundle), at).checkin(ANA.id)
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    await Relay(database, bus, clock=at).drain()
    await consume_all(bus, LeaderboardConsumer(redis_space.client, redis_space.keys))
    await set_user(database, ANA.id, banned=True)
    redis_view = await services(database, example_bundle, redis_space, at).top(CLARA.id)
    db_view = await services(database, example_bundle, None, at).top(CLARA.id)
    assert ANA.id not in [e.user_id for e in redis_view.entries]
    assert redis_view.entries == db_view.entries and redis_view.own == db_view.own


async def test_in_process_bus_delivers_notifications_once(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await play_service(database, example_bundle, at).start(ANA)
    async with database.transaction() as conn:
        await conn.execute(
            sa.insert(outbox).values(
                event_id="ach:1",
                user_id=ANA.id,
                type="achievement_unlocked",
                payload={"type": "achievement_unlocked", "data": {"achievement": "primer_paso", "tier": ""}},
                created_at=at.now(),
            )
        )
    bus = InProcessBus()
    sent: list[BusEvent] = []

    async def notify(event: BusEvent) -> None:
        sent.append(event)

    consumer = NotificationConsumer(notify)
    await bus.ensure_group(consumer.group)
    relay = Relay(database, bus, clock=at, tuning=RelayTuning(batch=2))
    await relay.drain()
    await consume_all(bus, consumer)
    await consumer.apply([d.event for d in await bus.claim_stale(consumer.group, "c2", 0, 100)])
    await bus.publish([sent[0]])  # published again (a relay crash): not sent again
    await consume_all(bus, consumer)
    assert [(e.event_id, e.user_id) for e in sent] == [("ach:1", ANA.id)]


async def test_outbox_cleanup_deletes_only_old_published_rows(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    await play_service(database, example_bundle, at).start(ANA)
    relay = Relay(database, InProcessBus(), clock=at, tuning=RelayTuning(retention=timedelta(days=7)))
    published = await relay.drain()
    await play_service(database, example_bundle, at).start(BEA)  # unpublished: kept whatever its age
    at.advance(days=8)
    assert await relay.cleanup() == published
    assert await unpublished(database) > 0
    assert await relay.backlog() == await unpublished(database)
