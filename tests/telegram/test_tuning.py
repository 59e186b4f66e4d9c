"""The bot's hot-path shortcuts (bot/keyboards.py, bot/tuning.py) send exactly what aiogram's own
objects would: the same callback data, the same editMessageText request, the same webhook reply."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.callbacks import ACTIONS, Play
from bot.keyboards import play_data, story_keyboard, story_keyboard_json
from bot.tuning import EditSceneText, JsonBodySession, JsonReplyHandler, pin_api_response_types
from engine.play.view import Button, View


def a_view(*buttons: Button) -> View:
    return View(
        scene="c1.s1",
        chapter="c1",
        turn=3,
        locale="es",
        text="<b>Hola</b>",
        buttons=buttons,
        points=0,
        currency="monedas",
    )


BUTTONS = (
    Button("choose", 0, "Ir", "Ir"),
    Button("choose", 1, "Quedarse", "🔒 Quedarse", status="locked"),
    Button("continue", 0, "Seguir", "Seguir"),
    Button("next_chapter", 0, "Siguiente", "Siguiente"),
    Button("restart", 0, "Empezar", "Empezar de nuevo"),
)


@pytest.fixture
def bot() -> Bot:
    pin_api_response_types()
    return Bot(
        "123456:TEST", session=JsonBodySession(), default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_play_data_is_plays_own_packing(action: str) -> None:
    data = play_data("Ab-_9xYz", action, 7)
    assert data == Play(n="Ab-_9xYz", a=ACTIONS[action], i=7).pack()
    assert Play.unpack(data) == Play(n="Ab-_9xYz", a=ACTIONS[action], i=7)


def test_both_keyboards_are_one_keyboard() -> None:
    view = a_view(*BUTTONS)
    markup = story_keyboard(view, "Nonce123")
    assert markup is not None
    assert markup.model_dump(exclude_none=True) == story_keyboard_json(view, "Nonce123")
    assert [row[0].callback_data for row in markup.inline_keyboard] == [
        Play(n="Nonce123", a=ACTIONS[b.action], i=b.index).pack() for b in BUTTONS
    ]
    assert story_keyboard(a_view(), "x") is None and story_keyboard_json(a_view(), "x") is None


def test_the_scene_edit_is_aiograms_edit(bot: Bot) -> None:
    view = a_view(*BUTTONS)
    session = bot.session
    assert isinstance(session, JsonBodySession)
    lean = session.json_body(
        bot, EditSceneText(chat_id=5, message_id=9, text="hola", reply_markup=story_keyboard_json(view, "n"))
    )
    full = session.json_body(
        bot, EditMessageText(chat_id=5, message_id=9, text="hola", reply_markup=story_keyboard(view, "n"))
    )
    assert lean == full
    assert lean is not None and lean["parse_mode"] == "HTML"


def test_the_scene_edit_reply_is_checked_not_parsed(bot: Bot) -> None:
    method = EditSceneText(chat_id=5, message_id=9, text="hola")
    reply = {"message_id": 9, "chat": {"id": 5, "type": "private"}, "date": 0, "text": "hola"}
    response = bot.session.check_response(bot, method, 200, json.dumps({"ok": True, "result": reply}))
    assert response.result == reply
    refused = {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}
    with pytest.raises(TelegramBadRequest, match="not modified"):
        bot.session.check_response(bot, method, 400, json.dumps(refused))


def test_the_webhook_reply_is_one_json_object(bot: Bot) -> None:
    handler = JsonReplyHandler.__new__(JsonReplyHandler)  # only the reply builder is used
    payload = handler._build_response_writer(bot, AnswerCallbackQuery(callback_query_id="q1", text="¡Hola!"))
    assert payload.content_type == "application/json"
    assert json.loads(payload._value) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "q1",
        "text": "¡Hola!",
    }
    empty = handler._build_response_writer(bot, None)
    assert json.loads(empty._value) == {}


def test_a_webhook_reply_with_a_file_stays_multipart(bot: Bot) -> None:
    handler = JsonReplyHandler.__new__(JsonReplyHandler)
    upload = SendDocument(chat_id=5, document=BufferedInputFile(b"data", filename="a.txt"))
    payload = handler._build_response_writer(bot, upload)
    assert payload.content_type.startswith("multipart/form-data")


def test_keyboard_json_is_what_telegram_validates() -> None:
    markup = story_keyboard_json(a_view(*BUTTONS), "n")
    assert InlineKeyboardMarkup.model_validate(markup).inline_keyboard[1][0].text == "🔒 Quedarse"
