"""``/stripe/webhook`` over real HTTP on SQLite and PostgreSQL: signatures, grants, refunds, subscriptions.

Events are built from sessions the real stripe SDK created on the fake Stripe API and signed with the
library's own helper; the answers and the database (VIP expiry, subscriptions, audit log) are checked.
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.content.bundle import Bundle
from engine.payments.stripe_checkout import StripeCheckout
from tests.payments.conftest import StripeEndpoint, audits, subscription_row, vip_until
from tests.payments.fake_stripe import (
    SECRET_KEY,
    FakeStripe,
    completed,
    event,
    refunded,
    signed,
    subscription,
)
from tests.services.support import NOON

BACK = "https://t.me/diana_test_bot"
DAYS_30 = timedelta(days=30)


async def session_for(fake: FakeStripe, bundle: Bundle, product_id: str, user_id: int) -> dict[str, Any]:
    """A Checkout Session created as the bot creates it (real SDK, real HTTP, the fake API)."""
    adapter = StripeCheckout(SECRET_KEY, success_url=BACK, cancel_url=BACK, api_base=fake.base_url)
    try:
        link = await adapter.create(
            bundle.products[product_id], user_id=user_id, release_id=1, title=product_id
        )
    finally:
        await adapter.close()
    return fake.sessions[link.session_id]


async def test_a_paid_checkout_grants_once_however_often_stripe_sends_it(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    ana = await stripe_endpoint.user(8_100_001)
    session = await session_for(fake_stripe, example_bundle, "vip_30", ana)
    paid = completed(session)
    assert await stripe_endpoint.deliver(paid) == (
        200,
        {"received": True, "action": "granted", "detail": paid["data"]["object"]["payment_intent"]},
    )
    assert await vip_until(stripe_endpoint.database, ana) == NOON + DAYS_30

    # The same event again (Stripe resends when unsure): answered, ignored.
    status, answer = await stripe_endpoint.deliver(paid)
    assert (status, answer["action"]) == (200, "replay")
    # Another event about the same payment (a new event id): the charge id makes it a duplicate.
    again = event("checkout.session.async_payment_succeeded", paid["data"]["object"])
    status, answer = await stripe_endpoint.deliver(again)
    assert (status, answer["action"]) == (200, "duplicate")
    assert await vip_until(stripe_endpoint.database, ana) == NOON + DAYS_30
    [payment] = await stripe_endpoint.payments.payments(user_id=ana)
    assert (payment.provider, payment.charge_id, payment.order_id) == (
        "stripe",
        answer["detail"],
        session["id"],
    )
    assert (payment.amount, payment.currency, payment.product_id) == (499, "eur", "vip_30")


async def test_an_unpaid_session_and_an_unknown_event_grant_nothing(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    bea = await stripe_endpoint.user(8_100_002)
    session = await session_for(fake_stripe, example_bundle, "vip_30", bea)
    pending = completed(session, payment_status="unpaid")
    assert (await stripe_endpoint.deliver(pending))[1]["action"] == "ignored"
    other = event("invoice.finalized", {"id": "in_test_1", "object": "invoice"})
    assert (await stripe_endpoint.deliver(other))[1] == {
        "received": True,
        "action": "ignored",
        "detail": "invoice.finalized is not handled",
    }
    assert await vip_until(stripe_endpoint.database, bea) is None
    # Both were stored: a replay of either is recognised.
    assert (await stripe_endpoint.deliver(other))[1]["action"] == "replay"


async def test_a_bad_or_old_signature_is_refused_and_grants_nothing(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    clara = await stripe_endpoint.user(8_100_003)
    paid = completed(await session_for(fake_stripe, example_bundle, "vip_30", clara))

    status, answer = await stripe_endpoint.deliver(paid, secret="whsec_someone_else")
    assert status == 400
    assert "No signatures found matching the expected signature" in answer["error"]
    status, answer = await stripe_endpoint.deliver(paid, at=int(time.time()) - 3600)  # tolerance: 300 s
    assert status == 400
    assert "Timestamp outside the tolerance zone" in answer["error"]
    status, answer = await stripe_endpoint.deliver(paid, header="")
    assert status == 400
    assert "No Stripe-Signature header" in answer["error"]
    status, answer = await stripe_endpoint.deliver(paid, header="garbage")
    assert status == 400
    # A body changed after signing (say, a cheaper product swapped in) fails the signature.
    body, header = signed(paid)
    tampered = body.replace(b'"vip_30"', b'"vip_mensual"')
    async with stripe_endpoint.http.post(
        stripe_endpoint.url, data=tampered, headers={"Stripe-Signature": header}
    ) as response:
        assert response.status == 400
    # Signed, but not an event.
    for junk in ("not json", "[1, 2]", '{"object": "event"}'):
        status, answer = await stripe_endpoint.deliver(junk)
        assert status == 400, junk
        assert answer["error"].startswith("payload:"), junk

    # Far larger than any event: refused before it is read.
    async with stripe_endpoint.http.post(
        stripe_endpoint.url, data=b"{" + b" " * 600_000 + b"}", headers={"Stripe-Signature": header}
    ) as response:
        assert (response.status, await response.json()) == (413, {"error": "payload too large"})

    assert await vip_until(stripe_endpoint.database, clara) is None
    # Nothing was stored as seen: the genuine delivery still grants.
    assert (await stripe_endpoint.deliver(paid))[1]["action"] == "granted"
    assert await vip_until(stripe_endpoint.database, clara) == NOON + DAYS_30


async def test_a_full_refund_revokes_once_and_a_partial_one_keeps_the_purchase(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    dani = await stripe_endpoint.user(8_100_004)
    paid = completed(await session_for(fake_stripe, example_bundle, "vip_30", dani))
    intent = paid["data"]["object"]["payment_intent"]
    assert (await stripe_endpoint.deliver(paid))[1]["action"] == "granted"

    partial = refunded(intent, 499, full=False)
    assert (await stripe_endpoint.deliver(partial))[1]["action"] == "ignored"
    assert await vip_until(stripe_endpoint.database, dani) == NOON + DAYS_30
    [note] = await audits(stripe_endpoint.database, "payment.partial_refund")
    assert note.details["charge"] == intent

    full = refunded(intent, 499)
    status, answer = await stripe_endpoint.deliver(full)
    assert (status, answer["action"]) == (200, "refunded")
    revoked = await vip_until(stripe_endpoint.database, dani)
    assert revoked is None or revoked <= NOON
    # The same refund again, and a second event for the same charge: revoked once.
    assert (await stripe_endpoint.deliver(full))[1]["action"] == "replay"
    assert (await stripe_endpoint.deliver(refunded(intent, 499)))[1]["action"] == "duplicate"
    assert await vip_until(stripe_endpoint.database, dani) == revoked
    [payment] = await stripe_endpoint.payments.payments(user_id=dani)
    assert (payment.status, payment.refunded_by) == ("refunded", "stripe")
    # A refund of a charge Diana never granted (a subscription invoice, say) changes nothing.
    stranger = refunded("pi_test_unknown", 399)
    assert (await stripe_endpoint.deliver(stranger))[1]["action"] == "ignored"


async def test_a_subscription_extends_vip_once_per_paid_period_and_stops_when_deleted(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    eva = await stripe_endpoint.user(8_100_005)
    session = await session_for(fake_stripe, example_bundle, "vip_mensual", eva)
    first_end = int((NOON + DAYS_30).timestamp())
    second_end = int((NOON + 2 * DAYS_30).timestamp())
    database = stripe_endpoint.database

    # The checkout completes: the subscription's own events grant the periods, not this one.
    assert (await stripe_endpoint.deliver(completed(session)))[1]["action"] == "ignored"
    created = subscription("created", session, period_end=first_end)
    sub_id = created["data"]["object"]["id"]
    status, answer = await stripe_endpoint.deliver(created)
    assert (status, answer) == (
        200,
        {"received": True, "action": "granted", "detail": f"sub:{sub_id}:{first_end}"},
    )
    assert await vip_until(database, eva) == datetime.fromtimestamp(first_end, UTC)
    row = await subscription_row(database, sub_id)
    assert (row.user_id, row.product_id, row.status) == (eva, "vip_mensual", "active")

    # Updated twice for the same period (a card change, a metadata edit): extended once.
    for _ in range(2):
        same = subscription("updated", session, period_end=first_end)
        assert (await stripe_endpoint.deliver(same))[1]["action"] == "duplicate"
    assert await vip_until(database, eva) == datetime.fromtimestamp(first_end, UTC)

    # A renewal that did not go through yet: recorded, nothing granted.
    overdue = subscription("updated", session, period_end=second_end, status="past_due")
    assert (await stripe_endpoint.deliver(overdue))[1]["action"] == "subscription"
    assert (await subscription_row(database, sub_id)).status == "past_due"
    assert await vip_until(database, eva) == datetime.fromtimestamp(first_end, UTC)
    # It is paid: the next period.
    renewed = subscription("updated", session, period_end=second_end)
    assert (await stripe_endpoint.deliver(renewed))[1]["action"] == "granted"
    assert await vip_until(database, eva) == datetime.fromtimestamp(second_end, UTC)

    # Cancelled: VIP runs to the end of what was paid, and nothing extends it any more, not even an
    # "updated" for a later period that Stripe delivers late.
    deleted = subscription("deleted", session, period_end=second_end, status="canceled")
    assert (await stripe_endpoint.deliver(deleted))[1]["action"] == "subscription"
    assert (await subscription_row(database, sub_id)).status == "canceled"
    late = subscription("updated", session, period_end=int((NOON + 3 * DAYS_30).timestamp()))
    status, answer = await stripe_endpoint.deliver(late)
    assert (status, answer["action"]) == (200, "ignored")
    assert await vip_until(database, eva) == datetime.fromtimestamp(second_end, UTC)
    assert (await subscription_row(database, sub_id)).status == "canceled"
    periods = await stripe_endpoint.payments.payments(user_id=eva)
    assert sorted(p.charge_id for p in periods) == [f"sub:{sub_id}:{first_end}", f"sub:{sub_id}:{second_end}"]


async def test_a_payment_for_a_removed_product_or_below_the_price_is_stored_audited_not_granted(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    fran = await stripe_endpoint.user(8_100_006)
    gus = await stripe_endpoint.user(8_100_007)
    database = stripe_endpoint.database

    cheap = completed(await session_for(fake_stripe, example_bundle, "vip_30", fran), amount_total=100)
    assert (await stripe_endpoint.deliver(cheap))[1] == {
        "received": True,
        "action": "rejected",
        "detail": "amount_below_price",
    }
    dollars = completed(await session_for(fake_stripe, example_bundle, "vip_30", fran), currency="usd")
    assert (await stripe_endpoint.deliver(dollars))[1]["detail"] == "currency_differs"

    # A new release removed the product between the checkout and the payment.
    session = await session_for(fake_stripe, example_bundle, "vip_30", gus)
    products = {k: v for k, v in example_bundle.products.items() if k != "vip_30"}
    stripe_endpoint.content.bundle = dataclasses.replace(example_bundle, products=products)
    gone = completed(session)
    assert (await stripe_endpoint.deliver(gone))[1]["detail"] == "product_not_in_active_release"

    assert await vip_until(database, fran) is None
    assert await vip_until(database, gus) is None
    assert await stripe_endpoint.payments.payments() == []
    rejected = await audits(database, "payment.rejected")
    assert [(r.actor, r.subject, r.details["reason"]) for r in rejected] == [
        ("stripe", f"user:{fran}", "amount_below_price"),
        ("stripe", f"user:{fran}", "currency_differs"),
        ("stripe", f"user:{gus}", "product_not_in_active_release"),
    ]
    assert rejected[2].details["session"] == session["id"]
    assert rejected[2].details["product"] == "vip_30"
    # Stored: a replay is recognised, not audited twice.
    assert (await stripe_endpoint.deliver(gone))[1]["action"] == "replay"
    assert len(await audits(database, "payment.rejected")) == 3


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [({}, "metadata_missing"), ({"user_id": "x", "product_id": "vip_30"}, "metadata_missing")],
)
async def test_a_session_that_names_no_player_is_audited(
    stripe_endpoint: StripeEndpoint,
    fake_stripe: FakeStripe,
    example_bundle: Bundle,
    metadata: dict[str, str],
    reason: str,
) -> None:
    session = await session_for(fake_stripe, example_bundle, "vip_30", 8_100_008)
    foreign = completed(session, metadata=metadata, client_reference_id=None)
    assert (await stripe_endpoint.deliver(foreign))[1]["detail"] == reason
    [row] = await audits(stripe_endpoint.database, "payment.rejected")
    assert row.subject is None
    assert json.loads(json.dumps(row.details))["session"] == session["id"]


async def test_a_payment_by_someone_who_is_not_a_player_is_audited_without_their_id(
    stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    session = await session_for(fake_stripe, example_bundle, "vip_30", 8_100_009)  # never sent /start
    assert (await stripe_endpoint.deliver(completed(session)))[1]["detail"] == "player_unknown"
    [row] = await audits(stripe_endpoint.database, "payment.rejected")
    assert (row.subject, row.details["session"]) == (None, session["id"])
    assert await stripe_endpoint.payments.payments() == []
