"""Leaderboards: all time, this ISO week, and per chapter completion — from Redis when it is there,
else from the database, which is also what ``diana leaderboard rebuild`` rebuilds Redis from.

The database is the one definition of every board (``_database_board`` and ProfileService.leaderboard
for all time); Redis holds the same boards kept current by the ``leaderboards`` consumer group
(engine.bus.consumers), stored so that Redis' own order is the database's order (engine.bus.boards).
Banned players stay on the Redis boards and are left out when reading, as the database leaves them out.
A Redis failure switches reads to the database for ``retry_after`` seconds: /top never fails for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from redis.exceptions import RedisError

from engine.bus.base import BusEvent
from engine.bus.boards import BoardKeys, completion_score, iso_week, member, user_of
from engine.bus.consumers import LeaderboardConsumer, leaderboard_ops
from engine.bus.once import DEDUPE_TTL
from engine.services.clock import Clock, SystemClock, aware
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.tables import outbox, points_transactions, user_gamification, user_story_progress, users

log = logging.getLogger("diana.leaderboards")
g, u, pt, sp, o = user_gamification.c, users.c, points_transactions.c, user_story_progress.c, outbox.c


@dataclass(frozen=True, slots=True)
class Board:
    """``all`` (points earned ever), ``week`` (earned this ISO week, UTC) or ``chapter`` (who completed
    ``chapter``, earliest first)."""

    kind: str
    chapter: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("all", "week", "chapter"):
            raise ValueError(f"unknown board {self.kind!r}: all, week or chapter")
        if (self.kind == "chapter") != bool(self.chapter):
            raise ValueError("a chapter board needs a chapter, and only a chapter board has one")

    @property
    def lower_is_better(self) -> bool:
        return self.kind == "chapter"

    def key(self, keys: BoardKeys, now: datetime) -> str:
        if self.kind == "all":
            return keys.all_time()
        if self.kind == "week":
            return keys.week(iso_week(now))
        assert self.chapter is not None
        return keys.chapter(self.chapter)


ALL_TIME = Board("all")
THIS_WEEK = Board("week")


class BoardEntry(NamedTuple):
    rank: int
    user_id: int
    first_name: str
    score: int  # points, or for a chapter board the completion time in epoch microseconds


@dataclass(frozen=True, slots=True)
class BoardView:
    board: Board
    entries: list[BoardEntry]
    own: BoardEntry | None
    source: str  # redis | database

    def to_dict(self) -> dict[str, Any]:
        return {
            "board": self.board.kind,
            "chapter": self.board.chapter,
            "source": self.source,
            "entries": [e._asdict() for e in self.entries],
            "own": self.own._asdict() if self.own is not None else None,
        }


@dataclass(frozen=True, slots=True)
class RebuildReport:
    boards: dict[str, int]  # Redis key → members written
    marked: int  # outbox events already counted in the snapshot, marked seen for the consumer
    week: str
    seconds: float
    redis: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "boards": dict(self.boards),
            "marked": self.marked,
            "week": self.week,
            "seconds": round(self.seconds, 3),
        }


def ranked(rows: Iterable[tuple[int, int]], *, lower_is_better: bool) -> list[tuple[int, int]]:
    """The order of every board: by score (higher first, or lower first), then by user id."""
    if lower_is_better:
        return sorted(rows, key=lambda r: (r[1], r[0]))
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def week_start(now: datetime) -> datetime:
    day = now.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


class LeaderboardService:
    def __init__(
        self,
        database: Database,
        profiles: ProfileService,
        redis: Any | None = None,
        *,
        keys: BoardKeys | None = None,
        clock: Clock | None = None,
        retry_after: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = database
        self.profiles = profiles
        self.redis: Any = redis  # redis.asyncio.Redis, or None: the database only
        self.keys = keys or BoardKeys()
        self.clock = clock or SystemClock()
        self.retry_after = retry_after
        self._monotonic = monotonic
        self._redis_down_until = 0.0

    # -- reading -----------------------------------------------------------------------------
    async def top(self, user_id: int, board: Board = ALL_TIME, limit: int = 10) -> BoardView:
        """The top ``limit`` of ``board`` and the player's own entry, from Redis if it answers."""
        if self.redis is not None and self._monotonic() >= self._redis_down_until:
            try:
                return await self._from_redis(user_id, board, limit)
            except (RedisError, OSError) as exc:
                log.warning("leaderboard from Redis failed (%s); using the database", exc)
                self._redis_down_until = self._monotonic() + self.retry_after
        return await self._from_database(user_id, board, limit)

    async def _names_and_banned(self, ids: Iterable[int]) -> tuple[dict[int, str], set[int]]:
        wanted = sorted(set(ids))
        async with self.db.connect() as conn:
            banned = {int(i) for i in await conn.scalars(sa.select(u.id).where(u.banned.is_(True)))}
            names = {}
            if wanted:
                rows = await conn.execute(sa.select(u.id, u.first_name).where(u.id.in_(wanted)))
                names = {int(i): str(n or "") for i, n in rows.all()}
        return names, banned

    def _score(self, board: Board, raw: float) -> int:
        return int(raw) if board.lower_is_better else -int(raw)

    async def _from_redis(self, user_id: int, board: Board, limit: int) -> BoardView:
        key = board.key(self.keys, self.clock.now())
        async with self.db.connect() as conn:
            banned = sorted(int(i) for i in await conn.scalars(sa.select(u.id).where(u.banned.is_(True))))
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(key, 0, max(limit + len(banned) - 1, 0), withscores=True)
            pipe.zrank(key, member(user_id))
            pipe.zscore(key, member(user_id))
            for who in banned:
                pipe.zrank(key, member(who))
            top, own_rank, own_score, *banned_ranks = await pipe.execute()
        excluded = set(banned)
        rows = [(user_of(m), self._score(board, s)) for m, s in top if user_of(m) not in excluded][:limit]
        names, _ = await self._names_and_banned([r[0] for r in rows] + [user_id])
        entries = [BoardEntry(i, uid, names.get(uid, ""), score) for i, (uid, score) in enumerate(rows, 1)]
        own = None
        if user_id not in excluded and user_id in names:
            if own_rank is not None:
                above_banned = sum(1 for r in banned_ranks if r is not None and r < own_rank)
                rank = int(own_rank) + 1 - above_banned
                own = BoardEntry(rank, user_id, names[user_id], self._score(board, own_score))
            elif board.kind == "all":
                # Not on the Redis board: no points yet. The database ranks them after every earner.
                mine = (await self.profiles.leaderboard(user_id, limit=0)).own
                if mine is not None:
                    own = BoardEntry(mine.rank, user_id, mine.first_name, mine.total_earned)
        return BoardView(board, entries, own, "redis")

    async def _from_database(self, user_id: int, board: Board, limit: int) -> BoardView:
        if board.kind == "all":
            found = await self.profiles.leaderboard(user_id, limit)
            entries = [BoardEntry(e.rank, e.user_id, e.first_name, e.total_earned) for e in found.entries]
            mine = found.own
            return BoardView(
                board,
                entries,
                BoardEntry(mine.rank, mine.user_id, mine.first_name, mine.total_earned) if mine else None,
                "database",
            )
        async with self.db.connect() as conn:
            rows = await self._database_board(conn, board, listed_only=True)
        names, _ = await self._names_and_banned([r[0] for r in rows[:limit]] + [user_id])
        entries = [
            BoardEntry(i, uid, names.get(uid, ""), score) for i, (uid, score) in enumerate(rows[:limit], 1)
        ]
        own = next(
            (
                BoardEntry(i, uid, names.get(uid, ""), s)
                for i, (uid, s) in enumerate(rows, 1)
                if uid == user_id
            ),
            None,
        )
        return BoardView(board, entries, own, "database")

    async def _database_board(self, conn: Any, board: Board, *, listed_only: bool) -> list[tuple[int, int]]:
        """Every (user id, score) on ``board`` in rank order; ``listed_only`` leaves banned players out."""
        now = self.clock.now()
        if board.kind == "all":
            stmt = sa.select(g.user_id, g.total_earned).where(g.total_earned > 0)
            if listed_only:
                stmt = stmt.join(users, u.id == g.user_id).where(u.banned.is_(False))
            rows = [(int(a), int(b)) for a, b in (await conn.execute(stmt)).all()]
        elif board.kind == "week":
            total = sa.func.sum(pt.amount)
            stmt = (
                sa.select(pt.user_id, total)
                .where(pt.kind == "earn", pt.created_at >= week_start(now))
                .group_by(pt.user_id)
                .having(total > 0)
            )
            if listed_only:
                stmt = stmt.join(users, u.id == pt.user_id).where(u.banned.is_(False))
            rows = [(int(a), int(b)) for a, b in (await conn.execute(stmt)).all()]
        else:
            stmt = sa.select(sp.user_id, sp.completed_at).where(
                sp.chapter == board.chapter, sp.completed_at.is_not(None)
            )
            if listed_only:
                stmt = stmt.join(users, u.id == sp.user_id).where(u.banned.is_(False))
            rows = [(int(a), completion_score(aware(b))) for a, b in (await conn.execute(stmt)).all()]
        return ranked(rows, lower_is_better=board.lower_is_better)

    # -- rebuilding Redis --------------------------------------------------------------------
    async def rebuild(self) -> RebuildReport:
        """Rebuild the Redis boards from the ledger and story progress, each swapped in with RENAME.

        One database snapshot gives the boards AND the outbox events they already include; those
        events are marked seen for the leaderboards group, so a consumer catching up afterwards does
        not count them twice. Events committed after the snapshot are applied by the consumer as usual.
        """
        if self.redis is None:
            raise RuntimeError("REDIS_URL is not set: the leaderboards are computed from the database")
        started = time.perf_counter()
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if self.db.dialect == "postgresql":
                await conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            boards: dict[str, list[tuple[int, int]]] = {
                self.keys.all_time(): await self._database_board(conn, ALL_TIME, listed_only=False),
                self.keys.week(iso_week(now)): await self._database_board(conn, THIS_WEEK, listed_only=False),
            }
            chapters = await conn.scalars(
                sa.select(sp.chapter).where(sp.completed_at.is_not(None)).distinct().order_by(sp.chapter)
            )
            for chapter in list(chapters):
                board = Board("chapter", str(chapter))
                boards[self.keys.chapter(str(chapter))] = await self._database_board(
                    conn, board, listed_only=False
                )
            included = (
                await conn.execute(sa.select(o.event_id, o.type, o.user_id, o.payload, o.created_at))
            ).all()
        marks = [
            self.keys.seen(LeaderboardConsumer.group, str(r.event_id))
            for r in included
            if leaderboard_ops(
                self.keys,
                BusEvent(
                    str(r.event_id),
                    str(r.type),
                    None if r.user_id is None else int(r.user_id),
                    aware(r.created_at),
                    dict(r.payload) if isinstance(r.payload, dict) else {},
                ),
            )
        ]
        await self._swap_in(boards, marks)
        return RebuildReport(
            boards={key: len(rows) for key, rows in boards.items()},
            marked=len(marks),
            week=iso_week(now),
            seconds=time.perf_counter() - started,
        )

    async def _swap_in(self, boards: dict[str, list[tuple[int, int]]], marks: list[str]) -> None:
        temp = {key: f"{key}:rebuild" for key in boards}
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, rows in boards.items():
                pipe.delete(temp[key])
                chapter = key.startswith(self.keys.chapter(""))
                for start in range(0, len(rows), 1000):
                    chunk = rows[start : start + 1000]
                    pipe.zadd(temp[key], {member(uid): (s if chapter else -s) for uid, s in chunk})
            for mark in marks:
                pipe.set(mark, "1", ex=DEDUPE_TTL)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as swap:  # MULTI/EXEC: all boards at once
            for key, rows in boards.items():
                if rows:
                    swap.rename(temp[key], key)
                else:
                    swap.delete(key)
            await swap.execute()
