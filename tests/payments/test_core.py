"""PaymentService on SQLite and PostgreSQL: grants, refunds, records, provider events, subscriptions."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from engine.content.bundle import Bundle, RuleSpec
from engine.services.admin import AdminService
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.payments import PaymentService
from engine.store.database import Database
from engine.store.tables import (
    audit_log,
    metadata,
    outbox,
    payments,
    points_transactions,
    user_gamification,
    user_subscriptions,
)
from tests.services.support import ANA, BEA, NOON, clock, count, register, set_gamification

RAW: dict[str, Any] = {"telegram_payment_charge_id": "c-1"}


async def service(database: Database, bundle: Bundle, at: FixedClock | None = None) -> PaymentService:
    await register(database, ANA, NOON)
    await register(database, BEA, NOON)
    return PaymentService(database, StaticContent(bundle), clock=at or clock())


async def game(database: Database, user_id: int) -> Any:
    async with database.connect() as conn:
        return (
            await conn.execute(sa.select(user_gamification).where(user_gamification.c.user_id == user_id))
        ).one()


async def buy(
    pay: PaymentService, charge: str, product: str = "vip_30", user: int = ANA.id, **kw: Any
) -> Any:
    return await pay.grant(
        provider="telegram",
        charge_id=charge,
        user_id=user,
        product_id=product,
        amount=kw.pop("amount", 250),
        currency=kw.pop("currency", "XTR"),
        raw={"telegram_payment_charge_id": charge},
        **kw,
    )


def aware_vip(row: Any) -> Any:
    value = row.vip_until
    return value if value is None or value.tzinfo else value.replace(tzinfo=NOON.tzinfo)


async def test_vip_purchase_extends_from_now_then_from_the_current_expiry(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    pay = await service(database, example_bundle, at)
    first = await buy(pay, "c-1")
    assert first.status == "granted" and first.vip_until == NOON + timedelta(days=30)
    at.advance(days=10)
    second = await buy(pay, "c-2")
    assert second.vip_until == NOON + timedelta(days=60)  # from the expiry, not from now
    assert aware_vip(await game(database, ANA.id)) == NOON + timedelta(days=60)
    # An expired VIP starts again from now.
    at.advance(days=100)
    third = await buy(pay, "c-3")
    assert third.vip_until == at.now() + timedelta(days=30)
    assert await count(database, outbox, type="purchase_completed") == 3
    assert await count(database, audit_log, action="payment.grant") == 3


async def test_points_purchase_is_not_capped_multiplied_nor_earned(
    database: Database, example_bundle: Bundle
) -> None:
    pay = await service(database, example_bundle)
    await set_gamification(database, ANA.id, vip_until=NOON + timedelta(days=5), balance=10)
    result = await buy(pay, "p-1", "besitos_100", amount=50)
    assert result.status == "granted" and result.balance == 110
    row = await game(database, ANA.id)
    assert (row.balance, row.total_earned) == (110, 0)
    async with database.connect() as conn:
        ledger = (await conn.execute(sa.select(points_transactions))).one()
    assert (ledger.amount, ledger.kind, ledger.balance_after) == (100, "purchase", 110)


async def test_a_replayed_grant_grants_once(database: Database, example_bundle: Bundle) -> None:
    pay = await service(database, example_bundle)
    assert (await buy(pay, "p-1", "besitos_100", amount=50)).status == "granted"
    again = await buy(pay, "p-1", "besitos_100", amount=50)
    assert again.duplicate and again.payment is not None and again.payment.charge_id == "p-1"
    assert (await game(database, ANA.id)).balance == 100
    assert await count(database, payments) == 1
    assert await count(database, points_transactions) == 1
    assert await count(database, outbox, type="purchase_completed") == 1


async def test_grant_refuses_unknown_product_and_unknown_user(
    database: Database, example_bundle: Bundle
) -> None:
    pay = await service(database, example_bundle)
    assert (await buy(pay, "x-1", "no_such_product")).status == "unknown_product"
    assert (await buy(pay, "x-2", user=99)).status == "unknown_user"
    assert await count(database, payments) == 0
    assert await count(database, outbox) == 0


async def test_subscription_period_extends_vip_up_to_its_end(
    database: Database, example_bundle: Bundle
) -> None:
    pay = await service(database, example_bundle)
    end = NOON + timedelta(days=31)
    result = await buy(pay, "sub:1:p1", "vip_mensual", vip_until=end, amount=399, currency="eur")
    assert result.vip_until == end
    assert result.payment is not None and result.payment.vip_granted == timedelta(days=31)
    # The next period's end is a later date; a period already covered adds nothing.
    later = await buy(pay, "sub:1:p0", "vip_mensual", vip_until=NOON + timedelta(days=2), amount=399)
    assert later.vip_until == end and later.payment is not None and later.payment.vip_granted == timedelta(0)


async def test_refund_revokes_exactly_the_vip_it_granted(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    pay = await service(database, example_bundle, at)
    await buy(pay, "c-1")
    await buy(pay, "c-2")
    at.advance(days=1)
    result = await pay.refund(provider="telegram", charge_id="c-1", actor="tg:1", raw={"by": "admin"})
    assert result.status == "refunded" and result.vip_revoked == timedelta(days=30)
    assert aware_vip(await game(database, ANA.id)) == NOON + timedelta(days=30)
    again = await pay.refund(provider="telegram", charge_id="c-1", actor="tg:1", raw={})
    assert again.status == "already_refunded"
    assert aware_vip(await game(database, ANA.id)) == NOON + timedelta(days=30)
    record = await pay.payment("telegram", "c-1")
    assert record is not None and record.status == "refunded" and record.refunded_by == "tg:1"
    assert record.refunded_at == at.now() and record.raw["refund"] == {"by": "admin"}
    assert await count(database, audit_log, action="payment.refund") == 1
    unknown = await pay.refund(provider="telegram", charge_id="nope", actor="tg:1", raw={})
    assert unknown.status == "unknown"


async def test_refund_debits_points_down_to_zero_and_records_the_shortfall(
    database: Database, example_bundle: Bundle
) -> None:
    pay = await service(database, example_bundle)
    await buy(pay, "p-1", "besitos_100", amount=50)
    await set_gamification(database, ANA.id, balance=30)  # spent 70 of them in the story
    result = await pay.refund(provider="telegram", charge_id="p-1", actor="cli:ops", raw={})
    assert (result.points_debited, result.shortfall) == (30, 70)
    assert (await game(database, ANA.id)).balance == 0
    record = await pay.payment("telegram", "p-1")
    assert record is not None and record.shortfall == 70
    async with database.connect() as conn:
        kinds = (
            await conn.execute(sa.select(points_transactions.c.kind, points_transactions.c.amount))
        ).all()
    assert sorted(kinds) == [("purchase", 100), ("refund", -30)]


async def test_provider_events_are_stored_once(database: Database, example_bundle: Bundle) -> None:
    pay = await service(database, example_bundle)
    assert not await pay.event_seen(provider="stripe", event_id="evt_1")
    assert await pay.record_event(provider="stripe", event_id="evt_1", type="charge.refunded", raw={"a": 1})
    assert not await pay.record_event(provider="stripe", event_id="evt_1", type="charge.refunded", raw={})
    assert await pay.event_seen(provider="stripe", event_id="evt_1")
    assert not await pay.event_seen(provider="telegram", event_id="evt_1")


async def test_subscription_rows_are_upserted(database: Database, example_bundle: Bundle) -> None:
    pay = await service(database, example_bundle)
    end = NOON + timedelta(days=30)
    for status in ("incomplete", "active"):
        await pay.set_subscription(
            provider="stripe",
            external_id="sub_1",
            user_id=ANA.id,
            product_id="vip_mensual",
            status=status,
            current_period_end=end,
        )
    async with database.connect() as conn:
        rows = (await conn.execute(sa.select(user_subscriptions))).all()
    assert [(r.external_id, r.status) for r in rows] == [("sub_1", "active")]
    # An erased (unknown) player's subscription is not written back.
    await pay.set_subscription(
        provider="stripe",
        external_id="sub_2",
        user_id=99,
        product_id="vip_mensual",
        status="active",
        current_period_end=end,
    )
    assert await count(database, user_subscriptions) == 1


async def test_payments_list_newest_first_and_per_user(database: Database, example_bundle: Bundle) -> None:
    at = clock()
    pay = await service(database, example_bundle, at)
    await buy(pay, "a-1")
    at.advance(minutes=1)
    await buy(pay, "b-1", user=BEA.id)
    at.advance(minutes=1)
    await buy(pay, "a-2", "besitos_100", amount=50)
    assert [r.charge_id for r in await pay.payments()] == ["a-2", "b-1", "a-1"]
    assert [r.charge_id for r in await pay.payments(user_id=ANA.id, limit=1)] == ["a-2"]
    shown = (await pay.payments(user_id=BEA.id))[0].to_dict(raw=True)
    assert shown["raw"] == {"telegram_payment_charge_id": "b-1"} and shown["status"] == "completed"


async def test_revenue_sums_completed_payments_per_currency(
    database: Database, example_bundle: Bundle
) -> None:
    at = clock()
    pay = await service(database, example_bundle, at)
    await buy(pay, "s-1")
    await buy(pay, "s-2", "besitos_100", amount=50)
    await buy(pay, "s-3", user=BEA.id)
    await pay.grant(
        provider="stripe",
        charge_id="pi_1",
        user_id=BEA.id,
        product_id="vip_30",
        amount=499,
        currency="eur",
        raw={},
    )
    await pay.refund(provider="telegram", charge_id="s-3", actor="tg:1", raw={})
    stats = await AdminService(database, at).stats()
    assert stats.revenue == {"XTR": 300, "eur": 499}
    at.advance(days=8)  # outside the 7-day window
    assert (await AdminService(database, at).stats()).revenue == {}


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_concurrent_duplicate_grants_grant_exactly_once(
    database: Database, example_bundle: Bundle
) -> None:
    """Ten replicas receiving the same payment at once: one grant, nine duplicates (PostgreSQL)."""
    pay = await service(database, example_bundle)
    results = await asyncio.gather(*(buy(pay, "same", "besitos_100", amount=50) for _ in range(10)))
    assert sorted(r.status for r in results) == ["duplicate"] * 9 + ["granted"]
    assert (await game(database, ANA.id)).balance == 100
    assert await count(database, payments) == 1
    assert await count(database, points_transactions) == 1
    assert await count(database, outbox, type="purchase_completed") == 1


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_concurrent_refunds_refund_once(database: Database, example_bundle: Bundle) -> None:
    pay = await service(database, example_bundle)
    await buy(pay, "p-1", "besitos_100", amount=50)
    results = await asyncio.gather(
        *(pay.refund(provider="telegram", charge_id="p-1", actor="tg:1", raw={}) for _ in range(5))
    )
    assert sorted(r.status for r in results) == ["already_refunded"] * 4 + ["refunded"]
    assert (await game(database, ANA.id)).balance == 0


async def test_the_migration_matches_the_table_definitions(database: Database) -> None:
    """migrations/versions/0004 creates exactly the payments tables of engine.store.tables."""
    names = ("payments", "payment_orders", "payment_events")

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, metadata) if any(n in repr(d) for n in names)]

    async with database.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_purchase_completed_rules_pay_a_bonus_once_and_a_refund_takes_it_back(
    database: Database, example_bundle: Bundle
) -> None:
    """A writer's `on: purchase_completed` rule is an earned bonus (capped, counted in total_earned),
    applied in the grant's transaction, never again on a replay, and part of what a refund revokes."""
    rule = RuleSpec(key="gracias", on="purchase_completed", points=15, once=True)
    rewards = replace(example_bundle.rewards, rules=(*example_bundle.rewards.rules, rule))
    pay = await service(database, replace(example_bundle, rewards=rewards))
    first = await buy(pay, "p-1", "besitos_100", amount=50)
    assert first.status == "granted" and first.balance == 115
    assert (await buy(pay, "p-1", "besitos_100", amount=50)).status == "duplicate"
    second = await buy(pay, "p-2", "besitos_100", amount=50)
    assert second.balance == 215  # `once`: the bonus came with the first purchase only
    row = await game(database, ANA.id)
    assert (row.balance, row.total_earned) == (215, 15)
    async with database.connect() as conn:
        kinds = (
            await conn.execute(sa.select(points_transactions.c.kind, points_transactions.c.amount))
        ).all()
    assert sorted(kinds) == [("earn", 15), ("purchase", 100), ("purchase", 100)]
    assert await count(database, outbox, type="purchase_completed") == 2
    refund = await pay.refund(provider="telegram", charge_id="p-1", actor="cli:ops", raw={})
    assert (refund.points_debited, refund.shortfall) == (115, 0)
    assert (await game(database, ANA.id)).balance == 100
