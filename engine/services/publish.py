"""Publishing: make a compiled story the live one, without a deploy and without losing a player.

``publish`` = (the caller lints and compiles) → in ONE transaction: take the publish lock → same hash
as the active release? nothing to do → check compatibility with the players' saved positions → insert
the release and its normalized rows → move the active pointer → notify. A crash anywhere before the
commit leaves the previous release active and no half-written rows (they were never committed).
Rollback is moving the pointer to an earlier release, through the same compatibility check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from engine.content.api import build_path
from engine.content.bundle import Bundle, BundleFormatError
from engine.content.diff import BundleDiff, diff_bundles
from engine.diagnostics import Diagnostic
from engine.play.compat import Compatibility, check_compatibility
from engine.services.clock import Clock, SystemClock
from engine.services.release_channel import RedisReleaseChannel
from engine.store.database import Database
from engine.store.releases import ReleaseInfo, ReleaseStore

Hook = Callable[[AsyncConnection], Awaitable[None]]


class PublishError(Exception):
    """A publish or rollback that was refused; ``outcome`` says why."""

    def __init__(self, outcome: PublishOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class _DryRunError(Exception):
    """Raised inside the transaction to roll a dry run back after doing everything else."""


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    status: str  # published | activated | unchanged | dry_run | refused_compat | refused_lint | missing
    message: str
    release: ReleaseInfo | None = None
    diff: BundleDiff | None = None
    compatibility: Compatibility = field(default_factory=Compatibility)
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("published", "activated", "unchanged", "dry_run")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "release": self.release.to_dict() if self.release else None,
            "diff": self.diff.to_dict() if self.diff else None,
            "compatibility": self.compatibility.to_dict(),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


class PublishService:
    def __init__(
        self,
        database: Database,
        *,
        clock: Clock | None = None,
        store: ReleaseStore | None = None,
        before_activate: Hook | None = None,
        channel: RedisReleaseChannel | None = None,
    ) -> None:
        self.db = database
        self.clock = clock or SystemClock()
        self.store = store or ReleaseStore()
        self.before_activate = before_activate  # a test seam: runs after the rows, before the pointer
        self.channel = channel  # also announce on Redis (after the commit), where configured

    async def publish_path(
        self, path: Path, *, author: str, notes: str = "", dry_run: bool = False, force: bool = False
    ) -> PublishOutcome:
        """Lint, compile and publish a content folder (ContentError if the story has errors)."""
        _, bundle = build_path(path)
        return await self.publish(bundle, author=author, notes=notes, dry_run=dry_run, force=force)

    async def publish(
        self, bundle: Bundle, *, author: str, notes: str = "", dry_run: bool = False, force: bool = False
    ) -> PublishOutcome:
        now = self.clock.now()
        result: PublishOutcome | None = None
        try:
            async with self.db.transaction() as conn:
                await self.store.lock_publishing(conn)
                active_id = await self.store.active_id(conn)
                old = await self._bundle(conn, active_id) if active_id is not None else None
                if old is not None and old.content_hash == bundle.content_hash:
                    info = await self.store.info(conn, active_id) if active_id else None
                    return PublishOutcome(
                        "unchanged", "the content is identical to the active release: nothing to do", info
                    )
                compat = check_compatibility(
                    bundle,
                    old,
                    await self.store.players_by_scene(conn),
                    await self.store.player_variables(conn),
                )
                diff = diff_bundles(old, bundle) if old is not None else None
                if compat.blocking and not force:
                    raise PublishError(
                        PublishOutcome(
                            "refused_compat",
                            f"{compat.affected} player(s) would lose their place; "
                            "add aliases to the moved scenes, or publish with --force",
                            None,
                            diff,
                            compat,
                        )
                    )
                existing = await self.store.by_hash(conn, bundle.content_hash)
                release_id = existing or await self.store.insert(
                    conn, bundle, author=author, notes=notes, now=now
                )
                if self.before_activate is not None:
                    await self.before_activate(conn)
                await self.store.activate(conn, release_id, by=author, now=now)
                info = await self.store.info(conn, release_id)
                status = "activated" if existing else "published"
                message = f"release {release_id} ({bundle.content_hash[:12]}) is " + (
                    "active again" if existing else "published and active"
                )
                result = PublishOutcome(status, message, info, diff, compat)
                if dry_run:
                    raise _DryRunError
        except _DryRunError:
            assert result is not None
            return PublishOutcome(
                "dry_run",
                "dry run: nothing was written; this is what publishing would do",
                None,
                result.diff,
                result.compatibility,
            )
        except PublishError as refused:
            return refused.outcome
        assert result is not None
        if self.channel is not None and result.release is not None:
            await self.channel.announce(result.release.id)
        return result

    async def rollback(self, release_id: int, *, author: str, force: bool = False) -> PublishOutcome:
        async with self.db.connect() as conn:
            text = await self.store.bundle_json(conn, release_id)
        if text is None:
            return PublishOutcome("missing", f"there is no release {release_id}")
        try:
            bundle = Bundle.from_json(text)
        except BundleFormatError as exc:
            return PublishOutcome("missing", f"release {release_id} cannot be read: {exc}")
        return await self.publish(bundle, author=author, notes=f"rollback to {release_id}", force=force)

    async def releases(self, limit: int = 50) -> list[ReleaseInfo]:
        async with self.db.connect() as conn:
            return await self.store.recent(conn, limit)

    async def bundle(self, release_id: int) -> Bundle | None:
        async with self.db.connect() as conn:
            return await self._bundle(conn, release_id)

    async def diff(self, before_id: int, after_id: int) -> BundleDiff | None:
        before, after = await self.bundle(before_id), await self.bundle(after_id)
        if before is None or after is None:
            return None
        return diff_bundles(before, after)

    async def _bundle(self, conn: AsyncConnection, release_id: int | None) -> Bundle | None:
        if release_id is None:
            return None
        text = await self.store.bundle_json(conn, release_id)
        return Bundle.from_json(text) if text is not None else None
