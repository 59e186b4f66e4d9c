"""Decisions per second through PlayService on PostgreSQL, against a bare asyncpg baseline.

N simulated players, C at a time, each pressing the first open button of its current view through the
real service (lock, nonce check, interpreter, state + ledger + decision + outbox writes, commit). The
baseline, in the same run on the same server, is the bare transaction the design measures: SELECT ... FOR
UPDATE; UPDATE; INSERT on a same-shaped table, through a raw asyncpg pool.

    .venv/bin/python bench/decisions.py [--players 5000] [--concurrency 32] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import sqlalchemy as sa

from bench._common import closing_line, show, summary
from engine.content.api import build_path
from engine.services.content import StaticContent
from engine.services.play import Decision, PlayService
from engine.store.database import create_database
from engine.store.migrate import upgrade
from engine.store.players import UserInfo

PG = os.environ.get("DIANA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]


async def press(play: PlayService, user_id: int, last: Decision) -> Decision:
    """The first open button of the view (or a mood reply), like a player who always goes on."""
    view = last.view
    assert view is not None
    if view.expects == "mood":
        return await play.say(user_id, "estoy feliz")
    for button in view.buttons:
        if not button.enabled:
            continue
        return await play.press(user_id, last.nonce, button.action, button.index)
    return await play.restart(user_id)
    return await play.restart(user_id)


async def run_service(schema: str, players: int, concurrency: int, rounds: int) -> dict[str, object]:
    _, bundle = build_path(ROOT / "content")
    url = PG.replace("postgresql://", "postgresql+asyncpg://")
    database = create_database(url, schema=schema, pool_size=concurrency)
    await upgrade(database)
    play = PlayService(database, StaticContent(bundle))
    last: dict[int, Decision] = {}
    ids = list(range(1, players + 1))

    async def start_all(chunk: list[int]) -> None:
        for uid in chunk:
            last[uid] = await play.start(UserInfo(uid, f"P{uid}", language="es"))

    await asyncio.gather(*(start_all(ids[i::concurrency]) for i in range(concurrency)))
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for _ in range(rounds):
        for uid in ids:
            queue.put_nowait(uid)
    applied = 0

    async def worker() -> None:
        nonlocal applied
        while not queue.empty():
            uid = queue.get_nowait()
            began = time.perf_counter()
            decision = await press(play, uid, last[uid])
            latencies.append(time.perf_counter() - began)
            if decision.view is not None:
                last[uid] = decision
            applied += decision.applied

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    row = summary("PlayService (PG)", latencies, elapsed)
    row["client_cpu_ms_per_op"] = round((time.process_time() - cpu) / max(len(latencies), 1) * 1000, 3)
    row["applied"] = applied
    async with database.connect() as conn:
        ledger_ok = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM user_gamification g WHERE g.balance <> "
                "(SELECT coalesce(sum(amount), 0) FROM points_transactions t WHERE t.user_id = g.user_id)"
            )
        )
    row["ledger_mismatches"] = int(ledger_ok or 0)
    await database.close()
    return row


async def run_baseline(schema: str, players: int, concurrency: int, total: int) -> dict[str, object]:
    pool = await asyncpg.create_pool(
        PG, min_size=concurrency, max_size=concurrency, server_settings={"search_path": schema}
    )
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE base_players (id bigint PRIMARY KEY, turn int NOT NULL, state jsonb NOT NULL);"
            "CREATE TABLE base_log (id bigserial PRIMARY KEY, player bigint, turn int, at timestamptz)"
        )
        await conn.executemany(
            "INSERT INTO base_players VALUES ($1, 0, $2)",
            [(i, json.dumps({"scene": "a.b"})) for i in range(1, players + 1)],
        )
    latencies: list[float] = []
    counter = itertools.count()

    async def worker() -> None:
        async with pool.acquire() as conn:
            while (n := next(counter)) < total:
                pid = n % players + 1
                began = time.perf_counter()
                async with conn.transaction():
                    row = await conn.fetchrow(
                        "SELECT turn, state FROM base_players WHERE id = $1 FOR UPDATE", pid
                    )
                    await conn.execute(
                        "UPDATE base_players SET turn = $2, state = $3 WHERE id = $1",
                        pid,
                        row["turn"] + 1,
                        row["state"],
                    )
                    await conn.execute(
                        "INSERT INTO base_log (player, turn, at) VALUES ($1, $2, now())", pid, row["turn"]
                    )
                latencies.append(time.perf_counter() - began)

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await pool.close()
    row = summary("baseline (raw asyncpg)", latencies, elapsed)
    row["client_cpu_ms_per_op"] = round((time.process_time() - cpu) / max(len(latencies), 1) * 1000, 3)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="decisions per player")
    parser.add_argument("--profile", action="store_true", help="pyinstrument report of the service run")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
            profiler.start()
        service = await run_service(schema, args.players, args.concurrency, args.rounds)
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False)[:6000])
        baseline = await run_baseline(schema, args.players, args.concurrency, int(service["count"]))
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    print(f"players {args.players}, concurrency {args.concurrency}, {args.rounds} decisions each")
    show(service)  # type: ignore[arg-type]
    show(baseline)  # type: ignore[arg-type]
    ratio = float(service["per_second"]) / float(baseline["per_second"])
    print(f"service / baseline throughput: {ratio:.2f}")
    closing_line(
        {"benchmark": "decisions", "service": service, "baseline": baseline, "ratio": round(ratio, 3)}
    )


if __name__ == "__main__":
    asyncio.run(main())
