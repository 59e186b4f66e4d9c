"""Stripe webhook events: verified, stored once, and turned into grants, refunds and subscription periods.

Ordering is what keeps money safe. Every effect goes through an operation that is idempotent on its own
key (a grant by its charge id, a subscription period by ``sub:<subscription id>:<period end>``, a refund
by the charge it refunds), and the event is stored as seen (``PaymentService.record_event``) only
*after* its effects committed. So:

- a crash (or a database failure) before the effects commit answers 5xx, nothing is stored as seen,
  and Stripe's retry does the work;
- a crash after the effects but before the event is stored makes the retry repeat idempotent
  operations, which change nothing, and store it;
- a replay of a stored event is answered without touching anything.

Nothing the player controls is trusted: the user and product come from the session's metadata, which
only Diana can write (with the secret key) and Stripe signs when it sends it back, and the amount paid
is checked against the product's card price in the *active* release. A session for a product that a
newer release removed, in another currency, or for less than the price grants nothing; it is stored
and written to the audit log (``payment.rejected``) for an admin to refund.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
import stripe

from engine.content.bundle import Bundle, ProductSpec
from engine.services.admin import user_subject
from engine.services.payments import GrantResult, PaymentService
from engine.store.database import Database
from engine.store.tables import user_subscriptions

log = logging.getLogger("diana.stripe")

PROVIDER = "stripe"
ACTOR = "stripe"  # the audit actor of what Stripe's events do
PAID_SUBSCRIPTION = frozenset({"active"})  # a period is paid; trialing, past_due, unpaid... are not
ENDED = "canceled"  # terminal in Stripe: a canceled subscription never becomes active again
PAID_SESSION = frozenset({"paid", "no_payment_required"})
CHECKOUT_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
SUBSCRIPTION_CHANGED = ("customer.subscription.created", "customer.subscription.updated")


class InvalidStripeEventError(ValueError):
    """A request that is not a genuine, recent Stripe event (bad or old signature, not JSON)."""


class ContentSource(Protocol):
    def current(self) -> Bundle: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an event did, for the webhook's answer and the log line."""

    action: str  # granted | duplicate | refunded | rejected | subscription | ignored | replay
    detail: str = ""
    user_id: int | None = None  # the player a new grant went to (the bot thanks them)
    grant: GrantResult | None = None


def price_problem(
    product: ProductSpec | None, amount: int | None, currency: str | None, *, interval: str | None = None
) -> str | None:
    """Why a payment must not grant ``product`` (None when it may). Pure, so every case is tested."""
    if product is None:
        return "product_not_in_active_release"
    if not product.stripe_amount or not product.stripe_currency:
        return "product_has_no_card_price"
    if (product.stripe_interval or None) != (interval or None):
        return "billing_interval_differs"
    if currency is None or currency.lower() != product.stripe_currency.lower():
        return "currency_differs"
    if amount is None or amount < product.stripe_amount:
        return "amount_below_price"
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _timestamp(value: Any) -> datetime | None:
    seconds = _int(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def period_end(subscription: dict[str, Any]) -> int | None:
    """The paid period's end: on the subscription item since API 2025-03-31, on the subscription before."""
    items = (subscription.get("items") or {}).get("data") or []
    ends = [_int(item.get("current_period_end")) for item in items]
    known = [end for end in ends if end is not None]
    if known:
        return min(known)
    return _int(subscription.get("current_period_end"))


def subscription_price(subscription: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """(amount per period, currency, interval) of a one-item subscription."""
    items = (subscription.get("items") or {}).get("data") or []
    if len(items) != 1:
        return None, None, None
    price = items[0].get("price") or {}
    unit = _int(price.get("unit_amount"))
    quantity = _int(items[0].get("quantity")) or 1
    recurring = price.get("recurring") or {}
    return (None if unit is None else unit * quantity), price.get("currency"), recurring.get("interval")


class StripeEvents:
    """Verify a webhook request and apply the event it carries (one instance per process)."""

    def __init__(
        self,
        payments: PaymentService,
        content: ContentSource,
        database: Database,
        webhook_secret: str,
    ) -> None:
        self.payments = payments
        self.content = content
        self.database = database
        self.webhook_secret = webhook_secret

    def verify(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, if ``signature`` is Stripe's for this body and recent (the library's tolerance)."""
        try:
            stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except stripe.SignatureVerificationError as exc:
            raise InvalidStripeEventError(f"signature: {exc.user_message or exc}") from None
        except (ValueError, AttributeError, TypeError) as exc:  # signed, but not a JSON event object
            raise InvalidStripeEventError(f"payload: {exc}") from None
        # The verified bytes themselves, as plain JSON: what is stored is exactly what Stripe sent, and
        # nothing the SDK's objects may carry (Decimals, nested objects) can upset a JSON column.
        data = json.loads(payload)
        if not isinstance(data, dict):
            raise InvalidStripeEventError("payload: an event is a JSON object")
        if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
            raise InvalidStripeEventError("payload: an event has an id and a type")
        return data

    async def handle(self, event: dict[str, Any]) -> Outcome:
        """Apply one verified event; exceptions propagate (the webhook answers 5xx and Stripe retries)."""
        event_id, kind = str(event["id"]), str(event["type"])
        if await self.payments.event_seen(provider=PROVIDER, event_id=event_id):
            return Outcome("replay")
        obj = (event.get("data") or {}).get("object") or {}
        if kind in CHECKOUT_PAID:
            outcome = await self._checkout_paid(event_id, obj)
        elif kind == "charge.refunded":
            outcome = await self._refunded(event_id, obj)
        elif kind in SUBSCRIPTION_CHANGED:
            outcome = await self._subscription_changed(event_id, obj)
        elif kind == "customer.subscription.deleted":
            outcome = await self._subscription_deleted(obj)
        else:
            outcome = Outcome("ignored", f"{kind} is not handled")
        # Only now, with every effect committed, is the event stored as seen (see the module docstring).
        await self.payments.record_event(provider=PROVIDER, event_id=event_id, type=kind, raw=event)
        return outcome

    # -- one-off payments ------------------------------------------------------------------------
    async def _checkout_paid(self, event_id: str, session: dict[str, Any]) -> Outcome:
        if session.get("payment_status") not in PAID_SESSION:
            # Delayed payment methods: checkout.session.async_payment_succeeded follows when it clears.
            return Outcome("ignored", f"session not paid yet ({session.get('payment_status')})")
        if session.get("mode") == "subscription":
            # Periods are granted by customer.subscription.created/updated, keyed by period end, so
            # the first period is never granted twice (once here, once by the subscription event).
            return Outcome("ignored", "subscription periods come with customer.subscription events")
        metadata = session.get("metadata") or {}
        user_id = _int(metadata.get("user_id") or session.get("client_reference_id"))
        product_id = metadata.get("product_id")
        amount, currency = _int(session.get("amount_total")), session.get("currency")
        facts = {
            "event": event_id,
            "session": session.get("id"),
            "product": product_id,
            "amount": amount,
            "currency": currency,
            "release": metadata.get("release_id"),
        }
        if user_id is None or not isinstance(product_id, str):
            return await self._reject(None, "metadata_missing", facts)
        product = self.content.current().products.get(product_id)
        problem = price_problem(product, amount, currency)
        if problem is not None:
            return await self._reject(user_id, problem, facts)
        assert amount is not None and isinstance(currency, str)
        charge_id = str(session.get("payment_intent") or session["id"])
        result = await self.payments.grant(
            provider=PROVIDER,
            charge_id=charge_id,
            user_id=user_id,
            product_id=product_id,
            amount=amount,
            currency=currency.lower(),
            raw=session,
            order_id=str(session.get("id")),
        )
        return await self._granted(result, charge_id, user_id, facts)

    async def _refunded(self, event_id: str, charge: dict[str, Any]) -> Outcome:
        charge_id = str(charge.get("payment_intent") or charge.get("id"))
        if not charge.get("refunded"):
            # A partial refund is a goodwill gesture, not a return of the purchase: nothing is revoked.
            await self._audit(
                None,
                "payment.partial_refund",
                {"event": event_id, "charge": charge_id, "refunded": charge.get("amount_refunded")},
            )
            return Outcome("ignored", "partial refund: the purchase is kept")
        result = await self.payments.refund(provider=PROVIDER, charge_id=charge_id, actor=ACTOR, raw=charge)
        status = result.status
        if status == "refunded":
            return Outcome("refunded", charge_id)
        if status == "already_refunded":
            return Outcome("duplicate", charge_id)
        # A refund of something Diana never granted (a subscription's invoice, a rejected payment).
        return Outcome("ignored", f"{charge_id}: no payment to revoke ({status})")

    # -- subscriptions ---------------------------------------------------------------------------
    async def _subscription_changed(self, event_id: str, sub: dict[str, Any]) -> Outcome:
        metadata = sub.get("metadata") or {}
        user_id, product_id = _int(metadata.get("user_id")), metadata.get("product_id")
        sub_id, status, end = str(sub.get("id")), str(sub.get("status")), period_end(sub)
        amount, currency, interval = subscription_price(sub)
        facts = {
            "event": event_id,
            "subscription": sub_id,
            "product": product_id,
            "amount": amount,
            "currency": currency,
            "period_end": end,
        }
        if user_id is None or not isinstance(product_id, str) or end is None:
            return await self._reject(user_id, "metadata_missing", facts)
        if await self._stored_status(sub_id) == ENDED:
            # Stripe does not promise order: an older "updated" arriving after "deleted" revives nothing.
            return Outcome("ignored", f"subscription {sub_id} already ended")
        product = self.content.current().products.get(product_id)
        problem = price_problem(product, amount, currency, interval=interval)
        until = _timestamp(end)
        await self.payments.set_subscription(
            provider=PROVIDER,
            external_id=sub_id,
            user_id=user_id,
            product_id=product_id,
            status=status,
            current_period_end=until,
        )
        if status not in PAID_SUBSCRIPTION:
            return Outcome("subscription", f"{sub_id} is {status}: no period granted")
        if problem is not None:
            return await self._reject(user_id, problem, facts)
        assert amount is not None and isinstance(currency, str)
        charge_id = f"sub:{sub_id}:{end}"  # one grant per paid period, however many events mention it
        result = await self.payments.grant(
            provider=PROVIDER,
            charge_id=charge_id,
            user_id=user_id,
            product_id=product_id,
            amount=amount,
            currency=currency.lower(),
            raw=sub,
            order_id=sub_id,
            vip_until=until,
        )
        return await self._granted(result, charge_id, user_id, facts)

    async def _subscription_deleted(self, sub: dict[str, Any]) -> Outcome:
        metadata = sub.get("metadata") or {}
        user_id, product_id = _int(metadata.get("user_id")), metadata.get("product_id")
        sub_id = str(sub.get("id"))
        if user_id is None or not isinstance(product_id, str):
            return Outcome("ignored", f"subscription {sub_id} has no Diana metadata")
        # The paid period stays paid (VIP runs to its end); no later period will be granted.
        await self.payments.set_subscription(
            provider=PROVIDER,
            external_id=sub_id,
            user_id=user_id,
            product_id=product_id,
            status=ENDED,
            current_period_end=_timestamp(period_end(sub)),
        )
        return Outcome("subscription", f"{sub_id} ended")

    # -- helpers ---------------------------------------------------------------------------------
    async def _stored_status(self, sub_id: str) -> str | None:
        s = user_subscriptions.c
        async with self.database.connect() as conn:
            status = await conn.scalar(
                sa.select(s.status).where(s.provider == PROVIDER, s.external_id == sub_id)
            )
        return None if status is None else str(status)

    async def _granted(
        self, result: GrantResult, charge_id: str, user_id: int, facts: dict[str, Any]
    ) -> Outcome:
        status = result.status
        if status == "granted":
            return Outcome(status, charge_id, user_id, result)
        if status == "duplicate":
            return Outcome(status, charge_id)
        if status == "unknown_user":
            # No such player (never started, or erased with /deleteme): nothing about them is written,
            # not even their id in the audit log; the session id lets an admin find and refund it.
            facts = {k: v for k, v in facts.items() if k != "user"}
            return await self._reject(None, "player_unknown", facts)
        return await self._reject(user_id, status, facts)  # unknown_product: a release raced this event

    async def _reject(self, user_id: int | None, reason: str, facts: dict[str, Any]) -> Outcome:
        log.warning("stripe payment not granted: %s %s", reason, facts)
        await self._audit(user_id, "payment.rejected", {"reason": reason, **facts})
        return Outcome("rejected", reason)

    async def _audit(self, user_id: int | None, action: str, details: dict[str, Any]) -> None:
        subject = user_subject(user_id) if user_id is not None else None
        await self.payments.audit(ACTOR, action, subject, details)
