"""AdminService on SQLite and PostgreSQL: admins, audit, stats, bans."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.admin import AdminService
from engine.store.database import Database
from engine.store.tables import audit_log
from tests.services.support import ANA, BEA, CLARA, NOON, clock, count, play_service, register, set_user


async def audit_rows(database: Database) -> list[tuple[str, str, str | None, dict[str, object]]]:
    a = audit_log.c
    async with database.connect() as conn:
        rows = await conn.execute(sa.select(a.actor, a.action, a.subject, a.details).order_by(a.id))
        return [(r.actor, r.action, r.subject, r.details) for r in rows]


async def test_admins_come_from_config_or_the_users_table(database: Database) -> None:
    admin = AdminService(database, clock())
    await register(database, ANA, NOON)
    await register(database, BEA, NOON)
    await set_user(database, BEA.id, is_admin=True)
    assert await admin.is_admin(ANA.id, frozenset({ANA.id}))
    assert await admin.is_admin(BEA.id, frozenset())
    assert not await admin.is_admin(ANA.id, frozenset({BEA.id}))
    assert not await admin.is_admin(404, frozenset())
    assert await admin.is_admin(404, frozenset({404}))  # configured admins need not have played


async def test_audit_in_its_own_or_the_callers_transaction(database: Database) -> None:
    admin = AdminService(database, clock())
    await admin.audit(None, "cli:ops", "release.note", "release:1", {"why": "test"})

    async def audited_then_failed() -> None:
        async with database.transaction() as conn:
            await admin.audit(conn, "cli:ops", "rolled.back", None, {})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await audited_then_failed()
    assert await audit_rows(database) == [("cli:ops", "release.note", "release:1", {"why": "test"})]


async def test_ban_stops_play_and_unban_restores_it(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    admin = AdminService(database, at)
    started = await play.start(ANA)
    assert await admin.ban(ANA.id, actor="tg:1")
    assert (await play.choose(ANA.id, started.nonce, 0)).outcome == "banned"
    assert (await play.start(ANA)).outcome == "banned"
    assert await admin.unban(ANA.id, actor="cli:ops")
    assert (await play.choose(ANA.id, started.nonce, 0)).outcome == "applied"
    assert await audit_rows(database) == [
        ("tg:1", "user.ban", f"user:{ANA.id}", {"was_banned": False}),
        ("cli:ops", "user.unban", f"user:{ANA.id}", {"was_banned": True}),
    ]


async def test_banning_an_unknown_user_changes_and_logs_nothing(database: Database) -> None:
    admin = AdminService(database, clock())
    assert not await admin.ban(404, actor="tg:1")
    assert not await admin.unban(404, actor="tg:1")
    assert await count(database, audit_log) == 0


async def test_stats_count_players_and_decisions_made_through_play(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock(NOON - timedelta(days=10))
    play = play_service(database, example_bundle, at)
    old = await play.start(CLARA)  # joined 10 days ago, last seen 10 days ago
    await play.choose(CLARA.id, old.nonce, 0)

    at.current = NOON - timedelta(days=3)
    bea = await play.start(BEA)  # new this week, last seen 3 days ago
    bea = await play.choose(BEA.id, bea.nonce, 0)

    at.current = NOON - timedelta(hours=2)
    ana = await play.start(ANA)
    first = await play.choose(ANA.id, ana.nonce, 0)
    assert first.applied
    await play.choose(ANA.id, first.nonce, 0)

    stats = await AdminService(database, at).stats(NOON)
    assert (stats.players_today, stats.players_7d, stats.new_users_7d) == (1, 2, 2)
    # Ana: start + 2 choices today; Bea: start + 1 choice this week; Clara's are older.
    assert (stats.decisions_today, stats.decisions_7d) == (3, 5)
    start_scene = example_bundle.scenes[example_bundle.start]
    first_key = start_scene.choices[0].key
    second_scene = example_bundle.scenes[start_scene.choices[0].goto]
    assert stats.top_choices == [
        (example_bundle.start, first_key, 2),
        (second_scene.key, second_scene.choices[0].key, 1),
    ]
    assert stats.revenue == {}  # no payments table yet: nothing, not an invented number
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["top_choices"][0] == {"scene": example_bundle.start, "choice": first_key, "count": 2}


async def test_top_choices_keeps_the_five_most_made(database: Database, example_bundle: Bundle) -> None:
    from engine.store.tables import story_decisions

    await register(database, ANA, NOON)
    rows = []
    for n, (scene, choice) in enumerate(
        [("a.s", "x")] * 3 + [("a.s", "y")] * 2 + [("b.s", f"c{i}") for i in range(6)]
    ):
        rows.append(
            {
                "user_id": ANA.id,
                "release": "h",
                "action": "choose",
                "chapter": scene.split(".")[0],
                "scene": scene,
                "choice": choice,
                "turn": n,
                "created_at": NOON - timedelta(hours=1),
            }
        )
    rows.append({**rows[0], "choice": None, "action": "continue"})
    async with database.transaction() as conn:
        await conn.execute(sa.insert(story_decisions), rows)
    stats = await AdminService(database, clock()).stats(NOON)
    assert stats.top_choices == [
        ("a.s", "x", 3),
        ("a.s", "y", 2),
        ("b.s", "c0", 1),
        ("b.s", "c1", 1),
        ("b.s", "c2", 1),
    ]
    assert stats.decisions_today == 12


async def test_stats_on_an_empty_database(database: Database) -> None:
    stats = await AdminService(database, clock()).stats()
    assert stats.to_dict() == {
        "at": NOON.isoformat(),
        "players_today": 0,
        "players_7d": 0,
        "new_users_7d": 0,
        "decisions_today": 0,
        "decisions_7d": 0,
        "top_choices": [],
        "revenue": {},
    }
