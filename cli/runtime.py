"""Build the runtime a CLI command needs (settings → database → content → services), once per command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from engine.services.play import PlayService
from engine.services.release_channel import RedisReleaseChannel
from engine.services.releases import ActiveContent, NoActiveReleaseError
from engine.settings import Settings
from engine.store.database import Database, database_for
from engine.store.migrate import current


class NotMigratedError(RuntimeError):
    pass


@dataclass
class Runtime:
    settings: Settings
    database: Database
    content: ActiveContent
    play: PlayService


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    database = database_for(settings)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Database + the active release (kept live by the release watcher) + the services."""
    async with open_database(settings) as database:
        revision, head = await current(database)
        if revision != head:
            raise NotMigratedError(
                f"the database is at revision {revision or 'none'}, this code needs {head}: "
                "run 'diana db upgrade'"
            )
        channel = RedisReleaseChannel(settings.redis_url) if settings.redis_url else None
        content = ActiveContent(database, channel=channel)
        await content.start()
        if not content.ready:
            await content.stop()
            raise NoActiveReleaseError("no release is active yet: run 'diana publish' first")
        try:
            yield Runtime(settings, database, content, PlayService(database, content))
        finally:
            await content.stop()
