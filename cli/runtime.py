"""Build the runtime a CLI command needs (settings → database → content → services), once per command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from engine.content.api import build_path
from engine.content.bundle import Bundle
from engine.services.content import StaticContent
from engine.services.play import PlayService
from engine.settings import Settings
from engine.store.database import Database, create_database
from engine.store.migrate import current


class NotMigratedError(RuntimeError):
    pass


@dataclass
class Runtime:
    settings: Settings
    database: Database
    bundle: Bundle
    play: PlayService


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    database = create_database(settings.database_url)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def open_runtime(settings: Settings, content_dir: Path) -> AsyncIterator[Runtime]:
    _, bundle = build_path(content_dir)
    async with open_database(settings) as database:
        revision, head = await current(database)
        if revision != head:
            raise NotMigratedError(
                f"the database is at revision {revision or 'none'}, this code needs {head}: "
                "run 'diana db upgrade'"
            )
        yield Runtime(settings, database, bundle, PlayService(database, StaticContent(bundle)))
