"""The in-process twin and Redis Streams keep the same contract: one test, both buses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from engine.bus.base import BusEvent, EventBus
from engine.bus.memory import InProcessBus
from engine.bus.redis_streams import RedisStreamBus
from tests.bus.conftest import RedisSpace

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


def event(n: int) -> BusEvent:
    return BusEvent(f"e{n}", "choice_made", 7, AT, {"points": n, "texto": "¡ñ!"})


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest, redis_space: RedisSpace) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield InProcessBus()
    else:
        yield RedisStreamBus(redis_space.client, stream=redis_space.stream)


async def test_groups_pending_own_recovery_and_claiming(bus: EventBus) -> None:
    await bus.ensure_group("g")
    await bus.ensure_group("g")  # idempotent
    await bus.publish([event(1), event(2), event(3)])
    await bus.ensure_group("late")  # a group created later still reads the log from its start
    first = await bus.read("g", "c1", 2, 0)
    assert [d.event for d in first] == [event(1), event(2)]  # round trip keeps every field
    await bus.ack("g", [first[0].entry_id])
    assert await bus.pending("g") == 1
    assert [d.event.event_id for d in await bus.read_own_pending("g", "c1", 10)] == ["e2"]
    assert await bus.read_own_pending("g", "c2", 10) == []
    claimed = await bus.claim_stale("g", "c2", 0, 10)
    assert [d.event.event_id for d in claimed] == ["e2"]
    assert await bus.read_own_pending("g", "c1", 10) == []  # it belongs to c2 now
    rest = await bus.read("g", "c2", 10, 0)
    assert [d.event.event_id for d in rest] == ["e3"]
    assert await bus.read("g", "c2", 10, 0) == []
    await bus.ack("g", [d.entry_id for d in claimed + rest])
    assert await bus.pending("g") == 0
    assert [d.event.event_id for d in await bus.read("late", "x", 10, 0)] == ["e1", "e2", "e3"]


async def test_a_claim_waits_for_the_idle_time() -> None:
    now = [100.0]
    bus = InProcessBus(monotonic=lambda: now[0])
    await bus.ensure_group("g")
    await bus.publish([event(1)])
    await bus.read("g", "dead", 10, 0)
    assert await bus.claim_stale("g", "alive", 30_000, 10) == []
    now[0] += 30
    assert [d.event.event_id for d in await bus.claim_stale("g", "alive", 30_000, 10)] == ["e1"]


async def test_the_in_process_log_is_trimmed_to_maxlen() -> None:
    bus = InProcessBus(maxlen=2)
    await bus.ensure_group("g")
    await bus.publish([event(1), event(2), event(3)])
    assert [d.event.event_id for d in await bus.read("g", "c", 10, 0)] == ["e2", "e3"]
