"""A database failure in the middle of an event: the webhook answers 5xx, and Stripe's retry grants once.

The failure is real: a PostgreSQL trigger terminates the very server connection that is writing
(``pg_terminate_backend(pg_backend_pid())``), at the step under test, once. Nothing is mocked: the
driver sees its connection die mid-transaction exactly as in a database restart or a network cut.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from engine.content.bundle import Bundle
from engine.store.database import Database
from tests.payments.conftest import StripeEndpoint, vip_until
from tests.payments.fake_stripe import FakeStripe, completed
from tests.payments.test_stripe_webhook import DAYS_30, session_for
from tests.services.support import NOON

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def connection_killed_on(database: Database, table: str, when: str = "BEFORE") -> AsyncIterator[None]:
    """The next write to ``table`` kills its own connection, once.

    "Once" is counted by a sequence: ``nextval`` is not transactional, so the count survives the
    rollback that the dying connection causes (a trigger dropping itself would be rolled back too).
    """
    schema = database.schema
    assert schema, "a PostgreSQL schema of this test's own"
    function, trigger = f'"{schema}".diana_kill_once', f"diana_kill_{table}"
    counter = f'"{schema}".diana_kills'
    async with database.connect() as conn:
        await conn.execute(text(f"CREATE SEQUENCE {counter}"))
        await conn.execute(
            text(
                f"""
                CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('{counter}') = 1 THEN
                        PERFORM pg_terminate_backend(pg_backend_pid());
                    END IF;
                    RETURN NEW;
                END $$
                """
            )
        )
        await conn.execute(
            text(
                f'CREATE TRIGGER {trigger} {when} INSERT OR UPDATE ON "{schema}".{table} '
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        )
        await conn.commit()
    try:
        yield
    finally:
        async with database.connect() as conn:
            await conn.execute(text(f'DROP TRIGGER IF EXISTS {trigger} ON "{schema}".{table}'))
            await conn.execute(text(f"DROP FUNCTION {function}()"))
            await conn.execute(text(f"DROP SEQUENCE {counter}"))
            await conn.commit()


async def test_a_connection_lost_during_the_grant_is_answered_503_and_the_retry_grants_once(
    pg_stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    endpoint = pg_stripe_endpoint
    ana = await endpoint.user(8_300_001)
    paid = completed(await session_for(fake_stripe, example_bundle, "vip_30", ana))
    async with connection_killed_on(endpoint.database, "user_gamification"):
        status, answer = await endpoint.deliver(paid)
        assert (status, answer) == (503, {"error": "temporarily unavailable"})
        assert await vip_until(endpoint.database, ana) is None  # rolled back with the connection
        # Stripe retries the same event: it was not stored as seen, so it is applied now, once.
        status, answer = await endpoint.deliver(paid)
    assert (status, answer["action"]) == (200, "granted")
    assert await vip_until(endpoint.database, ana) == NOON + DAYS_30
    assert (await endpoint.deliver(paid))[1]["action"] == "replay"
    assert await vip_until(endpoint.database, ana) == NOON + DAYS_30
    assert len(await endpoint.payments.payments(user_id=ana)) == 1


async def test_a_connection_lost_after_the_grant_but_before_the_event_is_stored_grants_once(
    pg_stripe_endpoint: StripeEndpoint, fake_stripe: FakeStripe, example_bundle: Bundle
) -> None:
    endpoint = pg_stripe_endpoint
    bea = await endpoint.user(8_300_002)
    paid = completed(await session_for(fake_stripe, example_bundle, "vip_30", bea))
    async with connection_killed_on(endpoint.database, "payment_events"):
        status, _ = await endpoint.deliver(paid)
        assert status == 503
        # The grant had committed; the event was not stored, so "seen" cannot hide anything.
        assert await vip_until(endpoint.database, bea) == NOON + DAYS_30
        status, answer = await endpoint.deliver(paid)
    assert (status, answer["action"]) == (200, "duplicate")  # the retry finds the grant: nothing twice
    assert await vip_until(endpoint.database, bea) == NOON + DAYS_30
    assert [p.status for p in await endpoint.payments.payments(user_id=bea)] == ["completed"]
    assert (await endpoint.deliver(paid))[1]["action"] == "replay"  # and now it is stored
