"""Settings fail at start with one line naming the bad setting."""

from __future__ import annotations

import pytest
from sqlalchemy.pool import AsyncAdaptedQueuePool

from cli.runtime import open_database
from engine.settings import SQLITE_DEFAULT, SettingsError, load_settings


def test_defaults_are_the_embedded_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN", "PORT", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == SQLITE_DEFAULT
    assert settings.redis_url is None
    assert settings.port == 8080
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_people_paste_get_async_drivers(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings(_env_file=None).database_url == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("ADMIN_IDS", "12,abc"),
        ("DATABASE_URL", "mysql://x"),
        ("WEBHOOK_URL", "ftp://x"),
        ("LOG_FORMAT", "yaml"),
        ("DATABASE_POOL_SIZE", "0"),
        ("WEBHOOK_MAX_CONNECTIONS", "101"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message


def test_admin_ids_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1, 22;333")
    assert load_settings(_env_file=None).admin_ids == frozenset({1, 22, 333})


async def test_the_pool_settings_size_the_postgres_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """DATABASE_POOL_SIZE connections kept, DATABASE_POOL_OVERFLOW more for a burst (docs/bot.md)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never connected to
    monkeypatch.setenv("DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("DATABASE_POOL_OVERFLOW", "2")
    settings = load_settings(_env_file=None)
    async with open_database(settings) as database:
        pool = database.engine.pool
        assert isinstance(pool, AsyncAdaptedQueuePool)
        assert (pool.size(), pool._max_overflow) == (7, 2)
