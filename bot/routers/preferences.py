"""/settings (language, timezone, reminders on/off), /timezone NAME, and the admins' /flags."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import RemindersToggle
from bot.routers.admin import IsAdmin
from engine.services.content import ContentSource
from engine.services.flags import FlagService
from engine.services.preferences import Preferences, PreferencesService, UnknownTimezoneError

router = Router(name="settings")


def _settings_text(prefs: Preferences) -> str:
    return "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            _("Language: {language} (/language)").format(language=html.escape(prefs.language or "—")),
            _("Timezone: {timezone} (/timezone Europe/Madrid)").format(timezone=html.escape(prefs.timezone)),
            _("Reminders: on") if prefs.reminders else _("Reminders: off"),
        ]
    )


def _settings_keyboard(prefs: Preferences) -> InlineKeyboardMarkup:
    label = _("🔕 Turn reminders off") if prefs.reminders else _("🔔 Turn reminders on")
    data = RemindersToggle(on=not prefs.reminders).pack()
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]])


@router.message(Command("settings"))
async def settings(message: Message, preferences: PreferencesService) -> None:
    assert message.from_user is not None
    prefs = await preferences.get(message.from_user.id)
    if prefs is None:
        await message.answer(_("Send /start to begin the story."))
        return
    await message.answer(_settings_text(prefs), reply_markup=_settings_keyboard(prefs))


@router.callback_query(RemindersToggle.filter())
async def toggle_reminders(
    query: CallbackQuery, callback_data: RemindersToggle, preferences: PreferencesService
) -> None:
    if not await preferences.set_reminders(query.from_user.id, callback_data.on):
        await query.answer(_("Send /start to begin the story."), show_alert=True)
        return
    prefs = await preferences.get(query.from_user.id)
    assert prefs is not None
    await query.answer(_("Reminders: on") if prefs.reminders else _("Reminders: off"))
    if isinstance(query.message, Message):
        await query.message.edit_text(_settings_text(prefs), reply_markup=_settings_keyboard(prefs))


@router.message(Command("timezone"))
async def timezone(message: Message, command: CommandObject, preferences: PreferencesService) -> None:
    assert message.from_user is not None
    name = (command.args or "").strip()
    if not name:
        prefs = await preferences.get(message.from_user.id)
        current = prefs.timezone if prefs is not None else "UTC"
        await message.answer(
            _(
                "Your timezone is {timezone}. Your day (check-ins, streaks, daily limits) follows it. "
                "Change it with /timezone followed by a name, e.g. /timezone America/Mexico_City"
            ).format(timezone=html.escape(current))
        )
        return
    try:
        zone = await preferences.set_timezone(message.from_user.id, name)
    except UnknownTimezoneError as exc:
        hint = ", ".join(exc.suggestions) or "Europe/Madrid, America/Mexico_City"
        await message.answer(
            _("I don't know the timezone {name}. Try one of: {hint}").format(
                name=html.escape(name[:64]), hint=html.escape(hint)
            )
        )
        return
    if zone is None:
        await message.answer(_("Send /start to begin the story."))
        return
    await message.answer(_("Timezone set to {timezone}.").format(timezone=html.escape(zone)))


admin_router = Router(name="economy-admin")
admin_router.message.filter(IsAdmin())


@admin_router.message(Command("flags"))
async def flags(message: Message, flag_service: FlagService, content: ContentSource) -> None:
    found = await flag_service.flags(content.current().rewards.daily_cap)
    if not found:
        await message.answer(_("🚩 No suspicious patterns this week."))
        return
    lines = [_("🚩 <b>Flags</b> (7 days)")]
    lines.extend(
        f"{flag.rule} · {flag.user_id} {html.escape(flag.first_name)} · {flag.day.isoformat()}: "
        f"{html.escape(flag.detail)}"
        for flag in found[:50]
    )
    await message.answer("\n".join(lines))
