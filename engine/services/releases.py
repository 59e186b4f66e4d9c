"""The live story of one process: the active release, reloaded when an admin publishes.

Every process (bot replica, `diana chat`) keeps one :class:`ActiveContent`. It learns of a new release
through PostgreSQL LISTEN/NOTIFY (SQLite: by polling the pointer), loads that bundle once and swaps the
reference; a decision that already called ``current()`` finishes on the bundle it started with. After a
lost listening connection it reconnects and re-reads the pointer, so a notification missed while
disconnected never leaves the process on an old release. A bundle that fails to load is not activated
here: the process keeps serving the previous one and reports the failure loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from engine.content.bundle import Bundle, BundleFormatError
from engine.services.content import Classifier, ClassifierCache
from engine.services.release_channel import RedisReleaseChannel
from engine.store.database import Database
from engine.store.releases import NOTIFY_CHANNEL, ReleaseStore

log = logging.getLogger("diana.releases")


class NoActiveReleaseError(RuntimeError):
    """Nothing has been published yet."""


class ActiveContent:
    def __init__(
        self,
        database: Database,
        *,
        poll_seconds: float = 0.5,
        safety_poll_seconds: float = 30.0,
        on_change: Callable[[int, Bundle], None] | None = None,
        on_error: Callable[[int, Exception], None] | None = None,
        channel: RedisReleaseChannel | None = None,
    ) -> None:
        self.db = database
        self.store = ReleaseStore()
        self.poll_seconds = poll_seconds
        self.safety_poll_seconds = safety_poll_seconds
        self.on_change = on_change
        self.on_error = on_error
        self.channel = channel
        self.release_id: int | None = None
        self._bundle: Bundle | None = None
        self._failed: set[int] = set()
        self._classifiers = ClassifierCache()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.reloads = 0
        self.load_failures = 0

    # -- ContentSource ---------------------------------------------------------------------
    def current(self) -> Bundle:
        if self._bundle is None:
            raise NoActiveReleaseError("no release is active: run 'diana publish' first")
        return self._bundle

    def classifier(self, bundle: Bundle) -> Classifier:
        return self._classifiers.get(bundle)

    @property
    def ready(self) -> bool:
        return self._bundle is not None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="diana-release-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh(self) -> bool:
        """Read the pointer; load and swap if it moved. True when a new release went live here."""
        async with self.db.connect() as conn:
            active = await self.store.active_id(conn)
            if active is None or active == self.release_id or active in self._failed:
                return False
            text = await self.store.bundle_json(conn, active)
        try:
            bundle = Bundle.from_json(text or "")
        except (BundleFormatError, ValueError, KeyError, TypeError) as exc:
            self._failed.add(active)
            self.load_failures += 1
            log.error(
                "release %s could not be loaded here; still serving release %s: %s",
                active,
                self.release_id,
                exc,
            )
            if self.on_error is not None:
                self.on_error(active, exc)
            return False
        self._bundle, self.release_id = bundle, active  # one reference swap: atomic for readers
        self.reloads += 1
        log.info("release %s (%s) is live", active, bundle.content_hash[:12])
        if self.on_change is not None:
            self.on_change(active, bundle)
        return True

    async def _watch(self) -> None:
        redis_listener = None
        if self.channel is not None:
            redis_listener = asyncio.create_task(self.channel.listen(self._wake.set))
        try:
            if self.db.is_sqlite:
                await self._poll(self.poll_seconds)
            else:
                await self._listen()
        finally:
            if redis_listener is not None:
                redis_listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await redis_listener

    async def _poll(self, seconds: float) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and stop() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.refresh()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("could not read the active release")

    async def _listen(self) -> None:
        import asyncpg

        dsn = self.db.url.replace("postgresql+asyncpg://", "postgresql://")
        poller = asyncio.create_task(self._poll(self.safety_poll_seconds))
        try:
            while True:
                try:
                    connection = await asyncpg.connect(dsn)
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("release listener cannot connect (%s); retrying", exc)
                    await asyncio.sleep(1.0)
                    continue
                lost = asyncio.Event()

                def notified(*_: Any) -> None:
                    self._wake.set()

                connection.add_termination_listener(lambda *_, lost=lost: lost.set())
                await connection.add_listener(NOTIFY_CHANNEL, notified)
                self._wake.set()  # (re)connected: re-read the pointer, a NOTIFY may have been missed
                try:
                    await lost.wait()
                finally:
                    with contextlib.suppress(Exception):
                        await connection.close()
                log.warning("release listener lost its connection; reconnecting")
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
