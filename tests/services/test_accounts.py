"""AccountService on SQLite and PostgreSQL: language, export (/mydata) and erasure (/deleteme)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services import accounts as accounts_module
from engine.services.accounts import AccountService, personal_tables
from engine.services.admin import AdminService
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.profile import ProfileService
from engine.store.database import Database
from engine.store.players import PlayerStore
from engine.store.tables import (
    audit_log,
    broadcasts,
    metadata,
    points_transactions,
    user_profiles,
    user_subscriptions,
    users,
)
from tests.services.support import ANA, BEA, NOON, clock, count, play_service, register

EXPECTED_TABLES = {
    "users",
    "user_profiles",
    "player_states",
    "user_gamification",
    "points_transactions",
    "user_achievements",
    "story_decisions",
    "user_story_progress",
    "user_character_relationships",
    "user_subscriptions",
    "outbox",
    "processed_updates",
}


async def full_history(database: Database, bundle: Bundle, at: FixedClock) -> None:
    """Ana and Bea with a row in every personal table, and Ana in the audit trail as subject and actor."""
    play = play_service(database, bundle, at)
    for user in (ANA, BEA):
        started = await play.start(user, update_id=user.id * 10)
        moved = await play.choose(user.id, started.nonce, 0, update_id=user.id * 10 + 1)
        assert moved.applied
        checked = await ProfileService(database, StaticContent(bundle), at).checkin(user.id)
        assert checked.applied
    async with database.transaction() as conn:
        await conn.execute(
            sa.insert(user_profiles),
            [
                {
                    "user_id": u.id,
                    "archetype": "romantico",
                    "preferences": {"quiet": True},
                    "updated_at": NOON,
                }
                for u in (ANA, BEA)
            ],
        )
        await conn.execute(
            sa.insert(user_subscriptions),
            [
                {
                    "user_id": u.id,
                    "provider": "telegram",
                    "external_id": f"charge-{u.id}",
                    "product_id": "vip_mes",
                    "status": "active",
                    "current_period_end": NOON + timedelta(days=30),
                    "created_at": NOON,
                    "updated_at": NOON,
                }
                for u in (ANA, BEA)
            ],
        )
        await conn.execute(sa.update(users).where(users.c.id == BEA.id).values(referred_by=ANA.id))
        store = PlayerStore()
        for user in (ANA, BEA):
            await store.add_achievements(
                conn,
                [{"user_id": user.id, "achievement_id": "constancia", "tier": "bronze", "unlocked_at": NOON}],
            )
            await store.set_bonds(conn, user.id, {"diana": 4}, NOON)
    admin = AdminService(database, at)
    await admin.ban(ANA.id, actor="tg:1")
    await admin.unban(ANA.id, actor="tg:1")
    await admin.create_broadcast("Ana, as an admin, says hi", actor=f"tg:{ANA.id}")


async def test_set_language(database: Database) -> None:
    accounts = AccountService(database, clock())
    await register(database, ANA, NOON)
    assert await accounts.set_language(ANA.id, "pt-BR")
    async with database.connect() as conn:
        assert await conn.scalar(sa.select(users.c.language).where(users.c.id == ANA.id)) == "pt-BR"
    assert not await accounts.set_language(404, "en")
    with pytest.raises(ValueError, match="language"):
        await accounts.set_language(ANA.id, "not a language")


async def test_export_holds_every_personal_row(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await full_history(database, example_bundle, at)
    data = await AccountService(database, at).export(ANA.id)
    assert data is not None
    json.dumps(data)  # JSON data as it is, no custom encoder
    assert data["format"] == 1
    assert data["exported_at"] == NOON.isoformat()
    assert data["user_id"] == ANA.id
    tables: dict[str, list[dict[str, Any]]] = data["tables"]
    assert set(tables) >= EXPECTED_TABLES
    for name in EXPECTED_TABLES:
        assert tables[name], f"{name} exported nothing"
        column = "id" if name == "users" else "user_id"
        assert {row[column] for row in tables[name]} == {ANA.id}, name  # nothing of Bea's
    # The ledger is there and adds up to the balance beside it.
    ledger = tables["points_transactions"]
    assert sum(row["amount"] for row in ledger) == tables["user_gamification"][0]["balance"] > 0
    assert any(row["idempotency_key"].startswith(f"checkin:{ANA.id}:") for row in ledger)
    assert tables["users"][0]["created_at"] == NOON.isoformat()
    assert tables["user_gamification"][0]["last_checkin"] == "2026-03-10"
    assert {row["update_id"] for row in tables["processed_updates"]} == {ANA.id * 10, ANA.id * 10 + 1}
    assert [row["action"] for row in tables["audit_log"]] == ["user.ban", "user.unban", "broadcast.create"]
    assert [row["text"] for row in tables["broadcasts"]] == ["Ana, as an admin, says hi"]


async def test_export_of_an_unknown_user(database: Database) -> None:
    assert await AccountService(database, clock()).export(404) is None


def test_every_table_with_a_user_id_is_personal() -> None:
    names = {t.name for t in personal_tables()} | {"users"}
    assert names == EXPECTED_TABLES | {t.name for t in metadata.sorted_tables if "user_id" in t.c}


async def rows_about(database: Database, user_id: int) -> dict[str, int]:
    """Rows in any table whose user_id, or (users) id or referred_by, is ``user_id``."""
    found: dict[str, int] = {}
    async with database.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [table.c[c] for c in ("user_id", "referred_by") if c in table.c]
            if table is users:
                columns.append(users.c.id)
            if not columns:
                continue
            n = await conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(sa.or_(*(c == user_id for c in columns)))
            )
            if n:
                found[table.name] = int(n)
    return found


async def text_mentions(database: Database, needle: str) -> list[str]:
    """Tables where any column of any row, as text, contains ``needle`` (the broadcast cursor aside:
    it is a position in the recipient order, not a row about anyone)."""
    found = []
    async with database.connect() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(sa.select(table)):
                values = {
                    k: v for k, v in row._mapping.items() if not (table is broadcasts and k == "cursor")
                }
                if needle in json.dumps(values, default=str):
                    found.append(table.name)
                    break
    return found


async def test_erase_leaves_no_personal_row(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    await full_history(database, example_bundle, at)
    assert set(await rows_about(database, ANA.id)) >= EXPECTED_TABLES
    bea_before = await rows_about(database, BEA.id)
    accounts = AccountService(database, at)

    assert await accounts.erase(ANA.id, actor="tg:1")

    assert await rows_about(database, ANA.id) == {}
    assert await text_mentions(database, str(ANA.id)) == []
    assert await accounts.export(ANA.id) is None
    assert not await accounts.erase(ANA.id, actor="tg:1")
    assert await accounts.export(BEA.id) is not None
    bea_after = await rows_about(database, BEA.id)
    assert bea_after == {k: v for k, v in bea_before.items() if k != "users"} | {"users": 1}
    async with database.connect() as conn:
        log = (await conn.execute(sa.select(audit_log).where(audit_log.c.action == "user.erase"))).one()
    assert log.actor == "tg:1"
    assert log.subject is None
    deleted = log.details["rows_deleted"]
    assert deleted["users"] == 1
    assert deleted["points_transactions"] >= 3
    assert set(deleted) == EXPECTED_TABLES


async def test_erase_is_one_transaction(
    database: Database, example_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = clock()
    await full_history(database, example_bundle, at)
    before = await rows_about(database, ANA.id)

    async def fail(*_: Any, **__: Any) -> None:
        raise ConnectionResetError("connection dropped before the audit row")

    monkeypatch.setattr(accounts_module, "write_audit", fail)
    with pytest.raises(ConnectionResetError):
        await AccountService(database, at).erase(ANA.id, actor="tg:1")
    assert await rows_about(database, ANA.id) == before
    assert await count(database, points_transactions, user_id=ANA.id) > 0


async def test_erase_racing_decisions_leaves_nothing(database: Database, example_bundle: Bundle) -> None:
    """A decision in flight finishes first (its rows erased too) or finds no player afterwards."""
    at = clock()
    play = play_service(database, example_bundle, at)
    started = await play.start(ANA, update_id=1)
    accounts = AccountService(database, at)
    profiles = ProfileService(database, StaticContent(example_bundle), at)
    results = await asyncio.gather(
        play.choose(ANA.id, started.nonce, 0, update_id=2),
        profiles.checkin(ANA.id),
        accounts.erase(ANA.id, actor="tg:1"),
        play.say(ANA.id, "hola", update_id=3),
    )
    assert results[2] is True
    assert await rows_about(database, ANA.id) == {}
