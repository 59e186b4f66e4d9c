"""What the bot does with the bus' per-player notification events: a message in the player's language.

Called by the ``notifications`` consumer group (engine.bus.consumers.NotificationConsumer), once per
event id. A player who blocked the bot or deleted their account is skipped (retrying cannot help);
any other failure raises, so the event stays pending and is delivered again.
"""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import I18n

from engine.bus.base import BusEvent
from engine.services.releases import ActiveContent
from engine.store.database import Database
from engine.store.players import PlayerStore

log = logging.getLogger("diana.bot.notifications")


class Notifier:
    def __init__(self, bot: Bot, i18n: I18n, database: Database, content: ActiveContent) -> None:
        self.bot = bot
        self.i18n = i18n
        self.db = database
        self.content = content
        self.store = PlayerStore()

    async def __call__(self, event: BusEvent) -> None:
        if event.user_id is None or event.type != "achievement_unlocked":
            return
        async with self.db.connect() as conn:
            row = await self.store.read(conn, event.user_id)
        if row is None or row.banned:
            return
        locale = row.language if row.language in self.i18n.available_locales else self.i18n.default_locale
        data = event.payload.get("data")
        achievement = str(data.get("achievement", "")) if isinstance(data, dict) else ""
        bundle = self.content.current()
        spec = bundle.achievements.get(achievement)
        if spec is None:  # removed by a later release: nothing to name
            return
        title = bundle.text(dict(spec.title), locale)
        text = self.i18n.gettext("Achievement unlocked: <b>{title}</b>", locale=locale).format(
            title=html.escape(title)
        )
        try:
            await self.bot.send_message(event.user_id, f"{spec.icon or '🏆'} {text}")
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            log.info("notification to %s not delivered: %s", event.user_id, exc)
