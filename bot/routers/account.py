"""/language, /mydata (export) and /deleteme (erase, after a confirmation)."""

from __future__ import annotations

import json

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import EraseConfirm, LanguagePick
from bot.middlewares import LanguageCache
from engine.services.accounts import AccountService

router = Router(name="account")
LANGUAGES = {"es": "Español 🇪🇸", "en": "English 🇬🇧"}


@router.message(Command("language"))
async def language(message: Message) -> None:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=LanguagePick(code=code).pack())]
        for code, label in LANGUAGES.items()
    ]
    await message.answer(_("Choose your language:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(LanguagePick.filter())
async def pick_language(
    query: CallbackQuery,
    callback_data: LanguagePick,
    accounts: AccountService,
    languages: LanguageCache,
    i18n: I18n,
) -> None:
    code = callback_data.code if callback_data.code in LANGUAGES else i18n.default_locale
    if not await accounts.set_language(query.from_user.id, code):
        await query.answer(_("Send /start to begin the story."), show_alert=True)
        return
    languages.by_user[query.from_user.id] = code
    with i18n.use_locale(code):
        await query.answer(_("Language: English 🇬🇧"))
        if isinstance(query.message, Message):
            await query.message.answer(_("Language: English 🇬🇧"))


@router.message(Command("mydata"))
async def mydata(message: Message, accounts: AccountService) -> None:
    assert message.from_user is not None
    data = await accounts.export(message.from_user.id)
    if data is None:
        await message.answer(_("We have no data about you."))
        return
    payload = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    await message.answer_document(
        BufferedInputFile(payload, filename=f"diana-{message.from_user.id}.json"),
        caption=_("Here is everything we store about you."),
    )


@router.message(Command("deleteme"))
async def deleteme(message: Message) -> None:
    rows = [
        [InlineKeyboardButton(text=_("Yes, erase everything"), callback_data=EraseConfirm(ok=True).pack())],
        [InlineKeyboardButton(text=_("No, keep it"), callback_data=EraseConfirm(ok=False).pack())],
    ]
    await message.answer(
        _(
            "This erases your progress, points, achievements and everything we store about you. "
            "It cannot be undone. Are you sure?"
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@router.callback_query(EraseConfirm.filter())
async def confirm_erase(
    query: CallbackQuery,
    callback_data: EraseConfirm,
    accounts: AccountService,
    languages: LanguageCache,
) -> None:
    if not callback_data.ok:
        await query.answer(_("Nothing was erased."))
        return
    await accounts.erase(query.from_user.id, actor=f"tg:{query.from_user.id}")
    languages.by_user.pop(query.from_user.id, None)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Your data has been erased. Goodbye 👋"))
