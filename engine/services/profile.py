"""ProfileService: a player's standing (profile, leaderboard) and the daily check-in.

The check-in is a decision like a story choice and follows PlayService's rules: one transaction, the
player's gamification row locked first (so two taps, two replicas or a replayed update apply it once),
the pure economy rules decide, then balance, ledger rows and an outbox event are written together. The
player's "today" is their local day (``users.timezone``), the same day the story's daily limits use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from engine.economy import EconomyState, checkin, level_for
from engine.events import Event
from engine.services.clock import Clock, SystemClock, aware
from engine.services.content import ContentSource
from engine.services.economy import apply_events
from engine.store.database import Database
from engine.store.players import PlayerStore, local_day
from engine.store.players_pg import store_for
from engine.store.tables import (
    user_achievements,
    user_gamification,
    user_story_progress,
    users,
)

g, u = user_gamification.c, users.c


class UnlockedAchievement(NamedTuple):
    id: str
    tier: str  # "" for an untiered achievement
    unlocked_at: datetime


@dataclass(frozen=True, slots=True)
class Profile:
    """What /profile shows. Names are locale maps: the front-end picks the player's language."""

    user_id: int
    first_name: str
    points: int  # the balance
    total_earned: int
    level: int
    level_name: Mapping[str, str]  # the LevelSpec name, e.g. {"es": "Confidente", "en": "Confidant"}
    next_level_at: int | None  # total_earned needed for the next level (None at the top)
    streak: int  # check-in days in a row, 0 once the streak is broken (more missed days than grace)
    last_checkin: date | None
    vip_until: datetime | None
    vip_active: bool
    achievements: list[UnlockedAchievement] = field(default_factory=list)
    chapters_done: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "points": self.points,
            "total_earned": self.total_earned,
            "level": self.level,
            "level_name": dict(self.level_name),
            "next_level_at": self.next_level_at,
            "streak": self.streak,
            "last_checkin": self.last_checkin.isoformat() if self.last_checkin else None,
            "vip_until": self.vip_until.isoformat() if self.vip_until else None,
            "vip_active": self.vip_active,
            "achievements": [
                {"id": a.id, "tier": a.tier, "unlocked_at": a.unlocked_at.isoformat()}
                for a in self.achievements
            ],
            "chapters_done": list(self.chapters_done),
        }


class LeaderboardEntry(NamedTuple):
    rank: int
    user_id: int
    first_name: str
    total_earned: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """The top players and where the asking player stands (``own`` is None for an unknown or banned
    player). Ranks are unique: equal totals are ordered by user id, the same order in both."""

    entries: list[LeaderboardEntry]
    own: LeaderboardEntry | None

    @property
    def own_rank(self) -> int | None:
        return self.own.rank if self.own is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [e._asdict() for e in self.entries],
            "own": self.own._asdict() if self.own is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Checkin:
    """The result of /checkin. ``outcome``: applied | already (checked in today) | banned | unknown_user."""

    outcome: str
    streak: int = 0
    awarded: int = 0
    balance: int = 0
    day: date | None = None  # the player's local day the check-in counted for
    notices: tuple[str, ...] = ()  # localized: what was earned, achievements unlocked

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


def live_streak(econ: EconomyState, today: date, grace_days: int) -> int:
    """The streak as the player would see it today: 0 once more days were missed than grace allows."""
    if not econ.last_checkin or econ.streak <= 0:
        return 0
    gap = (today - date.fromisoformat(econ.last_checkin)).days
    return econ.streak if gap <= 1 + grace_days else 0


class ProfileService:
    def __init__(
        self,
        database: Database,
        content: ContentSource,
        clock: Clock | None = None,
        *,
        store: PlayerStore | None = None,
    ) -> None:
        self.db = database
        self.content = content
        self.clock = clock or SystemClock()
        self.store = store or store_for(database.dialect)

    # -- profile -----------------------------------------------------------------------------
    async def profile(self, user_id: int) -> Profile | None:
        """The player's standing for /profile and /achievements; None for an unknown user.

        Level and VIP are computed at read time (level from the live bundle's thresholds, VIP from its
        expiry), so a publish that moves a threshold or an expiring VIP shows without any write.
        """
        bundle = self.content.current()
        rewards = bundle.rewards
        now = self.clock.now()
        head = (
            sa.select(
                u.first_name, u.timezone, g.balance, g.total_earned, g.vip_until, g.economy, g.last_checkin
            )
            .select_from(users.outerjoin(user_gamification, g.user_id == u.id))
            .where(u.id == user_id)
        )
        ach = user_achievements.c
        unlocked = (
            sa.select(ach.achievement_id, ach.tier, ach.unlocked_at)
            .where(ach.user_id == user_id)
            .order_by(ach.unlocked_at, ach.achievement_id, ach.tier)
        )
        sp = user_story_progress.c
        done = (
            sa.select(sp.chapter)
            .where(sp.user_id == user_id, sp.completed_at.is_not(None))
            .order_by(sp.completed_at, sp.chapter)
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(head)).first()
            if row is None:
                return None
            achievements = [
                UnlockedAchievement(str(a), str(t), aware(at) or now)
                for a, t, at in (await conn.execute(unlocked)).all()
            ]
            chapters = [str(c) for c in await conn.scalars(done)]
        total = int(row.total_earned or 0)
        level = level_for(rewards, total)
        spec = rewards.levels[level - 1] if len(rewards.levels) >= level else None
        following = rewards.levels[level] if len(rewards.levels) > level else None
        econ = EconomyState.from_dict(row.economy or {})
        vip_until = aware(row.vip_until)
        last = row.last_checkin
        if last is None and econ.last_checkin:
            last = date.fromisoformat(econ.last_checkin)
        return Profile(
            user_id=user_id,
            first_name=row.first_name,
            points=int(row.balance or 0),
            total_earned=total,
            level=level,
            level_name=dict(spec.name) if spec is not None else {},
            next_level_at=following.points if following is not None else None,
            streak=live_streak(econ, local_day(now, row.timezone), rewards.grace_days),
            last_checkin=last,
            vip_until=vip_until,
            vip_active=vip_until is not None and vip_until > now,
            achievements=achievements,
            chapters_done=chapters,
        )

    # -- leaderboard -------------------------------------------------------------------------
    async def leaderboard(self, user_id: int, limit: int = 10) -> Leaderboard:
        """Top players by total earned (banned players are left out), from the database.

        The own rank is one COUNT of the players above (more earned, or as much with a lower id),
        served by the index on ``total_earned``; no ranking of the whole table.
        """
        listed = u.banned.is_(False)
        top = (
            sa.select(g.user_id, u.first_name, g.total_earned)
            .select_from(user_gamification.join(users, u.id == g.user_id))
            .where(listed)
            .order_by(g.total_earned.desc(), g.user_id)
            .limit(max(limit, 0))
        )
        mine = (
            sa.select(u.first_name, g.total_earned)
            .select_from(user_gamification.join(users, u.id == g.user_id))
            .where(g.user_id == user_id, listed)
        )
        async with self.db.connect() as conn:
            entries = [
                LeaderboardEntry(rank, int(uid), name, int(total))
                for rank, (uid, name, total) in enumerate((await conn.execute(top)).all(), start=1)
            ]
            own_row = (await conn.execute(mine)).first()
            own = None
            if own_row is not None:
                total = int(own_row.total_earned)
                above = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(user_gamification.join(users, u.id == g.user_id))
                    .where(
                        listed,
                        sa.or_(
                            g.total_earned > total,
                            sa.and_(g.total_earned == total, g.user_id < user_id),
                        ),
                    )
                )
                own = LeaderboardEntry(int(above or 0) + 1, user_id, own_row.first_name, total)
        return Leaderboard(entries, own)

    # -- daily check-in ----------------------------------------------------------------------
    async def checkin(self, user_id: int) -> Checkin:
        """The daily check-in: applied at most once per local day, whatever the number of taps.

        The check-in's rewards and the achievements it unlocks (a streak tier) are settled by the same
        interpreter code a story move uses (engine.services.economy.apply_events), in this transaction.
        """
        bundle = self.content.current()  # the release this check-in runs on, start to finish
        rewards = bundle.rewards
        now = self.clock.now()
        async with self.db.transaction() as conn:
            # Lock first, read second (PlayerStore.lock): a check-in that waited for another one
            # re-reads the row that one wrote and finds today's check-in already there.
            row = await self.store.lock(conn, user_id)
            if row is None:
                return Checkin("unknown_user")
            if row.banned:
                return Checkin("banned", balance=row.balance)
            today = local_day(now, row.timezone)
            before = EconomyState.from_dict(row.economy or {}).for_day(today)
            econ, fresh = checkin(before, today, rewards.grace_days)
            if not fresh:
                return Checkin("already", econ.streak, 0, row.balance, today)
            event = Event("daily_checkin", data={"day": today.isoformat(), "streak": econ.streak})
            applied = await apply_events(
                conn,
                self.store,
                bundle,
                row,
                [event],
                key=f"checkin:{user_id}:{today.isoformat()}",
                now=now,
                economy=econ,
                gamification={"last_checkin": today},
            )
            await conn.execute(sa.update(users).where(u.id == user_id).values(last_seen_at=now))
        return Checkin(
            "applied", econ.streak, applied.awarded, applied.balance, today, applied.settled.notices
        )


__all__ = [
    "Checkin",
    "Leaderboard",
    "LeaderboardEntry",
    "Profile",
    "ProfileService",
    "UnlockedAchievement",
    "live_streak",
]
