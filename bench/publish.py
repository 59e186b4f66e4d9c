"""Publishing at scale, and how fast every replica serves a new release.

1. Publish time: generated stories of 2k and 100k scenes (bench/lint_scale.py's generator, same seed,
   same bytes) published into a fresh PostgreSQL schema: lint + compile, then the one transaction that
   stores the bundle and its normalized rows and moves the pointer.
2. Hot-reload latency: three listener processes (each an ActiveContent, as in a bot replica) on the same
   database; 20 publishes of the example story, each with one changed line; for each publish, the time
   from the publish's commit until each of the three processes reports the new release live.

    .venv/bin/python bench/publish.py [--sizes 2000,100000] [--publishes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench._common import closing_line
from bench.lint_scale import generate
from engine.content.api import build_path
from engine.services.publish import PublishService
from engine.store.database import create_database
from engine.store.migrate import upgrade

PG = os.environ.get("DIANA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
URL = PG.replace("postgresql://", "postgresql+asyncpg://")
ROOT = Path(__file__).resolve().parents[1]

LISTENER = """
import asyncio, sys, time
from engine.services.releases import ActiveContent
from engine.store.database import create_database

async def main():
    db = create_database(sys.argv[1], schema=sys.argv[2])
    content = ActiveContent(db, on_change=lambda rid, b: print("release", rid, time.time(), flush=True))
    await content.start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def fresh_schema() -> str:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE SCHEMA {schema}")
    await admin.close()
    return schema


async def drop_schema(schema: str) -> None:
    admin = await asyncpg.connect(PG)
    await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    await admin.close()


async def publish_time(size: int, seed: int, folder: Path) -> dict[str, float | int]:
    story = generate(folder / f"story-{size}", size, seed)
    schema = await fresh_schema()
    database = create_database(URL, schema=schema)
    try:
        await upgrade(database)
        load = os.getloadavg()[0]
        began, cpu = time.perf_counter(), time.process_time()
        _, bundle = build_path(story)
        built, built_cpu = time.perf_counter(), time.process_time()
        outcome = await PublishService(database).publish(bundle, author="bench")
        done = time.perf_counter()
        assert outcome.status == "published", outcome.message
    finally:
        await database.close()
        await drop_schema(schema)
    return {
        "scenes": len(bundle.scenes),
        "lint_compile_s": round(built - began, 2),
        # CPU seconds of this process: steadier than wall time when others share the two cores.
        "lint_compile_cpu_s": round(built_cpu - cpu, 2),
        "load_average": round(load, 2),
        "transaction_s": round(done - built, 2),
        "total_s": round(done - began, 2),
    }


class Listener:
    def __init__(self, schema: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LISTENER, URL, schema],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.seen: dict[int, float] = {}
        self.ready = threading.Event()
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            parts = line.split()
            if parts[:1] == ["ready"]:
                self.ready.set()
            elif parts[:1] == ["release"]:
                with self.changed:
                    self.seen[int(parts[1])] = float(parts[2])
                    self.changed.notify_all()

    def wait_for(self, release: int, timeout: float = 30) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: release in self.seen, timeout):
                raise RuntimeError(f"a listener never served release {release}")
            return self.seen[release]


async def reload_latency(publishes: int, folder: Path) -> dict[str, float]:
    story = folder / "content"
    shutil.copytree(ROOT / "content", story)
    chapter = story / "chapters" / "01-encuentro.yaml"
    original = chapter.read_text(encoding="utf-8")
    schema = await fresh_schema()
    database = create_database(URL, schema=schema)
    listeners: list[Listener] = []
    latencies: list[float] = []
    try:
        await upgrade(database)
        publisher = PublishService(database)
        await publisher.publish_path(story, author="bench")
        listeners = [Listener(schema) for _ in range(3)]
        for listener in listeners:
            listener.ready.wait(60)
        for number in range(publishes):
            chapter.write_text(
                original.replace("Llueve sobre la calle", f"Llueve ({number}) sobre la calle"),
                encoding="utf-8",
            )
            _, bundle = build_path(story)
            outcome = await publisher.publish(bundle, author="bench")
            committed = time.time()
            assert outcome.release is not None
            slowest = max(
                await asyncio.gather(
                    *(asyncio.to_thread(lst.wait_for, outcome.release.id) for lst in listeners)
                )
            )
            latencies.append(slowest - committed)
    finally:
        for listener in listeners:
            listener.process.kill()
        await database.close()
        await drop_schema(schema)
    return {
        "publishes": publishes,
        "all_three_median_ms": round(statistics.median(latencies) * 1000, 1),
        "all_three_max_ms": round(max(latencies) * 1000, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--publishes", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="diana-publish-bench-"))
    figures: dict[str, object] = {"bench": "publish"}
    try:
        for size in (int(s) for s in args.sizes.split(",") if s):
            row = await publish_time(size, args.seed, folder)
            figures[f"publish_{size}"] = row
            print(
                f"publish {size:>7} scenes: lint+compile {row['lint_compile_s']:6.2f} s "
                f"({row['lint_compile_cpu_s']:.2f} s CPU), transaction {row['transaction_s']:6.2f} s, "
                f"total {row['total_s']:6.2f} s (load average {row['load_average']})"
            )
        reload = await reload_latency(args.publishes, folder)
        figures["reload"] = reload
        print(
            f"hot reload, 3 listeners, {reload['publishes']} publishes: median "
            f"{reload['all_three_median_ms']} ms, max {reload['all_three_max_ms']} ms (commit to all three)"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    closing_line(figures)


if __name__ == "__main__":
    asyncio.run(main())
