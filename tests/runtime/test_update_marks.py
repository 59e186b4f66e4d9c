"""When a decision records its Telegram ``update_id`` as processed: after the player's lock is held and
only for a player who exists and is not banned; and its chapter progress rows. On PostgreSQL the lock,
the read and the mark are one statement and progress is part of the write statement
(engine/store/players_pg.py); these pin that both stores behave like the separate steps did."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import sqlalchemy as sa

from engine.content.bundle import Bundle
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.play import PlayService
from engine.store.database import Database
from engine.store.players import DecisionWrite, UserInfo
from engine.store.tables import (
    player_states,
    processed_updates,
    user_gamification,
    user_story_progress,
    users,
)

ANA = UserInfo(7, "Ana", language="es")


def service(database: Database, bundle: Bundle) -> PlayService:
    counter = itertools.count(1)
    return PlayService(
        database, StaticContent(bundle), clock=FixedClock(), tokens=lambda: f"n{next(counter)}"
    )


async def marks(database: Database) -> set[int]:
    async with database.connect() as conn:
        return set((await conn.scalars(sa.select(processed_updates.c.update_id))).all())


async def set_banned(database: Database, banned: bool) -> None:
    async with database.transaction() as conn:
        await conn.execute(sa.update(users).where(users.c.id == ANA.id).values(banned=banned))


async def test_a_banned_players_update_is_not_marked(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    started = await play.start(ANA, update_id=1)
    await set_banned(database, True)
    assert (await play.choose(ANA.id, started.nonce, 0, update_id=2)).outcome == "banned"
    assert await marks(database) == {1}
    await set_banned(database, False)  # Telegram re-sends the update after the ban is lifted
    assert (await play.choose(ANA.id, started.nonce, 0, update_id=2)).outcome == "applied"
    assert await marks(database) == {1, 2}
    assert (await play.choose(ANA.id, started.nonce, 0, update_id=2)).outcome == "duplicate"


async def test_an_unknown_players_update_is_not_marked(database: Database, example_bundle: Bundle) -> None:
    play = service(database, example_bundle)
    assert (await play.choose(ANA.id, "whatever", 0, update_id=5)).outcome == "unknown_user"
    assert await marks(database) == set()


async def test_a_stale_tap_is_marked_so_its_replay_is_a_duplicate(
    database: Database, example_bundle: Bundle
) -> None:
    play = service(database, example_bundle)
    await play.start(ANA, update_id=1)
    assert (await play.choose(ANA.id, "old-nonce", 0, update_id=2)).outcome == "stale"
    assert (await play.choose(ANA.id, "old-nonce", 0, update_id=2)).outcome == "duplicate"
    assert await marks(database) == {1, 2}


async def test_a_player_erased_while_their_decision_waits_leaves_no_mark(
    postgres_database: Database, example_bundle: Bundle
) -> None:
    """The decision waits on the player's lock; the eraser deletes everything and commits; the decision
    then finds no player and must not leave an update id under the erased player's user id."""
    database = postgres_database
    play = service(database, example_bundle)
    started = await play.start(ANA, update_id=1)
    async with database.transaction() as eraser:
        await eraser.execute(
            sa.select(user_gamification.c.user_id)
            .where(user_gamification.c.user_id == ANA.id)
            .with_for_update()
        )
        decision = asyncio.create_task(play.choose(ANA.id, started.nonce, 0, update_id=2))
        eraser_pid = await eraser.scalar(sa.text("SELECT pg_backend_pid()"))
        blocked = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY (pg_blocking_pids(pid))"
        ).bindparams(pid=eraser_pid)
        async with database.connect() as observer, asyncio.timeout(30):
            while not await observer.scalar(blocked):  # until the decision waits on our lock
                await asyncio.sleep(0.01)  # polling a condition the server reports, not a guess
        for table in (processed_updates, player_states, user_gamification):
            await eraser.execute(sa.delete(table).where(table.c.user_id == ANA.id))
        await eraser.execute(sa.delete(users).where(users.c.id == ANA.id))
    assert (await decision).outcome == "unknown_user"
    assert await marks(database) == set()


async def test_chapter_progress_rows_written_with_the_decision(
    database: Database, example_bundle: Bundle
) -> None:
    """Entering a chapter records it once; completing it records the ending; a later entry keeps both."""
    play = service(database, example_bundle)
    await play.start(ANA, update_id=1)
    clock = FixedClock()

    async def commit(*progress: dict[str, object]) -> None:
        async with database.transaction() as conn:
            row = await play.store.read(conn, ANA.id)
            assert row is not None and row.state is not None and row.scene and row.turn is not None
            decision = {"action": "continue", "chapter": "c", "scene": row.scene, "choice": None}
            await play.store.commit_decision(
                conn,
                DecisionWrite(
                    user_id=ANA.id,
                    is_new_state=False,
                    release=row.release or "",
                    scene=row.scene,
                    turn=row.turn,
                    nonce="n",
                    state=row.state,
                    now=clock.now(),
                    gamification=None,
                    decision={**decision, "turn": row.turn},
                    ledger=[],
                    events=[],
                    achievements=[],
                    bonds={},
                    touch=False,
                    progress=list(progress),
                ),
            )
        clock.advance(minutes=1)

    async def progress() -> dict[str, tuple[datetime, bool, str | None]]:
        async with database.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    user_story_progress.c.chapter,
                    user_story_progress.c.started_at,
                    user_story_progress.c.completed_at,
                    user_story_progress.c.ending,
                ).where(user_story_progress.c.user_id == ANA.id)
            )
            return {r.chapter: (r.started_at, r.completed_at is not None, r.ending) for r in rows}

    started = await progress()
    await commit({"chapter": "dos", "completed": False, "ending": None})
    entered = (await progress())["dos"]
    assert entered[1:] == (False, None)
    await commit({"chapter": "dos", "completed": False, "ending": None})  # entered again: unchanged
    assert (await progress())["dos"] == entered
    await commit({"chapter": "dos", "completed": True, "ending": "good"})
    assert (await progress())["dos"] == (entered[0], True, "good")
    await commit(
        {"chapter": "dos", "completed": False, "ending": None},
        {"chapter": "tres", "completed": True, "ending": "bad"},
    )
    after = await progress()
    assert after["dos"] == (entered[0], True, "good") and after["tres"][1:] == (True, "bad")
    assert {k: v for k, v in after.items() if k not in ("dos", "tres")} == started
