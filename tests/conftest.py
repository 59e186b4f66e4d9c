"""Shared fixtures: the example story's bundle, and a migrated database on SQLite and on PostgreSQL.

PostgreSQL tests run against the server at 127.0.0.1:5432 (database ``test``), each test in a schema of
its own so parallel or repeated runs never collide. With ``CI=true`` a missing server fails the run
instead of skipping: CI must never go green without having tested PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from engine.content.api import build_path
from engine.content.bundle import Bundle
from engine.store.database import Database, create_database
from engine.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
PG_URL = os.environ.get("DIANA_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_state: dict[str, object] = {}


async def _postgres_reachable() -> str | None:
    """None when reachable, else why not (checked once per session)."""
    if "error" not in _pg_state:
        import asyncpg

        try:
            dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
            conn = await asyncpg.connect(dsn, timeout=5)
            await conn.close()
            _pg_state["error"] = None
        except Exception as exc:  # any failure to connect means "not reachable"
            _pg_state["error"] = f"{type(exc).__name__}: {exc}"
    error = _pg_state["error"]
    return None if error is None else str(error)


async def require_postgres() -> None:
    error = await _postgres_reachable()
    if error is None:
        return
    message = f"PostgreSQL at {PG_URL} is not reachable ({error})"
    if IN_CI:
        pytest.fail(message + "; CI=true makes this a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def example_bundle() -> Bundle:
    _, bundle = build_path(CONTENT)
    return bundle


async def _postgres_schema(schema: str, *, drop: bool) -> None:
    admin = create_database(PG_URL, pool_size=1)
    from sqlalchemy import text

    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if not drop:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.close()


@asynccontextmanager
async def open_test_database(kind: str, folder: Path) -> AsyncIterator[Database]:
    """A freshly migrated database: an SQLite file in ``folder``, or a new PostgreSQL schema."""
    if kind == "sqlite":
        db = create_database(f"sqlite+aiosqlite:///{folder / 'diana.db'}")
        try:
            await upgrade(db)
            yield db
        finally:
            await db.close()
        return
    await require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _postgres_schema(schema, drop=False)
    db = create_database(PG_URL, schema=schema, pool_size=8)
    try:
        await upgrade(db)
        yield db
    finally:
        await db.close()
        await _postgres_schema(schema, drop=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same test on both dialects."""
    async with open_test_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
def db_location(database: Database) -> tuple[str, str]:
    """(url, schema) of this test's database, for child processes."""
    return database.url, database.schema or ""


@pytest.fixture
async def postgres_database(tmp_path: Path) -> AsyncIterator[Database]:
    """For behaviour only PostgreSQL has (killing a server connection, LISTEN/NOTIFY)."""
    async with open_test_database("postgres", tmp_path) as db:
        yield db
