"""The in-process twin of the Redis Streams bus, for one process without REDIS_URL (``make run``'s
embedded default, SQLite tests): the same log, groups, pending lists and claiming, kept in memory.

Events in memory die with the process; the outbox does not: the relay only marks rows published
after ``publish`` returned, and on the next start nothing unpublished is left behind. What an
in-process group had not applied when the process stopped is not redelivered (the twin is for a
single process whose consumers are best-effort: notifications; leaderboards then come from the
database).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.bus.base import BusEvent, Delivery


@dataclass
class _Group:
    cursor: int = 0  # index in the log of the next never-delivered entry
    pending: dict[int, tuple[str, float]] = field(default_factory=dict)  # index → (consumer, at)


class InProcessBus:
    def __init__(self, *, maxlen: int = 10_000, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.maxlen = maxlen
        self._log: list[BusEvent] = []
        self._offset = 0  # entries trimmed from the front
        self._groups: dict[str, _Group] = {}
        self._changed = asyncio.Condition()
        self._monotonic = monotonic

    def _entry(self, index: int) -> Delivery | None:
        position = index - self._offset
        if position < 0:
            return None
        return Delivery(f"{index + 1}-0", self._log[position])

    async def publish(self, events: Sequence[BusEvent]) -> None:
        if not events:
            return
        async with self._changed:
            self._log.extend(events)
            excess = len(self._log) - self.maxlen
            if excess > 0:
                del self._log[:excess]
                self._offset += excess
            self._changed.notify_all()

    async def ensure_group(self, group: str) -> None:
        self._groups.setdefault(group, _Group(cursor=self._offset))

    def _deliver(self, group: _Group, consumer: str, indexes: Sequence[int]) -> list[Delivery]:
        now = self._monotonic()
        out = []
        for index in indexes:
            delivery = self._entry(index)
            if delivery is None:
                group.pending.pop(index, None)
                continue
            group.pending[index] = (consumer, now)
            out.append(delivery)
        return out

    async def read(self, group: str, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        state = self._groups[group]

        def available() -> bool:
            return state.cursor < self._offset + len(self._log)

        async with self._changed:
            if not available() and block_ms > 0:
                try:
                    await asyncio.wait_for(self._changed.wait_for(available), block_ms / 1000)
                except TimeoutError:
                    return []
            start = max(state.cursor, self._offset)
            end = min(self._offset + len(self._log), start + count)
            state.cursor = end
            return self._deliver(state, consumer, range(start, end))

    async def read_own_pending(self, group: str, consumer: str, count: int) -> list[Delivery]:
        state = self._groups[group]
        mine = sorted(i for i, (who, _at) in state.pending.items() if who == consumer)[:count]
        return self._deliver(state, consumer, mine)

    async def claim_stale(self, group: str, consumer: str, idle_ms: int, count: int) -> list[Delivery]:
        state = self._groups[group]
        cutoff = self._monotonic() - idle_ms / 1000
        stale = sorted(i for i, (_who, at) in state.pending.items() if at <= cutoff)[:count]
        return self._deliver(state, consumer, stale)

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        state = self._groups[group]
        for entry_id in entry_ids:
            state.pending.pop(int(entry_id.partition("-")[0]) - 1, None)

    async def pending(self, group: str) -> int:
        return len(self._groups[group].pending)

    async def close(self) -> None:
        return None
