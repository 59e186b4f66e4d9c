"""Persistence adapters: SQLAlchemy Core (async) over PostgreSQL (asyncpg) or SQLite (aiosqlite)."""
