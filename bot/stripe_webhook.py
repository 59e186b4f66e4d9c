"""``POST /stripe/webhook`` on the bot's web app: Stripe's events in, grants and refunds out.

The answer tells Stripe whether to send the event again: 400 for a request that is not a genuine,
recent Stripe event (nothing is stored or granted, and retrying cannot fix it); 200 once the event's
effects committed (or it was a replay, or it is a kind Diana does not handle); 503 when the database
failed and 500 on any other error, so Stripe retries and the retry applies the event exactly once (see
engine/services/stripe_events.py for why a retry can neither lose nor repeat a grant).

The route is on the same aiohttp app as the Telegram webhook, ``/health`` and ``/metrics``, which runs
on HOST:PORT in webhook and in polling mode alike; it is registered only when STRIPE_WEBHOOK_SECRET is
set, so an unconfigured bot never accepts unverifiable events.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from engine.services.stripe_events import InvalidStripeEventError, StripeEvents

STRIPE_WEBHOOK_PATH = "/stripe/webhook"
MAX_EVENT_BYTES = 512 * 1024  # Stripe's events are a few KB; this is far above any real one
TRANSIENT = (DBAPIError, OSError, TimeoutError)  # the database went away: worth Stripe's retry

log = logging.getLogger("diana.stripe")


def make_handler(events: StripeEvents) -> Callable[[web.Request], Awaitable[web.Response]]:
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
        return web.json_response({"received": True, "action": outcome.action, "detail": outcome.detail})

    return handle


def register(app: web.Application, events: StripeEvents) -> None:
    app.router.add_post(STRIPE_WEBHOOK_PATH, make_handler(events))
