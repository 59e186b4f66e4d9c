"""A relay that dies (SIGKILL, no cleanup of any kind) right after XADD and before marking its rows.

Run by tests/bus/test_failures.py as ``python -m tests.bus.crash_relay URL SCHEMA REDIS_URL STREAM``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from engine.bus.base import BusEvent
from engine.bus.redis_streams import RedisStreamBus
from engine.bus.relay import Relay
from engine.store.database import create_database


def die(_events: list[BusEvent]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(url: str, schema: str, redis_url: str, stream: str) -> None:
    database = create_database(url, schema=schema or None, pool_size=1)
    bus = RedisStreamBus.from_url(redis_url, stream=stream)
    await Relay(database, bus, after_publish=die).relay_once()
    raise SystemExit("the relay was meant to be killed after publishing")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
