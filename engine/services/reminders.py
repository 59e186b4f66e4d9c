"""Who is due a reminder now: a streak about to break, or a VIP pass about to expire.

- **Streak at risk**: the player has a streak and today (their local day) is the last day a check-in
  keeps it (one day after the last check-in, plus the story's grace days). They are reminded at their
  usual hour: the most common local hour of their activity (story decisions and check-ins) over the
  last ``lookback`` days, ties to the earlier hour, ``default_hour`` without any; from that hour on,
  until the local day ends.
- **VIP expiring**: ``user_gamification.vip_until`` is less than ``vip_notice`` (three days) away;
  once per expiry date (a renewal that moves the date gets its own reminder).

Banned players and those who opted out (/settings, ``user_profiles.preferences.reminders = false``)
are never due. The candidates are selected in SQL; the local-day and usual-hour arithmetic, which needs
each player's timezone, is the pure :func:`streak_due` / :func:`usual_hour` below. A reminder is sent
at most once: the sender first takes its claim (``claims`` row with a unique key per player and local
day, or per expiry date) and only the winner sends, so a restart or two replicas never send it twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.services.clock import Clock, SystemClock, aware
from engine.services.content import ContentSource
from engine.services.economy import claim
from engine.store.database import Database
from engine.store.players import local_day
from engine.store.tables import (
    claims,
    points_transactions,
    story_decisions,
    user_gamification,
    user_profiles,
    users,
)

g, u, p, c = user_gamification.c, users.c, user_profiles.c, claims.c
STREAK, VIP = "remind_streak", "remind_vip"
CHUNK = 5000  # ids per IN list: drivers cap bound parameters (asyncpg and SQLite at 32767/32766)


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str  # remind_streak | remind_vip
    user_id: int
    language: str | None
    key: str  # the claim that makes it once-only
    streak: int = 0
    vip_until: datetime | None = None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def usual_hour(moments: Iterable[datetime], timezone: str, default: int) -> int:
    """The most common local hour of ``moments`` (ties: the earliest hour), ``default`` without any."""
    zone = _zone(timezone)
    hours = Counter(moment.astimezone(zone).hour for moment in moments)
    if not hours:
        return default
    return min(hours, key=lambda hour: (-hours[hour], hour))


def streak_due(
    now: datetime, timezone: str, last_checkin: date | None, streak: int, grace_days: int, hour: int
) -> date | None:
    """The local day to remind on, if the streak breaks unless the player checks in today and their
    usual ``hour`` has come; else None."""
    if last_checkin is None or streak <= 0:
        return None
    today = local_day(now, timezone)
    if (today - last_checkin).days != 1 + grace_days:
        return None
    return today if now.astimezone(_zone(timezone)).hour >= hour else None


class ReminderService:
    def __init__(
        self,
        database: Database,
        content: ContentSource,
        clock: Clock | None = None,
        *,
        default_hour: int = 19,
        lookback: timedelta = timedelta(days=14),
        vip_notice: timedelta = timedelta(days=3),
    ) -> None:
        self.db = database
        self.content = content
        self.clock = clock or SystemClock()
        self.default_hour = default_hour
        self.lookback = lookback
        self.vip_notice = vip_notice

    def _reachable(self) -> sa.ColumnElement[bool]:
        opted_out = sa.exists().where(p.user_id == u.id, p.preferences["reminders"].as_boolean().is_(False))
        return sa.and_(u.banned.is_(False), ~opted_out)

    async def due(self) -> list[Reminder]:
        """Every reminder due now whose claim is still free, streaks first, by user id."""
        now = self.clock.now()
        grace = self.content.current().rewards.grace_days
        # Any local day is within a day of the UTC one: the widest last check-in that can be at risk.
        earliest = now.date() - timedelta(days=grace + 2)
        latest = now.date() - timedelta(days=grace)
        streaks = (
            sa.select(u.id, u.language, u.timezone, g.last_checkin, g.streak)
            .select_from(users.join(user_gamification, g.user_id == u.id))
            .where(
                self._reachable(),
                g.streak > 0,
                g.last_checkin >= earliest,
                g.last_checkin <= latest,
            )
            .order_by(u.id)
        )
        vips = (
            sa.select(u.id, u.language, g.vip_until)
            .select_from(users.join(user_gamification, g.user_id == u.id))
            .where(self._reachable(), g.vip_until > now, g.vip_until <= now + self.vip_notice)
            .order_by(u.id)
        )
        found: list[Reminder] = []
        async with self.db.connect() as conn:
            candidates = (await conn.execute(streaks)).all()
            activity = await self._activity(conn, [int(row.id) for row in candidates], now - self.lookback)
            for uid, language, timezone, last, streak in candidates:
                hour = usual_hour(activity.get(int(uid), []), timezone, self.default_hour)
                day = streak_due(now, timezone, last, int(streak), grace, hour)
                if day is not None:
                    key = f"remind:streak:{uid}:{day.isoformat()}"
                    found.append(Reminder(STREAK, int(uid), language, key, streak=int(streak)))
            for uid, language, until in (await conn.execute(vips)).all():
                expiry = aware(until)
                assert expiry is not None
                key = f"remind:vip:{uid}:{expiry.date().isoformat()}"
                found.append(Reminder(VIP, int(uid), language, key, vip_until=expiry))
            taken: set[str] = set()
            keys = [r.key for r in found]
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                taken.update(await conn.scalars(sa.select(c.key).where(c.key.in_(chunk))))
        return [r for r in found if r.key not in taken]

    async def _activity(
        self, conn: AsyncConnection, user_ids: list[int], since: datetime
    ) -> dict[int, list[datetime]]:
        """When each player acted recently: story decisions and check-ins."""
        moments: dict[int, list[datetime]] = {uid: [] for uid in user_ids}
        if not user_ids:
            return moments
        d, t = story_decisions.c, points_transactions.c

        def decisions(ids: list[int]) -> sa.Select[Any]:
            return sa.select(d.user_id, d.created_at).where(d.user_id.in_(ids), d.created_at >= since)

        def checkins(ids: list[int]) -> sa.Select[Any]:
            return sa.select(t.user_id, t.created_at).where(
                t.user_id.in_(ids), t.created_at >= since, t.idempotency_key.like("checkin:%")
            )

        for start in range(0, len(user_ids), CHUNK):
            chunk = user_ids[start : start + CHUNK]
            for query in (decisions(chunk), checkins(chunk)):
                for uid, at in await conn.execute(query):
                    moments[int(uid)].append(aware(at) or at)
        return moments

    async def claim(self, reminder: Reminder) -> bool:
        """Take the reminder's once-only claim; only the caller that gets True sends it."""
        async with self.db.transaction() as conn:
            return await claim(conn, reminder.key, reminder.kind, reminder.user_id, self.clock.now())
