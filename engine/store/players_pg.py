"""The player repository's PostgreSQL fast path: two statements per decision instead of ten.

Measured on this 2-core machine (bench/decisions.py) the portable one-statement-per-table path spends
most of its time in per-statement client overhead. Here the decision's lock, read and processed-update
mark are one statement and its writes (chapter progress included) one data-modifying CTE, both run on
the transaction's own asyncpg connection (so they stay inside the transaction
:meth:`Database.transaction` began) with asyncpg's prepared-statement cache: with BEGIN and COMMIT,
four round trips per decision. Behaviour is identical: the same test suite runs against both stores.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from engine.store.players import DecisionWrite, PlayerRow, PlayerStore

# Locks the gamification AND story-state rows: a statement that waited for these locks re-reads both
# (EvalPlanQual), so it sees the nonce the previous decision wrote. Users is read, not locked.
_LOCK_READ = """
SELECT u.id AS user_id, u.first_name, u.language, u.timezone, u.banned, u.last_seen_at,
       g.balance, g.total_earned, g.level, g.streak, g.vip_until, g.economy,
       ps.release, ps.scene, ps.turn, ps.nonce, ps.state, ps.version
FROM user_gamification g
JOIN users u ON u.id = g.user_id
JOIN player_states ps ON ps.user_id = g.user_id
WHERE g.user_id = $1
FOR UPDATE OF g, ps
"""
_LOCKED_COLUMNS = (
    "user_id, first_name, language, timezone, banned, last_seen_at, balance, total_earned, level, "
    "streak, vip_until, economy, release, scene, turn, nonce, state, version"
)
# The lock and the update's mark in one round trip. The mark is made from the locked row, so it is
# made after the lock is held (the order the two separate statements had: no new deadlock between two
# deliveries of one update) and only for a player that exists and is not banned (a banned player's
# update stays unmarked, as before). A player erased while we waited for the lock leaves no row.
_LOCK_READ_MARK = f"""
WITH locked AS ({_LOCK_READ}), mark AS (
    INSERT INTO processed_updates (update_id, user_id, processed_at)
    SELECT $2, locked.user_id, $3 FROM locked WHERE NOT locked.banned
    ON CONFLICT (update_id) DO NOTHING
    RETURNING 1
)
SELECT {_LOCKED_COLUMNS}, EXISTS (SELECT 1 FROM mark) AS fresh FROM locked
"""
_MARK_UPDATE = """
INSERT INTO processed_updates (update_id, user_id, processed_at) VALUES ($1, $2, $3)
ON CONFLICT (update_id) DO NOTHING
"""

_COMMIT = """
WITH st AS (
    INSERT INTO player_states (user_id, release, chapter, scene, turn, nonce, state, version, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 1, $8)
    ON CONFLICT (user_id) DO UPDATE SET
        release = EXCLUDED.release, chapter = EXCLUDED.chapter, scene = EXCLUDED.scene,
        turn = EXCLUDED.turn, nonce = EXCLUDED.nonce, state = EXCLUDED.state,
        version = player_states.version + 1, updated_at = EXCLUDED.updated_at
), ga AS (
    UPDATE user_gamification SET balance = $10, total_earned = $11, level = $12, streak = $13,
        economy = $14::jsonb, updated_at = $8
    WHERE user_id = $1 AND $9::boolean
), de AS (
    INSERT INTO story_decisions (user_id, release, action, chapter, scene, choice, turn, created_at)
    VALUES ($1, $2, $15, $16, $17, $18, $19, $8)
), le AS (
    INSERT INTO points_transactions
        (user_id, amount, kind, reason, event, idempotency_key, balance_after, created_at)
    SELECT $1, x.amount, x.kind, x.reason, x.event, x.idempotency_key, x.balance_after, $8
    FROM jsonb_to_recordset($20::jsonb) AS x(amount int, kind text, reason text, event text,
                                             idempotency_key text, balance_after int)
), ob AS (
    INSERT INTO outbox (event_id, user_id, type, payload, created_at)
    SELECT x.event_id, $1, x.type, x.payload, $8
    FROM jsonb_to_recordset($21::jsonb) AS x(event_id text, type text, payload jsonb)
), ac AS (
    INSERT INTO user_achievements (user_id, achievement_id, tier, unlocked_at)
    SELECT $1, x.achievement_id, x.tier, $8
    FROM jsonb_to_recordset($22::jsonb) AS x(achievement_id text, tier text)
    ON CONFLICT DO NOTHING
), bo AS (
    INSERT INTO user_character_relationships (user_id, character, bond, updated_at)
    SELECT $1, x.key, x.value::int, $8 FROM jsonb_each_text($23::jsonb) AS x
    ON CONFLICT (user_id, character) DO UPDATE SET bond = EXCLUDED.bond, updated_at = EXCLUDED.updated_at
), tu AS (
    UPDATE users SET last_seen_at = $8 WHERE id = $1 AND $24::boolean
), pr AS (
    INSERT INTO user_story_progress (user_id, chapter, started_at, completed_at, ending)
    SELECT $1, x.chapter, $8, CASE WHEN x.completed THEN $8 END, x.ending
    FROM jsonb_to_recordset($25::jsonb) AS x(chapter text, completed boolean, ending text)
    ON CONFLICT (user_id, chapter) DO UPDATE
        SET completed_at = EXCLUDED.completed_at, ending = EXCLUDED.ending
        WHERE EXCLUDED.completed_at IS NOT NULL
)
SELECT 1
"""


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``, only while a transaction is open on it.

    Read through the already checked-out DBAPI connection (no greenlet hop, unlike
    ``await conn.get_raw_connection()``, which cost a tenth of the decision's client CPU).
    A raw statement outside Database.transaction() would autocommit on its own: refuse instead.
    """
    driver = conn.sync_connection.connection.driver_connection if conn.sync_connection else None
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("a raw PostgreSQL statement must run inside the decision's transaction")
    return driver


def _locked(values: list[Any]) -> PlayerRow:
    """A PlayerRow from the fast path's columns (JSON columns decoded if the driver did not)."""
    values[11] = json.loads(values[11]) if isinstance(values[11], str) else values[11]
    values[16] = json.loads(values[16]) if isinstance(values[16], str) else values[16]
    return PlayerRow(*values)


class PostgresPlayerStore(PlayerStore):
    async def lock(self, conn: AsyncConnection, user_id: int) -> PlayerRow | None:
        row = await _driver(conn).fetchrow(_LOCK_READ, user_id)
        if row is None:  # a new player without story state yet: the portable two-step path
            return await super().lock(conn, user_id)
        return _locked(list(row.values()))

    async def lock_and_mark(
        self, conn: AsyncConnection, user_id: int, update_id: int | None, now: datetime
    ) -> tuple[PlayerRow | None, bool]:
        if update_id is None:
            return await super().lock_and_mark(conn, user_id, update_id, now)
        row = await _driver(conn).fetchrow(_LOCK_READ_MARK, user_id, update_id, now)
        if row is None:  # no story state yet (nothing was marked): the portable path
            return await super().lock_and_mark(conn, user_id, update_id, now)
        values = list(row.values())
        player = _locked(values[:-1])
        return player, player.banned or bool(values[-1])

    async def mark_update(self, conn: AsyncConnection, update_id: int, user_id: int, now: datetime) -> bool:
        status = await _driver(conn).execute(_MARK_UPDATE, update_id, user_id, now)
        return bool(status == "INSERT 0 1")

    async def commit_decision(self, conn: AsyncConnection, write: DecisionWrite) -> None:
        driver = _driver(conn)
        game = write.gamification or {}
        decision = write.decision
        await driver.execute(
            _COMMIT,
            write.user_id,
            write.release,
            write.scene.partition(".")[0],
            write.scene,
            write.turn,
            write.nonce,
            _dumps(write.state),
            write.now,
            write.gamification is not None,
            game.get("balance", 0),
            game.get("total_earned", 0),
            game.get("level", 1),
            game.get("streak", 0),
            _dumps(game.get("economy", {})),
            decision["action"],
            decision["chapter"],
            decision["scene"],
            decision["choice"],
            decision["turn"],
            _dumps(write.ledger),
            _dumps(write.events),
            _dumps(write.achievements),
            _dumps(write.bonds),
            write.touch,
            _dumps(write.progress),
        )


def store_for(dialect: str) -> PlayerStore:
    return PostgresPlayerStore() if dialect == "postgresql" else PlayerStore()
