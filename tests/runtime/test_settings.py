"""Settings fail at start with one line naming the bad setting."""

from __future__ import annotations

import pytest

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
