"""PaymentService: money in (grants), money back (refunds), and the records of both, for every provider.

Telegram Stars (bot/routers/shop.py) and Stripe (engine/services/stripe_events.py) are front-ends on
this one service: whatever the provider, a payment becomes a purchase through :meth:`grant` and is
taken back through :meth:`refund`. Both are idempotent on the provider's id of the money movement
(``(provider, charge_id)``, unique in ``payments``), because every provider redelivers: Telegram
sends a ``successful_payment`` update again when the bot did not answer it, Stripe retries webhooks.

One grant is one transaction: the player's gamification row is locked first (the row every decision
locks, so a purchase and a story decision never interleave), then the ``payments`` row is inserted
with ``ON CONFLICT DO NOTHING`` - a second delivery, even a concurrent one on another replica, finds
it there and changes nothing - and only then are VIP days, points, the ledger row, the outbox event
``purchase_completed`` and the audit row written. A crash anywhere before the commit leaves nothing,
and the redelivery grants.

VIP days extend from the later of now and the current expiry; a subscription period instead extends
VIP *up to* the period's end (``vip_until``). The row keeps the interval the payment added
(``vip_from``..``vip_to``) so a refund takes back exactly that length, whatever was bought after it.
Purchased points are not earned points: no daily cap, no VIP multiplier, not counted in
``total_earned`` (the leaderboard ranks what players earned by playing). A refund debits them only
down to a zero balance (the balance can never be negative) and records what it could not take back
as ``shortfall``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.content.bundle import ProductSpec
from engine.events import Event
from engine.services.admin import user_subject, write_audit
from engine.services.clock import Clock, SystemClock, aware
from engine.services.content import ContentSource
from engine.services.economy import apply_events
from engine.store.database import Database
from engine.store.players import dialect_insert
from engine.store.players_pg import store_for
from engine.store.tables import (
    payment_events,
    payment_orders,
    payments,
    points_transactions,
    user_gamification,
    user_subscriptions,
    users,
)

COMPLETED, REFUNDED = "completed", "refunded"
STARS = "XTR"  # Telegram Stars' currency code
TELEGRAM = "telegram"
DEFAULT_LIMIT = 50

p, g, o = payments.c, user_gamification.c, payment_orders.c


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One row of ``payments``, for `diana payments list/show`, /refund and the tests."""

    id: int
    provider: str
    charge_id: str
    order_id: str | None
    user_id: int
    product_id: str
    amount: int
    currency: str
    status: str
    vip_days: int
    vip_from: datetime | None
    vip_to: datetime | None
    points: int
    created_at: datetime
    refunded_at: datetime | None
    refunded_by: str | None
    shortfall: int
    raw: dict[str, Any]

    @property
    def vip_granted(self) -> timedelta:
        """How much VIP time this payment added (zero for points, or a period already covered)."""
        if self.vip_from is None or self.vip_to is None:
            return timedelta(0)
        return max(self.vip_to - self.vip_from, timedelta(0))

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "provider": self.provider,
            "charge_id": self.charge_id,
            "order_id": self.order_id,
            "user_id": self.user_id,
            "product_id": self.product_id,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "vip_days": self.vip_days,
            "vip_from": _iso(self.vip_from),
            "vip_to": _iso(self.vip_to),
            "points": self.points,
            "created_at": _iso(self.created_at),
            "refunded_at": _iso(self.refunded_at),
            "refunded_by": self.refunded_by,
            "shortfall": self.shortfall,
        }
        if raw:
            data["raw"] = self.raw
        return data


@dataclass(frozen=True, slots=True)
class GrantResult:
    """``granted``; ``duplicate`` (this charge was granted before: nothing changed); ``unknown_product``
    (not in the active release: nothing granted, the caller refunds); ``unknown_user`` (no such player)."""

    status: str
    payment: PaymentRecord | None = None
    vip_until: datetime | None = None  # the player's VIP expiry after the grant
    balance: int | None = None  # the player's balance after the grant

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"

    @property
    def granted(self) -> bool:
        return self.status == "granted"


@dataclass(frozen=True, slots=True)
class RefundResult:
    """``refunded``; ``already_refunded`` (nothing changed); ``unknown`` (no such payment)."""

    status: str
    payment: PaymentRecord | None = None
    vip_revoked: timedelta = timedelta(0)
    points_debited: int = 0
    shortfall: int = 0


@dataclass(frozen=True, slots=True)
class Order:
    """An invoice we sent: the product and the price quoted, which the payment must match."""

    id: str
    user_id: int
    provider: str
    product_id: str
    amount: int
    currency: str
    release: str
    created_at: datetime
    return_to: str = ""  # the view (scene nonce) the player bought from: shown again once paid


class PaymentService:
    def __init__(self, db: Database, content: ContentSource, clock: Clock | None = None) -> None:
        self.db = db
        self.content = content
        self.clock = clock or SystemClock()
        self.store = store_for(db.dialect)

    # -- grants ------------------------------------------------------------------------------
    async def grant(
        self,
        *,
        provider: str,
        charge_id: str,
        user_id: int,
        product_id: str,
        amount: int,
        currency: str,
        raw: Mapping[str, Any],
        order_id: str | None = None,
        vip_until: datetime | None = None,
    ) -> GrantResult:
        """Turn one payment into its purchase, once (see the module docstring for the ordering)."""
        existing = await self.payment(provider, charge_id)
        if existing is not None:  # the common replay, answered without taking the player's lock
            return GrantResult("duplicate", existing)
        bundle = self.content.current()
        product = bundle.products.get(product_id)
        if product is None:
            return GrantResult("unknown_product")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            row = await self.store.lock(conn, user_id)
            if row is None:
                return GrantResult("unknown_user")
            current = aware(row.vip_until)
            vip_from, vip_to = _vip_interval(product, now, current, vip_until)
            points = max(product.points, 0)
            inserted = await conn.execute(
                dialect_insert(conn, payments)
                .values(
                    provider=provider,
                    charge_id=charge_id,
                    order_id=order_id,
                    user_id=user_id,
                    product_id=product_id,
                    amount=amount,
                    currency=currency,
                    status=COMPLETED,
                    vip_days=product.days if product.type == "vip" else 0,
                    vip_from=vip_from,
                    vip_to=vip_to,
                    points=points,
                    raw=dict(raw),
                    created_at=now,
                    shortfall=0,
                )
                .on_conflict_do_nothing(index_elements=["provider", "charge_id"])
            )
            if inserted.rowcount != 1:  # a concurrent delivery of the same charge committed first
                duplicate = await self._payment(conn, provider, charge_id)
                return GrantResult("duplicate", duplicate)
            record = await self._payment(conn, provider, charge_id)
            assert record is not None
            new_vip = vip_to if vip_to is not None and (current is None or vip_to > current) else current
            balance = row.balance + points
            await conn.execute(
                sa.update(user_gamification)
                .where(g.user_id == user_id)
                .values(vip_until=new_vip, balance=balance, updated_at=now)
            )
            if points:
                await conn.execute(
                    sa.insert(points_transactions).values(
                        user_id=user_id,
                        amount=points,
                        kind="purchase",
                        reason=f"purchase {product_id}"[:200],
                        event="purchase_completed",
                        idempotency_key=f"purchase:{record.id}",
                        balance_after=balance,
                        created_at=now,
                    )
                )
            facts = {
                "provider": provider,
                "charge_id": charge_id,
                "order_id": order_id,
                "product": product_id,
                "amount": amount,
                "currency": currency,
                "vip_until": _iso(new_vip),
                "points": points,
            }
            # The reward rules and achievements see the purchase like any other event (a writer's
            # `on: purchase_completed` bonus, an achievement for VIPs); apply_events writes the outbox
            # event `purchase:{id}` with these facts. A bonus is part of what the purchase granted, so
            # a refund takes it back with the purchased points.
            bought = replace(row, balance=balance, vip_until=new_vip)
            event = Event("purchase_completed", data=facts)
            applied = await apply_events(
                conn, self.store, bundle, bought, [event], key=f"purchase:{record.id}", now=now
            )
            if applied.awarded:
                await conn.execute(
                    sa.update(payments).where(p.id == record.id).values(points=points + applied.awarded)
                )
                record = replace(record, points=points + applied.awarded)
            balance = applied.balance
            await write_audit(conn, provider, "payment.grant", user_subject(user_id), facts, now)
        return GrantResult("granted", record, new_vip, balance)

    # -- refunds -----------------------------------------------------------------------------
    async def refund(
        self, *, provider: str, charge_id: str, actor: str, raw: Mapping[str, Any]
    ) -> RefundResult:
        """Take back what a payment granted, once. The provider's refund itself is the caller's job
        (refundStarPayment, Stripe's dashboard); this records it and revokes the purchase."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            user_id = await conn.scalar(
                sa.select(p.user_id).where(p.provider == provider, p.charge_id == charge_id)
            )
            if user_id is None:
                return RefundResult("unknown")
            # The same lock order as grant (player first): a refund racing a grant or a decision waits.
            row = await self.store.lock(conn, int(user_id))
            record = await self._payment(conn, provider, charge_id, for_update=True)
            if record is None or row is None:
                return RefundResult("unknown")
            if record.status == REFUNDED:
                return RefundResult("already_refunded", record, shortfall=record.shortfall)
            revoked = record.vip_granted
            current = aware(row.vip_until)
            new_vip = current - revoked if current is not None and revoked else current
            debit = min(record.points, row.balance)
            shortfall = record.points - debit
            balance = row.balance - debit
            await conn.execute(
                sa.update(user_gamification)
                .where(g.user_id == record.user_id)
                .values(vip_until=new_vip, balance=balance, updated_at=now)
            )
            if debit:
                await conn.execute(
                    sa.insert(points_transactions).values(
                        user_id=record.user_id,
                        amount=-debit,
                        kind="refund",
                        reason=f"refund {record.product_id}"[:200],
                        event=None,
                        idempotency_key=f"refund:{record.id}",
                        balance_after=balance,
                        created_at=now,
                    )
                )
            await conn.execute(
                sa.update(payments)
                .where(p.id == record.id)
                .values(
                    status=REFUNDED,
                    refunded_at=now,
                    refunded_by=actor[:64],
                    shortfall=shortfall,
                    raw={**record.raw, "refund": dict(raw)},
                )
            )
            await write_audit(
                conn,
                actor,
                "payment.refund",
                user_subject(record.user_id),
                {
                    "provider": provider,
                    "charge_id": charge_id,
                    "product": record.product_id,
                    "amount": record.amount,
                    "currency": record.currency,
                    "vip_revoked_seconds": int(revoked.total_seconds()),
                    "vip_until": _iso(new_vip),
                    "points_debited": debit,
                    "shortfall": shortfall,
                },
                now,
            )
            after = await self._payment(conn, provider, charge_id)
        return RefundResult("refunded", after, revoked, debit, shortfall)

    # -- provider events and subscriptions ---------------------------------------------------
    async def record_event(self, *, provider: str, event_id: str, type: str, raw: Mapping[str, Any]) -> bool:
        """Store a provider's event once; False if it was already stored (a replay)."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                dialect_insert(conn, payment_events)
                .values(
                    provider=provider,
                    event_id=event_id,
                    type=type[:64],
                    raw=dict(raw),
                    received_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            )
        return bool(result.rowcount == 1)

    async def event_seen(self, *, provider: str, event_id: str) -> bool:
        e = payment_events.c
        async with self.db.connect() as conn:
            found = await conn.scalar(
                sa.select(e.event_id).where(e.provider == provider, e.event_id == event_id)
            )
        return found is not None

    async def set_subscription(
        self,
        *,
        provider: str,
        external_id: str,
        user_id: int,
        product_id: str,
        status: str,
        current_period_end: datetime | None,
    ) -> None:
        """Create or update a subscription's row (its status and paid period end)."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            exists = await conn.scalar(sa.select(users.c.id).where(users.c.id == user_id))
            if exists is None:  # an erased player: nothing about them may be written back
                return
            values = {
                "user_id": user_id,
                "product_id": product_id,
                "status": status[:32],
                "current_period_end": current_period_end,
                "updated_at": now,
            }
            stmt = dialect_insert(conn, user_subscriptions).values(
                provider=provider, external_id=external_id, created_at=now, **values
            )
            await conn.execute(
                stmt.on_conflict_do_update(index_elements=["provider", "external_id"], set_=values)
            )

    # -- invoices (Telegram Stars) -----------------------------------------------------------
    async def create_order(
        self, *, user_id: int, product_id: str, return_to: str = "", provider: str = TELEGRAM
    ) -> Order | None:
        """Store the price quoted for ``product_id`` now (in Stars); None if it has no Stars price."""
        bundle = self.content.current()
        product = bundle.products.get(product_id)
        if product is None or not product.stars:
            return None
        order = Order(
            id=secrets.token_urlsafe(12),
            user_id=user_id,
            provider=provider,
            product_id=product_id,
            amount=product.stars,
            currency=STARS,
            release=bundle.content_hash,
            created_at=self.clock.now(),
            return_to=return_to[:16],
        )
        async with self.db.transaction() as conn:
            await conn.execute(
                sa.insert(payment_orders).values(
                    id=order.id,
                    user_id=user_id,
                    provider=provider,
                    product_id=product_id,
                    amount=order.amount,
                    currency=order.currency,
                    release=order.release,
                    return_to=order.return_to,
                    created_at=order.created_at,
                )
            )
        return order

    async def payer_problem(self, user_id: int) -> str | None:
        """``unknown_user`` (never sent /start, or erased) or ``banned``; None when they may buy."""
        async with self.db.connect() as conn:
            banned = await conn.scalar(sa.select(users.c.banned).where(users.c.id == user_id))
        if banned is None:
            return "unknown_user"
        return "banned" if banned else None

    async def order(self, order_id: str) -> Order | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(payment_orders).where(o.id == order_id))).first()
        if row is None:
            return None
        return Order(
            id=row.id,
            user_id=int(row.user_id),
            provider=row.provider,
            product_id=row.product_id,
            amount=int(row.amount),
            currency=row.currency,
            release=row.release,
            created_at=aware(row.created_at) or row.created_at,
            return_to=row.return_to,
        )

    async def checkout_problem(
        self, *, order_id: str, user_id: int, product_id: str, amount: int, currency: str
    ) -> str | None:
        """Why a payment for this invoice must not go ahead now (None when it may).

        The invoiced price is honoured or refused, never changed: if a release removed the product
        or changed its Stars price since the invoice, the payment is refused and the player asked to
        open the shop again for a fresh invoice at today's price.
        """
        order = await self.order(order_id)
        if order is None or order.user_id != user_id or order.product_id != product_id:
            return "unknown_order"
        if amount != order.amount or currency != order.currency:
            return "amount_differs"
        product = self.content.current().products.get(product_id)
        if product is None:
            return "product_gone"
        if product.stars != order.amount:
            return "price_changed"
        return await self.payer_problem(user_id)

    async def audit(self, actor: str, action: str, subject: str | None, details: Mapping[str, Any]) -> None:
        """An audit row of its own (a payment refused or given back: nothing else changes with it)."""
        async with self.db.transaction() as conn:
            await write_audit(conn, actor, action, subject, dict(details), self.clock.now())

    # -- records -----------------------------------------------------------------------------
    async def payments(
        self, *, user_id: int | None = None, limit: int = DEFAULT_LIMIT
    ) -> list[PaymentRecord]:
        """The newest payments first, of one player or of everyone."""
        return await list_payments(self.db, user_id=user_id, limit=limit)

    async def payment(self, provider: str, charge_id: str) -> PaymentRecord | None:
        async with self.db.connect() as conn:
            return await self._payment(conn, provider, charge_id)

    async def _payment(
        self, conn: AsyncConnection, provider: str, charge_id: str, *, for_update: bool = False
    ) -> PaymentRecord | None:
        query = sa.select(payments).where(p.provider == provider, p.charge_id == charge_id)
        if for_update:
            query = query.with_for_update()
        row = (await conn.execute(query)).first()
        return None if row is None else _record(row)


async def list_payments(
    db: Database, *, user_id: int | None = None, limit: int = DEFAULT_LIMIT
) -> list[PaymentRecord]:
    """The newest payments first (reading needs no release: `diana payments list`)."""
    query = sa.select(payments).order_by(p.created_at.desc(), p.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(p.user_id == user_id)
    async with db.connect() as conn:
        return [_record(row) for row in (await conn.execute(query)).all()]


async def find_payments(db: Database, charge_id: str, provider: str | None = None) -> list[PaymentRecord]:
    """The payments with this charge id (one per provider at most): `diana payments show`."""
    query = sa.select(payments).where(p.charge_id == charge_id).order_by(p.provider)
    if provider is not None:
        query = query.where(p.provider == provider)
    async with db.connect() as conn:
        return [_record(row) for row in (await conn.execute(query)).all()]


def _vip_interval(
    product: ProductSpec, now: datetime, current: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The VIP time a purchase adds: from the later of now and the current expiry, ``days`` long, or up
    to ``until`` (a subscription's paid period end). (None, None) for a product without VIP."""
    if product.type != "vip" and until is None:
        return None, None
    start = max(now, current) if current is not None else now
    if until is not None:
        return start, max(start, until)
    if product.days <= 0:
        return None, None
    return start, start + timedelta(days=product.days)


def _record(row: Any) -> PaymentRecord:
    return PaymentRecord(
        id=int(row.id),
        provider=row.provider,
        charge_id=row.charge_id,
        order_id=row.order_id,
        user_id=int(row.user_id),
        product_id=row.product_id,
        amount=int(row.amount),
        currency=row.currency,
        status=row.status,
        vip_days=int(row.vip_days),
        vip_from=aware(row.vip_from),
        vip_to=aware(row.vip_to),
        points=int(row.points),
        created_at=aware(row.created_at) or row.created_at,
        refunded_at=aware(row.refunded_at),
        refunded_by=row.refunded_by,
        shortfall=int(row.shortfall),
        raw=dict(row.raw or {}),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


__all__ = [
    "COMPLETED",
    "REFUNDED",
    "STARS",
    "TELEGRAM",
    "GrantResult",
    "Order",
    "PaymentRecord",
    "PaymentService",
    "RefundResult",
    "find_payments",
    "list_payments",
]
