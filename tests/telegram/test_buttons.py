"""Buttons that must not do what they say: stale, forged, replayed, flooded, or posted without the secret.

One bot (webhook on PostgreSQL, the production shape) and one player per scenario. "Nothing applied"
is checked in the database (story_decisions rows and player_states.turn), not just on the screen.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest
import sqlalchemy as sa

from bot.callbacks import Play
from engine.store.tables import users
from tests.telegram.conftest import (
    Player,
    RunningBot,
    advanced,
    as_message,
    progress,
    story_buttons,
)
from tests.telegram.fake_api import callback_update, message_update

pytestmark = pytest.mark.slow  # waits out the flood guard's 2 s window twice

GONE = "Esa opción ya no está disponible."  # "This choice is no longer available." in Spanish
SLOW_DOWN = "Más despacio 🙂"


def nonce_of(player: Player) -> str:
    assert player.screen is not None
    return story_buttons(player.screen)[0][1].n


async def stale_button(bot: RunningBot) -> None:
    player = Player(bot, 701)
    await player.start()
    old = player.screen
    assert old is not None
    started = await progress(bot.database, player.id)
    await player.step("feliz")
    after = await progress(bot.database, player.id)
    assert after == advanced(started)
    current = player.screen
    assert current is not None

    second = story_buttons(old)[1][1].pack()  # a different choice, on the photo message already left behind
    calls = await player.press(second, on=old)
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [a.text for a in answers] == [GONE]
    resent = [c for c in calls if c.method == "sendMessage"]
    assert len(resent) == 1, [c.method for c in calls]
    # the scene the player is really at (without the points notice of the step that led there), live buttons
    assert current.text.startswith(resent[0].text)
    assert [d.n for _, d in story_buttons(resent[0])] == [d.n for _, d in story_buttons(current)]
    assert await progress(bot.database, player.id) == after


async def forged(bot: RunningBot) -> None:
    player = Player(bot, 702)
    await player.start()
    live = nonce_of(player)
    before = await progress(bot.database, player.id)
    forgeries = [
        Play(n=secrets.token_urlsafe(6)[:8], a="c", i=0).pack(),  # a nonce that was never issued
        Play(n=live, a="c", i=99).pack(),  # the live nonce, a choice that does not exist
        Play(n=live, a="c", i=-1).pack(),  # ... nor from the end
        Play(n=live, a="z", i=0).pack(),  # an action that does not exist
        Play(n=live, a="x", i=0).pack(),  # "next chapter" where there is none
        "p:" + live,  # too few parts
        f"p:{live}:c:0:extra",  # too many
        f"p:{live}:c:one",  # not a number
        "garbage",
        "ch:" + "z" * 40,  # a chapter that does not exist
        "lang:xx",  # a language the bot does not speak
    ]
    for data in forgeries:
        calls = await player.press(data)
        answers = [c for c in calls if c.method == "answerCallbackQuery" and c.ok]
        assert len(answers) == 1, (data, [(c.method, c.text) for c in calls])
        assert "Traceback" not in answers[0].text
    assert await progress(bot.database, player.id) == before
    assert nonce_of(player) == live
    # The real button still works afterwards: none of the forgeries moved the player.
    await player.step("feliz")
    assert await progress(bot.database, player.id) == advanced(before)


async def replayed(bot: RunningBot) -> None:
    player = Player(bot, 703)
    await player.start()
    before = await progress(bot.database, player.id)
    assert player.screen is not None
    update = callback_update(
        bot.fake.new_update_id(), player.id, player.callback_data(), as_message(player.screen, player.id)
    )
    query_id = update["callback_query"]["id"]
    mark = len(bot.fake.calls)
    assert await bot.send(update) == 200
    first = [c for c in bot.fake.calls[mark:] if c.chat_id == player.id]
    assert first, "the first delivery showed the next scene"
    mark = len(bot.fake.calls)
    assert await bot.send(update) == 200  # Telegram retrying the same update_id
    assert await progress(bot.database, player.id) == advanced(before)
    assert [c for c in bot.fake.calls[mark:] if c.chat_id == player.id] == []  # nothing shown twice
    answers = [c for c in bot.fake.of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id]
    assert [c.ok for c in answers] in ([True], [True, False])  # answered once (a retry's answer is refused)

    start = message_update(bot.fake.new_update_id(), player.id, "/start")
    mark = len(bot.fake.calls)
    assert await bot.send(start) == 200
    assert await bot.send(start) == 200
    sent = [c for c in bot.fake.calls[mark:] if c.chat_id == player.id]
    assert len(sent) == 1, [(c.method, c.text[:30]) for c in sent]


async def flood(bot: RunningBot) -> None:
    """More taps than the flood guard lets through in its window: a notice, no error, nothing applied."""
    player = Player(bot, 704)
    await player.start()  # update 1 in the window
    before = await progress(bot.database, player.id)
    first = player.screen
    assert first is not None
    data = player.callback_data()
    # Updates 2-6: the same button five times at once; one applies, four find the nonce already used.
    results = await asyncio.gather(*(player.press(data, on=first, paced=False) for _ in range(5)))
    assert await progress(bot.database, player.id) == advanced(before)
    applied = next(calls for calls in results if any(c.method == "editMessageReplyMarkup" for c in calls))
    player.follow(applied)
    live = player.callback_data()
    # Updates 7-10: the live button, but over the limit: a friendly notice, not applied.
    for _ in range(4):
        calls = await player.press(live, paced=False)
        assert [(c.method, c.text) for c in calls] == [("answerCallbackQuery", SLOW_DOWN)]
    assert await progress(bot.database, player.id) == advanced(before)
    assert len(player.answers()) == len(player.taps) == 9
    # Once the player slows down (the harness waits out the window), the same button works.
    await player.press(live)
    assert await progress(bot.database, player.id) == advanced(before, 2)
    # A flood of messages: six answered, one notice for the first over the limit, silence after it.
    await bot.quiet(player.id)
    mark = len(bot.fake.calls)
    for _ in range(8):
        await player.say("/help", paced=False)
    replies = [c.text for c in bot.fake.calls[mark:] if c.chat_id == player.id]
    assert len(replies) == 7
    assert replies[-1] == SLOW_DOWN
    assert all("/deleteme" in text for text in replies[:6])  # the help text


async def without_secret(bot: RunningBot) -> None:
    registered = [c.params for c in bot.fake.calls if c.method == "setWebhook"]
    assert len(registered) == 1
    # Telegram learns the secret it must send, and how many updates at once (WEBHOOK_MAX_CONNECTIONS).
    assert registered[0]["secret_token"] and int(registered[0]["max_connections"]) == 40
    newcomer = 705
    start = message_update(bot.fake.new_update_id(), newcomer, "/start")
    assert await bot.send(start, secret=None) == 401
    assert await bot.send(start, secret="wrong") == 401
    async with bot.database.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).where(users.c.id == newcomer)) == 0

    player = Player(bot, 706)
    await player.start()
    before = await progress(bot.database, player.id)
    tap = callback_update(bot.fake.new_update_id(), player.id, player.callback_data())
    mark = len(bot.fake.calls)
    assert await bot.send(tap, secret=None) == 401
    assert await bot.send(tap, secret="s3cret-token-but-not-quite") == 401
    query_id = tap["callback_query"]["id"]
    reached = [
        c
        for c in bot.fake.calls[mark:]
        if player.id == c.chat_id or c.params.get("callback_query_id") == query_id
    ]
    assert reached == []
    assert await progress(bot.database, player.id) == before
    assert await bot.send(tap) == 200  # the same update with the secret: it was a valid tap
    assert await progress(bot.database, player.id) == advanced(before)


async def test_buttons_that_must_not_apply(bot: RunningBot) -> None:
    async with asyncio.TaskGroup() as group:
        for scenario in (stale_button, forged, replayed, without_secret):
            group.create_task(scenario(bot))
    await flood(bot)  # alone, so that its burst arrives well inside the guard's window
    failed = [(c.method, c.params.get("callback_query_id")) for c in bot.fake.calls if not c.ok]
    assert len(failed) <= 1 and all(method == "answerCallbackQuery" for method, _ in failed)
    _, metrics = await bot.get("/metrics")
    assert "diana_throttled_total 6.0" in metrics  # four taps, two messages
