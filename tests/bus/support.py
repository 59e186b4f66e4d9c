"""Helpers for the bus tests: players who earn points, draining the relay and the consumers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from engine.bus.base import Consumer, EventBus
from engine.bus.runner import ConsumerRunner, RunnerTuning
from engine.store.database import Database
from engine.store.players import PlayerStore
from engine.store.tables import outbox

FAST = RunnerTuning(count=50, block_ms=0, claim_idle_ms=60_000)


async def consume_all(bus: EventBus, consumer: Consumer, name: str = "c1") -> int:
    """Run a consumer group until it has nothing new (no waiting): the events it handled."""
    await bus.ensure_group(consumer.group)
    runner = ConsumerRunner(bus, consumer, name=name, tuning=FAST)
    total = 0
    while (n := await runner.step(block_ms=0)) > 0:
        total += n
    return total


async def complete_chapter(
    database: Database, user_id: int, chapter: str, when: datetime, number: int
) -> None:
    """What PlayService writes when a player reaches an ending: progress and the outbox event."""
    async with database.transaction() as conn:
        await PlayerStore().progress(conn, user_id, chapter, when, completed=True, ending="good")
        await conn.execute(
            sa.insert(outbox).values(
                event_id=f"{user_id}:end:{number}",
                user_id=user_id,
                type="ending_reached",
                payload={"type": "ending_reached", "chapter": chapter, "scene": f"{chapter}.fin"},
                created_at=when,
            )
        )


async def unpublished(database: Database) -> int:
    async with database.connect() as conn:
        return int(
            await conn.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
            or 0
        )
