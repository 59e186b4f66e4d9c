"""Run alembic migrations from code (``diana db upgrade`` / ``diana db current``, tests, ``make run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from engine.store.database import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config()

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.transactional_engine.begin() as conn:
        await conn.run_sync(run)


async def current(database: Database) -> tuple[str | None, str | None]:
    """(the database's revision, the newest revision this code knows)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as conn:
        revision = await conn.run_sync(read)
    return revision, head
