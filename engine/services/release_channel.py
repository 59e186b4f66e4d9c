"""Release announcements over Redis pub/sub, where REDIS_URL is set.

PostgreSQL's NOTIFY already reaches every replica on the same database; Redis carries the same news for
deployments that route through Redis (and for SQLite-backed processes, which otherwise poll). A message
only wakes a watcher, which then re-reads the pointer from the database: the database stays the truth,
so a lost, repeated or forged message can delay a reload or cause an extra read, never a wrong release.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

CHANNEL = "diana:release"
log = logging.getLogger("diana.releases")


class RedisReleaseChannel:
    def __init__(self, url: str) -> None:
        self.url = url

    async def announce(self, release_id: int) -> None:
        """Best effort: the database commit already happened; listeners also poll."""
        client = aioredis.from_url(self.url)
        try:
            await client.publish(CHANNEL, str(release_id))
        except (RedisError, OSError) as exc:
            log.warning("could not announce release %s on Redis: %s", release_id, exc)
        finally:
            await client.aclose()

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` for every announcement, reconnecting (and waking once) after a drop."""
        while True:
            client = aioredis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    wake()  # (re)subscribed: an announcement may have been missed meanwhile
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            wake()
            except (RedisError, OSError) as exc:
                log.warning("release channel on Redis lost (%s); reconnecting", exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
