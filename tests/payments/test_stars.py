"""Telegram Stars over real HTTP: /shop, invoice, pre-checkout, successful payment, /refund, and the faults.

The bot runs as ``diana serve`` (its own process) against the fake Bot API, with the example story
published from a copy of ``content/`` in which the first scene has one VIP-only choice (so the VIP
offer and the return to the scene after paying can be shown without playing to chapter 2).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from bot.callbacks import Buy
from engine.services.publish import PublishService
from engine.store.database import Database
from engine.store.tables import audit_log, payments, processed_updates, user_gamification
from tests.conftest import CONTENT
from tests.telegram.conftest import ADMIN, Player, eventually, start_bot
from tests.telegram.fake_api import Call, FakeTelegram
from tests.telegram.harness import RunningBot

STARS = {"PAYMENTS_SECRET": "stars-test-secret"}  # the settings of a bot that sells for Stars
UNKNOWN = "No conozco esa orden. Envía /help para ver lo que puedo hacer."
NOT_VALID = "Esta factura no es válida. Abre /shop para comprar de nuevo."
VIP_CHOICE = "Sentarte en el reservado"
VIP_SCENE_CHOICE = """      - id: esperar
        text: {es: "Esperar a que escampe", en: "Wait for the rain to stop"}
        goto: esperar
"""


def content_with_a_vip_choice(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    chapter = content / "chapters" / "01-encuentro.yaml"
    text = chapter.read_text(encoding="utf-8")
    assert VIP_SCENE_CHOICE in text
    vip = (
        "      - id: reservado\n"
        f'        text: {{es: "{VIP_CHOICE}", en: "Sit in the private booth"}}\n'
        "        vip: true\n"
        "        goto: esperar\n"
    )
    chapter.write_text(text.replace(VIP_SCENE_CHOICE, VIP_SCENE_CHOICE + vip, 1), encoding="utf-8")
    return content


@asynccontextmanager
async def stars_bot(
    database: Database, tmp_path: Path, request: pytest.FixtureRequest, mode: str = "webhook"
) -> AsyncIterator[RunningBot]:
    """The bot on ``database``; it logs tracebacks only when the test is marked ``bot_errors`` (a failure
    the test provokes, which must then show)."""
    content = content_with_a_vip_choice(tmp_path)
    await PublishService(database).publish_path(content, author="test")
    async with start_bot(mode, database, tmp_path, request, STARS, content=content) as bot:
        yield bot
    assert bot.tracebacks() or not request.node.get_closest_marker("bot_errors"), "\n".join(bot.lines)


# -- reading -----------------------------------------------------------------------------------


async def balance_and_vip(database: Database, user_id: int) -> tuple[int, Any]:
    g = user_gamification.c
    async with database.connect() as conn:
        row = (await conn.execute(sa.select(g.balance, g.vip_until).where(g.user_id == user_id))).one()
    return int(row.balance), row.vip_until


async def payment_rows(database: Database, user_id: int) -> list[tuple[str, str, int]]:
    p = payments.c
    async with database.connect() as conn:
        rows = await conn.execute(
            sa.select(p.charge_id, p.status, p.points).where(p.user_id == user_id).order_by(p.id)
        )
        return [(r.charge_id, r.status, int(r.points)) for r in rows]


async def audits(database: Database, action: str) -> list[dict[str, Any]]:
    async with database.connect() as conn:
        rows = await conn.scalars(
            sa.select(audit_log.c.details).where(audit_log.c.action == action).order_by(audit_log.c.id)
        )
        return list(rows)


async def publish(bot: RunningBot, admin: Player, release: int) -> None:
    """/publish the bot's content folder, and wait until this replica serves the new release."""
    assert one(await admin.say("/publish"), "sendMessage").text.endswith("está activa.")

    async def live() -> bool:
        status, body = await bot.get("/ready")
        return status == 200 and int(json.loads(body)["release"]) == release

    await eventually(live, f"release {release} live")


def buy_buttons(call: Call) -> dict[tuple[str, str], Buy]:
    """(method, product) -> the Buy payload of each buy button on a message."""
    found = {}
    for button in call.buttons():
        data = str(button.get("callback_data", ""))
        if data.startswith("buy:"):
            buy = Buy.unpack(data)
            found[(buy.method, buy.product)] = buy
    return found


def prices(invoice: Call) -> list[dict[str, Any]]:
    raw = invoice.params["prices"]
    found: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else raw
    return found


def one(calls: list[Call], method: str) -> Call:
    matching = [c for c in calls if c.method == method]
    assert len(matching) == 1, [(c.method, c.text[:60]) for c in calls]
    return matching[0]


async def checkout(bot: RunningBot, player: Player, invoice: Call, **kw: Any) -> Call:
    """The player confirms the invoice: Telegram's pre_checkout_query, and the bot's answer to it."""
    update = bot.fake.checkout(invoice, player.id, language=player.language, **kw)
    mark = len(bot.fake.calls)
    assert await bot.send(update) == 200
    query_id = update["pre_checkout_query"]["id"]
    return one(
        [c for c in bot.fake.calls[mark:] if c.params.get("pre_checkout_query_id") == query_id],
        "answerPreCheckoutQuery",
    )


async def deliver(bot: RunningBot, player: Player, update: dict[str, Any]) -> list[Call]:
    """Deliver a message update (a successful_payment) as Telegram does; what the bot sent the player."""
    mark = len(bot.fake.calls)
    assert await bot.send(update) == 200
    return [c for c in bot.fake.calls[mark:] if c.chat_id == player.id]


async def invoice_for(player: Player, buy: Buy, on: Call) -> Call:
    calls = await player.press(buy.pack(), on=on)
    assert [c.ok for c in calls if c.method == "answerCallbackQuery"] == [True]
    return one(calls, "sendInvoice")


# -- the tests ---------------------------------------------------------------------------------


async def test_buying_points_with_stars_and_the_refund(
    database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Shop → invoice → refused forgeries → pre-checkout → payment (replayed) → /refund (twice)."""
    async with stars_bot(database, tmp_path, request) as bot:
        ana = Player(bot, 5101, "es", "Ana")
        await ana.start()
        start, _ = await balance_and_vip(database, ana.id)  # the story's starting points

        shop = one(await ana.say("/shop"), "sendMessage")
        assert "100 besitos" in shop.text and "50 ⭐" in shop.text and "4,99\xa0€ con tarjeta" in shop.text
        buttons = buy_buttons(shop)
        # Stars where the product has a Stars price, card where it has a Stripe price.
        assert set(buttons) == {
            ("stars", "vip_30"),
            ("card", "vip_30"),
            ("card", "vip_mensual"),
            ("stars", "besitos_100"),
        }

        invoice = await invoice_for(ana, buttons[("stars", "besitos_100")], shop)
        assert invoice.params["currency"] == "XTR" and not invoice.params.get("provider_token")
        assert prices(invoice) == [{"label": "100 besitos", "amount": 50}]
        assert invoice.params["title"] == "100 besitos"

        # A forged payload (another product, same order), or Ana's invoice paid by someone else: refused.
        product, order, mac = invoice.params["payload"].split(":")[1:]
        forged = await checkout(bot, ana, invoice, payload=f"d1:vip_30:{order}:{mac}")
        assert (forged.params.get("ok"), forged.params.get("error_message")) == (False, NOT_VALID)
        bea = Player(bot, 5102, "es", "Bea")
        await bea.start()
        stolen = await checkout(bot, bea, invoice)
        assert (stolen.params.get("ok"), stolen.params.get("error_message")) == (False, NOT_VALID)
        assert product == "besitos_100"

        answer = await checkout(bot, ana, invoice)
        assert answer.params.get("ok") is True and not answer.params.get("error_message")

        paid = bot.fake.pay(invoice, ana.id, "stxCHARGE-1")
        calls = await deliver(bot, ana, paid)
        assert [c.text for c in calls] == [
            f"✨ ¡Gracias! Se han añadido 100 puntos; tu saldo es de {start + 100}."
        ]
        assert (await balance_and_vip(database, ana.id))[0] == start + 100
        # Telegram delivers the same update again, or the same payment in a new update: granted once.
        assert await deliver(bot, ana, paid) == []
        again = bot.fake.successful_payment_again(paid)
        assert await deliver(bot, ana, again) == []
        assert await payment_rows(database, ana.id) == [("stxCHARGE-1", "completed", 100)]
        assert (await balance_and_vip(database, ana.id))[0] == start + 100

        # A player may not refund; an admin may, once.
        assert [c.text for c in await ana.say("/refund stxCHARGE-1")] == [UNKNOWN]
        admin = Player(bot, ADMIN, "es", "Admin")
        assert [c.text for c in await admin.say("/refund")] == ["Uso: /refund CHARGE_ID"]
        # Telegram refuses: the admin is told why, and nothing is recorded or revoked.
        bot.fake.fail_next["refundStarPayment"] = 1
        assert [c.text for c in await admin.say("/refund stxCHARGE-1")] == [
            "Telegram ha rechazado el reembolso: Bad Request: simulated failure"
        ]
        assert await payment_rows(database, ana.id) == [("stxCHARGE-1", "completed", 100)]
        refunded = await admin.say("/refund stxCHARGE-1")
        refund_calls = [c for c in bot.fake.calls if c.method == "refundStarPayment"]
        assert [
            (c.params["user_id"], c.params["telegram_payment_charge_id"], c.ok) for c in refund_calls
        ] == [(ana.id, "stxCHARGE-1", False), (ana.id, "stxCHARGE-1", True)]
        assert one(refunded, "sendMessage").text == (
            f"Pago stxCHARGE-1 reembolsado: 50 ⭐ devueltas al usuario {ana.id}; se han retirado 0 días VIP "
            "y 100 puntos (0 puntos no se han podido recuperar)."
        )
        assert await payment_rows(database, ana.id) == [("stxCHARGE-1", "refunded", 100)]
        assert (await balance_and_vip(database, ana.id))[0] == start
        assert [c.text for c in await admin.say("/refund stxCHARGE-1")] == [
            "El pago stxCHARGE-1 ya estaba reembolsado."
        ]
        assert len([c for c in bot.fake.calls if c.method == "refundStarPayment"]) == 2
        assert [c.text for c in await admin.say("/refund nope")] == ["No hay ningún pago con Stars nope."]
        # Telegram already gave the Stars back (a first /refund whose database write failed): recorded now.
        second = await invoice_for(ana, buttons[("stars", "besitos_100")], shop)
        assert (await checkout(bot, ana, second)).params.get("ok") is True
        await deliver(bot, ana, bot.fake.pay(second, ana.id, "stxCHARGE-2"))
        bot.fake.refunded.add("stxCHARGE-2")
        assert "reembolsado" in one(await admin.say("/refund stxCHARGE-2"), "sendMessage").text
        assert (await payment_rows(database, ana.id))[-1] == ("stxCHARGE-2", "refunded", 100)
        assert [c.ok for c in bot.fake.of("refundStarPayment")][-1] is False  # CHARGE_ALREADY_REFUNDED
        grants, refunds = await audits(database, "payment.grant"), await audits(database, "payment.refund")
        assert [d["charge_id"] for d in grants] == ["stxCHARGE-1", "stxCHARGE-2"]
        assert [(d["charge_id"], d["points_debited"]) for d in refunds] == [
            ("stxCHARGE-1", 100),
            ("stxCHARGE-2", 100),
        ]


async def test_a_vip_choice_leads_to_the_offer_and_back_to_the_scene(
    postgres_database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database = postgres_database
    async with stars_bot(database, tmp_path, request, "polling") as bot:
        ana = Player(bot, 5201, "en", "Ana")
        scene = await ana.start()
        # A VIP chapter in /chapters: its button answers why and sends the VIP offer.
        chapters = one(await ana.say("/chapters"), "sendMessage")
        garden = [b for b in chapters.buttons() if str(b["text"]).startswith("💎")]
        assert len(garden) == 1, chapters.buttons()
        calls = await ana.press(str(garden[0]["callback_data"]), on=chapters)
        alert = one(calls, "answerCallbackQuery")
        assert alert.params.get("show_alert") is True and alert.text
        offered = one(calls, "sendMessage")
        assert offered.text.startswith("💎 This is for VIP players.")
        assert ("stars", "vip_30") in buy_buttons(offered)
        vip = [b for b in scene.buttons() if "private booth" in str(b["text"])]
        assert len(vip) == 1 and str(vip[0]["text"]).startswith("💎")
        calls = await ana.press(str(vip[0]["callback_data"]))
        offer = one(calls, "sendMessage")
        assert offer.text.startswith("💎 This is for VIP players.")
        buttons = buy_buttons(offer)
        assert set(buttons) == {("stars", "vip_30"), ("card", "vip_30"), ("card", "vip_mensual")}
        assert buttons[("stars", "vip_30")].return_to != ""

        invoice = await invoice_for(ana, buttons[("stars", "vip_30")], offer)
        assert prices(invoice) == [{"label": "VIP pass, 30 days", "amount": 250}]
        assert (await checkout(bot, ana, invoice)).params.get("ok") is True
        calls = await deliver(bot, ana, bot.fake.pay(invoice, ana.id, "stxVIP-1", language="en"))
        assert calls[0].text.startswith("💎 Thank you! You are VIP until ")
        # Back to the scene she bought from, the VIP choice open now.
        again = ana.follow(calls)
        assert again is not None and again is not calls[0]
        booth = [str(b["text"]) for b in again.buttons() if "private booth" in str(b["text"])]
        assert booth and not booth[0].startswith(("💎", "🔒")), booth
        _, vip_until = await balance_and_vip(database, ana.id)
        assert vip_until is not None


@pytest.mark.bot_errors
async def test_a_release_between_invoice_and_payment(
    postgres_database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Price changed → pre-checkout refused; product removed → refused; removed after pre-checkout → the
    Stars go back automatically. (PostgreSQL only: the checks are the same SQL on SQLite, covered by
    tests/payments/test_core_orders.py.)"""
    database = postgres_database
    async with stars_bot(database, tmp_path, request) as bot:
        assert bot.content_dir is not None
        shop_file = bot.content_dir / "shop.yaml"
        ana, admin = Player(bot, 5301, "es", "Ana"), Player(bot, ADMIN, "es", "Admin")
        await ana.start()
        start, _ = await balance_and_vip(database, ana.id)
        shop = one(await ana.say("/shop"), "sendMessage")
        points = buy_buttons(shop)[("stars", "besitos_100")]
        early = await invoice_for(ana, points, shop)  # invoiced at 50 ⭐
        checked = await invoice_for(ana, points, shop)
        assert (await checkout(bot, ana, checked)).params.get("ok") is True  # confirmed before the change

        shop_file.write_text(shop_file.read_text("utf-8").replace("stars: 50", "stars: 60"), "utf-8")
        await publish(bot, admin, 2)
        refused = await checkout(bot, ana, early)
        assert refused.params.get("ok") is False
        assert refused.params.get("error_message") == (
            "El precio de este producto ha cambiado. Abre /shop para ver el nuevo precio."
        )
        fresh = await invoice_for(ana, points, shop)
        assert prices(fresh)[0]["amount"] == 60

        # A release that removes the product: a pending invoice is refused...
        text = shop_file.read_text("utf-8")
        shop_file.write_text(text[: text.index("  besitos_100:")], "utf-8")
        await publish(bot, admin, 3)
        gone = await checkout(bot, ana, fresh)
        assert (gone.params.get("ok"), gone.params.get("error_message")) == (
            False,
            "Este producto ya no está disponible.",
        )
        # ... and one confirmed before the release cannot be granted: the Stars go straight back. The
        # first refundStarPayment fails: the update is not answered as handled, and the redelivery refunds.
        gone_paid = bot.fake.pay(checked, ana.id, "stxGONE-1")
        bot.fake.fail_next["refundStarPayment"] = 1
        assert await bot.post(gone_paid) == 500
        assert bot.fake.refunded == set()
        calls = await deliver(bot, ana, gone_paid)
        assert [c.text for c in calls] == [
            "Este producto ya no está disponible. Te hemos devuelto las Stars."
        ]
        assert [(c.params["telegram_payment_charge_id"], c.ok) for c in bot.fake.of("refundStarPayment")] == [
            ("stxGONE-1", False),
            ("stxGONE-1", True),
        ]
        assert bot.fake.refunded == {"stxGONE-1"}
        assert await payment_rows(database, ana.id) == []
        assert (await balance_and_vip(database, ana.id))[0] == start
        rejected = await audits(database, "payment.rejected")
        assert [(d["charge_id"], d["reason"]) for d in rejected] == [("stxGONE-1", "unknown_product")]
        assert any("update" in line and "failed" in line for line in bot.lines)


@pytest.mark.slow
async def test_killed_before_the_grant_commits_the_redelivery_grants(
    postgres_database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The bot dies (SIGKILL) while its grant waits for a row lock; Telegram delivers the update again
    to the restarted bot, which grants it: nothing recorded the update as processed before the grant."""
    database = postgres_database
    content = content_with_a_vip_choice(tmp_path)
    await PublishService(database).publish_path(content, author="test")
    fake = FakeTelegram()
    await fake.start()
    ana_id = 5401
    try:
        async with start_bot(
            "webhook", database, tmp_path, request, STARS, fake=fake, content=content
        ) as first:
            ana = Player(first, ana_id, "es", "Ana")
            await ana.start()
            start, _ = await balance_and_vip(database, ana_id)
            shop = one(await ana.say("/shop"), "sendMessage")
            invoice = await invoice_for(ana, buy_buttons(shop)[("stars", "besitos_100")], shop)
            assert (await checkout(first, ana, invoice)).params.get("ok") is True
            paid = fake.pay(invoice, ana_id, "stxKILL-1")

            async with database.transaction() as holder:
                await holder.execute(
                    sa.select(user_gamification.c.user_id)
                    .where(user_gamification.c.user_id == ana_id)
                    .with_for_update()
                )
                me = await holder.scalar(sa.text("SELECT pg_backend_pid()"))
                delivery = asyncio.create_task(first.post(paid))

                async def waiting_on_me() -> bool:
                    async with database.connect() as conn:
                        blocked = await conn.scalar(
                            sa.text(
                                "SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"
                            ),
                            {"me": me},
                        )
                    return bool(blocked)

                await eventually(waiting_on_me, "the grant waiting for the player's row")
                first.process.kill()
                await asyncio.to_thread(first.process.wait)
                with pytest.raises(aiohttp.ClientError):
                    await delivery  # Telegram got no answer: it will deliver the update again
            assert await payment_rows(database, ana_id) == []
            assert (await balance_and_vip(database, ana_id))[0] == start

        async with start_bot(
            "webhook", database, tmp_path, request, STARS, fake=fake, content=content
        ) as second:
            ana = Player(second, ana_id, "es", "Ana")
            calls = await deliver(second, ana, paid)  # the same update, the same update_id
            assert [c.text for c in calls] == [
                f"✨ ¡Gracias! Se han añadido 100 puntos; tu saldo es de {start + 100}."
            ]
            assert await deliver(second, ana, paid) == []
            assert await payment_rows(database, ana_id) == [("stxKILL-1", "completed", 100)]
            assert (await balance_and_vip(database, ana_id))[0] == start + 100
            async with database.connect() as conn:
                marked = await conn.scalar(
                    sa.select(sa.func.count()).where(processed_updates.c.update_id == paid["update_id"])
                )
            assert marked == 0
    finally:
        await fake.stop()
