"""Fixtures for the Stripe tests: a fake Stripe API, the webhook served over real HTTP, and the bot.

``stripe_endpoint`` serves ``bot/stripe_webhook.py`` from the test's own process (an aiohttp site on a
free port) on the ``database`` fixture, so every webhook case runs on SQLite and on PostgreSQL in well
under a second. ``card_bot`` is the production shape: ``diana serve`` as its own process with the
STRIPE_* settings, against the fake Telegram and the fake Stripe, for what only the whole bot shows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web

from bot.stripe_webhook import STRIPE_WEBHOOK_PATH, register
from engine.content.bundle import Bundle
from engine.services.clock import FixedClock, aware
from engine.services.content import StaticContent
from engine.services.payments import PaymentService
from engine.services.stripe_events import StripeEvents
from engine.store.database import Database
from engine.store.players import UserInfo
from engine.store.tables import audit_log, user_gamification, user_subscriptions
from tests.conftest import open_test_database
from tests.local_server import serve_locally
from tests.payments.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, signed
from tests.services.support import NOON
from tests.services.support import register as register_user
from tests.telegram.conftest import start_bot
from tests.telegram.harness import RunningBot

__all__ = ["StripeEndpoint", "audits", "subscription_row", "vip_until"]


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    await fake.start()
    yield fake
    await fake.stop()


@dataclass
class StripeEndpoint:
    """``/stripe/webhook`` on a local port, with the services behind it."""

    url: str
    database: Database
    content: StaticContent
    payments: PaymentService
    clock: FixedClock
    http: aiohttp.ClientSession

    async def deliver(
        self,
        event: dict[str, Any] | str,
        *,
        secret: str = WEBHOOK_SECRET,
        at: int | None = None,
        header: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST one event as Stripe does (signed now unless ``at``); (status, JSON answer)."""
        body, signature = signed(event, secret=secret, at=at)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if header is not None or signature:
            headers["Stripe-Signature"] = signature if header is None else header
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status, json.loads(await response.text())

    async def user(self, user_id: int) -> int:
        """A player who exists (as after /start)."""
        await register_user(self.database, UserInfo(user_id, "Ana", language="es"), self.clock.now())
        return user_id


@asynccontextmanager
async def serve_endpoint(database: Database, bundle: Bundle) -> AsyncIterator[StripeEndpoint]:
    clock = FixedClock(NOON)
    content = StaticContent(bundle)
    payments = PaymentService(database, content, clock=clock)
    events = StripeEvents(payments, content, database, WEBHOOK_SECRET)
    app = web.Application()
    register(app, events)
    runner, base_url = await serve_locally(app, access_log=False)
    try:
        async with aiohttp.ClientSession() as http:
            yield StripeEndpoint(f"{base_url}{STRIPE_WEBHOOK_PATH}", database, content, payments, clock, http)
    finally:
        await runner.cleanup()


@pytest.fixture
async def stripe_endpoint(database: Database, example_bundle: Bundle) -> AsyncIterator[StripeEndpoint]:
    """On SQLite and on PostgreSQL."""
    async with serve_endpoint(database, example_bundle) as endpoint:
        yield endpoint


@pytest.fixture
async def pg_stripe_endpoint(
    postgres_database: Database, example_bundle: Bundle
) -> AsyncIterator[StripeEndpoint]:
    """On PostgreSQL only (for breaking a server connection on purpose)."""
    async with serve_endpoint(postgres_database, example_bundle) as endpoint:
        yield endpoint


# -- reading the database ----------------------------------------------------------------------


async def vip_until(database: Database, user_id: int) -> Any:
    async with database.connect() as conn:
        value = await conn.scalar(
            sa.select(user_gamification.c.vip_until).where(user_gamification.c.user_id == user_id)
        )
    return aware(value)


async def subscription_row(database: Database, external_id: str) -> Any:
    s = user_subscriptions.c
    async with database.connect() as conn:
        return (
            await conn.execute(
                sa.select(user_subscriptions).where(s.provider == "stripe", s.external_id == external_id)
            )
        ).one_or_none()


async def audits(database: Database, action: str) -> list[Any]:
    async with database.connect() as conn:
        rows = await conn.execute(
            sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        )
        return list(rows)


# -- the whole bot -----------------------------------------------------------------------------


@pytest.fixture
async def card_bot(
    request: pytest.FixtureRequest, postgres_database: Database, tmp_path: Path, fake_stripe: FakeStripe
) -> AsyncIterator[RunningBot]:
    """The production shape: webhook mode on PostgreSQL, card payments configured."""
    stripe = {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_stripe.base_url,
    }
    async with start_bot("webhook", postgres_database, tmp_path, request, extra=stripe) as bot:
        yield bot


@pytest.fixture
async def polling_webhook_only_bot(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    """Polling mode on SQLite (the other corner of the matrix from ``card_bot``) with only
    STRIPE_WEBHOOK_SECRET: events are received, no checkout can be opened."""
    stripe = {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    async with (
        open_test_database("sqlite", tmp_path) as database,
        start_bot("polling", database, tmp_path, request, extra=stripe) as bot,
    ):
        yield bot
