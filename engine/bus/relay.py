"""The relay: outbox rows → the bus, in id order, then marked published.

Each batch is one transaction: claim the oldest unpublished rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several relays — every bot replica and ``diana worker`` — share the backlog without
waiting on or duplicating each other; SQLite's BEGIN IMMEDIATE already admits one writer), publish
them, set ``published_at``, commit. If the bus refuses (Redis down) the transaction rolls back and the
rows stay unpublished: the relay backs off and tries again; players never notice. If the process dies
after publishing and before committing, the rows are published again by the next relay: consumers
deduplicate by event id, so that costs a repeat delivery, never a repeated effect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.bus.base import BusEvent, BusUnavailableError, EventBus
from engine.services.clock import Clock, SystemClock, aware
from engine.store.database import Database
from engine.store.tables import outbox

log = logging.getLogger("diana.bus.relay")
o = outbox.c


@dataclass(frozen=True, slots=True)
class RelayTuning:
    batch: int = 500
    poll_seconds: float = 0.1  # idle wait between looks at the outbox: bounds the added lag
    backoff_min: float = 0.5  # first wait after the bus refused a batch, doubled up to backoff_max
    backoff_max: float = 30.0
    retention: timedelta = timedelta(days=7)  # published rows older than this are deleted
    cleanup_every: float = 3600.0


class Relay:
    def __init__(
        self,
        database: Database,
        bus: EventBus,
        *,
        clock: Clock | None = None,
        tuning: RelayTuning = RelayTuning(),
        after_publish: Callable[[list[BusEvent]], None] | None = None,
    ) -> None:
        self.db = database
        self.bus = bus
        self.clock = clock or SystemClock()
        self.tuning = tuning
        # A test seam: called between publishing and marking (the crash test kills the process here).
        self.after_publish = after_publish
        self.published = 0
        self.failures = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now (a service in this process just committed events)."""
        self._wake.set()

    def _claim(self) -> sa.Select[tuple[int, str, int | None, str, object, datetime]]:
        stmt = (
            sa.select(o.id, o.event_id, o.user_id, o.type, o.payload, o.created_at)
            .where(o.published_at.is_(None))
            .order_by(o.id)
            .limit(self.tuning.batch)
        )
        if self.db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return stmt

    async def relay_once(self) -> int:
        """Publish one batch; the number of events published (0: the outbox is drained).

        Raises BusUnavailableError when the bus refused: the batch stays unpublished.
        """
        async with self.db.transaction() as conn:
            rows = (await conn.execute(self._claim())).all()
            if not rows:
                return 0
            events = [
                BusEvent(
                    event_id=str(r.event_id),
                    type=str(r.type),
                    user_id=None if r.user_id is None else int(r.user_id),
                    created_at=aware(r.created_at),
                    payload=dict(r.payload) if isinstance(r.payload, dict) else {},
                )
                for r in rows
            ]
            await self.bus.publish(events)
            if self.after_publish is not None:
                self.after_publish(events)
            await conn.execute(
                sa.update(outbox).where(o.id.in_([r.id for r in rows])).values(published_at=self.clock.now())
            )
        self.published += len(events)
        return len(events)

    async def drain(self) -> int:
        """Publish until the outbox has nothing unpublished; the number published."""
        total = 0
        while (n := await self.relay_once()) > 0:
            total += n
        return total

    async def cleanup(self) -> int:
        """Delete published rows older than the retention (the consumers' dedupe keys live as long)."""
        cutoff = self.clock.now() - self.tuning.retention
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sa.delete(outbox).where(o.published_at.is_not(None), o.published_at < cutoff)
            )
        return int(result.rowcount or 0)

    async def backlog(self) -> int:
        async with self.db.connect() as conn:
            count = await conn.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(o.published_at.is_(None))
            )
        return int(count or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; the bus being down is waited out with backoff, never raised."""
        backoff = self.tuning.backoff_min
        loop = asyncio.get_running_loop()
        next_cleanup = loop.time()
        while not stop.is_set():
            try:
                if loop.time() >= next_cleanup:
                    deleted = await self.cleanup()
                    if deleted:
                        log.info("outbox cleanup: %d published rows deleted", deleted)
                    next_cleanup = loop.time() + self.tuning.cleanup_every
                published = await self.relay_once()
                backoff = self.tuning.backoff_min
            except BusUnavailableError as exc:
                self.failures += 1
                log.warning("event bus unavailable (%s); retrying in %.1fs", exc, backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, self.tuning.backoff_max)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away, a bug: log it, keep the relay alive
                self.failures += 1
                log.warning("relay failed (%r); retrying in %.1fs", exc, backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, self.tuning.backoff_max)
                continue
            if published < self.tuning.batch:
                self._wake.clear()
                await _wait(stop, self.tuning.poll_seconds, self._wake)


async def _wait(stop: asyncio.Event, seconds: float, also: asyncio.Event | None = None) -> None:
    """Sleep up to ``seconds``, returning early when ``stop`` (or ``also``) is set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if also is not None:
        waiters.append(asyncio.ensure_future(also.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
