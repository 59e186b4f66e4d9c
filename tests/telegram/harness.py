"""Run a bot process against the fake Bot API and talk to it as Telegram would.

Shared by the end-to-end tests (``conftest.py``) and the webhook benchmark (``bench/webhook.py``), so it
imports nothing from pytest. A :class:`RunningBot` delivers updates by webhook POST or through the fake's
``getUpdates`` queue, and :meth:`RunningBot.send` returns only once the bot has finished handling the
update: in webhook mode that is the HTTP response (the bot handles updates inline), in polling mode the
bot's own log line for that update (``ObserveUpdates`` logs each update when its handling ends).

Players are paced like people: the bot's flood guard drops a player's updates beyond
``FLOOD_LIMIT`` per ``FLOOD_WINDOW`` seconds, so ``send`` waits, per player, until one more update
fits in the window. Tests of the flood guard itself send with ``paced=False``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.callbacks import Play
from bot.middlewares import FLOOD_LIMIT, FLOOD_WINDOW
from tests.telegram.fake_api import (
    SENDS,
    Call,
    FakeTelegram,
    callback_update,
    message_update,
    webhook_reply,
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-token"
WEBHOOK_PATH = "/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HANDLED = re.compile(r"diana\.bot update (\d+) user ")
READY = re.compile(r"^[\w-]+: serving on ")  # "diana: serving on HOST:PORT", printed once the site is up
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sender(update: Mapping[str, Any]) -> int | None:
    """The Telegram user an update comes from (what the flood guard counts by)."""
    for key in ("message", "callback_query", "pre_checkout_query"):
        body = update.get(key)
        if isinstance(body, Mapping) and isinstance(body.get("from"), Mapping):
            return int(body["from"]["id"])
    return None


class ProcessOutput:
    """A child process's output lines, read by a thread, with an event-driven wait on them."""

    def __init__(self, process: subprocess.Popen[str], loop: asyncio.AbstractEventLoop) -> None:
        self.lines: list[str] = []
        self.handled: set[int] = set()  # update ids the bot logged as handled
        self.ready = threading.Event()
        self.watching = True  # False: keep the lines, but wake nobody (benchmarks, after start)
        self._loop = loop
        self._changed = asyncio.Event()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            self.lines.append(line)
            if not self.watching:
                continue
            if match := HANDLED.search(line):
                self.handled.add(int(match.group(1)))
            if READY.match(line):
                self.ready.set()
            self._wake()
        self.ready.set()
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._changed.set)

    async def wait(self, found: Callable[[], T | None], timeout: float, what: str) -> T:
        """The first truthy ``found()``, re-checked after each new line; AssertionError on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self._changed.clear()
                    result = found()
                    if result:
                        return result
                    await self._changed.wait()
        except TimeoutError:
            tail = "\n".join(self.lines[-20:])
            raise AssertionError(f"{what} within {timeout}s; last lines:\n{tail}") from None


@dataclass
class RunningBot:
    fake: FakeTelegram
    process: subprocess.Popen[str]
    port: int
    mode: str  # "webhook" | "polling"
    output: ProcessOutput
    database: Any = None  # the test's engine.store.database.Database, when there is one
    content_dir: Path | None = None  # the bot's CONTENT_DIR (what /publish publishes)
    paced: dict[int, deque[float]] = field(default_factory=dict)
    http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lines(self) -> list[str]:
        return self.output.lines

    async def _pace(self, user_id: int) -> None:
        """Wait until one more update from this player fits in the flood guard's window.

        The guard stamps an update when it arrives, which is before we saw it handled; so once the
        ``FLOOD_LIMIT``-th most recent handled time is more than a window old, so is its stamp.
        """
        done = self.paced.get(user_id)
        if done is None or len(done) < FLOOD_LIMIT:
            return
        wait = done[-FLOOD_LIMIT] + FLOOD_WINDOW + 0.05 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # modelling a player's pace, not waiting for a result

    async def quiet(self, user_id: int) -> None:
        """Wait until none of this player's updates is inside the flood guard's window any more."""
        done = self.paced.get(user_id)
        if done:
            wait = done[-1] + FLOOD_WINDOW + 0.05 - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)  # the guard's window is time: this is what it takes

    async def post(self, update: Mapping[str, Any], *, secret: str | None = SECRET) -> int:
        """One webhook POST; the status code. The bot handles inline, so 200 means handled."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession()
        async with self.http.post(
            f"{self.url}{WEBHOOK_PATH}", json=dict(update), headers=headers
        ) as response:
            reply = await webhook_reply(response)
            status = response.status
        if reply is not None:  # Telegram carries out the call the bot put in its answer
            await self.fake.execute(*reply)
        return status

    async def send(
        self,
        update: Mapping[str, Any],
        *,
        secret: str | None = SECRET,
        paced: bool = True,
        timeout: float = 30.0,
    ) -> int:
        """Deliver one update as Telegram would and return once the bot has handled it.

        Webhook mode: the POST's status (401 for a missing or wrong ``secret``); a method the bot put
        in its reply is carried out as Telegram would. Polling mode: the update goes into the fake's
        ``getUpdates`` queue and 200 is returned once the bot logged it (and, for a callback query,
        answered it).
        """
        user_id = sender(update)
        if paced and user_id is not None:
            await self._pace(user_id)
        if self.mode == "polling":
            await self.fake.push(dict(update))
            update_id = int(update["update_id"])
            await self.output.wait(lambda: update_id in self.output.handled, timeout, f"update {update_id}")
            query = update.get("callback_query")
            if isinstance(query, Mapping):
                # A handler may return the answer instead of sending it: aiogram's polling loop sends
                # it after the update's log line. Every callback query gets an answer: wait for it.
                query_id = query["id"]
                await self.fake.wait_for(
                    "answerCallbackQuery",
                    lambda c: c.params.get("callback_query_id") == query_id,
                    timeout=timeout,
                )
            status = 200
        else:
            status = await self.post(update, secret=secret)
        if status == 200 and user_id is not None:
            self.paced.setdefault(user_id, deque(maxlen=FLOOD_LIMIT)).append(time.monotonic())
        return status

    async def text(self, user_id: int, text: str, **kw: Any) -> int:
        return await self.send(message_update(self.fake.new_update_id(), user_id, text, **kw))

    async def tap(self, user_id: int, data: str, message: dict[str, Any] | None = None, **kw: Any) -> int:
        return await self.send(callback_update(self.fake.new_update_id(), user_id, data, message, **kw))

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}{path}") as response:
            return response.status, await response.text()

    def tracebacks(self) -> list[str]:
        return [line for line in self.lines if line.startswith("Traceback")]


def bot_env(
    fake: FakeTelegram,
    port: int,
    mode: str,
    *,
    database_url: str,
    database_schema: str | None,
    content_dir: Path,
    admin_ids: str = "",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a ``diana serve`` pointed at ``fake``; inherited TELEGRAM_/WEBHOOK_/STRIPE_
    dropped (a test's bot has card payments only when ``extra`` configures them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STRIPE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE=fake.base_url,
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        PORT=str(port),
        ADMIN_IDS=admin_ids,
        CONTENT_DIR=str(content_dir),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DATABASE_SCHEMA", None)
    if database_schema:
        env["DATABASE_SCHEMA"] = database_schema
    if mode == "webhook":
        env.update(WEBHOOK_URL=f"http://127.0.0.1:{port}{WEBHOOK_PATH}", WEBHOOK_SECRET=SECRET)
    env.update(extra or {})
    return env


@asynccontextmanager
async def launch(
    command: list[str],
    env: Mapping[str, str],
    fake: FakeTelegram,
    port: int,
    mode: str,
    *,
    database: Any = None,
    start_timeout: float = 90.0,
    stop_timeout: float = 30.0,
) -> AsyncIterator[RunningBot]:
    """Start ``command`` (which prints "serving on" when ready), yield it, then stop it (SIGTERM)."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        text=True,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = ProcessOutput(process, asyncio.get_running_loop())
    bot = RunningBot(fake, process, port, mode, output, database)
    started = await asyncio.to_thread(output.ready.wait, start_timeout)
    if not started or process.poll() is not None:
        process.kill()
        raise AssertionError("the bot did not start:\n" + "\n".join(output.lines[-40:]))
    try:
        yield bot
    finally:
        if bot.http is not None:
            await bot.http.close()
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def serve_command() -> list[str]:
    return [sys.executable, "-m", "cli.main", "serve"]


# -- reading what the bot sent ------------------------------------------------------------------

VIEW_METHODS = (SENDS - {"sendDocument", "sendInvoice"}) | {"editMessageText", "editMessageCaption"}


def as_message(call: Call, user_id: int) -> dict[str, Any]:
    """The message a call produced, as it would appear inside a later callback_query."""
    message: dict[str, Any] = {
        "message_id": int(call.result.get("message_id", 1)) if isinstance(call.result, dict) else 1,
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


def story_buttons(call: Call) -> list[tuple[str, Play]]:
    """(label, parsed callback data) of the story buttons on a message."""
    found = []
    for button in call.buttons():
        data = str(button.get("callback_data", ""))
        if data.startswith(f"{Play.__prefix__}:"):
            found.append((str(button["text"]), Play.unpack(data)))
    return found


def is_open(label: str) -> bool:
    """Locked choices carry a lock, VIP ones a diamond; everything else can be pressed."""
    return not label.startswith(("🔒", "💎"))


def scene_of(calls: Iterable[Call]) -> Call | None:
    """The last story view among ``calls`` (a scene sent, or edited in place)."""
    views = [c for c in calls if c.method in VIEW_METHODS and c.ok]
    return views[-1] if views else None
