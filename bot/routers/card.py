"""Paying by card: the /shop's 💳 button opens a Stripe Checkout page for that product.

The bot only creates the session and sends its link; the purchase is granted later by Stripe's signed
``checkout.session.completed`` (or, for subscriptions, ``customer.subscription.*``) event on
``/stripe/webhook`` (bot/stripe_webhook.py), never by anything the player's client says. The tap's
callback query id is the session's idempotency key: a retried tap gets the same checkout, not a second.
"""

from __future__ import annotations

import html
import logging
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_currency, get_currency_precision

from bot.callbacks import Buy
from engine.payments.stripe_checkout import CardPriceMissingError, CheckoutUnavailableError, StripeCheckout
from engine.services.play import PlayService

router = Router(name="card")
log = logging.getLogger("diana.stripe")


def card_price(amount: int, currency: str, locale: str) -> str:
    """A Stripe amount (smallest unit) as the player's locale writes it: 4,99 € / €4.99."""
    code = currency.upper()
    value = Decimal(amount) / (10 ** get_currency_precision(code))
    return format_currency(value, code, locale=locale)


def every(interval: str) -> str:
    words = {
        "day": _("every day"),
        "week": _("every week"),
        "month": _("every month"),
        "year": _("every year"),
    }
    return words.get(interval, interval)


@router.callback_query(Buy.filter(F.method == "card"))
async def buy_by_card(
    query: CallbackQuery,
    callback_data: Buy,
    bot: Bot,
    play: PlayService,
    i18n: I18n,
    checkout: StripeCheckout | None = None,
) -> None:
    if checkout is None:
        await query.answer(_("Card payments are not available right now."), show_alert=True)
        return
    bundle = play.content.current()
    release_id = play.content.release_id
    product = bundle.products.get(callback_data.product)
    if product is None or not product.stripe_amount or not product.stripe_currency or release_id is None:
        await query.answer(_("This product is no longer available."), show_alert=True)
        return
    locale = i18n.current_locale
    title = bundle.text(dict(product.title), locale)
    description = bundle.text(dict(product.description), locale) if product.description else ""
    try:
        link = await checkout.create(
            product,
            user_id=query.from_user.id,
            release_id=release_id,
            title=title,
            description=description,
            locale=locale,
            idempotency_key=f"diana-checkout-{query.id}",
            return_to=callback_data.return_to,
        )
    except CardPriceMissingError:
        await query.answer(_("This product is no longer available."), show_alert=True)
        return
    except CheckoutUnavailableError as exc:
        log.warning("checkout for user %s, product %s failed: %s", query.from_user.id, product.id, exc)
        await query.answer(
            _("Card payments are not available right now. Please try again in a few minutes."),
            show_alert=True,
        )
        return
    price = card_price(product.stripe_amount, product.stripe_currency, locale)
    if product.stripe_interval:
        text = _(
            "💳 <b>{title}</b>\n{price} {every}, renewed automatically until you cancel.\n"
            "You pay on Stripe's secure page; your VIP starts as soon as the payment is confirmed."
        ).format(title=html.escape(title), price=price, every=every(product.stripe_interval))
    else:
        text = _(
            "💳 <b>{title}</b>\n{price}, paid once.\n"
            "You pay on Stripe's secure page; the purchase is yours as soon as the payment is confirmed. "
            "The link is valid for 24 hours."
        ).format(title=html.escape(title), price=price)
    button = InlineKeyboardButton(text=_("💳 Pay {price}").format(price=price), url=link.url)
    await query.answer()
    await bot.send_message(
        query.from_user.id, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
    )
