"""Suspicious-pattern flags for admins (``diana flags``, the bot's ``/flags``), computed from the database.

Flags are signals for a person to look at, never automatic punishment: each says which rule fired, for
whom, and the evidence. The rules (thresholds in :class:`FlagRules`, documented in docs/economy.md):

- ``daily_cap``: the player earned the whole daily cap on ``cap_days`` or more consecutive local days
  (a bot or a farm plays exactly to the cap, every day);
- ``referrals``: one referrer brought ``referrals_per_day`` or more new players in one UTC day
  (self-made accounts through one's own link);
- ``flood``: the flood guard turned away ``flood_bursts`` or more bursts of taps from the player in
  one UTC day (scripted tapping).

Only the window (``days``, default a week) is read. Banned players are left out: they were looked at.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from engine.services.clock import Clock, SystemClock, aware
from engine.store.database import Database
from engine.store.players import dialect_insert, local_day
from engine.store.tables import claims, flood_rejections, points_transactions, users

t, u, c, f = points_transactions.c, users.c, claims.c, flood_rejections.c


@dataclass(frozen=True, slots=True)
class FlagRules:
    days: int = 7
    cap_days: int = 3
    referrals_per_day: int = 5
    flood_bursts: int = 10


@dataclass(frozen=True, slots=True)
class Flag:
    rule: str  # daily_cap | referrals | flood
    user_id: int
    first_name: str
    count: int  # consecutive capped days; referrals that day; bursts that day
    day: date  # the last capped day; the day of the referrals or bursts
    detail: str  # one line for a person

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "user_id": self.user_id,
            "first_name": self.first_name,
            "count": self.count,
            "day": self.day.isoformat(),
            "detail": self.detail,
        }


def longest_run(days: set[date]) -> tuple[int, date | None]:
    """The longest run of consecutive days and its last day ((0, None) for none)."""
    best, end = 0, None
    for day in sorted(days):
        if day - timedelta(days=1) in days:
            continue
        length = 1
        while day + timedelta(days=length) in days:
            length += 1
        if length > best:
            best, end = length, day + timedelta(days=length - 1)
    return best, end


class FlagService:
    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self.db = database
        self.clock = clock or SystemClock()

    async def record_flood(self, user_id: int) -> None:
        """The flood guard began turning a burst of this player's taps away (one call per burst)."""
        day = self.clock.now().date()
        async with self.db.transaction() as conn:
            exists = await conn.scalar(sa.select(sa.func.count()).where(u.id == user_id))
            if not exists:  # a player who never sent /start has no row to hang the count on
                return
            stmt = dialect_insert(conn, flood_rejections).values(user_id=user_id, day=day, bursts=1)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["user_id", "day"], set_={"bursts": flood_rejections.c.bursts + 1}
                )
            )

    async def flags(self, cap: int | None, rules: FlagRules | None = None) -> list[Flag]:
        """Every flag over the window, by rule then user. ``cap``: the live story's daily cap (no
        ``daily_cap`` flags without one)."""
        rules = rules or FlagRules()
        now = self.clock.now()
        since = now - timedelta(days=rules.days)
        found: list[Flag] = []
        async with self.db.connect() as conn:
            if cap:
                # Earned per player and LOCAL day (the cap's day), summed here: the window's earn rows.
                earned: dict[tuple[int, date], int] = defaultdict(int)
                names: dict[int, str] = {}
                rows = await conn.execute(
                    sa.select(t.user_id, t.amount, t.created_at, u.timezone, u.first_name)
                    .select_from(points_transactions.join(users, u.id == t.user_id))
                    .where(t.kind == "earn", t.created_at >= since, u.banned.is_(False))
                )
                for uid, amount, at, timezone, name in rows:
                    earned[(int(uid), local_day(aware(at) or at, timezone))] += int(amount)
                    names[int(uid)] = name
                capped: dict[int, set[date]] = defaultdict(set)
                for (uid, day), total in earned.items():
                    if total >= cap:
                        capped[uid].add(day)
                for uid, days in sorted(capped.items()):
                    run, end = longest_run(days)
                    if run >= rules.cap_days and end is not None:
                        found.append(
                            Flag(
                                "daily_cap",
                                uid,
                                names[uid],
                                run,
                                end,
                                f"hit the cap of {cap} {run} days in a row",
                            )
                        )
            # The UTC day of each claim (PostgreSQL: whatever the session's TimeZone).
            claim_day: Any = (
                sa.func.date(c.created_at)
                if self.db.is_sqlite
                else sa.cast(sa.func.timezone("UTC", c.created_at), sa.Date)
            )
            referrals = (
                sa.select(c.user_id, u.first_name, claim_day.label("day"), sa.func.count().label("n"))
                .select_from(claims.join(users, u.id == c.user_id))
                .where(c.kind == "referral", c.created_at >= since, u.banned.is_(False))
                .group_by(c.user_id, u.first_name, claim_day)
                .having(sa.func.count() >= rules.referrals_per_day)
                .order_by(c.user_id, claim_day)
            )
            for uid, name, on, n in await conn.execute(referrals):
                when = on if isinstance(on, date) else date.fromisoformat(str(on))
                found.append(
                    Flag("referrals", int(uid), name, int(n), when, f"{n} new players through one link")
                )
            floods = (
                sa.select(f.user_id, u.first_name, f.day, f.bursts)
                .select_from(flood_rejections.join(users, u.id == f.user_id))
                .where(f.day >= since.date(), f.bursts >= rules.flood_bursts, u.banned.is_(False))
                .order_by(f.user_id, f.day)
            )
            for uid, name, on, bursts in await conn.execute(floods):
                found.append(
                    Flag("flood", int(uid), name, int(bursts), on, f"{bursts} bursts of taps turned away")
                )
        order = {"daily_cap": 0, "referrals": 1, "flood": 2}
        found.sort(key=lambda x: (order[x.rule], x.user_id, x.day))
        return found


__all__ = ["Flag", "FlagRules", "FlagService", "longest_run"]
