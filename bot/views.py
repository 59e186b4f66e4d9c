"""Put a story view on the player's screen.

The scene message is edited in place when the old and new message are both plain text (Telegram can
edit text in place but cannot turn a text message into a photo); otherwise the old message loses its
buttons and a new one is sent. Media is uploaded once per process and re-sent by ``file_id`` after.
Captions hold 1024 characters: longer scene text goes in its own message after the media.
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import FSInputFile, InlineKeyboardMarkup, Message

from bot.keyboards import story_keyboard, story_keyboard_json
from bot.tuning import EditSceneText
from engine.content.richtext import telegram_length
from engine.play import View

CAPTION_LIMIT = 1024
MESSAGE_LIMIT = 4096


def compose(view: View) -> str:
    """The message text: speaker, scene text, then the step's notices in italics."""
    parts = []
    if view.speaker:
        parts.append(f"<b>{html.escape(view.speaker)}</b>")
    parts.append(view.text)
    if view.notices:
        parts.append("<i>" + html.escape(" · ".join(view.notices)) + "</i>")
    return "\n\n".join(parts)


class MediaCache:
    """path -> Telegram file_id, learnt from the first upload's reply."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        self.file_ids: dict[str, str] = {}

    def source(self, path: str) -> str | FSInputFile:
        return self.file_ids.get(path) or FSInputFile(self.content_dir / path)

    def learn(self, path: str, message: Message) -> None:
        if path in self.file_ids:
            return
        found = None
        if message.photo:
            found = message.photo[-1].file_id
        elif message.video:
            found = message.video.file_id
        elif message.animation:
            found = message.animation.file_id
        elif message.audio:
            found = message.audio.file_id
        if found:
            self.file_ids[path] = found


async def send_view(bot: Bot, chat_id: int, view: View, nonce: str, media: MediaCache) -> Message:
    text = compose(view)
    keyboard = story_keyboard(view, nonce)
    if view.media is None:
        return await bot.send_message(chat_id, text, reply_markup=keyboard)
    fits = telegram_length(text) <= CAPTION_LIMIT
    caption = text if fits else None
    markup = keyboard if fits else None
    sent = await _send_media(bot, chat_id, view, media, caption, markup)
    media.learn(view.media.path, sent)
    if not fits:
        return await bot.send_message(chat_id, text, reply_markup=keyboard)
    return sent


async def _send_media(
    bot: Bot,
    chat_id: int,
    view: View,
    media: MediaCache,
    caption: str | None,
    markup: InlineKeyboardMarkup | None,
) -> Message:
    assert view.media is not None
    source = media.source(view.media.path)
    kind = view.media.kind
    if kind == "video":
        return await bot.send_video(chat_id, source, caption=caption, reply_markup=markup)
    if kind == "animation":
        return await bot.send_animation(chat_id, source, caption=caption, reply_markup=markup)
    if kind == "audio":
        return await bot.send_audio(chat_id, source, caption=caption, reply_markup=markup)
    return await bot.send_photo(chat_id, source, caption=caption, reply_markup=markup)


async def replace_view(bot: Bot, message: Message | None, view: View, nonce: str, media: MediaCache) -> None:
    """After a button press: edit the pressed message in place, or retire it and send anew."""
    if message is None:
        return
    text = compose(view)
    if view.media is None and message.text is not None:
        try:
            await bot(
                EditSceneText(
                    text=text,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    reply_markup=story_keyboard_json(view, nonce),
                )
            )
            return
        except TelegramBadRequest as exc:  # e.g. "message is not modified", or too old to edit
            if "not modified" in str(exc):
                return
    # Already without buttons, or deleted: sending the new scene is what matters.
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
        )
    await send_view(bot, message.chat.id, view, nonce, media)
