"""The whole bot (``diana serve`` in its own process) with card payments: the 💳 button sends a Stripe
Checkout link, and Stripe's signed event on the bot's own ``/stripe/webhook`` grants the purchase."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.callbacks import Buy
from engine.content.bundle import Bundle
from engine.services.publish import PublishService
from tests.payments.conftest import audits, vip_until
from tests.payments.fake_stripe import FakeStripe, completed, signed
from tests.payments.test_stripe_webhook import session_for
from tests.telegram.conftest import Player, RunningBot, eventually

pytestmark = pytest.mark.slow  # each test starts a bot process (several seconds on a busy machine)

CARD_ES = "💳 Pagar 4,99\xa0€"


async def post_event(bot: RunningBot, event: dict[str, object], **signing: object) -> int:
    body, header = signed(event, **signing)  # type: ignore[arg-type]
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot.url}/stripe/webhook", data=body, headers={"Stripe-Signature": header}) as response,
    ):
        return response.status


async def test_the_card_button_sends_a_checkout_link_and_the_signed_event_grants(
    card_bot: RunningBot, fake_stripe: FakeStripe
) -> None:
    ana = Player(card_bot, 8_200_001, "es", "Ana")
    await ana.start()
    calls = await ana.press(Buy(method="card", product="vip_30").pack())
    [sent] = [c for c in calls if c.method == "sendMessage"]
    session = list(fake_stripe.sessions.values())[-1]
    assert session["metadata"]["user_id"] == str(ana.id)
    assert session["metadata"]["product_id"] == "vip_30"
    assert session["locale"] == "es"
    assert session["success_url"] == "https://t.me/diana_test_bot"  # back to the chat by default
    assert "4,99\xa0€" in sent.text
    assert [(b["text"], b["url"]) for b in sent.buttons()] == [(CARD_ES, session["url"])]
    assert [c.ok for c in ana.answers(calls)] == [True]

    # English, and a subscription.
    bea = Player(card_bot, 8_200_002, "en", "Bea")
    await bea.start()
    calls = await bea.press(Buy(method="card", product="vip_mensual").pack())
    [sent] = [c for c in calls if c.method == "sendMessage"]
    assert "€3.99 every month" in sent.text
    assert list(fake_stripe.sessions.values())[-1]["mode"] == "subscription"

    # A product without a card price, and Stripe down: a clear answer, no link.
    before = len(fake_stripe.sessions)
    calls = await bea.press(Buy(method="card", product="besitos_100").pack())
    assert [(c.text, c.params.get("show_alert")) for c in bea.answers(calls)] == [
        ("This product is no longer available.", True)
    ]
    fake_stripe.fail_next = 2  # the SDK's one retry fails too
    calls = await bea.press(Buy(method="card", product="vip_30").pack())
    assert [c.text for c in bea.answers(calls)] == [
        "Card payments are not available right now. Please try again in a few minutes."
    ]
    assert not [c for c in calls if c.method == "sendMessage"]
    assert len(fake_stripe.sessions) == before

    # Stripe's event for Ana's payment, on the bot's web app.
    paid = completed(session)
    assert await post_event(card_bot, paid, secret="whsec_forged") == 400
    assert await vip_until(card_bot.database, ana.id) is None
    mark = len(card_bot.fake.calls)
    assert await post_event(card_bot, paid) == 200
    granted = await vip_until(card_bot.database, ana.id)
    assert granted is not None
    # She comes back to the chat and finds the thanks there, in Spanish.
    thanks = [c.text for c in card_bot.fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == ana.id]
    assert thanks == [f"💎 ¡Gracias! Eres VIP hasta el {granted:%Y-%m-%d}."]
    assert await post_event(card_bot, paid) == 200  # a replay: no second grant, no second thanks
    assert await vip_until(card_bot.database, ana.id) == granted
    assert len([c for c in card_bot.fake.calls[mark:] if c.method == "sendMessage"]) == 1

    # Dana buys from the VIP offer of a scene (the button carries the scene's nonce): once paid, the
    # thanks, then the scene she was on, shown again (Ana, who bought from /shop, got only the thanks).
    dana = Player(card_bot, 8_200_004, "es", "Dana")
    await dana.start()
    await dana.press(Buy(method="card", product="vip_30", return_to="scene-nonce").pack())
    offer = list(fake_stripe.sessions.values())[-1]
    assert offer["metadata"]["return_to"] == "scene-nonce"
    request = fake_stripe.requests[-1].params  # what the bot sent: the charge's events carry no scene
    assert request["metadata"]["return_to"] == "scene-nonce"
    assert "return_to" not in request["payment_intent_data"]["metadata"]
    assert "return_to" not in session["metadata"]
    mark = len(card_bot.fake.calls)
    assert await post_event(card_bot, completed(offer)) == 200
    sent = [c for c in card_bot.fake.calls[mark:] if c.chat_id == dana.id and c.method.startswith("send")]
    assert sent[0].text.startswith("💎 ¡Gracias! Eres VIP hasta el")
    assert len(sent) == 2 and sent[1].buttons()  # the scene again, with its choices

    # Bea opens a checkout, then a new release withdraws the product before she pays: not granted,
    # stored, and in the audit log for an admin to refund.
    calls = await bea.press(Buy(method="card", product="vip_30").pack())
    withdrawn = list(fake_stripe.sessions.values())[-1]
    assert card_bot.content_dir is not None
    shop = card_bot.content_dir / "shop.yaml"
    text = shop.read_text(encoding="utf-8")
    start, end = text.index("  vip_30:"), text.index("  vip_mensual:")
    shop.write_text(text[:start] + text[end:], encoding="utf-8")
    outcome = await PublishService(card_bot.database).publish_path(card_bot.content_dir, author="test")
    assert outcome.release is not None

    async def switched() -> bool:
        status, body = await card_bot.get("/ready")
        return status == 200 and json.loads(body)["release"] == outcome.release.id  # type: ignore[union-attr]

    await eventually(switched, "the bot serves the new release")
    assert await post_event(card_bot, completed(withdrawn)) == 200
    assert await vip_until(card_bot.database, bea.id) is None
    [rejected] = await audits(card_bot.database, "payment.rejected")
    assert (rejected.subject, rejected.details["reason"]) == (
        f"user:{bea.id}",
        "product_not_in_active_release",
    )
    assert any("checkout.session.completed: granted" in line for line in card_bot.lines)


async def test_in_polling_mode_the_web_app_receives_stripe_events_and_without_a_key_no_checkout_opens(
    polling_webhook_only_bot: RunningBot, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    bot = polling_webhook_only_bot
    cora = Player(bot, 8_200_003, "en", "Cora")
    await cora.start()
    calls = await cora.press(Buy(method="card", product="vip_30").pack())
    assert [(c.text, c.params.get("show_alert")) for c in cora.answers(calls)] == [
        ("Card payments are not available right now.", True)
    ]
    # A session made elsewhere (the same metadata the bot would write) and Stripe's event for it.
    session = await session_for(fake_stripe, example_bundle, "vip_30", cora.id)
    paid = completed(session)
    assert await post_event(bot, paid, secret="whsec_forged") == 400
    mark = len(bot.fake.calls)
    assert await post_event(bot, paid) == 200
    granted = await vip_until(bot.database, cora.id)
    assert granted is not None
    assert [c.text for c in bot.fake.calls[mark:] if c.method == "sendMessage"] == [
        f"💎 Thank you! You are VIP until {granted:%Y-%m-%d}."
    ]
