"""Telegram Stars invoice payloads: which product and order an invoice is for, signed so it cannot be forged.

Telegram hands the invoice's ``payload`` back in the ``pre_checkout_query`` and the ``successful_payment``
without looking at it, and a client can build an invoice of its own with any payload it likes. So the
payload carries an HMAC (SHA-256, truncated to 128 bits) over the buyer's user id, the product and the
order id, with a server secret: a payload we did not write, or one written for another player, does not
verify and the payment is refused at pre-checkout. The price is not in the payload: it is in the order
row (``payment_orders``), stored when the invoice was sent.

Format (at most 128 bytes, Telegram's limit): ``d1:<product>:<order>:<mac>``, with the product id at
most 64 characters and the order id and mac URL-safe base64 (no ``:``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

VERSION = "d1"
MAX_PAYLOAD_BYTES = 128  # Bot API: sendInvoice payload, 1-128 bytes
_MAC_BYTES = 16


class ForgedPayloadError(ValueError):
    """An invoice payload that Diana did not sign for this player (or not in this format)."""


def payload_secret(payments_secret: str | None, bot_token: str | None) -> bytes:
    """The signing key: PAYMENTS_SECRET, else derived from the bot token (secret, and the same on every
    replica). Setting PAYMENTS_SECRET lets the token be rotated without refusing invoices in flight."""
    if payments_secret:
        return payments_secret.encode()
    if not bot_token:
        raise ValueError("signing invoices needs PAYMENTS_SECRET or TELEGRAM_BOT_TOKEN")
    return hashlib.sha256(b"diana-invoice-payload:" + bot_token.encode()).digest()


def _mac(secret: bytes, user_id: int, product_id: str, order_id: str) -> str:
    message = f"{VERSION}:{user_id}:{product_id}:{order_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_payload(secret: bytes, user_id: int, product_id: str, order_id: str) -> str:
    payload = f"{VERSION}:{product_id}:{order_id}:{_mac(secret, user_id, product_id, order_id)}"
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"invoice payload longer than {MAX_PAYLOAD_BYTES} bytes (product id too long?)")
    return payload


def read_payload(secret: bytes, user_id: int, payload: str) -> tuple[str, str]:
    """(product id, order id) of a payload signed for ``user_id``; ForgedPayloadError otherwise."""
    version, _, rest = payload.partition(":")
    body, _, mac = rest.rpartition(":")
    product_id, _, order_id = body.rpartition(":")
    if version != VERSION or not product_id or not order_id or not mac:
        raise ForgedPayloadError("not a Diana invoice payload")
    if not hmac.compare_digest(mac, _mac(secret, user_id, product_id, order_id)):
        raise ForgedPayloadError("the payload's signature does not match")
    return product_id, order_id


__all__ = ["ForgedPayloadError", "payload_secret", "read_payload", "sign_payload"]
