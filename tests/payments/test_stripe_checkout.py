"""The Checkout Session adapter against the fake Stripe API over real HTTP, through the real stripe SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.content.bundle import Bundle, ProductSpec
from engine.payments.stripe_checkout import (
    CardPriceMissingError,
    CheckoutUnavailableError,
    StripeCheckout,
    checkout_params,
)
from engine.settings import SettingsError, load_settings
from tests.payments.fake_stripe import SECRET_KEY, FakeStripe, decode_form

BACK = "https://t.me/diana_test_bot"


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def checkout(fake_stripe: FakeStripe) -> AsyncIterator[StripeCheckout]:
    adapter = StripeCheckout(SECRET_KEY, success_url=BACK, cancel_url=BACK, api_base=fake_stripe.base_url)
    yield adapter
    await adapter.close()


def test_form_decoding_rebuilds_nested_objects() -> None:
    body = (
        "mode=payment&line_items[0][price_data][currency]=eur&line_items[0][quantity]=1&metadata[a]=&x[1]=b"
    )
    assert decode_form(body.replace("[", "%5B").replace("]", "%5D")) == {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "eur"}, "quantity": "1"}],
        "metadata": {"a": ""},
        "x": [None, "b"],
    }


async def test_a_one_off_product_becomes_a_payment_session_carrying_user_product_and_price(
    example_bundle: Bundle, fake_stripe: FakeStripe, checkout: StripeCheckout
) -> None:
    vip = example_bundle.products["vip_30"]
    link = await checkout.create(vip, user_id=77, release_id=3, title="Pase VIP", locale="es")
    assert link.mode == "payment"
    assert link.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    sent = fake_stripe.requests[-1]
    assert sent.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    expected = {
        "user_id": "77",
        "product_id": "vip_30",
        "release_id": "3",
        "amount": "499",
        "currency": "eur",
    }
    assert sent.params["metadata"] == expected
    assert sent.params["payment_intent_data"] == {"metadata": expected}
    assert sent.params["client_reference_id"] == "77"
    assert sent.params["line_items"] == [
        {
            "price_data": {
                "currency": "eur",
                "unit_amount": "499",
                "product_data": {"name": "Pase VIP", "metadata": {"product_id": "vip_30"}},
            },
            "quantity": "1",
        }
    ]
    assert (sent.params["success_url"], sent.params["cancel_url"], sent.params["locale"]) == (
        BACK,
        BACK,
        "es",
    )
    assert "subscription_data" not in sent.params


async def test_a_product_with_an_interval_becomes_a_subscription(
    example_bundle: Bundle, fake_stripe: FakeStripe, checkout: StripeCheckout
) -> None:
    monthly = example_bundle.products["vip_mensual"]
    link = await checkout.create(monthly, user_id=78, release_id=1, title="Monthly VIP", locale="en")
    assert link.mode == "subscription"
    params = fake_stripe.requests[-1].params
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"]["metadata"]["product_id"] == "vip_mensual"
    assert params["subscription_data"]["metadata"]["user_id"] == "78"


async def test_the_same_idempotency_key_returns_the_same_session(
    example_bundle: Bundle, fake_stripe: FakeStripe, checkout: StripeCheckout
) -> None:
    vip = example_bundle.products["vip_30"]
    first = await checkout.create(vip, user_id=1, release_id=1, title="VIP", idempotency_key="tap-1")
    again = await checkout.create(vip, user_id=1, release_id=1, title="VIP", idempotency_key="tap-1")
    other = await checkout.create(vip, user_id=1, release_id=1, title="VIP", idempotency_key="tap-2")
    assert first == again != other
    assert len(fake_stripe.sessions) == 2


async def test_a_stripe_outage_is_retried_once_then_reported(
    example_bundle: Bundle, fake_stripe: FakeStripe, checkout: StripeCheckout
) -> None:
    vip = example_bundle.products["vip_30"]
    fake_stripe.fail_next = 1  # the SDK retries a 500 with the same idempotency key
    link = await checkout.create(vip, user_id=2, release_id=1, title="VIP", idempotency_key="tap-3")
    assert link.session_id in fake_stripe.sessions
    assert [r.headers.get("Idempotency-Key") for r in fake_stripe.requests] == ["tap-3", "tap-3"]
    fake_stripe.fail_next = 2
    with pytest.raises(CheckoutUnavailableError, match="unknown error"):
        await checkout.create(vip, user_id=2, release_id=1, title="VIP", idempotency_key="tap-4")


async def test_a_wrong_secret_key_is_a_clear_error(example_bundle: Bundle, fake_stripe: FakeStripe) -> None:
    adapter = StripeCheckout(
        "sk_test_wrong", success_url=BACK, cancel_url=BACK, api_base=fake_stripe.base_url
    )
    try:
        with pytest.raises(CheckoutUnavailableError, match="Invalid API Key"):
            await adapter.create(example_bundle.products["vip_30"], user_id=1, release_id=1, title="VIP")
    finally:
        await adapter.close()
    assert fake_stripe.sessions == {}


def test_a_product_without_a_card_price_cannot_be_checked_out(example_bundle: Bundle) -> None:
    points = example_bundle.products["besitos_100"]
    with pytest.raises(CardPriceMissingError, match="besitos_100"):
        checkout_params(
            points,
            user_id=1,
            release_id=1,
            title="x",
            description="",
            locale="es",
            success_url=BACK,
            cancel_url=BACK,
        )


def test_locales_checkout_does_not_know_fall_back_to_auto() -> None:
    product = ProductSpec(id="p", type="vip", title={"es": "p"}, stripe_amount=100, stripe_currency="EUR")
    params = checkout_params(
        product,
        user_id=1,
        release_id=1,
        title="p",
        description="d",
        locale="xx",
        success_url=BACK,
        cancel_url=BACK,
    )
    assert params["locale"] == "auto"
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    assert params["line_items"][0]["price_data"]["product_data"]["description"] == "d"


@pytest.mark.parametrize("name", ["stripe_api_base", "stripe_success_url", "stripe_cancel_url"])
def test_a_malformed_stripe_address_stops_the_start_with_one_line_naming_it(name: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name.upper()}: .*http"):
        load_settings(**{name: "localhost:12111"})
    assert getattr(load_settings(**{name: "http://127.0.0.1:12111"}), name) == "http://127.0.0.1:12111"
