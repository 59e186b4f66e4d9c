"""Failures for real: a relay process killed between XADD and marking; Redis going away and coming back."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from engine.bus.consumers import LeaderboardConsumer
from engine.bus.redis_streams import RedisStreamBus
from engine.bus.relay import Relay, RelayTuning
from engine.bus.runner import RunnerTuning
from engine.bus.worker import build_worker
from engine.content.bundle import Bundle
from engine.services.content import StaticContent
from engine.services.leaderboards import ALL_TIME, LeaderboardService
from engine.services.profile import ProfileService
from engine.store.database import Database
from tests.bus.conftest import RedisSpace
from tests.bus.support import consume_all, unpublished
from tests.services.support import ANA, BEA, CLARA, DANI, clock, play_service

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
async def test_a_relay_killed_after_publishing_causes_no_double_increment(
    postgres_database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    database = postgres_database
    at = clock()
    play = play_service(database, example_bundle, at)
    await play.start(ANA)
    await play.start(BEA)
    backlog = await unpublished(database)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bus.crash_relay",
        database.url,
        database.schema or "",
        redis_space.url,
        redis_space.stream,
        cwd=ROOT,
    )
    assert await child.wait() == -signal.SIGKILL
    assert await redis_space.client.xlen(redis_space.stream) == backlog  # published...
    assert await unpublished(database) == backlog  # ...and never marked
    bus = RedisStreamBus(redis_space.client, stream=redis_space.stream)
    assert await Relay(database, bus, clock=at).drain() == backlog  # the restarted relay: again
    assert await redis_space.client.xlen(redis_space.stream) == 2 * backlog
    await consume_all(bus, LeaderboardConsumer(redis_space.client, redis_space.keys))
    profiles = ProfileService(database, StaticContent(example_bundle), at)
    from_redis = await LeaderboardService(
        database, profiles, redis_space.client, keys=redis_space.keys, clock=at
    ).top(ANA.id)
    from_db = await LeaderboardService(database, profiles, clock=at).top(ANA.id)
    assert from_redis.source == "redis"
    assert [(e.user_id, e.score) for e in from_redis.entries] == [(ANA.id, 50), (BEA.id, 50)]
    assert from_redis.entries == from_db.entries


class ThrowawayRedis:
    """A redis-server of this test's own on a unix socket (append-only file, so a restart keeps its
    data like a production Redis), stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--dir", str(self.folder),
                "--appendonly", "yes",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    async def ready(self) -> None:
        while True:  # until it answers; the test's own timeout bounds this
            client = aioredis.from_url(self.url)
            try:
                await client.ping()
                return
            except (OSError, aioredis.ConnectionError):
                await asyncio.sleep(0.02)
            finally:
                await client.aclose()

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


async def until(condition: object) -> None:
    """Wait for an async condition to hold: the relay and consumers run as tasks meanwhile."""
    while not await condition():  # type: ignore[operator]
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_redis_down_the_players_keep_playing_and_the_boards_catch_up(
    database: Database, example_bundle: Bundle, throwaway_redis: ThrowawayRedis
) -> None:
    at = clock()
    play = play_service(database, example_bundle, at)
    profiles = ProfileService(database, StaticContent(example_bundle), at)
    throwaway_redis.start()
    await throwaway_redis.ready()
    worker = build_worker(
        database,
        throwaway_redis.url,
        clock=at,
        relay_tuning=RelayTuning(poll_seconds=0.02, backoff_min=0.02, backoff_max=0.2),
        runner_tuning=RunnerTuning(block_ms=50, backoff_min=0.02, backoff_max=0.2),
    )
    reader = aioredis.from_url(throwaway_redis.url, socket_connect_timeout=1)
    boards = LeaderboardService(database, profiles, reader, clock=at, retry_after=0)
    fallback = LeaderboardService(database, profiles, clock=at)

    async def caught_up() -> bool:
        if await unpublished(database):
            return False
        view = await boards.top(ANA.id)
        return view.source == "redis" and view.entries == (await fallback.top(ANA.id)).entries

    worker.start()
    try:
        await play.start(ANA)
        await asyncio.wait_for(until(caught_up), 60)
        throwaway_redis.stop()
        # Redis is down: the players keep playing, /top answers from the database.
        for user in (BEA, CLARA, DANI):
            decision = await play.start(user)
            assert decision.view is not None
        await profiles.checkin(CLARA.id)
        view = await boards.top(CLARA.id, ALL_TIME)
        assert view.source == "database" and view.entries[0].user_id == CLARA.id

        async def relay_refused() -> bool:
            return worker.relay.failures > 0

        await asyncio.wait_for(until(relay_refused), 60)  # it tried, Redis refused...
        assert await unpublished(database) > 0  # ...and the rows are kept
        throwaway_redis.start()
        await throwaway_redis.ready()
        await asyncio.wait_for(until(caught_up), 60)
    finally:
        await worker.stop()
        await reader.aclose()
