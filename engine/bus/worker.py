"""Assemble the relay and the consumer groups for one process: ``diana worker`` and the bot's
background tasks.

With REDIS_URL: Redis Streams, and the leaderboards and analytics groups (their effects live in Redis);
the notifications group where the process can deliver (the bot). Without it: the in-process twin and
only the notifications group — the leaderboards are then read from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from engine.bus.base import EventBus
from engine.bus.boards import BoardKeys
from engine.bus.consumers import AnalyticsConsumer, LeaderboardConsumer, NotificationConsumer, Notify
from engine.bus.memory import InProcessBus
from engine.bus.redis_streams import DEFAULT_STREAM, RedisStreamBus
from engine.bus.relay import Relay, RelayTuning
from engine.bus.runner import ConsumerRunner, RunnerTuning
from engine.services.clock import Clock
from engine.store.database import Database

log = logging.getLogger("diana.bus")


@dataclass
class EventWorker:
    bus: EventBus
    relay: Relay
    runners: list[ConsumerRunner]
    redis: Any | None = None  # the client the bus and the consumers share (closed on stop)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return [r.group for r in self.runners]

    def start(self) -> None:
        """Run as background tasks of the current event loop (the bot)."""
        self._stop.clear()
        self._tasks = [asyncio.create_task(self.relay.run(self._stop), name="diana-relay")]
        self._tasks += [
            asyncio.create_task(r.run(self._stop), name=f"diana-consumer-{r.group}") for r in self.runners
        ]

    async def stop(self) -> None:
        """Let the current batches finish (an applied batch is acknowledged), then close the bus."""
        self._stop.set()
        if self._tasks:
            _done, waiting = await asyncio.wait(self._tasks, timeout=5)
            for task in waiting:  # blocked in a read: nothing half-done to lose
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._tasks = []
        await self.bus.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set (``diana worker``)."""
        self.start()
        await stop.wait()
        await self.stop()


def build_worker(
    database: Database,
    redis_url: str | None,
    *,
    notify: Notify | None = None,
    keys: BoardKeys | None = None,
    stream: str = DEFAULT_STREAM,
    clock: Clock | None = None,
    relay_tuning: RelayTuning = RelayTuning(),
    runner_tuning: RunnerTuning = RunnerTuning(),
    consumer_name: str | None = None,
) -> EventWorker:
    keys = keys or BoardKeys()
    runners: list[ConsumerRunner] = []
    client: Any | None = None
    bus: EventBus
    if redis_url:
        client = aioredis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=10)
        bus = RedisStreamBus(client, stream=stream)
        consumers: list[Any] = [LeaderboardConsumer(client, keys), AnalyticsConsumer(client, keys)]
        if notify is not None:
            consumers.append(NotificationConsumer(notify, client=client, keys=keys))
    else:
        bus = InProcessBus()
        consumers = [NotificationConsumer(notify)] if notify is not None else []
    for consumer in consumers:
        runners.append(ConsumerRunner(bus, consumer, name=consumer_name, tuning=runner_tuning))
    relay = Relay(database, bus, clock=clock, tuning=relay_tuning)
    return EventWorker(bus, relay, runners, client)
