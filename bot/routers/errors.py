"""A handler that raised: log it with the update, count it, and apologise to the player.

The process stays up and the player is never shown a traceback. The decision that was running was
rolled back with its transaction, so pressing the button again is safe.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.metrics import Metrics

router = Router(name="errors")
log = logging.getLogger("diana.bot")


@router.errors()
async def apologise(event: ErrorEvent, bot: Bot, metrics: Metrics) -> bool:
    metrics.errors.inc()
    update = event.update
    log.error("update %s failed: %r", update.update_id, event.exception, exc_info=event.exception)
    if update.message is not None and update.message.successful_payment is not None:
        # Stars were taken and the grant failed: the update must not be answered as handled, so that
        # Telegram delivers it again and the (idempotent) grant is retried (bot/routers/shop.py).
        raise SkipHandler
    apology = _("Something went wrong on our side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(apology, show_alert=True)
        elif update.message is not None:
            await update.message.answer(apology)
    except Exception:  # the apology itself failed (Telegram unreachable): the log line is what remains
        log.exception("could not send the apology for update %s", update.update_id)
    return True
