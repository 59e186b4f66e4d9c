"""Stars invoices: the signed payload (pure) and the order checks made at pre-checkout (both dialects)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.content.bundle import Bundle
from engine.payments.stars import ForgedPayloadError, payload_secret, read_payload, sign_payload
from engine.services.content import StaticContent
from engine.services.payments import PaymentService
from engine.store.database import Database
from tests.services.support import ANA, BEA, NOON, clock, register, set_user

KEY = payload_secret("a-secret", None)


def test_a_signed_payload_reads_back_for_its_player_only() -> None:
    payload = sign_payload(KEY, 42, "vip_30", "ord3r-Id_x")
    assert payload.startswith("d1:vip_30:ord3r-Id_x:")
    assert read_payload(KEY, 42, payload) == ("vip_30", "ord3r-Id_x")
    with pytest.raises(ForgedPayloadError):
        read_payload(KEY, 43, payload)  # another player's invoice
    with pytest.raises(ForgedPayloadError):
        read_payload(payload_secret("another-secret", None), 42, payload)


@pytest.mark.parametrize(
    "forged",
    [
        "d1:besitos_100:ord3r-Id_x:{mac}",  # another product under the same signature
        "d1:vip_30:other-order:{mac}",  # another order
        "d2:vip_30:ord3r-Id_x:{mac}",  # another format version
        "d1:vip_30:ord3r-Id_x:AAAAAAAAAAAAAAAAAAAAAA",  # a made-up signature
        "d1:vip_30:ord3r-Id_x",  # no signature
        "vip_30",
        "",
    ],
)
def test_a_forged_payload_is_refused(forged: str) -> None:
    mac = sign_payload(KEY, 42, "vip_30", "ord3r-Id_x").rsplit(":", 1)[1]
    with pytest.raises(ForgedPayloadError):
        read_payload(KEY, 42, forged.format(mac=mac))


def test_the_payload_fits_telegrams_128_bytes_and_the_secret_has_a_fallback() -> None:
    assert len(sign_payload(KEY, 2**53, "p" * 64, "o" * 16).encode()) <= 128
    with pytest.raises(ValueError, match="128"):
        sign_payload(KEY, 1, "p" * 100, "o" * 16)
    derived = payload_secret(None, "123:TOKEN")
    assert derived == payload_secret("", "123:TOKEN") and derived != payload_secret(None, "123:OTHER")
    with pytest.raises(ValueError, match="PAYMENTS_SECRET"):
        payload_secret(None, None)


async def test_orders_quote_the_price_and_checkout_checks_it(
    database: Database, example_bundle: Bundle
) -> None:
    content = StaticContent(example_bundle)
    pay = PaymentService(database, content, clock=clock())
    await register(database, ANA, NOON)
    await register(database, BEA, NOON)
    assert await pay.create_order(user_id=ANA.id, product_id="vip_mensual") is None  # card only
    assert await pay.create_order(user_id=ANA.id, product_id="nope") is None
    order = await pay.create_order(user_id=ANA.id, product_id="besitos_100", return_to="n1")
    assert order is not None and (order.amount, order.currency, order.return_to) == (50, "XTR", "n1")
    assert await pay.order(order.id) == order

    def problem(**changes: object) -> object:
        facts = {"order_id": order.id, "user_id": ANA.id, "product_id": "besitos_100", "amount": 50}
        facts.update(changes)
        return pay.checkout_problem(currency=str(facts.pop("currency", "XTR")), **facts)  # type: ignore[arg-type]

    assert await problem() is None
    assert await problem(user_id=BEA.id) == "unknown_order"
    assert await problem(order_id="nope") == "unknown_order"
    assert await problem(product_id="vip_30") == "unknown_order"
    assert await problem(amount=1) == "amount_differs"
    assert await problem(currency="EUR") == "amount_differs"

    # A new release changes the price: refused (the invoiced price is honoured or refused, never changed).
    products = dict(example_bundle.products)
    products["besitos_100"] = replace(products["besitos_100"], stars=60)
    content.bundle = replace(example_bundle, products=products)
    assert await problem() == "price_changed"
    # ... or removes the product.
    del products["besitos_100"]
    content.bundle = replace(example_bundle, products=products)
    assert await problem() == "product_gone"

    content.bundle = example_bundle
    await set_user(database, ANA.id, banned=True)
    assert await problem() == "banned"
    assert await pay.payer_problem(ANA.id) == "banned"
    assert await pay.payer_problem(99) == "unknown_user"
    assert await pay.payer_problem(BEA.id) is None
