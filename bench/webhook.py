"""Webhook throughput of the real bot on PostgreSQL against a bare aiogram app, in the same run.

Both servers run as subprocesses; this process plays Telegram: it runs the fake Bot API
(tests/telegram/fake_api.py) they call back into, and 64 (``--concurrency``) HTTP clients POSTing
real updates to their webhook with the secret header.

* Diana: ``diana serve`` in webhook mode (updates handled inline, ``handle_in_background=False``),
  on PostgreSQL in a schema of its own with the example story published. Every player first sends
  /start (not timed), then keeps pressing the first open button of the scene on their screen, with
  that message as the callback's ``message`` (a photo, or the text message edited in place), and
  answers the mood scene in words: with the default 8 timed updates per player, 7 button presses
  (the first one on the opening photo) and 1 text message. A player's next update is only sent once
  the previous one was answered, and players take turns, so nobody trips the flood guard (checked:
  diana_throttled_total stays 0).
* Baseline: ``bench/support/baseline_bot.py``, aiohttp + SimpleRequestHandler + one handler that
  answers the callback query, no database; as many callback queries from the same players, carrying
  a scene-sized message with three buttons (so both parse updates of the same size). Measured inline
  (our mode) and in aiogram's default background mode (HTTP 200 before handling).

Every callback query must be answered exactly once (answerCallbackQuery calls seen by the fake).
Latency is the webhook POST's round trip as the client sees it: inline, that includes the handler's
database transaction and its calls back to the Bot API. Goal (issue 7): Diana inline >= 40% of the
inline baseline's throughput, p99 < 100 ms.

    .venv/bin/python bench/webhook.py [--players 3000] [--presses 8] [--concurrency 64] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import asyncpg

from bench._common import closing_line, show, summary
from engine.services.publish import PublishService
from engine.store.database import create_database
from engine.store.migrate import upgrade
from tests.telegram.fake_api import Call, FakeTelegram, callback_update, message_update, webhook_reply
from tests.telegram.harness import (
    SECRET,
    SECRET_HEADER,
    VIEW_METHODS,
    WEBHOOK_PATH,
    as_message,
    bot_env,
    free_port,
    is_open,
    launch,
    serve_command,
    story_buttons,
)

PG = os.environ.get("DIANA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
MOOD_REPLY = "estoy feliz, de verdad"
Update = dict[str, Any]


@dataclass
class Load:
    """One timed phase: POSTs and their latencies (seconds), by kind of update."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    callback_ids: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0  # this process's CPU seconds (fake Bot API + clients) during the phase

    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


class Webhook:
    """POSTs updates to one server's webhook with the secret, like Telegram's delivery; a method the
    server puts in its reply is then carried out on the fake Bot API, as Telegram would."""

    def __init__(self, port: int, concurrency: int, fake: FakeTelegram) -> None:
        self.url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        self.fake = fake
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency), headers={SECRET_HEADER: SECRET}
        )

    async def post(self, update: Update) -> tuple[int, float]:
        began = time.perf_counter()
        async with self.http.post(self.url, json=update) as response:
            reply = await webhook_reply(response)
        seconds = time.perf_counter() - began
        if reply is not None:
            await self.fake.execute(*reply)
        return response.status, seconds

    async def close(self) -> None:
        await self.http.close()


async def run_players(
    players: list[int],
    turns: int,
    concurrency: int,
    act: Callable[[int], Awaitable[tuple[str, int, float, str | None]]],
) -> Load:
    """Each player takes ``turns`` actions, one at a time, players in turn; ``concurrency`` at once."""
    load = Load()
    queue: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
    for uid in players:
        queue.put_nowait((uid, turns))
    finished = 0

    async def worker() -> None:
        nonlocal finished
        while (item := await queue.get()) is not None:
            uid, left = item
            kind, status, seconds, query_id = await act(uid)
            load.latencies.setdefault(kind, []).append(seconds)
            load.statuses[status] = load.statuses.get(status, 0) + 1
            if query_id is not None:
                load.callback_ids.append(query_id)
            if left > 1:
                queue.put_nowait((uid, left - 1))
            else:
                finished += 1
                if finished == len(players):
                    for _ in range(concurrency):
                        queue.put_nowait(None)

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.elapsed, load.cpu = time.perf_counter() - began, time.process_time() - cpu
    return load


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0, 0.0
    ticks = [int(x) for x in first]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks) - idle) / TICK, sum(ticks) / TICK


@dataclass
class Meter:
    """CPU used over a phase: by the server process, and by the whole machine (PostgreSQL, this
    process, and anything else running: a busy machine shows here)."""

    pid: int
    server: float = 0.0
    busy: float = 0.0
    total: float = 0.0

    def __enter__(self) -> Meter:
        self.server = cpu_seconds(self.pid)
        self.busy, self.total = machine_cpu()
        return self

    def __exit__(self, *_: object) -> None:
        busy, total = machine_cpu()
        self.server = cpu_seconds(self.pid) - self.server
        self.busy, self.total = busy - self.busy, total - self.total

    def per_update(self, load: Load) -> dict[str, float]:
        count = max(1, sum(load.statuses.values()))
        return {
            "server_cpu_ms_per_update": round(self.server / count * 1000, 3),
            "server_cpu_share": round(self.server / load.elapsed, 2) if load.elapsed else 0.0,
            "machine_busy": round(self.busy / self.total, 2) if self.total else 0.0,
        }


def answered(fake: FakeTelegram, query_ids: list[str]) -> tuple[int, int]:
    """(queries answered exactly once, queries not answered) among ``query_ids``."""
    counts: dict[str, int] = {}
    for call in fake.calls:
        if call.method == "answerCallbackQuery" and call.ok:
            key = str(call.params.get("callback_query_id"))
            counts[key] = counts.get(key, 0) + 1
    once = sum(1 for q in query_ids if counts.get(q) == 1)
    return once, sum(1 for q in query_ids if q not in counts)


def metric(text: str, name: str) -> float:
    """Sum of a Prometheus metric's samples (all label sets) in an exposition text."""
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+-]+)$", re.MULTILINE)
    return sum(float(value) for value in pattern.findall(text))


def row(name: str, load: Load, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    samples = load.all() if kinds is None else [x for k in kinds for x in load.latencies.get(k, [])]
    result: dict[str, Any] = summary(name, samples, load.elapsed)
    result["client_cpu_share"] = round(load.cpu / load.elapsed, 2) if load.elapsed else 0.0
    return result


# -- Diana ------------------------------------------------------------------------------------------


async def bench_diana(
    schema: str, players: list[int], presses: int, concurrency: int, profile: Path | None = None
) -> dict[str, Any]:
    url = PG.replace("postgresql://", "postgresql+asyncpg://")
    database = create_database(url, schema=schema, pool_size=2)
    await upgrade(database)
    await PublishService(database).publish_path(ROOT / "content", author="bench")
    await database.close()

    fake = FakeTelegram()
    screens: dict[int, Call] = {}

    def remember(call: Call) -> None:  # the message holding each player's current scene
        if call.method in VIEW_METHODS and call.ok and call.chat_id is not None:
            screens[call.chat_id] = call

    fake.listeners.append(remember)
    await fake.start()
    port = free_port()
    env = bot_env(
        fake,
        port,
        "webhook",
        database_url=url,
        database_schema=schema,
        content_dir=ROOT / "content",
    )
    command = serve_command()
    if profile is not None:
        command = [sys.executable, "-m", "bench.support.profiled_serve", str(profile)]
    # a profiled server takes a while to write its report when it stops
    async with launch(command, env, fake, port, "webhook", stop_timeout=300) as running:
        running.output.watching = False
        hook = Webhook(port, concurrency, fake)
        try:

            async def start(uid: int) -> tuple[str, int, float, str | None]:
                status, seconds = await hook.post(message_update(fake.new_update_id(), uid, "/start"))
                return "start", status, seconds, None

            async def press(uid: int) -> tuple[str, int, float, str | None]:
                screen = screens[uid]
                choices = [data for label, data in story_buttons(screen) if is_open(label)]
                update_id = fake.new_update_id()
                if not choices:  # the mood scene waits for words
                    status, seconds = await hook.post(message_update(update_id, uid, MOOD_REPLY))
                    return "message", status, seconds, None
                update = callback_update(update_id, uid, choices[0].pack(), as_message(screen, uid))
                status, seconds = await hook.post(update)
                return "callback_query", status, seconds, update["callback_query"]["id"]

            started = await run_players(players, 1, concurrency, start)
            assert len(screens) == len(players), f"{len(players) - len(screens)} players saw no scene"
            with Meter(running.process.pid) as meter:
                load = await run_players(players, presses, concurrency, press)
            _, metrics = await running.get("/metrics")
        finally:
            await hook.close()
        bot_lines = running.lines
    await fake.stop()

    once, unanswered = answered(fake, load.callback_ids)
    result = row("diana (inline, PG)", load)
    result["callbacks_only"] = row("  of which button presses", load, ("callback_query",))
    result["start"] = row("  /start (not in the ratio)", started)
    result.update(meter.per_update(load))
    result.update(
        updates=sum(load.statuses.values()),
        statuses={str(k): v for k, v in load.statuses.items()},
        callbacks=len(load.callback_ids),
        answered_once=once,
        unanswered=unanswered,
        applied=int(metric(metrics, 'diana_decisions_total{outcome="applied"}')),
        decisions=int(metric(metrics, "diana_decisions_total")),
        throttled=int(metric(metrics, "diana_throttled_total")),
        errors=int(metric(metrics, "diana_errors_total")),
        tracebacks=sum(1 for line in bot_lines if line.startswith("Traceback")),
    )
    return result


def scene_message(user_id: int) -> dict[str, Any]:
    """A message like the ones Diana's players press buttons on (a scene's text and three choices),
    so that both servers parse updates of the same size."""
    buttons = [
        [{"text": label, "callback_data": f"p:AbCdEfGh:c:{index}"}]
        for index, label in enumerate(("Acercarte a su mesa", "Preguntarle a Lucien por ella", "Esperar"))
    ]
    return {
        "message_id": 1000 + user_id % 1000,
        "date": 0,
        "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
        "text": "<b>Diana</b>\n\n"
        + "Llueve sobre la calle del Reloj como si la ciudad tuviera algo que olvidar. " * 6,
        "reply_markup": {"inline_keyboard": buttons},
    }


# -- baseline ---------------------------------------------------------------------------------------


async def bench_baseline(
    players: list[int], presses: int, concurrency: int, *, background: bool
) -> dict[str, Any]:
    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE": fake.base_url,
        "WEBHOOK_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "BASELINE_BACKGROUND": "1" if background else "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "bench.support.baseline_bot"]
    async with launch(command, env, fake, port, "webhook") as running:
        running.output.watching = False
        hook = Webhook(port, concurrency, fake)
        try:

            async def press(uid: int) -> tuple[str, int, float, str | None]:
                update = callback_update(fake.new_update_id(), uid, "p:AbCdEfGh:c:0", scene_message(uid))
                status, seconds = await hook.post(update)
                return "callback_query", status, seconds, update["callback_query"]["id"]

            await run_players(players[: max(1, len(players) // 4)], 1, concurrency, press)  # warm up
            with Meter(running.process.pid) as meter:
                load = await run_players(players, presses, concurrency, press)
            if background:  # the 200s came first: wait for the answers that follow them
                answers = len(load.callback_ids)
                await fake.wait_for(
                    "answerCallbackQuery",
                    lambda _: len(fake.answered) >= answers + len(players) // 4,
                    timeout=120,
                )
        finally:
            await hook.close()
        assert running.process.poll() is None, "\n".join(running.lines[-20:])
    await fake.stop()
    once, unanswered = answered(fake, load.callback_ids)
    name = "baseline (background)" if background else "baseline (inline)"
    result = row(name, load)
    result.update(meter.per_update(load))
    result.update(
        updates=sum(load.statuses.values()),
        statuses={str(k): v for k, v in load.statuses.items()},
        callbacks=len(load.callback_ids),
        answered_once=once,
        unanswered=unanswered,
    )
    return result


# -- main -------------------------------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=3000)
    parser.add_argument("--presses", type=int, default=8, help="timed updates per player")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--profile", type=Path, help="run the bot under pyinstrument, report to this file")
    args = parser.parse_args()
    players = list(range(10_000_001, 10_000_001 + args.players))
    load_before = os.getloadavg()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        diana = await bench_diana(schema, players, args.presses, args.concurrency, args.profile)
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    inline = await bench_baseline(players, args.presses, args.concurrency, background=False)
    background = await bench_baseline(players, args.presses, args.concurrency, background=True)
    load_after = os.getloadavg()

    print(
        f"{args.players} players, {args.concurrency} concurrent clients, {args.presses} timed updates each; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (2 cores)"
    )
    for result in (diana, diana["callbacks_only"], diana["start"], inline, background):
        show(result)
    ratio = diana["per_second"] / inline["per_second"]
    ratio_background = diana["per_second"] / background["per_second"]
    print(f"diana / baseline (inline) throughput: {ratio:.2f}   (vs background: {ratio_background:.2f})")
    for result in (diana, inline, background):
        print(
            f"{result['name']:<28} server CPU {result['server_cpu_ms_per_update']:.2f} ms/update "
            f"({result['server_cpu_share']:.0%} of a core); load generator + fake API "
            f"{result['client_cpu_share']:.0%} of a core; machine {result['machine_busy']:.0%} busy"
        )
    for result in (diana, inline, background):
        print(
            f"{result['name']:<28} answered once {result['answered_once']}/{result['callbacks']}, "
            f"unanswered {result['unanswered']}, HTTP {result['statuses']}"
        )
    print(
        f"diana: {diana['applied']} decisions applied of {diana['decisions']}, "
        f"throttled {diana['throttled']}, errors {diana['errors']}, tracebacks {diana['tracebacks']}"
    )
    goal = ratio >= 0.4 and diana["p99_ms"] < 100
    print(f"goal (>= 40% of the inline baseline and p99 < 100 ms): {'met' if goal else 'NOT met'}")
    closing_line(
        {
            "benchmark": "webhook",
            "players": args.players,
            "concurrency": args.concurrency,
            "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
            "diana": diana,
            "baseline_inline": inline,
            "baseline_background": background,
            "ratio": round(ratio, 3),
            "ratio_vs_background": round(ratio_background, 3),
            "goal_met": goal,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
