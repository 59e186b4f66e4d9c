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

The three servers run side by side and are timed in turn, ``--rounds`` times (each round: Diana, then
the two baselines, each player taking its share of the ``--presses``): the other work on the machine
drifts over a run, and alternating spreads that drift over all three; the ratio is also printed per
round. Every callback query must be answered exactly once (answerCallbackQuery calls seen by the fake).
Latency is the webhook POST's round trip as the client sees it: inline, that includes the handler's
database transaction and its calls back to the Bot API. Goal (issue 7): Diana inline >= 40% of the
inline baseline's throughput, p99 < 100 ms.

    .venv/bin/python bench/webhook.py [--players 3000] [--presses 8] [--rounds 4] [--concurrency 64]
                                      [--profile FILE.prof | FILE.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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
    RunningBot,
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


class Phases:
    """One server's timed phases, added up over the rounds (each round times every server once)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.total = Load()
        self.server = self.busy = self.machine = 0.0
        self.rates: list[float] = []  # updates/s of each round

    def add(self, load: Load, meter: Meter) -> None:
        for kind, values in load.latencies.items():
            self.total.latencies.setdefault(kind, []).extend(values)
        for status, count in load.statuses.items():
            self.total.statuses[status] = self.total.statuses.get(status, 0) + count
        self.total.callback_ids.extend(load.callback_ids)
        self.total.elapsed += load.elapsed
        self.total.cpu += load.cpu
        self.server += meter.server
        self.busy += meter.busy
        self.machine += meter.total
        self.rates.append(sum(load.statuses.values()) / load.elapsed if load.elapsed else 0.0)

    def result(self, fake: FakeTelegram) -> dict[str, Any]:
        load = self.total
        meter = Meter(0, self.server, self.busy, self.machine)
        once, unanswered = answered(fake, load.callback_ids)
        result = row(self.name, load)
        result.update(meter.per_update(load))
        result.update(
            updates=sum(load.statuses.values()),
            statuses={str(k): v for k, v in load.statuses.items()},
            callbacks=len(load.callback_ids),
            answered_once=once,
            unanswered=unanswered,
            round_rates=[round(rate, 1) for rate in self.rates],
        )
        return result


# -- Diana ------------------------------------------------------------------------------------------


class Diana:
    """The real bot on PostgreSQL, started once; each :meth:`phase` has every player take its turns."""

    def __init__(self, fake: FakeTelegram, running: RunningBot, hook: Webhook, concurrency: int) -> None:
        self.fake, self.running, self.hook, self.concurrency = fake, running, hook, concurrency
        self.screens: dict[int, Call] = {}
        self.phases = Phases("diana (inline, PG)")
        self.started = Load()

        def remember(call: Call) -> None:  # the message holding each player's current scene
            if call.method in VIEW_METHODS and call.ok and call.chat_id is not None:
                self.screens[call.chat_id] = call

        fake.listeners.append(remember)

    async def start(self, uid: int) -> tuple[str, int, float, str | None]:
        status, seconds = await self.hook.post(message_update(self.fake.new_update_id(), uid, "/start"))
        return "start", status, seconds, None

    async def press(self, uid: int) -> tuple[str, int, float, str | None]:
        screen = self.screens[uid]
        choices = [data for label, data in story_buttons(screen) if is_open(label)]
        update_id = self.fake.new_update_id()
        if not choices:  # the mood scene waits for words
            status, seconds = await self.hook.post(message_update(update_id, uid, MOOD_REPLY))
            return "message", status, seconds, None
        update = callback_update(update_id, uid, choices[0].pack(), as_message(screen, uid))
        status, seconds = await self.hook.post(update)
        return "callback_query", status, seconds, update["callback_query"]["id"]

    async def warm_up(self, players: list[int]) -> None:
        self.started = await run_players(players, 1, self.concurrency, self.start)
        assert len(self.screens) == len(players), f"{len(players) - len(self.screens)} players saw no scene"

    async def phase(self, players: list[int], turns: int) -> None:
        with Meter(self.running.process.pid) as meter:
            load = await run_players(players, turns, self.concurrency, self.press)
        self.phases.add(load, meter)

    async def result(self) -> dict[str, Any]:
        _, metrics = await self.running.get("/metrics")
        result = self.phases.result(self.fake)
        load = self.phases.total
        result["callbacks_only"] = row("  of which button presses", load, ("callback_query",))
        result["start"] = row("  /start (not in the ratio)", self.started)
        result.update(
            applied=int(metric(metrics, 'diana_decisions_total{outcome="applied"}')),
            decisions=int(metric(metrics, "diana_decisions_total")),
            throttled=int(metric(metrics, "diana_throttled_total")),
            errors=int(metric(metrics, "diana_errors_total")),
            tracebacks=sum(1 for line in self.running.lines if line.startswith("Traceback")),
        )
        return result


@asynccontextmanager
async def diana_server(schema: str, concurrency: int, profile: Path | None) -> AsyncIterator[Diana]:
    url = PG.replace("postgresql://", "postgresql+asyncpg://")
    database = create_database(url, schema=schema, pool_size=2)
    await upgrade(database)
    await PublishService(database).publish_path(ROOT / "content", author="bench")
    await database.close()

    fake = FakeTelegram()
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
    # As a deployment would be configured for this load: Telegram sends at most max_connections
    # updates at once, and the pool holds a connection for each (see docs/performance.md).
    env["WEBHOOK_MAX_CONNECTIONS"] = str(min(concurrency, 100))
    env["DATABASE_POOL_SIZE"] = str(concurrency)
    command = serve_command()
    if profile is not None:
        command = [sys.executable, "-m", "bench.support.profiled_serve", str(profile)]
    try:
        # a profiled server takes a while to write its report when it stops
        async with launch(command, env, fake, port, "webhook", stop_timeout=300) as running:
            running.output.watching = False
            hook = Webhook(port, concurrency, fake)
            try:
                yield Diana(fake, running, hook, concurrency)
            finally:
                await hook.close()
    finally:
        await fake.stop()


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


class Baseline:
    """The bare aiogram app, started once; each :meth:`phase` sends as many callback queries."""

    def __init__(
        self, fake: FakeTelegram, running: RunningBot, hook: Webhook, concurrency: int, background: bool
    ) -> None:
        self.fake, self.running, self.hook, self.concurrency = fake, running, hook, concurrency
        self.background = background
        self.phases = Phases("baseline (background)" if background else "baseline (inline)")
        self.sent = 0  # callback queries posted so far, warm-up included

    async def press(self, uid: int) -> tuple[str, int, float, str | None]:
        update = callback_update(self.fake.new_update_id(), uid, "p:AbCdEfGh:c:0", scene_message(uid))
        status, seconds = await self.hook.post(update)
        self.sent += 1
        return "callback_query", status, seconds, update["callback_query"]["id"]

    async def settle(self) -> None:
        """In background mode the 200s came first: wait for the answers that follow them."""
        if self.background:
            await self.fake.wait_for(
                "answerCallbackQuery", lambda _: len(self.fake.answered) >= self.sent, timeout=120
            )

    async def warm_up(self, players: list[int]) -> None:
        await run_players(players[: max(1, len(players) // 4)], 1, self.concurrency, self.press)
        await self.settle()

    async def phase(self, players: list[int], turns: int) -> None:
        with Meter(self.running.process.pid) as meter:
            load = await run_players(players, turns, self.concurrency, self.press)
        await self.settle()
        self.phases.add(load, meter)

    async def result(self) -> dict[str, Any]:
        assert self.running.process.poll() is None, "\n".join(self.running.lines[-20:])
        return self.phases.result(self.fake)


@asynccontextmanager
async def baseline_server(concurrency: int, *, background: bool) -> AsyncIterator[Baseline]:
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
    try:
        async with launch(command, env, fake, port, "webhook") as running:
            running.output.watching = False
            hook = Webhook(port, concurrency, fake)
            try:
                yield Baseline(fake, running, hook, concurrency, background)
            finally:
                await hook.close()
    finally:
        await fake.stop()


# -- main -------------------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]:.2f}-{ordered[-1]:.2f} (median {statistics.median(ordered):.2f})"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=3000)
    parser.add_argument("--presses", type=int, default=8, help="timed updates per player, over all rounds")
    parser.add_argument(
        "--rounds", type=int, default=4, help="times each server in turn this many times (load drifts)"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--profile", type=Path, help="profile the bot: FILE.prof cProfile, else pyinstrument text"
    )
    args = parser.parse_args()
    players = list(range(10_000_001, 10_000_001 + args.players))
    turns = [
        args.presses // args.rounds + (1 if r < args.presses % args.rounds else 0) for r in range(args.rounds)
    ]
    load_before = os.getloadavg()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        async with (
            diana_server(schema, args.concurrency, args.profile) as diana,
            baseline_server(args.concurrency, background=False) as inline,
            baseline_server(args.concurrency, background=True) as background,
        ):
            await diana.warm_up(players)
            await inline.warm_up(players)
            await background.warm_up(players)
            ratios: list[float] = []
            for count in turns:
                if count == 0:
                    continue
                await diana.phase(players, count)
                await inline.phase(players, count)
                await background.phase(players, count)
                ratios.append(diana.phases.rates[-1] / inline.phases.rates[-1])
            results = (await diana.result(), await inline.result(), await background.result())
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    diana_result, inline_result, background_result = results
    load_after = os.getloadavg()

    print(
        f"{args.players} players, {args.concurrency} concurrent clients, {args.presses} timed updates each "
        f"in {len(ratios)} rounds (each round times diana, then the baselines); load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after (2 cores)"
    )
    for result in (
        diana_result,
        diana_result["callbacks_only"],
        diana_result["start"],
        inline_result,
        background_result,
    ):
        show(result)
    ratio = diana_result["per_second"] / inline_result["per_second"]
    ratio_background = diana_result["per_second"] / background_result["per_second"]
    print(
        f"diana / baseline (inline) throughput: {ratio:.2f}   (vs background: {ratio_background:.2f}); "
        f"by round: {spread(ratios)}"
    )
    for result in results:
        print(
            f"{result['name']:<28} server CPU {result['server_cpu_ms_per_update']:.2f} ms/update "
            f"({result['server_cpu_share']:.0%} of a core); load generator + fake API "
            f"{result['client_cpu_share']:.0%} of a core; machine {result['machine_busy']:.0%} busy"
        )
    for result in results:
        print(
            f"{result['name']:<28} answered once {result['answered_once']}/{result['callbacks']}, "
            f"unanswered {result['unanswered']}, HTTP {result['statuses']}"
        )
    print(
        f"diana: {diana_result['applied']} decisions applied of {diana_result['decisions']}, "
        f"throttled {diana_result['throttled']}, errors {diana_result['errors']}, "
        f"tracebacks {diana_result['tracebacks']}"
    )
    little = args.concurrency / diana_result["per_second"] * 1000 if diana_result["per_second"] else 0.0
    print(
        f"Little's law: {args.concurrency} in flight at {diana_result['per_second']:.0f}/s is "
        f"{little:.0f} ms each on average; p99 < 100 ms at this concurrency needs well over "
        f"{args.concurrency * 10}/s"
    )
    throughput_goal = ratio >= 0.4
    latency_goal = diana_result["p99_ms"] < 100
    goal = throughput_goal and latency_goal
    print(
        f"goal >= 40% of the inline baseline: {'met' if throughput_goal else 'NOT met'} ({ratio:.3f}); "
        f"goal p99 < 100 ms: {'met' if latency_goal else 'NOT met'} ({diana_result['p99_ms']:.0f} ms; "
        f"the bare baseline's own p99 at this concurrency: {inline_result['p99_ms']:.0f} ms)"
    )
    closing_line(
        {
            "benchmark": "webhook",
            "players": args.players,
            "concurrency": args.concurrency,
            "rounds": len(ratios),
            "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
            "diana": diana_result,
            "baseline_inline": inline_result,
            "baseline_background": background_result,
            "ratio": round(ratio, 3),
            "ratio_by_round": [round(r, 3) for r in ratios],
            "ratio_vs_background": round(ratio_background, 3),
            "goal_met": goal,
            "throughput_goal_met": throughput_goal,
            "latency_goal_met": latency_goal,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
