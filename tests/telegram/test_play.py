"""Playing the example story to an ending as players would, over real HTTP, in every deployment shape.

This is the one test on the full matrix (webhook and polling, SQLite and PostgreSQL): three players at
once, one in Spanish, one whose Telegram is in English, one who switches with /language, each taking
the first open button at every step and answering the mood scene in words. It also covers what the
smoke test used to: a photo scene retired and re-sent as text, text edited in place, and the probes.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from engine.store.database import Database
from engine.store.tables import user_story_progress, users
from tests.telegram.conftest import Player, RunningBot, decisions, story_buttons

SPANISH_MOOD = "estoy feliz, de verdad"
ENGLISH_MOOD = "I'm happy, truly"


async def ending_of(database: Database, user_id: int) -> tuple[str | None, bool]:
    async with database.connect() as conn:
        row = (
            await conn.execute(
                sa.select(user_story_progress.c.ending, user_story_progress.c.completed_at).where(
                    user_story_progress.c.user_id == user_id, user_story_progress.c.chapter == "encuentro"
                )
            )
        ).one()
    return row.ending, row.completed_at is not None


async def language_of(database: Database, user_id: int) -> str | None:
    async with database.connect() as conn:
        found = await conn.scalar(sa.select(users.c.language).where(users.c.id == user_id))
    return None if found is None else str(found)


async def spanish(player: Player) -> None:
    first = await player.start()
    assert first.method == "sendPhoto"
    assert "Llueve" in first.text
    assert len(player.open_buttons()) >= 2
    # A photo cannot become text: its buttons are retired and the next scene sent as a new message.
    calls = await player.step(SPANISH_MOOD)
    methods = [c.method for c in calls]
    assert methods == ["editMessageReplyMarkup", "sendMessage", "answerCallbackQuery"]
    assert player.screen is not None and player.screen.method == "sendMessage"
    sent = player.screen
    # Text to text: edited in place, same message.
    await player.step(SPANISH_MOOD)
    assert player.screen.method == "editMessageText"
    assert int(player.screen.params["message_id"]) == sent.result["message_id"]
    assert player.screen.text != sent.text

    seen = await player.play_to_ending(SPANISH_MOOD)
    final = [label for label, _ in story_buttons(player.screen)]
    assert any("Siguiente capítulo" in label for label in final), final
    assert any("Empezar de nuevo" in label for label in final), final
    assert not any("Rain" in text for text in seen)


async def english(player: Player) -> None:
    first = await player.start()
    assert "Rain falls" in first.text
    seen = await player.play_to_ending(ENGLISH_MOOD)
    final = [label for label, _ in story_buttons(player.screen)] if player.screen else []
    assert any("Next chapter" in label for label in final), final
    assert not any("Llueve" in text for text in seen)
    calls = await player.say("/help")
    assert "is a story you live by choosing" in calls[-1].text


async def switching(player: Player, database: Database) -> None:
    first = await player.start()
    assert "Llueve" in first.text
    assert await language_of(database, player.id) == "es"
    menu = (await player.say("/language"))[-1]
    assert menu.text == "Elige tu idioma:"
    english_button = next(b["callback_data"] for b in menu.buttons() if b["callback_data"].endswith(":en"))
    calls = await player.press(english_button, on=menu)
    assert [c.text for c in calls if c.method == "answerCallbackQuery"] == ["Language: English 🇬🇧"]
    assert calls[-1].method == "sendMessage" and calls[-1].text == "Language: English 🇬🇧"
    assert await language_of(database, player.id) == "en"

    scene = player.follow(await player.say("/menu"))  # the same scene, now in English
    assert scene is not None and "Rain falls" in scene.text
    seen = await player.play_to_ending(ENGLISH_MOOD)
    assert not any("Llueve" in text for text in seen[1:])
    unknown = await player.say("/nonsense")
    assert unknown[-1].text == "Unknown command. Send /help to see what I can do."

    menu = (await player.say("/language"))[-1]
    assert menu.text == "Choose your language:"
    spanish_button = next(b["callback_data"] for b in menu.buttons() if b["callback_data"].endswith(":es"))
    calls = await player.press(spanish_button, on=menu)
    assert calls[-1].text == "Idioma: español 🇪🇸"
    scene = player.follow(await player.say("/menu"))
    assert scene is not None and any("Siguiente capítulo" in label for label, _ in story_buttons(scene))


async def test_players_reach_an_ending_in_spanish_and_english(running_bot: RunningBot) -> None:
    bot = running_bot
    database = bot.database
    assert (await bot.get("/health"))[0] == 200
    status, body = await bot.get("/ready")
    assert status == 200 and '"release"' in body

    ana = Player(bot, 601, "es", "Ana")
    ben = Player(bot, 602, "en", "Ben")
    cleo = Player(bot, 603, "es", "Cleo")
    async with asyncio.TaskGroup() as group:
        group.create_task(spanish(ana))
        group.create_task(english(ben))
        group.create_task(switching(cleo, database))

    for player in (ana, ben, cleo):
        assert await ending_of(database, player.id) == ("good", True)
        # every tap answered exactly once: no button left spinning, no answer refused as a duplicate
        answered = player.answers()
        assert sorted(c.params["callback_query_id"] for c in answered) == sorted(player.taps)
        assert await decisions(database, player.id) >= 6
    failed = [c.method for c in bot.fake.calls if not c.ok]
    assert failed == []

    status, metrics = await bot.get("/metrics")
    assert status == 200
    assert 'diana_updates_total{type="callback_query"}' in metrics
    assert 'diana_decisions_total{outcome="applied"}' in metrics
    assert "diana_handler_seconds_bucket" in metrics
