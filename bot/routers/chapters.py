"""/chapters: the chapter list with done / locked / VIP marks, and jumping into an open chapter."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ChapterPick
from bot.routers.shop import send_vip_offer
from bot.views import MediaCache, send_view
from engine.play.interpreter import Context
from engine.play.menu import CURRENT, DONE, LOCKED, UNSEEN, VIP, chapter_menu
from engine.services.play import PlayService

router = Router(name="chapters")

_MARK = {DONE: "✅", CURRENT: "▶", LOCKED: "🔒", VIP: "💎", UNSEEN: "·"}


@router.message(Command("chapters"))
async def chapters(message: Message, play: PlayService) -> None:
    assert message.from_user is not None
    found = await play.state(message.from_user.id)
    if found is None:
        await message.answer(_("Send /start to begin the story."))
        return
    state, view = found
    bundle = play.content.current()
    entries = chapter_menu(bundle, state, Context(locale=view.locale))
    lines = [_("📚 <b>Chapters</b>")]
    status_words = {
        DONE: _("✅ done"),
        CURRENT: _("▶ you are here"),
        LOCKED: _("🔒 locked"),
        VIP: _("💎 VIP"),
        UNSEEN: _("not discovered yet"),
    }
    rows = []
    for number, entry in enumerate(entries, start=1):
        title = html.escape(entry.title) if entry.status != UNSEEN else "…"
        lines.append(f"{number}. {title} — {status_words.get(entry.status, '')}")
        if entry.reason:
            lines.append(f"    <i>{html.escape(entry.reason)}</i>")
        if entry.enterable or entry.status == VIP:  # a VIP chapter's button leads to the VIP offer
            rows.append(
                [
                    InlineKeyboardButton(
                        text=f"{_MARK.get(entry.status, '')} {entry.title}"[:64],
                        callback_data=ChapterPick(id=entry.id).pack(),
                    )
                ]
            )
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    await message.answer("\n".join(lines), reply_markup=markup)


@router.callback_query(ChapterPick.filter())
async def enter(
    query: CallbackQuery,
    callback_data: ChapterPick,
    bot: Bot,
    play: PlayService,
    media: MediaCache,
    event_update: Update,
) -> None:
    decision = await play.enter_chapter(
        query.from_user.id, callback_data.id, update_id=event_update.update_id
    )
    if decision.outcome == "applied" and decision.view is not None:
        await query.answer()
        if isinstance(query.message, Message):
            await send_view(bot, query.message.chat.id, decision.view, decision.nonce, media)
        return
    await query.answer(decision.message or _("This choice is no longer available."), show_alert=True)
    if decision.view is not None and decision.view.offer == "vip" and isinstance(query.message, Message):
        bundle = play.content.current()
        await send_vip_offer(bot, query.message.chat.id, bundle, decision.view.locale, decision.nonce or "")
