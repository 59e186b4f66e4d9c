"""A player's own commands over HTTP: the menus, the daily check-in, /mydata, and /deleteme leaving
nothing behind in any table.

One bot (webhook on PostgreSQL). Eva plays in Spanish and then erases herself; Finn (English) stays,
so the erasure is seen to take exactly one player's rows.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from bot.callbacks import ChapterPick, EraseConfirm, TopPick
from engine.store.database import Database
from engine.store.tables import metadata, users
from tests.telegram.conftest import Player, RunningBot, progress, story_buttons

pytestmark = pytest.mark.slow  # a dozen commands from one player, paced to the flood guard

EVA = 7_340_917  # an id no content hash or timestamp is likely to contain, so a text search is meaningful
FINN = 7_340_918
PLAYED = {"users", "player_states", "story_decisions", "points_transactions", "processed_updates"}
RELEASE_TABLES = ("releases", "active_release")  # the story's rows, not anybody's


def single(calls: list[Any]) -> str:
    assert len(calls) == 1, [(c.method, c.text[:40]) for c in calls]
    return str(calls[0].text)


async def rows_about(database: Database, user_id: int) -> dict[str, int]:
    """Rows in every table with a user_id column (and users.id) that belong to ``user_id``."""
    found: dict[str, int] = {}
    async with database.connect() as conn:
        for table in metadata.sorted_tables:
            column = table.c.get("user_id")
            if table is users:
                column = users.c.id
            if column is None:
                continue
            count = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(column == user_id))
            if count:
                found[table.name] = int(count)
    return found


async def mentions(database: Database, user_id: int) -> list[str]:
    """Tables (outside the releases) holding the id anywhere in their text: audit trails, JSON payloads."""
    needle = str(user_id)
    found = []
    async with database.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name.startswith("release") or table.name in RELEASE_TABLES:
                continue
            for row in (await conn.execute(sa.select(table))).all():
                if needle in json.dumps([str(v) for v in row], ensure_ascii=False):
                    found.append(table.name)
                    break
    return found


async def menus(eva: Player) -> None:
    chapters = await eva.say("/chapters")
    listing = single(chapters)
    assert listing.startswith("📚 <b>Capítulos</b>")
    assert "▶ estás aquí" in listing
    picks = [b["callback_data"] for b in chapters[0].buttons()]
    assert picks and all(ChapterPick.unpack(p).id for p in picks)
    entered = await eva.press(picks[0], on=chapters[0])
    assert entered[0].method == "answerCallbackQuery"
    eva.follow(entered)

    profile = single(await eva.say("/profile"))
    assert profile.startswith("👤 <b>Eva</b>")
    for part in ("nivel", "🔥 Racha:", "Sin pase VIP", "🏆 Logros:"):
        assert part in profile, part
    assert single(await eva.say("/achievements")).startswith("🏆 <b>Logros</b>")

    daily = single(await eva.say("/daily"))
    assert daily.startswith("☀️ Visita diaria: +"), daily
    assert single(await eva.say("/daily")) == "Ya has hecho la visita de hoy. ¡Vuelve mañana!"

    top_calls = await eva.say("/top")
    top = single(top_calls)
    assert top.startswith("🏅 <b>Mejores jugadores</b>")
    assert "Eva" in top and "Tu puesto: #" in top
    picks = {TopPick.unpack(b["callback_data"]).b: b["callback_data"] for b in top_calls[0].buttons()}
    assert set(picks) == {"all", "week", "chapter"}
    week = [c for c in await eva.press(picks["week"], on=top_calls[0]) if c.method == "editMessageText"]
    assert week and week[0].text.startswith("🏅 <b>Mejores de la semana</b>"), week
    assert "Eva" in week[0].text and "Tu puesto: #" in week[0].text
    shop = single(await eva.say("/shop"))
    assert shop.startswith("🛍 <b>Tienda</b>") and "⭐" in shop
    assert "/deleteme — borrar tus datos" in single(await eva.say("/help"))

    screen = eva.screen
    assert screen is not None
    again = eva.follow(await eva.say("/menu"))  # the current scene again, with the same live buttons
    assert again is not None and again.method in ("sendMessage", "sendPhoto")
    assert [d for _, d in story_buttons(again)] == [d for _, d in story_buttons(screen)]


async def english_menus(finn: Player) -> None:
    await finn.start()
    await finn.step("I'm happy")
    profile = single(await finn.say("/profile"))
    assert profile.startswith("👤 <b>Finn</b>") and " · level " in profile and "No VIP pass" in profile
    assert single(await finn.say("/daily")).startswith("☀️ Daily check-in: +")
    assert single(await finn.say("/daily")) == "You already checked in today. Come back tomorrow!"
    assert single(await finn.say("/shop")).startswith("🛍 <b>Shop</b>")


async def test_commands_mydata_and_deleteme(bot: RunningBot) -> None:
    database = bot.database
    eva = Player(bot, EVA, "es", "Eva")
    finn = Player(bot, FINN, "en", "Finn")
    await eva.start()
    for _ in range(2):
        await eva.step("estoy feliz")
    old_button = eva.callback_data() if eva.open_buttons() else None
    async with asyncio.TaskGroup() as group:
        group.create_task(menus(eva))
        group.create_task(english_menus(finn))

    # /mydata: a JSON document with everything stored about her.
    sent = await eva.say("/mydata")
    assert [c.method for c in sent] == ["sendDocument"]
    export = sent[0]
    assert export.text == "Aquí tienes todo lo que guardamos sobre ti."
    data = json.loads(export.files["document"])
    assert data["user_id"] == EVA
    tables = data["tables"]
    assert tables["users"][0]["first_name"] == "Eva"
    assert tables["story_decisions"] and tables["points_transactions"]
    stored = await rows_about(database, EVA)
    assert {name for name, rows in tables.items() if rows} >= set(stored)
    assert set(stored) >= PLAYED
    finn_rows = await rows_about(database, FINN)

    # /deleteme asks first; "no" keeps everything.
    ask = (await eva.say("/deleteme"))[-1]
    assert ask.text.startswith("Esto borra tu progreso")
    choices = {EraseConfirm.unpack(b["callback_data"]).ok: b["callback_data"] for b in ask.buttons()}
    kept = await eva.press(choices[False], on=ask)
    assert [c.text for c in kept] == ["No se ha borrado nada."]
    assert await rows_about(database, EVA) == stored

    ask = (await eva.say("/deleteme"))[-1]
    erased = await eva.press(choices[True], on=ask)
    assert [c.method for c in erased] == ["answerCallbackQuery", "editMessageText"]
    assert erased[-1].text == "Tus datos se han borrado. Adiós 👋"

    assert await rows_about(database, EVA) == {}
    assert await mentions(database, EVA) == []
    assert await rows_about(database, FINN) == finn_rows  # only hers went

    # Afterwards she is a stranger: nothing she sends creates rows until she chooses /start again.
    assert single(await eva.say("/profile")) == "Envía /start para empezar la historia."
    assert single(await eva.say("/mydata")) == "No tenemos datos sobre ti."
    if old_button is not None:
        answer = await eva.press(old_button)
        assert [c.text for c in answer] == ["Envía /start para empezar la historia."]
    assert await progress(database, EVA) == (0, None)
    assert await rows_about(database, EVA) == {}
