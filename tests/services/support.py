"""Helpers shared by the service tests: players, a fixed clock, row counts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.play import PlayService
from engine.store.database import Database
from engine.store.players import PlayerStore, UserInfo
from engine.store.tables import user_gamification, users

# Large ids, so a test that looks for "any column equal to the user's id" never trips over a serial id.
ANA = UserInfo(7_000_001, "Ana", language="es")
BEA = UserInfo(7_000_002, "Bea", language="en")
CLARA = UserInfo(7_000_003, "Clara", language="es")
DANI = UserInfo(7_000_004, "Dani", language="es")

NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


def clock(at: datetime = NOON) -> FixedClock:
    return FixedClock(at)


def play_service(database: Database, bundle: Bundle, at: FixedClock) -> PlayService:
    counter = itertools.count(1)
    return PlayService(database, StaticContent(bundle), clock=at, tokens=lambda: f"n{next(counter)}")


async def register(database: Database, user: UserInfo, now: datetime) -> None:
    """A user who exists (as after /start) but has no story state yet."""
    async with database.transaction() as conn:
        await PlayerStore().ensure_user(conn, user, now)


async def count(database: Database, table: sa.Table, **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with database.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def set_user(database: Database, user_id: int, **values: Any) -> None:
    async with database.transaction() as conn:
        await conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


async def set_gamification(database: Database, user_id: int, **values: Any) -> None:
    async with database.transaction() as conn:
        await conn.execute(
            sa.update(user_gamification).where(user_gamification.c.user_id == user_id).values(**values)
        )


async def gamification(database: Database, user_id: int) -> Any:
    async with database.connect() as conn:
        return (
            await conn.execute(sa.select(user_gamification).where(user_gamification.c.user_id == user_id))
        ).one()
