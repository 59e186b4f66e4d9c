"""The player repository's PostgreSQL fast path: two round trips per decision instead of ten.

Measured on this 2-core machine (bench/decisions.py) the portable one-statement-per-table path spends
most of its time in per-statement client overhead. Here the decision's reads are one locking SELECT and
its writes one data-modifying CTE, both run on the transaction's own asyncpg connection (so they stay
inside the transaction SQLAlchemy began) with asyncpg's prepared-statement cache. Behaviour is identical:
the same test suite runs against both stores.
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
SELECT u.id, u.first_name, u.language, u.timezone, u.banned, u.last_seen_at,
       g.balance, g.total_earned, g.level, g.streak, g.vip_until, g.economy,
       ps.release, ps.scene, ps.turn, ps.nonce, ps.state, ps.version
FROM user_gamification g
JOIN users u ON u.id = g.user_id
JOIN player_states ps ON ps.user_id = g.user_id
WHERE g.user_id = $1
FOR UPDATE OF g, ps
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
)
SELECT 1
"""


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``, only while a transaction is open on it.

    A raw statement outside Database.transaction() would autocommit on its own: refuse instead.
    """
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("a raw PostgreSQL statement must run inside the decision's transaction")
    return driver


class PostgresPlayerStore(PlayerStore):
    async def lock(self, conn: AsyncConnection, user_id: int) -> PlayerRow | None:
        row = await (await _driver(conn)).fetchrow(_LOCK_READ, user_id)
        if row is None:  # a new player without story state yet: the portable two-step path
            return await super().lock(conn, user_id)
        values = list(row.values())
        values[11] = json.loads(values[11]) if isinstance(values[11], str) else values[11]
        values[16] = json.loads(values[16]) if isinstance(values[16], str) else values[16]
        return PlayerRow(*values)

    async def mark_update(self, conn: AsyncConnection, update_id: int, user_id: int, now: datetime) -> bool:
        status = await (await _driver(conn)).execute(_MARK_UPDATE, update_id, user_id, now)
        return bool(status == "INSERT 0 1")

    async def commit_decision(self, conn: AsyncConnection, write: DecisionWrite) -> None:
        driver = await _driver(conn)
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
        )


def store_for(dialect: str) -> PlayerStore:
    return PostgresPlayerStore() if dialect == "postgresql" else PlayerStore()
