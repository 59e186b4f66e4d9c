"""`diana worker --drain`, `diana events status|stats`, `diana leaderboard rebuild|show` as processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.content.bundle import Bundle
from engine.store.database import Database
from tests.bus.conftest import RedisSpace
from tests.bus.support import unpublished
from tests.services.support import ANA, BEA, NOON, clock, play_service

ROOT = Path(__file__).resolve().parents[2]


async def diana(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def environment(database: Database, space: RedisSpace | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))}
    env.update(DATABASE_URL=database.url, COLUMNS="120")
    if database.schema:
        env["DATABASE_SCHEMA"] = database.schema
    if space is not None:
        env.update(REDIS_URL=space.url, REDIS_PREFIX=space.prefix)
    return env


@pytest.mark.slow
@pytest.mark.postgres
async def test_worker_drain_then_boards_stats_and_rebuild(
    postgres_database: Database, example_bundle: Bundle, redis_space: RedisSpace
) -> None:
    database = postgres_database
    play = play_service(database, example_bundle, clock())
    await play.start(ANA)
    await play.start(BEA)
    backlog = await unpublished(database)
    env = environment(database, redis_space)

    status = await diana(env, "events", "status", "--format", "json")
    assert status.returncode == 1, status.stderr  # a backlog waits
    assert json.loads(status.stdout)["backlog"] == backlog

    drained = await diana(env, "worker", "--drain", "--format", "json")
    assert drained.returncode == 0, drained.stderr
    assert json.loads(drained.stdout) == {
        "published": backlog,
        "applied": {"leaderboards": backlog, "analytics": backlog},
    }
    status = await diana(env, "events", "status", "--format", "json")
    assert status.returncode == 0 and json.loads(status.stdout)["length"] == backlog

    shown = await diana(env, "leaderboard", "show", "--user", str(BEA.id), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    board = json.loads(shown.stdout)
    assert board["source"] == "redis"
    assert [(e["user_id"], e["score"]) for e in board["entries"]] == [(ANA.id, 50), (BEA.id, 50)]
    assert board["own"]["rank"] == 2

    stats = await diana(env, "events", "stats", "--day", NOON.date().isoformat(), "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert sum(json.loads(stats.stdout)["events"].values()) == backlog

    await redis_space.client.delete(redis_space.keys.all_time())  # Redis lost its data
    rebuilt = await diana(env, "leaderboard", "rebuild", "--format", "json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["boards"][redis_space.keys.all_time()] == 2
    again = await diana(env, "leaderboard", "show", "--user", str(BEA.id), "--format", "json")
    assert json.loads(again.stdout)["entries"] == board["entries"]
    human = await diana(env, "leaderboard", "show")
    assert human.returncode == 0 and "Ana" in human.stdout and "all (from redis)" in human.stdout
    # The events happened in another week than the real clock's: this week's board is empty.
    week = await diana(env, "leaderboard", "show", "--board", "week", "--format", "json")
    assert json.loads(week.stdout)["entries"] == []


async def test_commands_without_redis_say_so_and_show_the_database(
    database: Database, example_bundle: Bundle
) -> None:
    await play_service(database, example_bundle, clock()).start(ANA)
    env = environment(database, None)
    for command in (["worker"], ["leaderboard", "rebuild"], ["events", "stats"]):
        result = await diana(env, *command)
        assert result.returncode == 2, command
        assert "REDIS_URL" in result.stderr
    shown = await diana(env, "leaderboard", "show", "--user", str(ANA.id), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["source"] == "database"
    bad = await diana(env, "leaderboard", "show", "--board", "chapter")
    assert bad.returncode == 2 and "chapter" in bad.stderr
