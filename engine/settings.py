"""Configuration from the environment (and ``.env``), validated once at start.

A missing or malformed setting stops the process with one line naming it (see :func:`load_settings`),
never with a traceback deep inside the first request that needed it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SQLITE_DEFAULT = "sqlite+aiosqlite:///./diana.db"


class SettingsError(ValueError):
    """One clear line: which setting is wrong and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Updates Telegram sends the webhook at once (setWebhook's max_connections, 1-100; Telegram's own
    # default is 40).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    database_url: str = SQLITE_DEFAULT
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$")  # PostgreSQL only
    # PostgreSQL connections a process keeps open: one per update handled at once (a webhook gets up to
    # WEBHOOK_MAX_CONNECTIONS at once). Up to DATABASE_POOL_OVERFLOW more are opened for a burst and
    # closed after it, each a new server process: a pool that is too small pays that on every burst.
    database_pool_size: int = Field(default=40, ge=1, le=1000)
    database_pool_overflow: int = Field(default=10, ge=0, le=1000)
    redis_url: str | None = None
    # Tell players about unlocked achievements in a message of their own (the notifications group).
    notify_achievements: bool = False
    # Every Redis key and the event stream start with this (several deployments on one Redis; tests).
    redis_prefix: str = Field(default="diana:", pattern=r"^[A-Za-z0-9_:.-]*$")
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # tests point the SDK at a local stand-in for api.stripe.com
    stripe_success_url: str | None = None  # where Checkout sends the player after paying (default: the bot)
    stripe_cancel_url: str | None = None  # ... and after cancelling (default: the bot)
    payments_secret: str | None = None  # signs Telegram Stars invoice payloads (default: from the bot token)
    telegram_api_base: str | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    default_locale: str = "es"
    log_format: str = Field(default="text", pattern="^(text|json)$")
    content_dir: Path = Path("content")
    # Seconds between reminder rounds in `diana serve` (streak at risk, VIP expiring); 0 turns them off.
    reminder_interval: float = Field(default=60.0, ge=0)

    @field_validator("database_url", mode="before")
    @classmethod
    def _async_driver(cls, value: object) -> object:
        """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
        if not isinstance(value, str) or not value:
            return SQLITE_DEFAULT if value == "" else value
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value[len("sqlite:///") :]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use postgresql://... or sqlite:///path.db")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("a comma-separated list of Telegram user ids, e.g. 123,456") from None
        return value

    @field_validator("webhook_url", "stripe_api_base", "stripe_success_url", "stripe_cancel_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; SettingsError with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "setting"
        raise SettingsError(f"{name}: {first['msg']} (got {first.get('input')!r})") from None
