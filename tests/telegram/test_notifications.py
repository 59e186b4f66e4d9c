"""The notifications consumer group through the bot's Notifier: a real aiogram Bot over HTTP to the fake
Telegram API, fed by the relay and the in-process bus (the embedded default, no Redis)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.i18n import make_i18n
from bot.notifications import Notifier
from engine.bus.consumers import NotificationConsumer
from engine.bus.memory import InProcessBus
from engine.bus.relay import Relay
from engine.content.bundle import Bundle
from engine.services.publish import PublishService
from engine.services.releases import ActiveContent
from engine.settings import load_settings
from engine.store.database import Database
from engine.store.tables import outbox
from tests.bus.support import consume_all
from tests.conftest import CONTENT
from tests.services.support import ANA, BEA, clock, play_service, set_user
from tests.telegram.fake_api import FakeTelegram


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def unlock(database: Database, user_id: int, achievement: str, number: int) -> None:
    async with database.transaction() as conn:
        await conn.execute(
            sa.insert(outbox).values(
                event_id=f"{user_id}:ach:{number}",
                user_id=user_id,
                type="achievement_unlocked",
                payload={"type": "achievement_unlocked", "data": {"achievement": achievement, "tier": ""}},
                created_at=clock().now(),
            )
        )


async def test_an_unlocked_achievement_is_announced_once_in_the_players_language(
    database: Database, example_bundle: Bundle, fake: FakeTelegram, tmp_path: Path
) -> None:
    from bot.app import build_bot

    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT, content_dir)
    await PublishService(database).publish_path(content_dir, author="test")
    content = ActiveContent(database)
    await content.start()
    settings = load_settings(telegram_bot_token=fake.token, telegram_api_base=fake.base_url)
    bot = build_bot(settings)
    try:
        play = play_service(database, example_bundle, clock())
        await play.start(ANA)  # es
        await play.start(BEA)  # en
        achievement = next(iter(example_bundle.achievements.values()))
        await unlock(database, ANA.id, achievement.id, 1)
        await unlock(database, BEA.id, achievement.id, 1)
        await unlock(database, BEA.id, "removed_since", 2)  # not in the live release: nothing to say
        bus = InProcessBus()
        consumer = NotificationConsumer(Notifier(bot, make_i18n("es"), database, content))
        await bus.ensure_group(consumer.group)
        await Relay(database, bus).drain()
        await consume_all(bus, consumer)
        sent = {c.chat_id: c.text for c in fake.of("sendMessage")}
        assert set(sent) == {ANA.id, BEA.id}
        es_title = example_bundle.text(dict(achievement.title), "es")
        en_title = example_bundle.text(dict(achievement.title), "en")
        assert sent[ANA.id].endswith(f"Logro desbloqueado: <b>{es_title}</b>")
        assert sent[BEA.id].endswith(f"Achievement unlocked: <b>{en_title}</b>")

        # The relay republishes (a crash before marking) and a banned player unlocks one: no message.
        await set_user(database, ANA.id, banned=True)
        await unlock(database, ANA.id, achievement.id, 3)
        async with database.transaction() as conn:
            await conn.execute(sa.update(outbox).values(published_at=None))
        await Relay(database, bus).drain()
        await consume_all(bus, consumer)
        assert len(fake.of("sendMessage")) == 2
    finally:
        await bot.session.close()
        await content.stop()
