"""Middlewares: the flood guard, the player's language, structured logging and metrics."""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from aiogram.utils.i18n import I18nMiddleware
from aiogram.utils.i18n import gettext as _

from bot.metrics import Metrics

log = logging.getLogger("diana.bot")
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FLOOD_LIMIT = 6  # messages or taps per player ...
FLOOD_WINDOW = 2.0  # ... per this many seconds; the rest get a notice and are dropped


class LanguageCache:
    """Players' chosen languages, read once from the database and updated by /language."""

    def __init__(self) -> None:
        self.by_user: dict[int, str | None] = {}


class LocaleMiddleware(I18nMiddleware):
    def __init__(self, i18n: Any, languages: LanguageCache, lookup: Callable[[int], Awaitable[str | None]]):
        super().__init__(i18n)
        self.languages = languages
        self.lookup = lookup

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        available = self.i18n.available_locales
        if user is None:
            return self.i18n.default_locale
        if user.id not in self.languages.by_user:
            self.languages.by_user[user.id] = await self.lookup(user.id)
        chosen = self.languages.by_user[user.id] or (user.language_code or "").split("-")[0]
        return chosen if chosen in available else self.i18n.default_locale


class FloodGuard(BaseMiddleware):
    """At most ``limit`` messages or button taps per ``window`` seconds per player; the rest get a
    friendly notice instead of being processed (a flood of taps never becomes a flood of writes).
    ``on_burst`` hears of the first rejected tap of each burst (one database write per burst, for the
    admins' "many rejected taps" flag), never of every dropped tap."""

    def __init__(
        self,
        metrics: Metrics,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        on_burst: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.metrics = metrics
        self.on_burst = on_burst
        self.limit = limit
        self.window = window
        self.clock = clock
        self.recent: dict[int, deque[float]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or (isinstance(event, Message) and event.successful_payment is not None):
            return await handler(event, data)  # a payment is never dropped: the Stars are already taken
        now = self.clock()
        stamps = self.recent.setdefault(user.id, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            self.metrics.throttled.inc()
            if len(stamps) == self.limit and self.on_burst is not None:
                try:
                    await self.on_burst(user.id)
                except Exception:  # the record is a signal for admins; the guard works without it
                    log.exception("could not record a flood burst")
            if isinstance(event, CallbackQuery) or (isinstance(event, Message) and len(stamps) == self.limit):
                await event.answer(_("Slow down a little 🙂"))
            stamps.append(now)
            return None
        stamps.append(now)
        if len(self.recent) > 50_000:  # forget idle players so memory stays bounded
            cutoff = now - self.window
            self.recent = {uid: s for uid, s in self.recent.items() if s and s[-1] > cutoff}
        return await handler(event, data)


class ObserveUpdates(BaseMiddleware):
    """Outer middleware on updates: one structured log line and the metrics for each update."""

    def __init__(self, metrics: Metrics, json_logs: bool) -> None:
        self.metrics = metrics
        self.json_logs = json_logs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        kind = event.event_type
        user: User | None = data.get("event_from_user")
        began = time.perf_counter()
        self.metrics.updates.labels(kind).inc()
        outcome = "ok"
        try:
            return await handler(event, data)
        except Exception:
            outcome = "error"
            raise
        finally:
            elapsed = time.perf_counter() - began
            self.metrics.latency.labels(kind).observe(elapsed)
            fields = {
                "update_id": event.update_id,
                "user_id": user.id if user else None,
                "type": kind,
                "ms": round(elapsed * 1000, 2),
                "outcome": outcome,
            }
            if self.json_logs:
                log.info(json.dumps(fields))
            else:
                log.info("update %(update_id)s user %(user_id)s %(type)s %(ms)sms %(outcome)s", fields)
