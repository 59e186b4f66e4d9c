"""The bot with REDIS_URL: its background relay and consumers keep the Redis boards, /top reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bus.boards import member
from engine.store.database import Database
from tests.bus.conftest import RedisSpace, redis_space  # noqa: F401 (the fixture)
from tests.telegram.conftest import Player, eventually, start_bot

IVO, JUNE = 5_300_001, 5_300_002


@pytest.mark.slow
@pytest.mark.postgres
async def test_top_reads_the_boards_the_bots_own_consumers_keep_in_redis(
    request: pytest.FixtureRequest,
    postgres_database: Database,
    tmp_path: Path,
    redis_space: RedisSpace,  # noqa: F811
) -> None:
    redis = {"REDIS_URL": redis_space.url, "REDIS_PREFIX": redis_space.prefix}
    board = redis_space.keys.all_time()
    async with start_bot("webhook", postgres_database, tmp_path, request, extra=redis) as bot:
        ivo, june = Player(bot, IVO, "es", "Ivo"), Player(bot, JUNE, "en", "June")
        await ivo.start()
        await june.start()

        async def both_on_the_board() -> bool:
            return await redis_space.client.zcard(board) == 2

        await eventually(both_on_the_board, "the bot's consumers put both players on the Redis board")
        # Make Redis say something the database cannot: /top shows it, so it read Redis.
        await redis_space.client.zadd(board, {member(JUNE): -777})
        top = next(c for c in await ivo.say("/top") if c.method == "sendMessage").text
        lines = top.splitlines()
        assert lines[1] == "1. June — 777" and lines[2].startswith("2. Ivo — ")
        assert lines[-1] == "Tu puesto: #2"
