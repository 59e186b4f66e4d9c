"""AccountService: a player's own account: language, data export (/mydata) and erasure (/deleteme).

Which rows are personal is derived from the schema, not listed by hand: every table with a ``user_id``
column holds rows about that user, plus the ``users`` row itself. A table added later (payments, say)
is exported and erased without anyone remembering to touch this file; a test walks the schema to
prove nothing is left behind. Audit entries about the user (``subject = "user:<id>"``) or by the user
(an admin's ``actor = "tg:<id>"``) are exported, and on erasure rewritten to a placeholder: the
accountability trail stays ("an admin banned someone"), the identifier goes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.services.admin import user_subject, write_audit
from engine.services.clock import Clock, SystemClock
from engine.store.database import Database
from engine.store.tables import audit_log, broadcasts, metadata, user_gamification, users

EXPORT_FORMAT = 1  # bump when the export's shape changes; readers check it like a bundle's format
ERASED = "user:erased"  # what an erased user's id becomes in the audit trail
MAX_LANGUAGE = 16  # users.language is String(16)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")  # a BCP 47-ish tag: es, en, pt-BR


def personal_tables() -> list[sa.Table]:
    """Every table whose rows belong to one user through a ``user_id`` column, in schema order."""
    return [t for t in metadata.sorted_tables if "user_id" in t.c and t is not users]


def _actor(user_id: int) -> str:
    return f"tg:{user_id}"


def _jsonable(value: Any) -> Any:
    """A database value as JSON data: timestamps as ISO 8601 in UTC, dates as ISO dates."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def _rows(conn: AsyncConnection, query: sa.Select[Any]) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row._mapping.items()} for row in await conn.execute(query)]


class AccountService:
    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self.db = database
        self.clock = clock or SystemClock()

    async def set_language(self, user_id: int, language: str) -> bool:
        """Set the player's language (an IETF tag like ``es`` or ``pt-BR``); False for an unknown user.

        The story picks the closest locale it has at read time, so any well-formed tag is stored.
        """
        language = language.strip()
        if len(language) > MAX_LANGUAGE or not _LANGUAGE.match(language):
            raise ValueError(f"not a language tag: {language!r}")
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sa.update(users).where(users.c.id == user_id).values(language=language)
            )
        return result.rowcount == 1

    async def export(self, user_id: int) -> dict[str, Any] | None:
        """Everything stored about the player, as JSON data (GDPR access / portability); None if unknown.

        Read in one transaction (REPEATABLE READ on PostgreSQL) so the export is one consistent moment:
        a ledger that matches the balance beside it.
        """
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            user = await _rows(conn, sa.select(users).where(users.c.id == user_id))
            if not user:
                return None
            tables: dict[str, list[dict[str, Any]]] = {"users": user}
            for table in personal_tables():
                query = sa.select(table).where(table.c.user_id == user_id).order_by(*table.primary_key)
                tables[table.name] = await _rows(conn, query)
            a = audit_log.c
            tables["audit_log"] = await _rows(
                conn,
                sa.select(audit_log)
                .where(sa.or_(a.subject == user_subject(user_id), a.actor == _actor(user_id)))
                .order_by(a.id),
            )
            tables["broadcasts"] = await _rows(
                conn,
                sa.select(broadcasts.c.id, broadcasts.c.text, broadcasts.c.created_at)
                .where(broadcasts.c.created_by == _actor(user_id))
                .order_by(broadcasts.c.id),
            )
        return {
            "format": EXPORT_FORMAT,
            "exported_at": now.isoformat(),
            "user_id": user_id,
            "tables": tables,
        }

    async def erase(self, user_id: int, *, actor: str) -> bool:
        """Delete the player and every row about them, in one transaction; False for an unknown user.

        The gamification row is locked first, the row every decision locks: a decision in flight
        finishes before the erasure (and its rows are then erased with the rest), one arriving later
        finds no player. The audit row says an erasure happened and how many rows went, never whose.
        Events the relay already moved to Redis are outside this database and expire with their stream.
        """
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await conn.execute(
                sa.select(user_gamification.c.user_id)
                .where(user_gamification.c.user_id == user_id)
                .with_for_update()
            )
            found = await conn.scalar(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())
            if found is None:
                return False
            deleted: dict[str, int] = {}
            for table in reversed(personal_tables()):
                result = await conn.execute(sa.delete(table).where(table.c.user_id == user_id))
                if result.rowcount:
                    deleted[table.name] = result.rowcount
            # Other players keep their row; only the pointer to this one goes.
            await conn.execute(
                sa.update(users).where(users.c.referred_by == user_id).values(referred_by=None)
            )
            await conn.execute(sa.delete(users).where(users.c.id == user_id))  # FKs cascade the rest
            deleted["users"] = 1
            a = audit_log.c
            await conn.execute(
                sa.update(audit_log).where(a.subject == user_subject(user_id)).values(subject=ERASED)
            )
            await conn.execute(sa.update(audit_log).where(a.actor == _actor(user_id)).values(actor=ERASED))
            await conn.execute(
                sa.update(broadcasts)
                .where(broadcasts.c.created_by == _actor(user_id))
                .values(created_by=ERASED)
            )
            # A player erasing themselves (/deleteme) must not leave their id as the actor either.
            who = ERASED if actor == _actor(user_id) else actor
            await write_audit(conn, who, "user.erase", None, {"rows_deleted": deleted}, now)
        return True
