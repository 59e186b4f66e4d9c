"""Inline keyboards built from a view: one button per row (choices are sentences)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ACTIONS, MAX_CALLBACK_BYTES, Play
from engine.play import View


def story_keyboard(view: View, nonce: str) -> InlineKeyboardMarkup | None:
    """Locked and VIP buttons stay tappable: the tap answers with the reason or the VIP offer."""
    rows = []
    for button in view.buttons:
        data = Play(n=nonce, a=ACTIONS[button.action], i=button.index).pack()
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        rows.append([InlineKeyboardButton(text=button.label[:64], callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
