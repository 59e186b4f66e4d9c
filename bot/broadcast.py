"""Send a broadcast to every player within Telegram's limits, resumably.

Telegram allows about 30 messages a second to different chats; we send 25 per second in batches and
record the cursor (last user id delivered) after each batch, so a restart resumes where it stopped and
nobody gets the message twice (at most one batch is repeated after a hard crash mid-batch).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramNotFound, TelegramRetryAfter

from engine.services.admin import AdminService

log = logging.getLogger("diana.broadcast")
PER_SECOND = 25


async def send_text(bot: Bot, user_id: int, text: str) -> bool:
    """One message, honouring Telegram's RetryAfter; False if the player blocked the bot or is gone."""
    for _ in range(3):
        try:
            await bot.send_message(user_id, text)
            return True
        except TelegramRetryAfter as exc:  # Telegram asks us to wait: wait, then retry
            await asyncio.sleep(exc.retry_after)
        except (TelegramForbiddenError, TelegramNotFound):  # blocked the bot, or gone
            return False
    return False


async def send_paced(bot: Bot, messages: Sequence[tuple[int, str]], per_second: int = PER_SECOND) -> int:
    """Send (user id, text) pairs at most ``per_second`` a second (the broadcast's pace); how many
    were delivered. Reminders use it, so every bulk send from the bot keeps under Telegram's limit."""
    loop = asyncio.get_running_loop()
    delivered = 0
    for start in range(0, len(messages), per_second):
        began = loop.time()
        for user_id, text in messages[start : start + per_second]:
            delivered += await send_text(bot, user_id, text)
        spare = 1.0 - (loop.time() - began)
        if start + per_second < len(messages) and spare > 0:
            await asyncio.sleep(spare)  # rate limiting, not synchronisation
    return delivered


class Broadcaster:
    def __init__(self, bot: Bot, admin: AdminService, *, per_second: int = PER_SECOND) -> None:
        self.bot = bot
        self.admin = admin
        self.per_second = per_second
        # Which replica holds a broadcast's lease: only the holder sends, so three replicas resuming
        # after a deploy do not send everything three times.
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, broadcast_id: int, text: str) -> None:
        task = asyncio.create_task(self.run(broadcast_id, text), name=f"broadcast-{broadcast_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def resume_all(self) -> None:
        for broadcast_id in await self.admin.running():
            info = await self.admin.broadcast(broadcast_id)
            if info is not None:
                self.start(broadcast_id, info.text)

    async def run(self, broadcast_id: int, text: str) -> None:
        loop = asyncio.get_running_loop()
        if not await self.admin.claim(broadcast_id, self.owner):
            return  # another replica is sending it
        while True:
            recipients = await self.admin.next_batch(broadcast_id, self.per_second)
            if not recipients:
                await self.admin.finish(broadcast_id)
                return
            began = loop.time()
            sent = failed = 0
            for user_id in recipients:
                if await self._send(user_id, text):
                    sent += 1
                else:
                    failed += 1
            if not await self.admin.record_batch(
                broadcast_id, recipients[-1], sent, failed, owner=self.owner
            ):
                return  # our lease ran out and another replica took over from the cursor
            spare = 1.0 - (loop.time() - began)
            if spare > 0:
                await asyncio.sleep(spare)  # rate limiting: at most per_second messages a second

    async def _send(self, user_id: int, text: str) -> bool:
        return await send_text(self.bot, user_id, text)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
