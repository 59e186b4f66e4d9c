"""End-to-end harness: a fake Bot API in the test's process, the real bot in its own process.

The bot is started with ``diana serve`` exactly as in production, pointed at the fake API through
TELEGRAM_API_BASE, on a migrated database with the example story published (from a copy of
``content/`` that is also the bot's CONTENT_DIR, so ``/publish`` tests can edit it).

Each bot process costs several seconds to start: tests play several scenarios each, with distinct
user ids, and only the tests that must cover webhook/polling x SQLite/PostgreSQL use ``running_bot``.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from bot.callbacks import Play
from engine.services.publish import PublishService
from engine.store.database import Database
from engine.store.tables import player_states, story_decisions
from tests.conftest import CONTENT
from tests.telegram.fake_api import Call, FakeTelegram, callback_update, message_update
from tests.telegram.harness import (
    SECRET,
    RunningBot,
    as_message,
    bot_env,
    free_port,
    is_open,
    launch,
    scene_of,
    serve_command,
    story_buttons,
)

__all__ = ["ADMIN", "SECRET", "Player", "RunningBot", "as_message", "scene_of", "story_buttons"]

ADMIN = 4242
T = TypeVar("T")


@asynccontextmanager
async def start_bot(
    mode: str,
    database: Database,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    extra: Mapping[str, str] | None = None,
    *,
    fake: FakeTelegram | None = None,
    content: Path | None = None,
) -> AsyncIterator[RunningBot]:
    """``diana serve`` with the example story published; ``extra`` settings on top (e.g. STRIPE_*).

    A test that restarts the bot (a crash, a redelivery) keeps Telegram's side across the restarts: it
    passes the ``fake`` it started, and stops it itself. ``content`` is a story folder the caller already
    published (an edited example, or the one a previous bot of the test served), used as it is.
    """
    if content is None:
        content = tmp_path / "content"
        shutil.copytree(CONTENT, content)
        await PublishService(database).publish_path(content, author="test")
    owned = fake is None
    if fake is None:
        fake = FakeTelegram()
        await fake.start()
    port = free_port()
    env = bot_env(
        fake,
        port,
        mode,
        database_url=database.url,
        database_schema=database.schema,
        content_dir=content,
        admin_ids=str(ADMIN),
        extra=extra,
    )
    try:
        async with launch(serve_command(), env, fake, port, mode, database=database) as bot:
            bot.content_dir = content
            yield bot
    finally:
        if owned:
            await fake.stop()
    tracebacks = bot.tracebacks()
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


# -- reading the database ----------------------------------------------------------------------


async def decisions(database: Database, user_id: int) -> int:
    async with database.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(story_decisions)
            .where(story_decisions.c.user_id == user_id)
        )
    return int(found or 0)


async def turn(database: Database, user_id: int) -> int | None:
    async with database.connect() as conn:
        found = await conn.scalar(sa.select(player_states.c.turn).where(player_states.c.user_id == user_id))
    return None if found is None else int(found)


async def eventually(
    check: Callable[[], Awaitable[T | None]], what: str, *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Poll ``check`` until it returns something truthy (for state with nothing to wait on: the
    database, /ready); AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(interval)


async def progress(database: Database, user_id: int) -> tuple[int, int | None]:
    """(story_decisions rows, player_states.turn) of a player: what "nothing applied" is checked on."""
    return await decisions(database, user_id), await turn(database, user_id)


def advanced(before: tuple[int, int | None], steps: int = 1) -> tuple[int, int]:
    assert before[1] is not None
    return before[0] + steps, before[1] + steps


# -- a player ------------------------------------------------------------------------------------


@dataclass
class Player:
    """One Telegram user talking to the bot: sends, taps, and remembers the scene on their screen."""

    bot: RunningBot
    id: int
    language: str = "es"
    first_name: str = "Ana"
    screen: Call | None = None  # the message holding the current scene (its text and buttons)
    taps: list[str] = field(default_factory=list)  # callback query ids this player sent

    @property
    def fake(self) -> FakeTelegram:
        return self.bot.fake

    def _mine(self, calls: Iterable[Call], query_id: str | None = None) -> list[Call]:
        return [
            c
            for c in calls
            if c.chat_id == self.id
            or (query_id is not None and c.params.get("callback_query_id") == query_id)
        ]

    async def say(self, text: str, *, paced: bool = True) -> list[Call]:
        """Send a message (a command or free text); the calls the bot made for this chat in reply."""

        mark = len(self.fake.calls)
        update = message_update(
            self.fake.new_update_id(), self.id, text, first_name=self.first_name, language=self.language
        )
        status = await self.bot.send(update, paced=paced)
        assert status == 200, status
        return self._mine(self.fake.calls[mark:])

    async def press(self, data: str, on: Call | None = None, *, paced: bool = True) -> list[Call]:
        """Tap a button (``data``) on a message (default: the current scene); the calls in reply."""
        message = on or self.screen
        update_id = self.fake.new_update_id()
        update = callback_update(
            update_id,
            self.id,
            data,
            as_message(message, self.id) if message is not None else None,
            first_name=self.first_name,
            language=self.language,
        )
        query_id = update["callback_query"]["id"]
        self.taps.append(query_id)
        mark = len(self.fake.calls)
        status = await self.bot.send(update, paced=paced)
        assert status == 200, status
        return self._mine(self.fake.calls[mark:], query_id)

    def answers(self, calls: Iterable[Call] | None = None) -> list[Call]:
        """This player's answered callback queries (only accepted answers count)."""
        mine = set(self.taps)
        return [
            c
            for c in (self.fake.calls if calls is None else calls)
            if c.method == "answerCallbackQuery" and c.ok and c.params.get("callback_query_id") in mine
        ]

    def follow(self, calls: list[Call]) -> Call | None:
        """Move ``screen`` to the scene among ``calls``, if they show one."""
        scene = scene_of(calls)
        if scene is not None:
            self.screen = scene
        return scene

    def open_buttons(self) -> list[tuple[str, Play]]:
        return (
            [(label, data) for label, data in story_buttons(self.screen) if is_open(label)]
            if self.screen
            else []
        )

    async def start(self) -> Call:
        calls = await self.say("/start")
        scene = self.follow(calls)
        assert scene is not None, [(c.method, c.text[:40]) for c in calls]
        return scene

    async def step(self, mood_reply: str) -> list[Call]:
        """What a player who always goes on does: the first open button, or a reply to a mood scene."""
        choices = self.open_buttons()
        if choices:
            calls = await self.press(choices[0][1].pack())
        else:
            calls = await self.say(mood_reply)
        assert self.follow(calls) is not None, [(c.method, c.text[:40]) for c in calls]
        return calls

    async def play_to_ending(self, mood_reply: str, *, limit: int = 40) -> list[str]:
        """Step until the scene offers the next chapter or a restart; the texts of the scenes seen."""
        assert self.screen is not None
        seen = [self.screen.text]
        for _ in range(limit):
            if any(data.a in ("x", "r") for _, data in story_buttons(self.screen)):
                return seen
            await self.step(mood_reply)
            seen.append(self.screen.text)
        raise AssertionError(f"no ending after {limit} steps; last scene: {self.screen.text[:80]}")

    def callback_data(self) -> str:
        """The first open button of the current scene."""
        choices = self.open_buttons()
        assert choices, "the current scene has no open button"
        return choices[0][1].pack()
