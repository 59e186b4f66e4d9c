"""/shop: the products of the active release with their prices (payments come with their own issue)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from engine.services.play import PlayService

router = Router(name="shop")


@router.message(Command("shop"))
async def shop(message: Message, play: PlayService, i18n: I18n) -> None:
    bundle = play.content.current()
    locale = i18n.current_locale
    if not bundle.products:
        await message.answer(_("The shop is empty."))
        return
    lines = [_("🛍 <b>Shop</b>")]
    for product in bundle.products.values():
        prices = []
        if product.stars:
            prices.append(_("{stars} ⭐").format(stars=product.stars))
        if product.stripe_amount and product.stripe_currency:
            amount = f"{product.stripe_amount / 100:.2f}"
            prices.append(
                _("{amount} {currency} by card").format(
                    amount=amount, currency=product.stripe_currency.upper()
                )
            )
        title = html.escape(bundle.text(dict(product.title), locale))
        description = bundle.text(dict(product.description), locale) if product.description else ""
        lines.append(f"• <b>{title}</b> — {' · '.join(prices)}")
        if description:
            lines.append(f"  <i>{html.escape(description)}</i>")
    await message.answer("\n".join(lines))
