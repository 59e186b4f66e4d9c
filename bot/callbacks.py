"""Button payloads (aiogram CallbackData factories), each well under Telegram's 64 bytes.

A story button carries the per-view nonce: a button from an old message or a forged payload does not
match the player's current nonce and is answered with the current scene instead of being applied.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

MAX_CALLBACK_BYTES = 64


class Play(CallbackData, prefix="p"):
    n: str  # the view's nonce
    a: str  # c: choose, n: continue, x: next chapter, r: restart
    i: int = 0  # choice index


class ChapterPick(CallbackData, prefix="ch"):
    id: str


class LanguagePick(CallbackData, prefix="lang"):
    code: str


class TopPick(CallbackData, prefix="top"):
    b: str  # all | week | chapter
    c: str = ""  # the chapter id of a chapter board


class EraseConfirm(CallbackData, prefix="erase"):
    ok: bool


class Buy(CallbackData, prefix="buy"):
    """A /shop (or VIP offer) button: pay for ``product`` by ``method``; ``return_to`` names the view the
    player came from (a scene nonce), re-rendered after the purchase."""

    method: str  # "stars" (bot/routers/shop.py) | "card" (bot/routers/card.py)
    product: str
    return_to: str = ""


ACTIONS = {"choose": "c", "continue": "n", "next_chapter": "x", "restart": "r"}
PRESSES = {letter: action for action, letter in ACTIONS.items()}


class RemindersToggle(CallbackData, prefix="rem"):
    on: bool
