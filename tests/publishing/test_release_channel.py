"""Hot reload through Redis pub/sub (REDIS_URL set): a replica that does not poll still switches."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from engine.content.bundle import Bundle
from engine.services.publish import PublishService
from engine.services.release_channel import RedisReleaseChannel
from engine.services.releases import ActiveContent
from engine.store.database import Database
from tests.conftest import IN_CI
from tests.publishing.conftest import edit

REDIS_URL = os.environ.get("DIANA_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def require_redis() -> None:
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # unreachable in any way
        message = f"Redis at {REDIS_URL} is not reachable ({exc})"
        if IN_CI:
            pytest.fail(message + "; CI=true makes this a failure", pytrace=False)
        pytest.skip(message)
    finally:
        await client.aclose()


async def test_a_replica_switches_on_a_redis_announcement(database: Database, story: Path) -> None:
    await require_redis()
    channel = RedisReleaseChannel(REDIS_URL)
    publisher = PublishService(database, channel=channel)
    first = await publisher.publish_path(story, author="test")
    switched = asyncio.Event()
    seen: list[int] = []

    def changed(release_id: int, _bundle: Bundle) -> None:
        seen.append(release_id)
        switched.set()

    # Polling so slow it never fires in this test: only the announcement can wake the replica.
    replica = ActiveContent(
        database, poll_seconds=3600, safety_poll_seconds=3600, channel=channel, on_change=changed
    )
    await replica.start()
    try:
        assert first.release is not None
        assert seen == [first.release.id]
        switched.clear()
        edit(story / "chapters" / "01-encuentro.yaml", r"Llueve sobre la calle", "Nieva sobre la calle")
        second = await publisher.publish_path(story, author="test")
        assert second.release is not None
        await asyncio.wait_for(switched.wait(), timeout=30)
        assert replica.release_id == second.release.id
    finally:
        await replica.stop()
