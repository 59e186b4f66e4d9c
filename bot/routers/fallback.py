"""Last router: unknown commands (including admin commands from non-admins), /help, and buttons whose
payload no handler recognises (forged or from an older version of the bot): answered, never left spinning."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

router = Router(name="fallback")


@router.message(Command("help"))
async def help_command(message: Message) -> None:
    await message.answer(_("HELP_TEXT"))


@router.message()
async def unknown(message: Message) -> None:
    await message.answer(_("Unknown command. Send /help to see what I can do."))


@router.callback_query()
async def unknown_button(query: CallbackQuery) -> None:
    await query.answer(_("This choice is no longer available."))
