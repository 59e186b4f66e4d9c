"""Last router: unknown commands (including admin commands from non-admins) and /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

router = Router(name="fallback")


@router.message(Command("help"))
async def help_command(message: Message) -> None:
    await message.answer(_("HELP_TEXT"))


@router.message()
async def unknown(message: Message) -> None:
    await message.answer(_("Unknown command. Send /help to see what I can do."))
