"""A local stand-in for Stripe's API over real HTTP, and webhook events signed as Stripe signs them.

The bot's stripe SDK is pointed here with ``STRIPE_API_BASE``. The fake implements what Diana calls
(``POST /v1/checkout/sessions``), checks the secret key like Stripe does (401 with Stripe's error body),
decodes the SDK's form encoding (``line_items[0][price_data][currency]=eur``) into the nested object it
stands for, records every request, and answers with a session shaped like Stripe's (``cs_test_...``
id, a ``checkout.stripe.com`` url, status ``open``).

The event builders turn a recorded session into the events Stripe would send after the player paid,
and :func:`signed` produces the ``Stripe-Signature`` header with the stripe library's own helper
(``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the endpoint secret>``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from aiohttp import web

from tests.local_server import serve_locally

SECRET_KEY = "sk_test_diana_fake"
WEBHOOK_SECRET = "whsec_test_diana_fake"
_PART = re.compile(r"\[([^\]]*)\]")


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding back to the object: ``a[b][0][c]=v`` -> ``{"a": {"b": [{"c": "v"}]}}``."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head = key.split("[", 1)[0]
        path: list[str] = [head, *_PART.findall(key[len(head) :])]
        node: Any = root
        for here, after in itertools.pairwise(path):
            default: Any = [] if after.isdigit() else {}
            if isinstance(node, list):
                index = int(here)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = default
                node = node[index]
            else:
                node = node.setdefault(here, default)
        last = path[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    secret_key: str = SECRET_KEY
    requests: list[Request] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: int = 0  # how many of the next requests to answer with Stripe's 500 api_error
    base_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/checkout/sessions", self._create_session)
        self._runner, self.base_url = await serve_locally(app)
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):08d}"

    async def _create_session(self, request: web.Request) -> web.Response:
        params = decode_form(await request.text())
        headers = dict(request.headers)
        async with self._changed:
            self.requests.append(Request(request.method, request.path, params, headers))
            self._changed.notify_all()
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(500, "api_error", "An unknown error occurred")
        key = request.headers.get("Idempotency-Key")
        if key and key in self._idempotent:  # Stripe answers a repeated key with the first result
            return web.json_response(self._idempotent[key], headers={"Idempotent-Replayed": "true"})
        try:
            session = self._session(params)
        except (KeyError, IndexError, ValueError) as exc:
            return _error(400, "invalid_request_error", f"Missing or invalid parameter: {exc}")
        self.sessions[session["id"]] = session
        if key:
            self._idempotent[key] = session
        return web.json_response(session)

    def _session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params["mode"]
        if mode not in ("payment", "subscription"):
            raise ValueError(f"mode {mode!r}")
        item = params["line_items"][0]
        price = item["price_data"]
        amount = int(price["unit_amount"]) * int(item.get("quantity", 1))
        if mode == "subscription" and "recurring" not in price:
            raise ValueError("line_items[0][price_data][recurring] is required in subscription mode")
        session_id = self.new_id("cs")
        now = int(time.time())
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": price["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "locale": params.get("locale"),
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
            "payment_intent": None,
            "subscription": None,
            "customer": None,
            "livemode": False,
            "created": now,
            "expires_at": now + 24 * 3600,
            "line_items_requested": params["line_items"],  # not Stripe's: what was asked, for tests
        }

    async def wait_for_session(self, timeout: float = 15.0) -> dict[str, Any]:
        """The next checkout session created (wakes on each request; no polling)."""
        seen = len(self.sessions)
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.sessions) > seen)
        return list(self.sessions.values())[-1]


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


# -- events as Stripe sends them ------------------------------------------------------------------

_event_ids = itertools.count(1)


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_test_{next(_event_ids):08d}_{time.monotonic_ns() % 10**9}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj},
    }


def completed(
    session: dict[str, Any], *, payment_intent: str | None = None, **changes: Any
) -> dict[str, Any]:
    """``checkout.session.completed`` for a session the player paid (``changes`` tamper with it)."""
    paid = {k: v for k, v in session.items() if k != "line_items_requested"}
    paid.update(status="complete", payment_status="paid")
    if paid["mode"] == "payment":
        paid["payment_intent"] = payment_intent or f"pi_test_{session['id'][8:]}"
    else:
        paid["subscription"] = f"sub_test_{session['id'][8:]}"
    paid.update(changes)
    return event("checkout.session.completed", paid)


def refunded(payment_intent: str, amount: int, currency: str = "eur", *, full: bool = True) -> dict[str, Any]:
    charge = {
        "id": f"ch_{payment_intent[3:]}",
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount if full else amount // 2,
        "currency": currency,
        "payment_intent": payment_intent,
        "refunded": full,
        "status": "succeeded",
    }
    return event("charge.refunded", charge)


def subscription(
    kind: str,
    session: dict[str, Any],
    *,
    period_end: int,
    status: str = "active",
    subscription_id: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """``customer.subscription.<kind>`` for the subscription a subscription-mode session created.

    The period sits on the subscription item, as in Stripe API versions since 2025-03-31 (older ones
    had ``current_period_end`` on the subscription itself; the handler reads both).
    """
    requested = session["line_items_requested"][0]["price_data"]
    sub = {
        "id": subscription_id or f"sub_test_{session['id'][8:]}",
        "object": "subscription",
        "status": status,
        "customer": "cus_test_1",
        "metadata": session["metadata"],
        "cancel_at_period_end": False,
        "canceled_at": int(time.time()) if kind == "deleted" else None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_test_1",
                    "object": "subscription_item",
                    "current_period_start": period_end - 30 * 86400,
                    "current_period_end": period_end,
                    "price": {
                        "id": "price_test_1",
                        "object": "price",
                        "currency": requested["currency"],
                        "unit_amount": amount if amount is not None else int(requested["unit_amount"]),
                        "recurring": {"interval": requested["recurring"]["interval"], "interval_count": 1},
                    },
                    "quantity": 1,
                }
            ],
        },
    }
    return event(f"customer.subscription.{kind}", sub)


def signed(
    payload: dict[str, Any] | str, *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, str]:
    """The body and its ``Stripe-Signature`` header, computed by the stripe library itself."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=at)
    return body.encode(), header
