"""/shop, the VIP offer, and paying in Telegram Stars: invoice, pre-checkout, successful payment, /refund.

The flow, and what each step trusts:

1. A ⭐ button (:class:`Buy`, method "stars") stores an order with the price quoted now
   (``payment_orders``) and sends an invoice in XTR whose payload names the product and the order,
   HMAC-signed for this player (engine/payments/stars.py).
2. ``pre_checkout_query``: Telegram asks whether to take the Stars. We verify the payload's signature,
   then that the order is this player's, the amount is the one quoted, the product is still in the
   *active* release at that same price, and the player is not banned. The invoiced price is honoured
   or refused, never changed: a release that removed the product or changed its price since the
   invoice makes us refuse, with a localized reason, and the player opens /shop for a fresh invoice.
3. ``successful_payment``: the Stars are taken. PaymentService.grant applies the purchase once per
   ``telegram_payment_charge_id``. This update is deliberately *not* recorded in ``processed_updates``
   before the grant: if the process dies before the grant commits, Telegram delivers the same update
   again and the grant happens then; a second delivery after the commit is a ``duplicate``. If the grant
   fails with an exception the update is not answered with 200 (see bot/routers/errors.py), so Telegram
   retries it. A product that a release removed between pre-checkout and payment cannot be granted:
   the Stars go straight back (``refundStarPayment``) and the player is told.
4. ``/refund CHARGE_ID`` (admins): ``refundStarPayment``, then PaymentService.refund revokes the grant.
"""

from __future__ import annotations

import html
import logging
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import Buy
from bot.routers.admin import IsAdmin
from bot.routers.card import card_price, every
from bot.views import MediaCache, send_view
from engine.content.bundle import Bundle, ProductSpec
from engine.payments.stars import ForgedPayloadError, payload_secret, read_payload, sign_payload
from engine.services.admin import user_subject
from engine.services.payments import STARS, TELEGRAM, GrantResult, PaymentService
from engine.services.play import PlayService
from engine.settings import Settings

router = Router(name="shop")
log = logging.getLogger("diana.payments")

TITLE_LIMIT, DESCRIPTION_LIMIT = 32, 255  # Bot API sendInvoice: title 1-32, description 1-255 characters
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"  # what refundStarPayment answers for a refunded charge


def secret(settings: Settings) -> bytes:
    return payload_secret(settings.payments_secret, settings.telegram_bot_token)


def refusal(problem: str) -> str:
    """The pre-checkout refusal Telegram shows the player, for each reason PaymentService gives."""
    reasons = {
        "forged": _("This invoice is not valid. Open /shop to buy again."),
        "unknown_order": _("This invoice is not valid. Open /shop to buy again."),
        "amount_differs": _("This invoice is not valid. Open /shop to buy again."),
        "product_gone": _("This product is no longer available."),
        "price_changed": _("The price of this product has changed. Open /shop for the new price."),
        "banned": _("This account is blocked."),
        "unknown_user": _("Send /start to begin the story."),
    }
    return reasons.get(problem, _("This invoice is not valid. Open /shop to buy again."))


def _prices(product: ProductSpec, locale: str) -> list[str]:
    prices = []
    if product.stars:
        prices.append(_("{stars} ⭐").format(stars=product.stars))
    if product.stripe_amount and product.stripe_currency:
        price = card_price(product.stripe_amount, product.stripe_currency, locale)
        if product.stripe_interval:
            price = f"{price} {every(product.stripe_interval)}"
        prices.append(_("{price} by card").format(price=price))
    return prices


def _buttons(product: ProductSpec, locale: str, return_to: str) -> list[InlineKeyboardButton]:
    buttons = []
    if product.stars:
        buttons.append(
            InlineKeyboardButton(
                text=_("⭐ {stars}").format(stars=product.stars),
                callback_data=Buy(method="stars", product=product.id, return_to=return_to).pack(),
            )
        )
    if product.stripe_amount and product.stripe_currency:
        price = card_price(product.stripe_amount, product.stripe_currency, locale)
        buttons.append(
            InlineKeyboardButton(
                text=_("💳 {price}").format(price=price),
                callback_data=Buy(method="card", product=product.id, return_to=return_to).pack(),
            )
        )
    return buttons


def catalogue(
    bundle: Bundle, products: list[ProductSpec], locale: str, heading: str, return_to: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buy buttons of a list of products: /shop shows all, the VIP offer the VIP ones."""
    lines = [heading]
    rows = []
    for product in products:
        prices = _prices(product, locale)
        if not prices:  # nothing to pay it with: not for sale
            continue
        title = bundle.text(dict(product.title), locale)
        description = bundle.text(dict(product.description), locale) if product.description else ""
        lines.append(f"• <b>{html.escape(title)}</b> — {' · '.join(prices)}")
        if description:
            lines.append(f"  <i>{html.escape(description)}</i>")
        buttons = _buttons(product, locale, return_to)
        if buttons:
            rows.append(buttons)
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    return "\n".join(lines), markup


def vip_products(bundle: Bundle) -> list[ProductSpec]:
    return [product for product in bundle.products.values() if product.type == "vip"]


async def send_vip_offer(bot: Bot, chat_id: int, bundle: Bundle, locale: str, return_to: str) -> None:
    """What a tap on a VIP-only choice or chapter leads to: the VIP products, ready to buy, and after the
    purchase the player is brought back to the view ``return_to`` (their scene's nonce)."""
    offers = vip_products(bundle)
    heading = _("💎 This is for VIP players.")
    if not offers:
        await bot.send_message(chat_id, heading)
        return
    text, markup = catalogue(bundle, offers, locale, heading, return_to)
    await bot.send_message(chat_id, text, reply_markup=markup)


@router.message(Command("shop"))
async def shop(message: Message, play: PlayService, i18n: I18n) -> None:
    bundle = play.content.current()
    if not bundle.products:
        await message.answer(_("The shop is empty."))
        return
    text, markup = catalogue(bundle, list(bundle.products.values()), i18n.current_locale, _("🛍 <b>Shop</b>"))
    await message.answer(text, reply_markup=markup)


@router.callback_query(Buy.filter(F.method == "stars"))
async def buy_with_stars(
    query: CallbackQuery,
    callback_data: Buy,
    bot: Bot,
    play: PlayService,
    payments: PaymentService,
    settings: Settings,
    i18n: I18n,
) -> None:
    user_id = query.from_user.id
    problem = await payments.payer_problem(user_id)
    if problem is not None:
        await query.answer(refusal(problem), show_alert=True)
        return
    order = await payments.create_order(
        user_id=user_id, product_id=callback_data.product, return_to=callback_data.return_to
    )
    bundle = play.content.current()
    product = bundle.products.get(callback_data.product)
    if order is None or product is None:
        await query.answer(_("This product is no longer available."), show_alert=True)
        return
    locale = i18n.current_locale
    title = bundle.text(dict(product.title), locale)
    description = bundle.text(dict(product.description), locale) if product.description else title
    await query.answer()
    await bot.send_invoice(
        chat_id=user_id,
        title=title[:TITLE_LIMIT],
        description=description[:DESCRIPTION_LIMIT],
        payload=sign_payload(secret(settings), user_id, product.id, order.id),
        currency=STARS,
        prices=[LabeledPrice(label=title[:TITLE_LIMIT], amount=order.amount)],
        provider_token="",  # Bot API: an empty token for payments in Telegram Stars
    )


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, payments: PaymentService, settings: Settings) -> None:
    user_id = query.from_user.id
    try:
        product_id, order_id = read_payload(secret(settings), user_id, query.invoice_payload)
    except ForgedPayloadError as exc:
        log.warning("pre-checkout %s from user %s refused: %s", query.id, user_id, exc)
        await query.answer(ok=False, error_message=refusal("forged"))
        return
    problem = await payments.checkout_problem(
        order_id=order_id,
        user_id=user_id,
        product_id=product_id,
        amount=query.total_amount,
        currency=query.currency,
    )
    if problem is not None:
        log.info("pre-checkout %s (order %s) refused: %s", query.id, order_id, problem)
        await query.answer(ok=False, error_message=refusal(problem))
        return
    await query.answer(ok=True)


@router.message(F.successful_payment)
async def successful_payment(
    message: Message,
    bot: Bot,
    play: PlayService,
    payments: PaymentService,
    settings: Settings,
    media: MediaCache,
) -> None:
    paid = message.successful_payment
    assert paid is not None and message.from_user is not None
    user_id = message.from_user.id
    charge_id = paid.telegram_payment_charge_id
    raw = paid.model_dump(mode="json", exclude_none=True)
    try:
        product_id, order_id = read_payload(secret(settings), user_id, paid.invoice_payload)
    except ForgedPayloadError:
        # Telegram took Stars for an invoice we cannot read (the signing secret changed in between?):
        # nothing can be granted, so nothing may be kept.
        await _give_back(bot, payments, user_id, charge_id, "payload_not_verified", raw)
        return
    result = await payments.grant(
        provider=TELEGRAM,
        charge_id=charge_id,
        user_id=user_id,
        product_id=product_id,
        amount=paid.total_amount,
        currency=paid.currency,
        raw=raw,
        order_id=order_id,
    )
    if result.duplicate:  # a redelivery: the first delivery granted (and thanked)
        log.info("successful_payment %s delivered again: already granted", charge_id)
        return
    if not result.granted:
        await _give_back(bot, payments, user_id, charge_id, result.status, raw)
        return
    try:
        await message.answer(thanks(result))
        order = await payments.order(order_id)
        if order is not None and order.return_to:
            decision = await play.current(user_id)
            if decision.view is not None:
                await send_view(bot, message.chat.id, decision.view, decision.nonce, media)
    except TelegramAPIError as exc:
        # The grant has committed: a failed thank-you must not make Telegram deliver the payment again
        # (that would change nothing and say nothing either).
        log.warning("payment %s granted, but the thanks could not be sent: %s", charge_id, exc)


def thanks(result: GrantResult) -> str:
    """What the player reads once a purchase is granted, whichever way they paid (Stars or card)."""
    payment = result.payment
    if payment is not None and payment.vip_granted and result.vip_until is not None:
        return _("💎 Thank you! You are VIP until {date}.").format(date=result.vip_until.strftime("%Y-%m-%d"))
    if payment is not None and payment.points:
        return _("✨ Thank you! {points} points added; your balance is {balance}.").format(
            points=payment.points, balance=result.balance
        )
    return _("Thank you for your purchase!")


async def _give_back(
    bot: Bot, payments: PaymentService, user_id: int, charge_id: str, reason: str, raw: dict[str, object]
) -> None:
    """Refund Stars that paid for something we cannot grant, and say so (audited as payment.rejected)."""
    log.warning("payment %s of user %s not granted (%s): refunding", charge_id, user_id, reason)
    try:
        await bot.refund_star_payment(user_id=user_id, telegram_payment_charge_id=charge_id)
    except TelegramBadRequest as exc:
        if ALREADY_REFUNDED not in str(exc):
            raise  # not answered 200: Telegram delivers the payment again and we try again
    await payments.audit(
        TELEGRAM,
        "payment.rejected",
        user_subject(user_id),
        {"charge_id": charge_id, "reason": reason, "refunded": True, "payment": raw},
    )
    with suppress(TelegramBadRequest):
        await bot.send_message(
            user_id,
            _("This product is no longer available. Your Stars have been refunded."),
        )


@router.message(Command("refund"), IsAdmin())
async def refund(message: Message, command: CommandObject, bot: Bot, payments: PaymentService) -> None:
    assert message.from_user is not None
    charge_id = (command.args or "").strip()
    if not charge_id:
        await message.answer(_("Usage: {usage}").format(usage="/refund CHARGE_ID"))
        return
    payment = await payments.payment(TELEGRAM, charge_id)
    if payment is None:
        await message.answer(_("No Telegram Stars payment {charge}.").format(charge=html.escape(charge_id)))
        return
    if payment.status == "refunded":
        await message.answer(
            _("Payment {charge} was already refunded.").format(charge=html.escape(charge_id))
        )
        return
    try:
        await bot.refund_star_payment(user_id=payment.user_id, telegram_payment_charge_id=charge_id)
        telegram = "refunded"
    except TelegramBadRequest as exc:
        if ALREADY_REFUNDED not in str(exc):
            await message.answer(
                _("Telegram refused the refund: {error}").format(error=html.escape(exc.message))
            )
            return
        telegram = "already_refunded"  # the Stars went back earlier; record it now
    result = await payments.refund(
        provider=TELEGRAM,
        charge_id=charge_id,
        actor=f"tg:{message.from_user.id}",
        raw={"refundStarPayment": telegram},
    )
    if result.status == "already_refunded":
        await message.answer(
            _("Payment {charge} was already refunded.").format(charge=html.escape(charge_id))
        )
        return
    await message.answer(
        _(
            "Payment {charge} refunded: {amount} ⭐ back to user {user}; "
            "{days} VIP days and {points} points revoked ({shortfall} points could not be taken back)."
        ).format(
            charge=html.escape(charge_id),
            amount=payment.amount,
            user=payment.user_id,
            days=f"{result.vip_revoked.total_seconds() / 86400:g}",
            points=result.points_debited,
            shortfall=result.shortfall,
        )
    )
