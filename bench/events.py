"""Outbox → Redis Streams → consumers: throughput and end-to-end lag at a steady decision rate.

Writers insert decisions into a fresh PostgreSQL schema at ``--rate`` per second, each one transaction
in the services' pattern (a ledger row and an outbox event carrying its points, as PlayService writes
them); one relay (engine.bus.relay) moves them to a Redis stream of this run's own; the leaderboards
consumer group applies them (engine.bus.consumers). Lag is the time from the event's ``created_at``
(set in the writing transaction) to its ``apply`` returning. At the end: none lost (every event
applied) and none applied twice (the board's total equals the points written). Baseline measured in
the same run: the writers alone, with no relay running (what the bus costs the write path).

    .venv/bin/python bench/events.py [--rate 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import redis.asyncio as aioredis
import sqlalchemy as sa

from bench._common import closing_line, percentile
from engine.bus.base import BusEvent
from engine.bus.boards import BoardKeys
from engine.bus.consumers import LeaderboardConsumer
from engine.bus.redis_streams import RedisStreamBus
from engine.bus.relay import Relay, RelayTuning
from engine.bus.runner import ConsumerRunner, RunnerTuning
from engine.store.database import Database, create_database
from engine.store.migrate import upgrade
from engine.store.players import PlayerStore, UserInfo
from engine.store.tables import outbox

PG = os.environ.get("DIANA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
URL = PG.replace("postgresql://", "postgresql+asyncpg://")
REDIS = os.environ.get("DIANA_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PLAYERS = 500
DECISION = """
WITH le AS (
    INSERT INTO points_transactions
        (user_id, amount, kind, reason, event, idempotency_key, balance_after, created_at)
    VALUES ($1, $2, 'earn', 'bench', 'choice_made', $3, 0, $4)
)
INSERT INTO outbox (event_id, user_id, type, payload, created_at)
VALUES ($3, $1, 'choice_made', jsonb_build_object('type', 'choice_made', 'points', $2::int), $4)
"""


class Measured(LeaderboardConsumer):
    """The real consumer, timing each event from its creation to the end of its batch's apply."""

    def __init__(self, client: aioredis.Redis, keys: BoardKeys) -> None:
        super().__init__(client, keys)
        self.lags: list[float] = []
        self.applied: set[str] = set()
        self.deliveries = 0

    async def apply(self, events: Sequence[BusEvent]) -> None:
        await super().apply(events)
        done = time.time()
        self.deliveries += len(events)
        for event in events:
            self.lags.append(done - event.created_at.timestamp())
            self.applied.add(event.event_id)


async def write(
    database: Database, rate: int, seconds: float, tag: str, concurrency: int = 16
) -> tuple[int, int, list[float]]:
    """Decisions at ``rate``/s for ``seconds``: (decisions, points written, commit latencies)."""
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    latencies: list[float] = []
    points = 0
    written = 0
    loop = asyncio.get_running_loop()
    start = loop.time()

    slots = asyncio.Semaphore(concurrency)  # below the pool: a backlog waits here, not in the pool's timeout

    async def one(number: int) -> None:
        nonlocal points
        async with slots:
            await decide(number)

    async def decide(number: int) -> None:
        nonlocal points
        uid = 1 + number % PLAYERS
        amount = 1 + number % 7
        began = time.perf_counter()
        async with database.transaction() as conn:
            # One statement for both rows on the transaction's own asyncpg connection, as the
            # PostgreSQL player store commits a decision (engine/store/players_pg.py).
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute(DECISION, uid, amount, f"{tag}:{number}", datetime.now(UTC))
        latencies.append(time.perf_counter() - began)
        points += amount

    pending: set[asyncio.Task[None]] = set()
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed / tick + 1) * per_tick
        while written < due:
            task = asyncio.create_task(one(written))
            pending.add(task)
            task.add_done_callback(pending.discard)
            written += 1
        await asyncio.sleep(tick - (loop.time() - start) % tick)
    await asyncio.gather(*pending)
    return written, points, latencies


async def run(rate: int, seconds: float) -> dict[str, object]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE SCHEMA {schema}")
    await admin.close()
    database = create_database(URL, schema=schema, pool_size=20)
    client = aioredis.from_url(REDIS)
    keys = BoardKeys(f"bench:{uuid.uuid4().hex[:8]}:")
    try:
        await upgrade(database)
        async with database.transaction() as conn:
            for uid in range(1, PLAYERS + 1):
                await PlayerStore().ensure_user(conn, UserInfo(uid, f"p{uid}"), datetime.now(UTC))
        base_began = time.perf_counter()
        base_n, _, base_lat = await write(database, rate, min(seconds, 5), "base")
        base_rate = base_n / (time.perf_counter() - base_began)
        async with database.transaction() as conn:  # the baseline's rows are not part of the run
            await conn.execute(sa.update(outbox).values(published_at=datetime.now(UTC)))

        # The relay and the consumer run in a process of their own, as `diana worker` does: in
        # the writers' process they would take the writers' CPU (measured: 610/s instead of 917/s).
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--worker", schema, keys.prefix, stdout=asyncio.subprocess.PIPE
        )
        while not await client.exists(f"{keys.prefix}bench:ready"):
            await asyncio.sleep(0.05)
        began = time.perf_counter()
        written, points, write_lat = await write(database, rate, seconds, "run")
        write_rate = written / (time.perf_counter() - began)
        await client.set(f"{keys.prefix}bench:expected", written)
        out, _ = await child.communicate()
        elapsed = time.perf_counter() - began
        report = json.loads(out.decode().strip().splitlines()[-1])
        consumer_applied, deliveries, lags = report["applied"], report["deliveries"], report["lags"]
        board = await client.zrange(keys.all_time(), 0, -1, withscores=True)
        on_board = -int(sum(score for _m, score in board))
        return {
            "rate": rate,
            "seconds": seconds,
            "written": written,
            "applied": consumer_applied,
            "deliveries": deliveries,
            "lost": written - consumer_applied,
            "double_counted_points": on_board - points,
            "throughput_per_s": round(written / elapsed, 1),
            "lag_p50_ms": round(percentile(lags, 0.50) * 1000, 1),
            "lag_p95_ms": round(percentile(lags, 0.95) * 1000, 1),
            "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
            "lag_max_ms": round(max(lags) * 1000, 1) if lags else 0.0,
            "commit_p99_ms_with_bus": round(percentile(write_lat, 0.99) * 1000, 2),
            "commit_p99_ms_baseline": round(percentile(base_lat, 0.99) * 1000, 2),
            "baseline_written": base_n,
            "writers_per_s_with_bus": round(write_rate, 1),
            "writers_per_s_baseline": round(base_rate, 1),
        }
    finally:
        doomed = [k async for k in client.scan_iter(match=f"{keys.prefix}*", count=1000)]
        for start in range(0, len(doomed), 500):
            await client.delete(*doomed[start : start + 500])
        await client.aclose()
        await database.close()
        admin = await asyncpg.connect(PG)
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def worker(schema: str, prefix: str) -> None:
    """The child: relay + leaderboards consumer until the parent's count is applied; one JSON line."""
    database = create_database(URL, schema=schema, pool_size=4)
    client = aioredis.from_url(REDIS)
    keys = BoardKeys(prefix)
    bus = RedisStreamBus(client, stream=f"{prefix}events")
    consumer = Measured(client, keys)
    await bus.ensure_group(consumer.group)
    relay = Relay(database, bus, tuning=RelayTuning(poll_seconds=0.05))
    runner = ConsumerRunner(bus, consumer, name="bench", tuning=RunnerTuning(count=500, block_ms=100))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(runner.run(stop))]
    await client.set(f"{prefix}bench:ready", 1)
    while True:
        expected = await client.get(f"{prefix}bench:expected")
        if expected is not None and len(consumer.applied) >= int(expected):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)
    await client.aclose()
    await database.close()
    lags = [round(lag, 4) for lag in consumer.lags]
    print(json.dumps({"applied": len(consumer.applied), "deliveries": consumer.deliveries, "lags": lags}))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--worker", nargs=2, metavar=("SCHEMA", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        await worker(*args.worker)
        return
    row = await run(args.rate, args.seconds)
    print(
        f"{row['written']} decisions at {args.rate}/s: throughput {row['throughput_per_s']}/s, lag p50 "
        f"{row['lag_p50_ms']} ms p95 {row['lag_p95_ms']} ms p99 {row['lag_p99_ms']} ms; lost {row['lost']}, "
        f"points counted twice {row['double_counted_points']}; commit p99 {row['commit_p99_ms_with_bus']} ms "
        f"(baseline without the relay {row['commit_p99_ms_baseline']} ms); writers reached "
        f"{row['writers_per_s_with_bus']}/s (baseline {row['writers_per_s_baseline']}/s)"
    )
    ok = row["lost"] == 0 and row["double_counted_points"] == 0
    closing_line({"bench": "events", **row, "goal_met": ok and float(row["lag_p99_ms"]) < 1000})  # type: ignore[arg-type]
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
