"""The event bus on Redis Streams: XADD (event id in the entry), XREADGROUP/XACK, XAUTOCLAIM, MAXLEN.

One stream holds every event; each concern (leaderboards, analytics, notifications) is a consumer
group with its own cursor and pending list, so a slow or crashed group never holds back another.
The stream is trimmed approximately to ``maxlen`` entries: keep it well above what a stopped group
may fall behind (the relay keeps publishing while a worker is down).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from engine.bus.base import BusEvent, BusUnavailableError, Delivery

DEFAULT_STREAM = "diana:events"
DEFAULT_MAXLEN = 1_000_000


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _deliveries(entries: Sequence[Any]) -> list[Delivery]:
    out = []
    for entry_id, fields in entries:
        if fields is None:  # an entry trimmed away while pending: nothing left to deliver
            continue
        decoded = {_text(k): _text(v) for k, v in fields.items()}
        out.append(Delivery(_text(entry_id), BusEvent.from_fields(decoded)))
    return out


class RedisStreamBus:
    def __init__(
        self, client: aioredis.Redis, *, stream: str = DEFAULT_STREAM, maxlen: int = DEFAULT_MAXLEN
    ) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisStreamBus:
        return cls(aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=10), **options)

    async def publish(self, events: Sequence[BusEvent]) -> None:
        if not events:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for event in events:
                    fields: dict[Any, Any] = dict(event.to_fields())
                    pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc

    async def ensure_group(self, group: str) -> None:
        try:
            await self.client.xgroup_create(self.stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise BusUnavailableError(f"Redis: {exc}") from exc
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc

    async def _read(self, group: str, consumer: str, cursor: str, count: int, block: int | None) -> Any:
        try:
            return await self.client.xreadgroup(group, consumer, {self.stream: cursor}, count, block)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc

    async def read(self, group: str, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        reply = await self._read(group, consumer, ">", count, block_ms or None)
        return _deliveries(reply[0][1]) if reply else []

    async def read_own_pending(self, group: str, consumer: str, count: int) -> list[Delivery]:
        reply = await self._read(group, consumer, "0", count, None)
        return _deliveries(reply[0][1]) if reply else []

    async def claim_stale(self, group: str, consumer: str, idle_ms: int, count: int) -> list[Delivery]:
        try:
            reply = await self.client.xautoclaim(self.stream, group, consumer, idle_ms, "0-0", count=count)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc
        return _deliveries(reply[1])

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        if not entry_ids:
            return
        try:
            await self.client.xack(self.stream, group, *entry_ids)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc

    async def pending(self, group: str) -> int:
        try:
            info = await self.client.xpending(self.stream, group)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"Redis: {exc}") from exc
        return int(info["pending"])

    async def close(self) -> None:
        await self.client.aclose()
