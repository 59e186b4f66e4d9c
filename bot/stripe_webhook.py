"""``POST /stripe/webhook`` on the bot's web app: Stripe's events in, grants and refunds out.

The answer tells Stripe whether to send the event again: 400 for a request that is not a genuine,
recent Stripe event (nothing is stored or granted, and retrying cannot fix it; 413 for a body far
larger than any event); 200 once the event's effects committed (or it was a replay, or it is a kind
Diana does not handle); 503 when the database failed and 500 on any other error, so Stripe retries and
the retry applies the event exactly once (see engine/services/stripe_events.py for why a retry can
neither lose nor repeat a grant). A new grant is also announced to the player in the chat, best effort.

The route is on the same aiohttp app as the Telegram webhook, ``/health`` and ``/metrics``, which runs
on HOST:PORT in webhook and in polling mode alike; it is registered only when STRIPE_WEBHOOK_SECRET is
set, so an unconfigured bot never accepts unverifiable events.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.i18n import PoI18n
from bot.routers.shop import thanks
from engine.services.payments import GrantResult
from engine.services.stripe_events import InvalidStripeEventError, StripeEvents

STRIPE_WEBHOOK_PATH = "/stripe/webhook"
MAX_EVENT_BYTES = 512 * 1024  # Stripe's events are a few KB; this is far above any real one
TRANSIENT = (DBAPIError, OSError, TimeoutError)  # the database went away: worth Stripe's retry

log = logging.getLogger("diana.stripe")

Notify = Callable[[int, GrantResult], Awaitable[None]]  # (user id, the new grant)


def thank_player(
    bot: Bot,
    i18n: PoI18n,
    language: Callable[[int], Awaitable[str | None]],
    show_scene: Callable[[int], Awaitable[None]] | None = None,
) -> Notify:
    """Tell the player, in their language, that the card payment went through (they come back to the
    chat from Stripe's page and should find it there); when they paid from a VIP offer in a scene
    (``return_to`` in the session's metadata), show them that scene again, the choice now open, as a
    Stars purchase does."""

    async def notify(user_id: int, result: GrantResult) -> None:
        locale = await language(user_id)
        if locale not in i18n.available_locales:
            locale = i18n.default_locale
        with i18n.context(), i18n.use_locale(locale):
            text = thanks(result)
        await bot.send_message(user_id, text)
        payment = result.payment
        metadata = payment.raw.get("metadata") if payment is not None else None
        if show_scene is not None and isinstance(metadata, dict) and metadata.get("return_to"):
            await show_scene(user_id)

    return notify


def make_handler(
    events: StripeEvents, notify: Notify | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_EVENT_BYTES:
            return web.json_response({"error": "payload too large"}, status=413)
        payload = await request.read()
        try:
            event = events.verify(payload, request.headers.get("Stripe-Signature"))
        except InvalidStripeEventError as exc:
            log.warning("stripe webhook refused: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        try:
            outcome = await events.handle(event)
        except TRANSIENT:
            log.exception("stripe event %s (%s) failed; Stripe will retry", event["id"], event["type"])
            return web.json_response({"error": "temporarily unavailable"}, status=503)
        except Exception:
            log.exception("stripe event %s (%s) failed; Stripe will retry", event["id"], event["type"])
            return web.json_response({"error": "internal error"}, status=500)
        log.info("stripe event %s %s: %s %s", event["id"], event["type"], outcome.action, outcome.detail)
        if notify is not None and outcome.user_id is not None and outcome.grant is not None:
            try:
                await notify(outcome.user_id, outcome.grant)
            except Exception as exc:  # the grant committed: a message that failed is no reason to retry
                log.warning("could not thank user %s for %s: %s", outcome.user_id, outcome.detail, exc)
        return web.json_response({"received": True, "action": outcome.action, "detail": outcome.detail})

    return handle


def register(app: web.Application, events: StripeEvents, notify: Notify | None = None) -> None:
    app.router.add_post(STRIPE_WEBHOOK_PATH, make_handler(events, notify))
