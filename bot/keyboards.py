"""Inline keyboards built from a view: one button per row (choices are sentences)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import ACTIONS, MAX_CALLBACK_BYTES, Play
from engine.play import View

_PLAY_PREFIX = f"{Play.__prefix__}{Play.__separator__}"


def play_data(nonce: str, action: str, index: int) -> str:
    """``Play(n=nonce, a=ACTIONS[action], i=index).pack()``, formatted directly: a keyboard is built on
    every tap and the pydantic model per button was a tenth of the edit's cost. A test pins the two
    to the same string."""
    data = f"{_PLAY_PREFIX}{nonce}{Play.__separator__}{ACTIONS[action]}{Play.__separator__}{index}"
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    return data


def story_keyboard_json(view: View, nonce: str) -> dict[str, Any] | None:
    """The view's keyboard as the Bot API's JSON ``reply_markup`` (what an in-place edit sends).

    Locked and VIP buttons stay tappable: the tap answers with the reason or the VIP offer."""
    rows = [
        [{"text": button.label[:64], "callback_data": play_data(nonce, button.action, button.index)}]
        for button in view.buttons
    ]
    return {"inline_keyboard": rows} if rows else None


def story_keyboard(view: View, nonce: str) -> InlineKeyboardMarkup | None:
    """The same keyboard as an aiogram object, for the send methods."""
    markup = story_keyboard_json(view, nonce)
    return InlineKeyboardMarkup.model_validate(markup) if markup else None
