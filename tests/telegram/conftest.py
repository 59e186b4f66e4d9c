"""End-to-end harness: a fake Bot API in the test's process, the real bot in its own process.

The bot is started with ``diana serve`` exactly as in production, pointed at the fake API through
TELEGRAM_API_BASE, on a migrated database with the example story published.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.services.publish import PublishService
from engine.store.database import Database
from tests.conftest import CONTENT, ROOT
from tests.telegram.fake_api import Call, FakeTelegram, callback_update, message_update

SECRET = "s3cret-token"
ADMIN = 4242


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningBot:
    fake: FakeTelegram
    process: subprocess.Popen[str]
    port: int
    mode: str
    lines: list[str] = field(default_factory=list)
    _updates: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def send(self, update: dict[str, Any], *, secret: str | None = SECRET) -> int:
        """Deliver one update as Telegram would (webhook POST, or the getUpdates queue)."""
        if self.mode == "polling":
            await self.fake.push(update)
            return 200
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/webhook", json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    async def text(self, user_id: int, text: str, **kw: Any) -> int:
        return await self.send(message_update(self.fake.new_update_id(), user_id, text, **kw))

    async def tap(self, user_id: int, data: str, message: dict[str, Any] | None = None, **kw: Any) -> int:
        return await self.send(callback_update(self.fake.new_update_id(), user_id, data, message, **kw))

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}{path}") as response:
            return response.status, await response.text()


def _reader(process: subprocess.Popen[str], lines: list[str], ready: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())
        if "serving on" in line:
            ready.set()
    ready.set()


def bot_env(database: Database, fake: FakeTelegram, port: int, mode: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE=fake.base_url,
        DATABASE_URL=database.url,
        HOST="127.0.0.1",
        PORT=str(port),
        ADMIN_IDS=str(ADMIN),
        CONTENT_DIR=str(tmp / "content"),
        PYTHONUNBUFFERED="1",
    )
    if database.schema:
        env["DATABASE_SCHEMA"] = database.schema
    if mode == "webhook":
        env.update(WEBHOOK_URL=f"http://127.0.0.1:{port}/webhook", WEBHOOK_SECRET=SECRET)
    return env


@asynccontextmanager
async def start_bot(
    mode: str, database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[RunningBot]:
    import shutil

    shutil.copytree(CONTENT, tmp_path / "content")
    await PublishService(database).publish_path(tmp_path / "content", author="test")
    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve"],
        cwd=ROOT,
        text=True,
        env=bot_env(database, fake, port, mode, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    bot = RunningBot(fake, process, port, mode)
    ready = threading.Event()
    threading.Thread(target=_reader, args=(process, bot.lines, ready), daemon=True).start()
    started = await asyncio.to_thread(ready.wait, 60)
    if not started or process.poll() is not None:
        process.kill()
        raise AssertionError("the bot did not start:\n" + "\n".join(bot.lines[-40:]))
    try:
        yield bot
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
        await fake.stop()
        tracebacks = [line for line in bot.lines if line.startswith("Traceback")]
        assert not tracebacks or request.node.get_closest_marker("bot_errors"), "\n".join(bot.lines)


@pytest.fixture(params=["webhook", "polling"])
async def running_bot(
    request: pytest.FixtureRequest, database: Database, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    """The full matrix: webhook and polling, on SQLite and on PostgreSQL."""
    async with start_bot(request.param, database, tmp_path, request) as bot:
        yield bot


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, postgres_database: Database, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    """The production shape: webhook mode on PostgreSQL."""
    async with start_bot("webhook", postgres_database, tmp_path, request) as running:
        yield running


def buttons(call: Call) -> list[dict[str, Any]]:
    return call.buttons()


def as_message(call: Call, user_id: int) -> dict[str, Any]:
    """The message a call produced, as it would appear inside a later callback_query."""
    message: dict[str, Any] = {
        "message_id": int(call.result.get("message_id", 1)) if call.result else 1,
        "date": 0,
        "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
        "reply_markup": {"inline_keyboard": call.markup()},
    }
    if call.method == "sendPhoto":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        message["caption"] = call.text
    else:
        message["text"] = call.text
    return message


def parse(data: str) -> dict[str, str]:
    return dict(zip(("prefix", "n", "a", "i"), data.split(":"), strict=False))


json_dumps = json.dumps
