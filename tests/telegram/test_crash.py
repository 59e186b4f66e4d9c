"""A handler that raises: the player gets a localized apology, never a traceback, and the process lives on.

The fake Bot API refuses one call (``fail_next``), which raises inside the handler that made it, as a
Telegram outage or a bad request would. The bot logs the traceback, hence the ``bot_errors`` mark.
"""

from __future__ import annotations

import pytest

from tests.telegram.conftest import Player, RunningBot, advanced, progress

pytestmark = pytest.mark.bot_errors

SORRY_ES = "Algo ha fallado por nuestra parte. Inténtalo de nuevo en un momento."
SORRY_EN = "Something went wrong on our side. Please try again in a moment."
GONE_EN = "This choice is no longer available."


async def test_a_crash_in_a_handler_is_apologised_for_and_survived(bot: RunningBot) -> None:
    fake = bot.fake
    gina = Player(bot, 901, "es", "Gina")
    await gina.start()

    # A command whose reply fails: the apology goes out as a message, in her language.
    fake.fail_next["sendMessage"] = 1
    calls = await gina.say("/help")
    assert [(c.method, c.ok) for c in calls] == [("sendMessage", False), ("sendMessage", True)]
    assert calls[-1].text == SORRY_ES

    # A button whose new scene cannot be sent, after the decision committed: the apology is the
    # callback's answer (an alert), the only answer it gets.
    hugo = Player(bot, 902, "en", "Hugo")
    await hugo.start()
    before = await progress(bot.database, hugo.id)
    pressed = hugo.screen
    fake.fail_next["sendMessage"] = 1  # the scene after the photo goes out as a new text message
    calls = await hugo.press(hugo.callback_data())
    assert [(c.method, c.ok) for c in calls if c.method == "sendMessage"] == [("sendMessage", False)]
    answers = [(c.ok, c.text, c.params.get("show_alert")) for c in calls if c.method == "answerCallbackQuery"]
    assert answers == [(True, SORRY_EN, True)]
    assert not any("Traceback" in c.text for c in calls)
    assert await progress(bot.database, hugo.id) == advanced(before)  # what committed, stays committed
    # Pressing again finds the button stale and re-sends the scene he is really at: he can go on.
    calls = await hugo.press(hugo.callback_data(), on=pressed)
    assert [c.text for c in calls if c.method == "answerCallbackQuery"] == [GONE_EN]
    assert hugo.follow(calls) is not None
    await hugo.step("I'm happy")
    assert await progress(bot.database, hugo.id) == advanced(before, 2)

    # Alive: the next updates are handled normally, and the errors were counted.
    assert "/deleteme" in (await gina.say("/help"))[-1].text
    assert bot.process.poll() is None
    assert (await bot.get("/health"))[0] == 200
    _, metrics = await bot.get("/metrics")
    assert "diana_errors_total 2.0" in metrics
    assert any("update" in line and "failed" in line for line in bot.lines)
