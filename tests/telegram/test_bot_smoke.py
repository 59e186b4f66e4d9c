"""The bot as a player meets it, over real HTTP, in webhook and polling mode."""

from __future__ import annotations

from tests.telegram.conftest import RunningBot, as_message

ANA = 501


async def test_start_shows_the_first_scene_with_buttons(running_bot: RunningBot) -> None:
    fake = running_bot.fake
    await running_bot.text(ANA, "/start")
    scene = await fake.wait_for("sendPhoto", lambda c: str(c.params.get("chat_id")) == str(ANA))
    assert "Llueve" in scene.text
    assert len(scene.buttons()) >= 2
    first = scene.buttons()[0]["callback_data"]
    assert first.startswith("p:")
    mark = len(fake.calls)
    await running_bot.tap(ANA, first, as_message(scene, ANA))
    await fake.wait_for("answerCallbackQuery", after=mark)
    # a photo message cannot become a text message: its buttons are retired and the scene sent anew
    await fake.wait_for("editMessageReplyMarkup", after=mark)
    follow = await fake.wait_for(
        "sendMessage", lambda c: str(c.params.get("chat_id")) == str(ANA), after=mark
    )
    assert follow.buttons()
    mark = len(fake.calls)
    await running_bot.tap(ANA, follow.buttons()[0]["callback_data"], as_message(follow, ANA))
    edited = await fake.wait_for("editMessageText", after=mark)  # text to text: edited in place
    assert edited.text != follow.text


async def test_health_ready_metrics(running_bot: RunningBot) -> None:
    assert (await running_bot.get("/health"))[0] == 200
    status, body = await running_bot.get("/ready")
    assert status == 200
    assert '"release"' in body
    await running_bot.text(ANA, "/start")
    await running_bot.fake.wait_for("sendPhoto")
    status, metrics = await running_bot.get("/metrics")
    assert status == 200
    assert "diana_updates_total" in metrics
