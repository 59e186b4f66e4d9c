"""The pure rules of the Stripe webhook: when a payment may grant a product, and where a period ends."""

from __future__ import annotations

import pytest

from engine.content.bundle import ProductSpec
from engine.services.stripe_events import period_end, price_problem, subscription_price

VIP = ProductSpec(
    id="vip", type="vip", title={"es": "VIP"}, days=30, stripe_amount=499, stripe_currency="eur"
)
MONTHLY = ProductSpec(
    id="m",
    type="vip",
    title={"es": "M"},
    days=30,
    stripe_amount=399,
    stripe_currency="eur",
    stripe_interval="month",
)
STARS_ONLY = ProductSpec(id="s", type="points", title={"es": "S"}, points=10, stars=50)


@pytest.mark.parametrize(
    ("product", "amount", "currency", "interval", "problem"),
    [
        (VIP, 499, "eur", None, None),
        (VIP, 499, "EUR", None, None),
        (VIP, 600, "eur", None, None),  # more than the price (a price lowered since): still the product
        (VIP, 498, "eur", None, "amount_below_price"),
        (VIP, None, "eur", None, "amount_below_price"),
        (VIP, 499, "usd", None, "currency_differs"),
        (VIP, 499, None, None, "currency_differs"),
        (None, 499, "eur", None, "product_not_in_active_release"),
        (STARS_ONLY, 499, "eur", None, "product_has_no_card_price"),
        (VIP, 499, "eur", "month", "billing_interval_differs"),
        (MONTHLY, 399, "eur", "month", None),
        (MONTHLY, 399, "eur", None, "billing_interval_differs"),
        (MONTHLY, 399, "eur", "year", "billing_interval_differs"),
        (MONTHLY, 100, "eur", "month", "amount_below_price"),
    ],
)
def test_price_problem(
    product: ProductSpec | None,
    amount: int | None,
    currency: str | None,
    interval: str | None,
    problem: str | None,
) -> None:
    assert price_problem(product, amount, currency, interval=interval) == problem


def test_the_period_end_is_read_from_the_item_or_from_older_api_versions_subscription() -> None:
    assert period_end({"items": {"data": [{"current_period_end": 200}]}, "current_period_end": 100}) == 200
    assert period_end({"items": {"data": []}, "current_period_end": 100}) == 100
    assert period_end({"current_period_end": "100"}) == 100
    assert period_end({}) is None


def test_the_subscription_price_is_one_item_times_its_quantity() -> None:
    item = {
        "price": {"unit_amount": 399, "currency": "eur", "recurring": {"interval": "month"}},
        "quantity": 2,
    }
    assert subscription_price({"items": {"data": [item]}}) == (798, "eur", "month")
    assert subscription_price({"items": {"data": [item, item]}}) == (None, None, None)
    assert subscription_price({}) == (None, None, None)
