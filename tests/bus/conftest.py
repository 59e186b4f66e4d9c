"""Fixtures for the event bus tests: the real Redis at 127.0.0.1:6379, every test in a key prefix (and
stream) of its own, deleted afterwards — other engineers' tests share the server, so never FLUSHDB."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from engine.bus.boards import BoardKeys
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("DIANA_TEST_REDIS", "redis://127.0.0.1:6379/0")


class RedisSpace:
    """A test's corner of the shared Redis: its key prefix, stream name and a client."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.keys = BoardKeys(prefix)
        self.stream = f"{prefix}events"
        self.url = REDIS_URL

    async def cleanup(self) -> None:
        doomed = [key async for key in self.client.scan_iter(match=f"{self.prefix}*", count=1000)]
        for start in range(0, len(doomed), 500):
            await self.client.delete(*doomed[start : start + 500])


@pytest.fixture
async def redis_space() -> AsyncIterator[RedisSpace]:
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        message = f"Redis at {REDIS_URL} is not reachable ({exc})"
        if IN_CI:
            pytest.fail(message + "; CI=true makes this a failure", pytrace=False)
        pytest.skip(message)
    space = RedisSpace(client, f"test:{uuid.uuid4().hex[:12]}:")
    try:
        yield space
    finally:
        await space.cleanup()
        await client.aclose()
