"""The consumer groups: leaderboards, analytics, notifications.

Leaderboards and analytics apply each event with ApplyOnce (dedupe mark + effects in one Lua script,
one pipeline per batch). Notifications call a front-end's callback (the bot sends a message): that is
a side effect outside Redis, so it is at most once per event id after a success (the mark is set
after the callback returned) and at least once across crashes between the two.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from engine.bus.base import BusEvent
from engine.bus.boards import WEEK_TTL, BoardKeys, completion_score, iso_week, member
from engine.bus.once import DEDUPE_TTL, ApplyOnce, Op

log = logging.getLogger("diana.bus.consumers")

STATS_TTL = 400 * 24 * 3600  # a day's counters are kept ~13 months


def points_of(event: BusEvent) -> int:
    """Points this event earned: ``points`` (PlayService), ``awarded`` (the daily check-in)."""
    value = event.payload.get("points", event.payload.get("awarded", 0))
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def leaderboard_ops(keys: BoardKeys, event: BusEvent) -> list[Op]:
    """What an event changes on the boards (nothing for most events)."""
    if event.user_id is None:
        return []
    who = member(event.user_id)
    ops: list[Op] = []
    points = points_of(event)
    if points > 0:
        ops.append(Op("zincrby", keys.all_time(), -points, who))
        ops.append(Op("zincrby", keys.week(iso_week(event.created_at)), -points, who, WEEK_TTL))
    chapter = event.payload.get("chapter")
    if event.type == "ending_reached" and isinstance(chapter, str) and chapter:
        # The database keeps a chapter's latest completion (user_story_progress.completed_at): GT too.
        ops.append(Op("zaddgt", keys.chapter(chapter), completion_score(event.created_at), who))
    return ops


class LeaderboardConsumer:
    group = "leaderboards"

    def __init__(self, client: Any, keys: BoardKeys) -> None:
        self.client = client
        self.keys = keys
        self.once = ApplyOnce(client)

    async def apply(self, events: Sequence[BusEvent]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            queued = 0
            for event in events:
                ops = leaderboard_ops(self.keys, event)
                if ops:
                    await self.once.queue(pipe, self.keys.seen(self.group, event.event_id), ops)
                    queued += 1
            if queued:
                await pipe.execute()


class AnalyticsConsumer:
    """Events per type per UTC day, in one hash per day: ``HGETALL diana:stats:2026-01-01``."""

    group = "analytics"

    def __init__(self, client: Any, keys: BoardKeys) -> None:
        self.client = client
        self.keys = keys
        self.once = ApplyOnce(client)

    async def apply(self, events: Sequence[BusEvent]) -> None:
        if not events:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                day = event.created_at.date().isoformat()
                op = Op("hincrby", self.keys.stats(day), 1, event.type, STATS_TTL)
                await self.once.queue(pipe, self.keys.seen(self.group, event.event_id), [op])
            await pipe.execute()

    async def day(self, day: str) -> dict[str, int]:
        raw = await self.client.hgetall(self.keys.stats(day))
        return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in sorted(raw.items())}


Notify = Callable[[BusEvent], Awaitable[None]]
NOTIFIED_TYPES = frozenset({"achievement_unlocked"})


class NotificationConsumer:
    """Hands per-player events of ``types`` to ``notify`` (the bot's sender), once per event id.

    Dedupe marks live in Redis when a client is given, else in a bounded in-memory set (the
    in-process bus: one process, so its memory is the whole truth about what it delivered).
    """

    group = "notifications"

    def __init__(
        self,
        notify: Notify,
        *,
        client: Any | None = None,
        keys: BoardKeys | None = None,
        types: Collection[str] = NOTIFIED_TYPES,
        remember: int = 100_000,
    ) -> None:
        self.notify = notify
        self.client = client
        self.keys = keys or BoardKeys()
        self.types = frozenset(types)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    async def _was_sent(self, event_id: str) -> bool:
        if self.client is not None:
            return bool(await self.client.exists(self.keys.seen(self.group, event_id)))
        return event_id in self._seen

    async def _mark_sent(self, event_id: str) -> None:
        if self.client is not None:
            await self.client.set(self.keys.seen(self.group, event_id), "1", ex=DEDUPE_TTL)
            return
        self._seen[event_id] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    async def apply(self, events: Sequence[BusEvent]) -> None:
        for event in events:
            if event.type not in self.types or event.user_id is None:
                continue
            if await self._was_sent(event.event_id):
                continue
            await self.notify(event)
            await self._mark_sent(event.event_id)
