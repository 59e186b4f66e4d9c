"""PlayService on SQLite and PostgreSQL: each decision applied exactly once, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.play import PlayService
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import (
    outbox,
    player_states,
    points_transactions,
    processed_updates,
    story_decisions,
    user_gamification,
)

ANA = UserInfo(7, "Ana", language="es")


def service(database: Database, bundle: Bundle, clock: FixedClock | None = None) -> PlayService:
    counter = itertools.count(1)
    return PlayService(
        database, StaticContent(bundle), clock=clock or FixedClock(), tokens=lambda: f"n{next(counter)}"
    )


async def count(database: Database, table: sa.Table, **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with database.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def balance(database: Database, user_id: int) -> tuple[int, int]:
    """(balance column, sum of the ledger) for one user."""
    async with database.connect() as conn:
        column = await conn.scalar(
            sa.select(user_gamification.c.balance).where(user_gamification.c.user_id == user_id)
        )
        ledger = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(points_transactions.c.amount), 0)).where(
                points_transactions.c.user_id == user_id
            )
        )
    return int(column or 0), int(ledger or 0)


async def test_start_registers_and_begins(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    decision = await play.start(ANA, update_id=100)
    assert decision.outcome == "applied"
    assert decision.view is not None
    assert decision.view.scene == example_bundle.start
    assert decision.nonce == "n1"
    bal, ledger = await balance(database, ANA.id)
    assert bal == ledger == decision.view.points > 0  # story_started reward
    assert await count(database, outbox, user_id=ANA.id) == len(decision.events) > 0
    assert await count(database, processed_updates) == 1


async def test_restarting_the_app_resumes_the_same_place(database: Database, example_bundle: Bundle) -> None:
    first = service(database, example_bundle)
    started = await first.start(ANA)
    moved = await first.choose(ANA.id, started.nonce, 0)
    assert moved.applied
    again = service(database, example_bundle)  # a new process on the same database
    resumed = await again.start(ANA)
    assert resumed.outcome == "unchanged"
    assert resumed.view is not None and moved.view is not None
    assert resumed.view.scene == moved.view.scene
    assert resumed.nonce == moved.nonce


async def test_replayed_update_is_applied_once(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA, update_id=1)
    first = await play.choose(ANA.id, started.nonce, 0, update_id=2)
    replay = await play.choose(ANA.id, started.nonce, 0, update_id=2)
    assert first.outcome == "applied"
    assert replay.outcome == "duplicate"
    assert replay.view is not None and first.view is not None
    assert replay.view.scene == first.view.scene
    assert await count(database, story_decisions, user_id=ANA.id) == 2  # start + one choice
    bal, ledger = await balance(database, ANA.id)
    assert bal == ledger


async def test_double_click_from_two_tasks_applies_once(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA)
    results = await asyncio.gather(
        *(play.choose(ANA.id, started.nonce, 0, update_id=10 + i) for i in range(4))
    )
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["applied", "stale", "stale", "stale"]
    assert await count(database, story_decisions, user_id=ANA.id) == 2
    bal, ledger = await balance(database, ANA.id)
    assert bal == ledger
    scenes = {r.view.scene for r in results if r.view}
    assert len(scenes) == 1  # the losers were shown the winner's scene


async def test_stale_button_from_an_old_view(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA)
    moved = await play.choose(ANA.id, started.nonce, 0)
    stale = await play.choose(ANA.id, started.nonce, 1)  # a button of the first message
    assert stale.outcome == "stale"
    assert stale.message and "ya no está disponible" in stale.message
    assert stale.view is not None and moved.view is not None
    assert stale.view.scene == moved.view.scene
    assert stale.nonce == moved.nonce


async def test_forged_callbacks_change_nothing(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA)
    decisions_before = await count(database, story_decisions)
    forged_nonce = await play.choose(ANA.id, "AAAAAAAA", 0)
    forged_index = await play.choose(ANA.id, started.nonce, 99)
    assert forged_nonce.outcome == "stale"
    assert forged_index.outcome == "invalid"
    assert await count(database, story_decisions) == decisions_before


async def test_unknown_user_is_not_created_by_a_button(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    decision = await play.choose(999, "whatever", 0)
    assert decision.outcome == "unknown_user"
    assert decision.view is None
    assert await count(database, player_states) == 0


async def test_player_on_a_removed_scene_continues_at_the_chapter_start(
    database: Database, example_bundle: Bundle
) -> None:
    play = service(database, example_bundle)
    await play.start(ANA)
    async with database.transaction() as conn:
        await conn.execute(
            sa.update(player_states)
            .where(player_states.c.user_id == ANA.id)
            .values(scene="encuentro.escena_borrada")
        )
    resumed = await play.start(ANA)
    assert resumed.view is not None
    assert resumed.view.scene == example_bundle.chapters["encuentro"].start
    assert any("actualizado" in notice for notice in resumed.view.notices)


async def test_a_failure_mid_decision_writes_nothing(
    database: Database, example_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA)
    before = (await balance(database, ANA.id), await count(database, story_decisions))

    original = play.store.commit_decision

    async def write_then_fail(conn: Any, write: Any) -> None:
        await original(conn, write)  # every row of the decision is written, not yet committed
        raise ConnectionResetError("connection dropped mid-transaction")

    monkeypatch.setattr(play.store, "commit_decision", write_then_fail)
    with pytest.raises(ConnectionResetError):
        await play.choose(ANA.id, started.nonce, 0)
    monkeypatch.undo()
    assert (await balance(database, ANA.id), await count(database, story_decisions)) == before
    after = await play.choose(ANA.id, started.nonce, 0)  # the same button still works
    assert after.outcome == "applied"


@pytest.mark.postgres
async def test_connection_killed_mid_transaction_on_postgres(
    postgres_database: Database, example_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = postgres_database
    play = service(database, example_bundle)
    started = await play.start(ANA)
    before = await balance(database, ANA.id)
    original = play.store.commit_decision

    async def write_then_kill(conn: Any, write: Any) -> None:
        await original(conn, write)
        await conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))

    monkeypatch.setattr(play.store, "commit_decision", write_then_kill)
    with pytest.raises(Exception, match=r"(?i)terminat|connection|closed"):
        await play.choose(ANA.id, started.nonce, 0)
    monkeypatch.undo()
    assert await balance(database, ANA.id) == before
    assert (await play.choose(ANA.id, started.nonce, 0)).outcome == "applied"


async def test_balance_cannot_go_negative_in_the_database(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    await play.start(ANA)
    with pytest.raises(sa.exc.IntegrityError):
        async with database.transaction() as conn:
            await conn.execute(
                sa.update(user_gamification).where(user_gamification.c.user_id == ANA.id).values(balance=-1)
            )


async def test_banned_player_gets_nothing_applied(database: Database, example_bundle: Bundle) -> None:
    from engine.store.tables import users

    play = service(database, example_bundle)
    started = await play.start(ANA)
    async with database.transaction() as conn:
        await conn.execute(sa.update(users).where(users.c.id == ANA.id).values(banned=True))
    assert (await play.choose(ANA.id, started.nonce, 0)).outcome == "banned"


async def test_press_is_guarded_by_the_nonce_for_every_button(
    database: Database, example_bundle: Bundle
) -> None:
    """Front-ends send taps through press(); a "start over" from an old message must not fire."""
    play = service(database, example_bundle)
    started = await play.start(ANA)
    moved = await play.press(ANA.id, started.nonce, "choose", 0)
    assert moved.outcome == "applied"
    stale_restart = await play.press(ANA.id, started.nonce, "restart")
    assert stale_restart.outcome == "stale"
    assert stale_restart.view is not None and moved.view is not None
    assert stale_restart.view.scene == moved.view.scene
    assert (await play.press(ANA.id, moved.nonce, "restart")).outcome == "applied"
    with pytest.raises(ValueError, match="no button"):
        await play.press(ANA.id, moved.nonce, "fly")
