"""Run one consumer group: its own unacknowledged events first, then new ones, acknowledging after
``apply`` returned; events a dead consumer of the group left pending are claimed after ``claim_idle``.

A failing ``apply`` (Redis down, a bug) leaves the batch unacknowledged and the runner backs off; the
next round starts again from its own pending events, so nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from engine.bus.base import Consumer, Delivery, EventBus
from engine.bus.relay import _wait

log = logging.getLogger("diana.bus.consumer")


def consumer_name() -> str:
    """Stable per process: host and pid (a restarted process gets a new name; its predecessor's
    pending events are claimed by idle time)."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class RunnerTuning:
    count: int = 200
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    claim_every: float = 10.0
    backoff_min: float = 0.5
    backoff_max: float = 30.0


class ConsumerRunner:
    def __init__(
        self,
        bus: EventBus,
        consumer: Consumer,
        *,
        name: str | None = None,
        tuning: RunnerTuning = RunnerTuning(),
    ) -> None:
        self.bus = bus
        self.consumer = consumer
        self.name = name or consumer_name()
        self.tuning = tuning
        self.applied = 0
        self.failures = 0
        self._recovering = True  # start with this name's own pending events

    @property
    def group(self) -> str:
        return self.consumer.group

    async def _handle(self, deliveries: Sequence[Delivery]) -> int:
        if not deliveries:
            return 0
        await self.consumer.apply([d.event for d in deliveries])
        await self.bus.ack(self.group, [d.entry_id for d in deliveries])
        self.applied += len(deliveries)
        return len(deliveries)

    async def step(self, block_ms: int | None = None) -> int:
        """One round: own pending (after a start or a failure), else new events. Events handled."""
        t = self.tuning
        if self._recovering:
            handled = await self._handle(await self.bus.read_own_pending(self.group, self.name, t.count))
            if handled:
                return handled
            self._recovering = False
        wait = t.block_ms if block_ms is None else block_ms
        return await self._handle(await self.bus.read(self.group, self.name, t.count, wait))

    async def claim(self) -> int:
        """Take over and apply what other consumers of the group left pending too long."""
        t = self.tuning
        return await self._handle(await self.bus.claim_stale(self.group, self.name, t.claim_idle_ms, t.count))

    async def run(self, stop: asyncio.Event) -> None:
        t = self.tuning
        backoff = t.backoff_min
        loop = asyncio.get_running_loop()
        next_claim = loop.time()
        created = False
        while not stop.is_set():
            try:
                if not created:
                    await self.bus.ensure_group(self.group)
                    created = True
                if loop.time() >= next_claim:
                    await self.claim()
                    next_claim = loop.time() + t.claim_every
                await self.step()
                backoff = t.backoff_min
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: keep the events pending, retry from them
                self.failures += 1
                self._recovering = True
                created = False  # a Redis that came back empty has lost the group: create it again
                log.warning(
                    "consumer %s/%s failed (%s); retrying in %.1fs", self.group, self.name, exc, backoff
                )
                await _wait(stop, backoff)
                backoff = min(backoff * 2, t.backoff_max)
