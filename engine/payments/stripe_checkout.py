"""Card payments: one Stripe Checkout Session per purchase, through the stripe SDK.

The session carries everything the webhook needs to grant the purchase later without trusting the
player: ``client_reference_id`` and ``metadata`` name the user, the product, the release the price came
from and that price (Stripe signs the events that bring them back). A product with an ``interval``
becomes a subscription (``mode="subscription"``, the same metadata on the subscription so renewals
carry it too); any other card product a one-off payment.

The SDK's API base is a setting (``STRIPE_API_BASE``) so tests point it at a local server; the HTTP
client is the SDK's aiohttp one, so creating a session never blocks the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from engine.content.bundle import ProductSpec

CHECKOUT_LOCALES = frozenset({"es", "en"})  # the story's locales that Checkout also speaks; else "auto"


class CardPriceMissingError(ValueError):
    """The product cannot be paid by card (no ``price.stripe`` in shop.yaml, or it left the release)."""


class CheckoutUnavailableError(RuntimeError):
    """Stripe refused or could not be reached; nothing was charged, the player may try again."""


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    session_id: str
    url: str
    mode: str  # "payment" | "subscription"


def session_metadata(
    product: ProductSpec, *, user_id: int, release_id: int, return_to: str = ""
) -> dict[str, str]:
    """What the webhook reads back (Stripe metadata values are strings). ``return_to``: the player
    bought from a scene (a VIP offer), so the scene is shown again once the payment is granted."""
    assert product.stripe_amount is not None and product.stripe_currency is not None
    metadata = {
        "user_id": str(user_id),
        "product_id": product.id,
        "release_id": str(release_id),
        "amount": str(product.stripe_amount),
        "currency": product.stripe_currency.lower(),
    }
    if return_to:
        metadata["return_to"] = return_to
    return metadata


def checkout_params(
    product: ProductSpec,
    *,
    user_id: int,
    release_id: int,
    title: str,
    description: str,
    locale: str,
    success_url: str,
    cancel_url: str,
    return_to: str = "",
) -> dict[str, Any]:
    """The ``POST /v1/checkout/sessions`` parameters for one product (pure: tested without Stripe)."""
    if not product.stripe_amount or not product.stripe_currency:
        raise CardPriceMissingError(f"product {product.id!r} has no card price")
    metadata = session_metadata(product, user_id=user_id, release_id=release_id, return_to=return_to)
    price_data: dict[str, Any] = {
        "currency": product.stripe_currency.lower(),
        "unit_amount": product.stripe_amount,
        "product_data": {"name": title, "metadata": {"product_id": product.id}},
    }
    if description:
        price_data["product_data"]["description"] = description
    params: dict[str, Any] = {
        "mode": "subscription" if product.stripe_interval else "payment",
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "client_reference_id": str(user_id),
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": locale if locale in CHECKOUT_LOCALES else "auto",
    }
    # The subscription's and the charge's events carry the metadata too, all but `return_to`: only the
    # session's own completion brings the player back to a scene (a renewal a month later must not).
    carried = {key: value for key, value in metadata.items() if key != "return_to"}
    if product.stripe_interval:
        price_data["recurring"] = {"interval": product.stripe_interval}
        params["subscription_data"] = {"metadata": carried}  # renewals' events carry it
    else:
        params["payment_intent_data"] = {"metadata": carried}  # so do the charge and its refunds
    return params


class StripeCheckout:
    """The Stripe adapter for creating Checkout Sessions (one per process; ``close`` on shutdown)."""

    def __init__(
        self,
        secret_key: str,
        *,
        success_url: str,
        cancel_url: str,
        api_base: str | None = None,
        max_network_retries: int = 1,
    ) -> None:
        self.success_url = success_url
        self.cancel_url = cancel_url
        self._http = stripe.AIOHTTPClient()
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else {},
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    async def create(
        self,
        product: ProductSpec,
        *,
        user_id: int,
        release_id: int,
        title: str,
        description: str = "",
        locale: str = "auto",
        idempotency_key: str | None = None,
        return_to: str = "",
    ) -> CheckoutLink:
        """A new session; the same ``idempotency_key`` (a tapped button's id) gets the same session back,
        so a retried tap never opens two checkouts."""
        params = checkout_params(
            product,
            user_id=user_id,
            release_id=release_id,
            title=title,
            description=description,
            locale=locale,
            success_url=self.success_url,
            cancel_url=self.cancel_url,
            return_to=return_to,
        )
        options: dict[str, Any] = {"idempotency_key": idempotency_key} if idempotency_key else {}
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]  # built as plain dicts, checked by checkout_params' tests
                options,  # type: ignore[arg-type]
            )
        except stripe.StripeError as exc:
            raise CheckoutUnavailableError(f"Stripe refused the checkout session: {exc}") from exc
        if not session.url:
            raise CheckoutUnavailableError(f"Stripe returned session {session.id} without a url")
        return CheckoutLink(session_id=session.id, url=session.url, mode=session.mode)

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]
