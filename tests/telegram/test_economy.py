"""The economy over HTTP: /settings, /timezone, /daily, referrals, flood records, /flags, reminders.

One bot process (webhook on PostgreSQL) for the commands; the reminder loop is driven in this process
with a FixedClock against the same fake Telegram Bot API, through a real aiogram Bot over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from bot.i18n import make_i18n
from bot.reminders import ReminderLoop
from bot.tuning import JsonBodySession
from engine.content.bundle import Bundle
from engine.services.clock import FixedClock
from engine.services.content import StaticContent
from engine.services.preferences import PreferencesService
from engine.services.profile import ProfileService
from engine.services.publish import PublishService
from engine.services.reminders import ReminderService
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import flood_rejections, user_gamification, user_profiles, users
from tests.conftest import CONTENT
from tests.services.support import play_service
from tests.telegram.conftest import ADMIN, Player, RunningBot
from tests.telegram.fake_api import FakeTelegram

UNKNOWN = "No conozco esa orden. Envía /help para ver lo que puedo hacer."


async def scalar(database: Database, query: sa.Select[tuple[object]]) -> object:
    async with database.connect() as conn:
        return await conn.scalar(query)


async def test_settings_timezone_daily_referral_flood_and_flags(bot: RunningBot) -> None:
    ana = Player(bot, 901)
    await ana.start()
    # /settings: language, timezone, reminders, and a toggle that edits the message in place.
    calls = await ana.say("/settings")
    assert "⚙️ <b>Ajustes</b>" in calls[0].text and "Recordatorios: activados" in calls[0].text
    toggle = calls[0].buttons()[0]
    assert toggle["text"] == "🔕 Desactivar recordatorios"
    calls = await ana.press(toggle["callback_data"], on=calls[0])
    edited = next(c for c in calls if c.method == "editMessageText")
    assert "Recordatorios: desactivados" in edited.text
    prefs = await scalar(
        bot.database, sa.select(user_profiles.c.preferences).where(user_profiles.c.user_id == 901)
    )
    assert prefs == {"reminders": False}
    # /timezone: a wrong name gets suggestions and changes nothing; a right one is stored.
    calls = await ana.say("/timezone Madrid")
    assert "No conozco la zona horaria Madrid" in calls[0].text and "Europe/Madrid" in calls[0].text
    assert await scalar(bot.database, sa.select(users.c.timezone).where(users.c.id == 901)) == "UTC"
    calls = await ana.say("/timezone europe/madrid")
    assert calls[0].text == "Zona horaria: Europe/Madrid."
    assert await scalar(bot.database, sa.select(users.c.timezone).where(users.c.id == 901)) == "Europe/Madrid"
    calls = await ana.say("/timezone")
    assert "Tu zona horaria es Europe/Madrid" in calls[0].text
    # /daily once.
    calls = await ana.say("/daily")
    assert calls[0].text.startswith("☀️ Visita diaria: +10")
    # Bea arrives through Ana's link: Ana earns the invitation (25), once.
    balance = await scalar(
        bot.database, sa.select(user_gamification.c.balance).where(user_gamification.c.user_id == 901)
    )
    bea = Player(bot, 902, first_name="Bea")
    await bea.say("/start ref_901")
    await bea.say("/start ref_901")
    after = await scalar(
        bot.database, sa.select(user_gamification.c.balance).where(user_gamification.c.user_id == 901)
    )
    assert after == int(str(balance)) + 25
    # A flood from Bea: the guard turns the burst away and records it, once per burst.
    for _ in range(8):
        await bea.say("/profile", paced=False)
    bursts = await scalar(
        bot.database, sa.select(flood_rejections.c.bursts).where(flood_rejections.c.user_id == 902)
    )
    assert bursts == 1
    # /flags is for admins; players get the unknown-command reply.
    calls = await Player(bot, ADMIN, first_name="Admin").say("/flags")
    assert calls[0].text == "🚩 Ningún patrón sospechoso esta semana."
    calls = await ana.say("/flags")
    assert calls[0].text == UNKNOWN


async def test_reminder_loop_sends_once_in_the_players_language(
    postgres_database: Database, example_bundle: Bundle
) -> None:
    database = postgres_database
    await PublishService(database).publish_path(CONTENT, author="test")
    at = FixedClock(datetime(2026, 3, 10, 20, tzinfo=UTC))
    play = play_service(database, example_bundle, at)
    profiles = ProfileService(database, StaticContent(example_bundle), at)
    ana, ben, cleo = (
        UserInfo(911, "Ana", language="es"),
        UserInfo(912, "Ben", language="en"),
        UserInfo(913, "Cleo"),
    )
    for user in (ana, ben, cleo):
        await play.start(user)
        await profiles.checkin(user.id)
    await PreferencesService(database, at).set_reminders(cleo.id, False)
    fake = FakeTelegram()
    await fake.start()
    bot = Bot(token=fake.token, session=JsonBodySession(api=TelegramAPIServer.from_base(fake.base_url)))
    try:
        service = ReminderService(database, StaticContent(example_bundle), at)
        one, two = ReminderLoop(bot, service, make_i18n("es")), ReminderLoop(bot, service, make_i18n("es"))
        at.current = datetime(2026, 3, 12, 20, 30, tzinfo=UTC)  # grace 1: the 12th is the last day
        sent = await one.run_once()
        assert [r.user_id for r in sent] == [911, 912]
        assert await two.run_once() == []  # another replica (or a restart) sends nothing more
        messages = {int(c.params["chat_id"]): c.params["text"] for c in fake.of("sendMessage")}
        assert messages[911].startswith("🔥 Tu racha de 1 día(s) termina hoy")
        assert messages[912].startswith("🔥 Your 1-day streak ends today")
        assert 913 not in messages
        at.advance(hours=2)
        assert await one.run_once() == []
        assert len(fake.of("sendMessage")) == 2
        # In the background, as `diana serve` runs it: a VIP pass ending in two days is announced once.
        async with database.transaction() as conn:
            await conn.execute(
                sa.update(user_gamification)
                .where(user_gamification.c.user_id == 911)
                .values(vip_until=at.now() + timedelta(days=2))
            )
        mark = len(fake.calls)
        off = ReminderLoop(bot, service, make_i18n("es"), interval=0)
        off.start()
        assert off.task is None  # REMINDER_INTERVAL=0: no loop at all
        background = ReminderLoop(bot, service, make_i18n("es"), interval=0.01)
        background.start()
        try:
            call = await fake.wait_for("sendMessage", after=mark)
        finally:
            await background.stop()
        assert int(call.params["chat_id"]) == 911
        assert call.params["text"].startswith("💎 Tu pase VIP termina el 2026-03-14")
        assert len(fake.of("sendMessage", after=mark)) == 1
    finally:
        await bot.session.close()
        await fake.stop()
