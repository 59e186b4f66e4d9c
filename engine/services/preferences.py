"""A player's settings: their timezone (the day streaks and daily limits count in) and reminders.

The timezone is ``users.timezone`` (an IANA name, UTC by default) because every decision reads it with
the player's row; the reminder switch lives in ``user_profiles.preferences`` (``{"reminders": false}``
to opt out), read only by the reminder scheduler. Both are set from the bot's /settings and /timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa

from engine.services.clock import Clock, SystemClock
from engine.store.database import Database
from engine.store.players import dialect_insert
from engine.store.tables import user_profiles, users

u, p = users.c, user_profiles.c


class UnknownTimezoneError(ValueError):
    """Not an IANA timezone name; ``suggestions`` are close names the player may have meant."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(f"unknown timezone {name!r}")
        self.name = name
        self.suggestions = suggestions


def canonical_timezone(name: str) -> str:
    """``europe/madrid`` → ``Europe/Madrid``; raises UnknownTimezoneError with suggestions."""
    cleaned = name.strip().replace(" ", "_")
    zones = available_timezones()
    if cleaned in zones:
        return cleaned
    folded = {z.casefold(): z for z in zones}
    if cleaned.casefold() in folded:
        return folded[cleaned.casefold()]
    if cleaned.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    parts = [part for part in cleaned.casefold().split("/") if len(part) >= 3]
    suggestions = sorted(z for z in zones if any(part in z.casefold() for part in parts))[:5]
    raise UnknownTimezoneError(name, suggestions)


@dataclass(frozen=True, slots=True)
class Preferences:
    language: str | None
    timezone: str
    reminders: bool


class PreferencesService:
    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self.db = database
        self.clock = clock or SystemClock()

    async def get(self, user_id: int) -> Preferences | None:
        query = (
            sa.select(u.language, u.timezone, p.preferences)
            .select_from(users.outerjoin(user_profiles, p.user_id == u.id))
            .where(u.id == user_id)
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        prefs = row.preferences or {}
        return Preferences(row.language, row.timezone, prefs.get("reminders", True) is not False)

    async def set_timezone(self, user_id: int, name: str) -> str | None:
        """Store the player's timezone (canonical IANA name, returned); None for an unknown user.

        Raises UnknownTimezoneError for a name that is not a timezone; nothing is stored then.
        A change takes effect at the next decision: the streak already counted stays as it is.
        """
        zone = canonical_timezone(name)
        ZoneInfo(zone)  # loadable, not only listed
        async with self.db.transaction() as conn:
            result = await conn.execute(sa.update(users).where(u.id == user_id).values(timezone=zone))
        return zone if result.rowcount == 1 else None

    async def set_reminders(self, user_id: int, on: bool) -> bool:
        """Opt in or out of reminders (streak at risk, VIP expiring); False for an unknown user."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            known = await conn.scalar(sa.select(sa.func.count()).where(u.id == user_id))
            if not known:
                return False
            current = await conn.scalar(sa.select(p.preferences).where(p.user_id == user_id))
            merged = {**(current or {}), "reminders": on}
            stmt = dialect_insert(conn, user_profiles).values(
                user_id=user_id, preferences=merged, updated_at=now
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["user_id"], set_={"preferences": merged, "updated_at": now}
                )
            )
        return True


__all__ = [
    "Preferences",
    "PreferencesService",
    "UnknownTimezoneError",
    "canonical_timezone",
]
