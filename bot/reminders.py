"""The reminder loop in the bot process: who is due (engine.services.reminders), claim, then send.

Every ``interval`` seconds it asks the service who is due, takes each reminder's claim (a unique row:
with several replicas exactly one wins it; after a restart it is still taken) and sends the winners
through the broadcast's paced sender (``send_paced``), in the player's language. Claim before send:
a crash between the two loses one reminder rather than sending one twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.broadcast import send_paced
from engine.services.reminders import STREAK, Reminder, ReminderService

log = logging.getLogger("diana.reminders")
INTERVAL = 60.0


def reminder_text(i18n: I18n, reminder: Reminder) -> str:
    locale = reminder.language or i18n.default_locale
    locale = locale if locale in i18n.available_locales else locale.split("-")[0]
    if locale not in i18n.available_locales:
        locale = i18n.default_locale
    if reminder.kind == STREAK:
        text = i18n.gettext(
            "🔥 Your {streak}-day streak ends today. Send /daily to keep it! "
            "(/settings to turn reminders off)",
            locale=locale,
        )
        return text.format(streak=reminder.streak)
    assert reminder.vip_until is not None
    text = i18n.gettext(
        "💎 Your VIP pass ends on {date}. Renew it in /shop. (/settings to turn reminders off)", locale=locale
    )
    return text.format(date=reminder.vip_until.strftime("%Y-%m-%d"))


class ReminderLoop:
    def __init__(self, bot: Bot, service: ReminderService, i18n: I18n, *, interval: float = INTERVAL) -> None:
        self.bot = bot
        self.service = service
        self.i18n = i18n
        self.interval = interval
        self.task: asyncio.Task[None] | None = None

    async def run_once(self) -> list[Reminder]:
        """One round: the reminders this process claimed (and sent)."""
        won = [r for r in await self.service.due() if await self.service.claim(r)]
        if won:
            delivered = await send_paced(self.bot, [(r.user_id, reminder_text(self.i18n, r)) for r in won])
            log.info("reminders: %d claimed, %d delivered", len(won), delivered)
        return won

    async def _loop(self) -> None:
        while True:
            # The pause comes first: a freshly started (or restarted) replica serves updates before
            # it sends anything. The pace of rounds, not a synchronisation: claims make them safe.
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:  # a failed round (database away) must not end the loop
                log.exception("reminder round failed")

    def start(self) -> None:
        """Run rounds every ``interval`` seconds in the background; an interval of 0 sends nothing."""
        if self.interval > 0:
            self.task = asyncio.create_task(self._loop(), name="reminders")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
