"""Alembic environment: one history for PostgreSQL and SQLite.

`diana db upgrade` hands alembic an open connection (config.attributes["connection"]); plain `alembic`
commands build one from DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from engine.store.tables import metadata

config = context.config
target_metadata = metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    from engine.settings import load_settings

    context.configure(url=load_settings().database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online_from_settings() -> None:
    from engine.settings import load_settings
    from engine.store.database import create_database

    database = create_database(load_settings().database_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(run_with)
    await database.close()


if context.is_offline_mode():
    run_offline()
else:
    shared = config.attributes.get("connection")
    if shared is not None:
        run_with(shared)
    else:
        asyncio.run(run_online_from_settings())
