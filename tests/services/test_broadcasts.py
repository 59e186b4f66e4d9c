"""Broadcasts on SQLite and PostgreSQL: batches after a cursor, resumed after a restart, one sender."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from engine.services.admin import AdminService
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import audit_log, broadcasts, metadata
from tests.services.support import NOON, clock, register, set_user

PLAYERS = [UserInfo(100 + n, f"P{n}") for n in range(1, 11)]  # ids 101..110


async def players(database: Database) -> None:
    for user in PLAYERS:
        await register(database, user, NOON - timedelta(days=1))


async def send_all(
    admin: AdminService, broadcast_id: int, inbox: list[int], *, size: int, stop_after: int | None = None
) -> None:
    """What the bot's sender does, minus Telegram: batch, 'send', record; ``stop_after`` simulates a crash."""
    batches = 0
    while batch := await admin.next_batch(broadcast_id, size):
        inbox.extend(batch)
        await admin.record_batch(broadcast_id, batch[-1], sent=len(batch), failed=0)
        batches += 1
        if stop_after is not None and batches == stop_after:
            return
    await admin.finish(broadcast_id)


async def test_batches_skip_banned_players_in_id_order(database: Database) -> None:
    await players(database)
    await set_user(database, 103, banned=True)
    admin = AdminService(database, clock())
    bid = await admin.create_broadcast("Nuevo capítulo", actor="tg:1")
    assert await admin.running() == [bid]
    assert await admin.next_batch(bid, 4) == [101, 102, 104, 105]
    assert await admin.record_batch(bid, 105, sent=3, failed=1)
    assert await admin.next_batch(bid, 4) == [106, 107, 108, 109]
    info = await admin.broadcast(bid)
    assert info is not None
    assert (info.status, info.cursor, info.sent, info.failed) == ("running", 105, 3, 1)


async def test_a_restart_resumes_after_the_cursor_without_resending(database: Database) -> None:
    await players(database)
    at = clock()
    first = AdminService(database, at)
    bid = await first.create_broadcast("Hola", actor="tg:1")
    inbox: list[int] = []
    await send_all(first, bid, inbox, size=3, stop_after=2)  # the process dies after 6 recipients
    assert inbox == [101, 102, 103, 104, 105, 106]

    restarted = AdminService(database, at)  # a new process on the same database
    assert await restarted.running() == [bid]
    await send_all(restarted, bid, inbox, size=3)
    assert inbox == [u.id for u in PLAYERS]  # everyone once, nobody twice
    info = await restarted.broadcast(bid)
    assert info is not None
    assert (info.status, info.cursor, info.sent, info.failed) == ("done", 110, 10, 0)
    assert info.finished_at == NOON
    assert await restarted.running() == []
    assert await restarted.next_batch(bid, 3) == []


async def test_recording_a_batch_twice_counts_it_once(database: Database) -> None:
    await players(database)
    admin = AdminService(database, clock())
    bid = await admin.create_broadcast("Hola", actor="tg:1")
    batch = await admin.next_batch(bid, 5)
    assert await admin.record_batch(bid, batch[-1], sent=5, failed=0)
    assert not await admin.record_batch(bid, batch[-1], sent=5, failed=0)  # a retried request
    assert not await admin.record_batch(bid, 102, sent=1, failed=0)  # never backwards
    info = await admin.broadcast(bid)
    assert info is not None and (info.cursor, info.sent) == (105, 5)


async def test_players_who_join_later_are_not_recipients(database: Database) -> None:
    await players(database)
    at = clock()
    admin = AdminService(database, at)
    bid = await admin.create_broadcast("Hola", actor="tg:1")
    at.advance(minutes=5)
    await register(database, UserInfo(999, "Late"), at.now())
    await register(database, UserInfo(50, "Late too"), at.now())
    assert await admin.next_batch(bid, 100) == [u.id for u in PLAYERS]


async def test_cancel_stops_the_sender(database: Database) -> None:
    await players(database)
    admin = AdminService(database, clock())
    bid = await admin.create_broadcast("Oops", actor="tg:1")
    await admin.record_batch(bid, 102, sent=2, failed=0)
    assert await admin.cancel(bid, actor="tg:2")
    assert await admin.next_batch(bid, 5) == []
    assert not await admin.record_batch(bid, 105, sent=3, failed=0)
    assert not await admin.finish(bid)
    assert not await admin.cancel(bid, actor="tg:2")
    assert await admin.running() == []
    info = await admin.broadcast(bid)
    assert info is not None and info.status == "cancelled"
    a = audit_log.c
    async with database.connect() as conn:
        logged = (await conn.execute(sa.select(a.actor, a.action, a.subject, a.details).order_by(a.id))).all()
    assert [tuple(r) for r in logged] == [
        ("tg:1", "broadcast.create", f"broadcast:{bid}", {"length": 4}),
        ("tg:2", "broadcast.cancel", f"broadcast:{bid}", {"sent": 2, "failed": 0}),
    ]


async def test_only_one_sender_holds_a_broadcast(database: Database) -> None:
    """Every replica sees running() after a deploy; the lease lets one of them send."""
    await players(database)
    at = clock()
    replica_a, replica_b = AdminService(database, at), AdminService(database, at)
    bid = await replica_a.create_broadcast("Hola", actor="tg:1")
    assert await replica_a.claim(bid, "bot-a", lease=timedelta(seconds=60))
    assert not await replica_b.claim(bid, "bot-b", lease=timedelta(seconds=60))
    assert await replica_a.record_batch(bid, 103, sent=3, failed=0, owner="bot-a")
    assert not await replica_b.record_batch(bid, 106, sent=3, failed=0, owner="bot-b")
    at.advance(seconds=61)  # bot-a died and its lease ran out
    assert await replica_b.claim(bid, "bot-b")
    assert await replica_b.next_batch(bid, 2) == [104, 105]
    assert not await replica_a.record_batch(bid, 106, sent=3, failed=0, owner="bot-a")  # came back late
    assert await replica_b.record_batch(bid, 105, sent=2, failed=0, owner="bot-b")
    assert await replica_a.claim(bid, "bot-a") is False
    assert await replica_b.finish(bid)
    assert not await replica_b.claim(bid, "bot-b")  # done: nothing to claim


async def test_broadcast_text_is_checked(database: Database) -> None:
    admin = AdminService(database, clock())
    with pytest.raises(ValueError, match="text"):
        await admin.create_broadcast("   ", actor="tg:1")
    with pytest.raises(ValueError, match="4096"):
        await admin.create_broadcast("x" * 4097, actor="tg:1")
    assert await admin.broadcast(1) is None
    assert await admin.next_batch(1, 10) == []
    assert await admin.running() == []


async def test_the_migration_matches_the_table_definition(database: Database) -> None:
    """migrations/versions/0003 creates exactly engine.store.tables.broadcasts, on both dialects."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, metadata) if "broadcasts" in repr(d)]

    async with database.connect() as conn:
        assert await conn.run_sync(differences) == []
        await conn.execute(sa.select(broadcasts.c.cursor).limit(1))
