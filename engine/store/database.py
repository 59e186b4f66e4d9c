"""One async engine per process, for PostgreSQL (asyncpg) or SQLite (aiosqlite).

SQLite has no ``SELECT ... FOR UPDATE``; instead every transaction starts with ``BEGIN IMMEDIATE`` so
writers queue on the database lock, which gives the same one-decision-at-a-time guarantee per player
(and per database). PostgreSQL locks the player's row, and its transactions are the driver's own
(asyncpg), begun and committed by :meth:`Database.transaction`; the SQLAlchemy engine itself runs
in AUTOCOMMIT mode so it never wraps statements in a transaction of its own. Tests isolate themselves
in a schema of their own (``schema=``), set as the connection's search_path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from engine.settings import Settings


@dataclass
class Database:
    engine: AsyncEngine
    url: str
    schema: str | None = None  # PostgreSQL search_path, when isolated (tests, benchmarks)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction. On PostgreSQL the driver owns it (see module docstring)."""
        if self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            # The checked-out connection, read without a greenlet hop (get_raw_connection() takes one).
            driver = conn.sync_connection.connection.driver_connection if conn.sync_connection else None
            assert driver is not None
            transaction = driver.transaction()
            await transaction.start()
            try:
                yield conn
            except BaseException:
                if driver.is_closed():
                    await conn.invalidate()  # never hand a dead connection back to the pool
                else:
                    await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except BaseException:
                if driver.is_closed():
                    await conn.invalidate()
                raise

    @property
    def transactional_engine(self) -> AsyncEngine:
        """An engine whose ``begin()`` really begins (migrations want transactional DDL)."""
        if self.is_sqlite:
            return self.engine
        return self.engine.execution_options(isolation_level="READ COMMITTED")

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.engine.dispose()


def create_database(
    url: str, *, schema: str | None = None, pool_size: int = 20, overflow: int | None = None
) -> Database:
    """``pool_size`` connections kept open (PostgreSQL); ``overflow`` more (default: as many) opened
    for a burst and closed when returned to a full pool: size the pool for the usual concurrency, or
    every burst opens and closes connections (bench/webhook.py: a fifth of the bot's throughput)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_immediate(engine)
        return Database(engine, url)
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if overflow is None else overflow,
        connect_args=connect_args,
        # SQLAlchemy never BEGINs on its own: Database.transaction() starts the driver's transaction,
        # which SQLAlchemy statements on that connection join. That saves the client most of its
        # per-decision CPU (bench/decisions.py) and keeps one transaction per decision.
        isolation_level="AUTOCOMMIT",
        # No pre-ping: it is a round trip per transaction. A dropped connection raises once inside
        # its transaction (rolled back, nothing written) and SQLAlchemy then discards the pool's
        # connections from before the drop (tests/runtime: connection killed mid-transaction).
        pool_pre_ping=False,
    )
    return Database(engine, url, schema)


def database_for(settings: Settings) -> Database:
    """The process' database as configured (URL, schema, pool): what the bot and the CLI open."""
    return create_database(
        settings.database_url,
        schema=settings.database_schema,
        pool_size=settings.database_pool_size,
        overflow=settings.database_pool_overflow,
    )


def _sqlite_immediate(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE below is what starts one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
