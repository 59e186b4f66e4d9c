"""Releases in the database: the immutable bundles, their normalized rows, and the active pointer.

Publishing is serialized: on PostgreSQL by a transaction-level advisory lock, on SQLite by the
``BEGIN IMMEDIATE`` every write transaction takes. Activation notifies listeners with
``pg_notify('diana_release', id)``, which PostgreSQL delivers only when the transaction commits, so a
replica can never load a release that was rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.content.bundle import Bundle
from engine.gcpause import paused_gc
from engine.store.tables import (
    active_release,
    player_states,
    release_achievements,
    release_chapters,
    release_choices,
    release_products,
    release_scenes,
    releases,
)

NOTIFY_CHANNEL = "diana_release"
PUBLISH_LOCK = 7_346_001  # advisory lock key for "a publish is in progress"
r, a = releases.c, active_release.c


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: int
    content_hash: str
    format: int
    author: str
    notes: str
    scene_count: int
    created_at: datetime
    active: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hash": self.content_hash,
            "format": self.format,
            "author": self.author,
            "notes": self.notes,
            "scenes": self.scene_count,
            "created_at": self.created_at.isoformat(),
            "active": self.active,
        }


_INFO_COLUMNS = (r.id, r.content_hash, r.format, r.author, r.notes, r.scene_count, r.created_at)


# One encoder for every JSON cell: json.dumps with options builds a new encoder per call (400k cells).
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode


async def _copy(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY on the transaction's own connection: 100k scenes' rows in seconds, not minutes
    (bench/publish.py). JSON columns go as text; the driver owns the transaction (Database.transaction)."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None and driver.is_in_transaction(), "COPY must run inside the publish"
    columns = [column.name for column in table.columns]
    json_columns = {column.name for column in table.columns if isinstance(column.type, sa.JSON)}
    records = [
        tuple(_JSON_TEXT(row[name]) if name in json_columns else row[name] for name in columns)
        for row in rows
    ]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


class ReleaseStore:
    async def lock_publishing(self, conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK})

    async def active_id(self, conn: AsyncConnection) -> int | None:
        value = await conn.scalar(sa.select(a.release_id).where(a.id == 1))
        return int(value) if value is not None else None

    async def by_hash(self, conn: AsyncConnection, content_hash: str) -> int | None:
        value = await conn.scalar(sa.select(r.id).where(r.content_hash == content_hash))
        return int(value) if value is not None else None

    async def info(self, conn: AsyncConnection, release_id: int) -> ReleaseInfo | None:
        row = (await conn.execute(sa.select(*_INFO_COLUMNS).where(r.id == release_id))).first()
        if row is None:
            return None
        active = await self.active_id(conn)
        return ReleaseInfo(*row, active=row[0] == active)

    async def recent(self, conn: AsyncConnection, limit: int = 50) -> list[ReleaseInfo]:
        active = await self.active_id(conn)
        rows = await conn.execute(sa.select(*_INFO_COLUMNS).order_by(r.id.desc()).limit(limit))
        return [ReleaseInfo(*row, active=row[0] == active) for row in rows]

    async def bundle_json(self, conn: AsyncConnection, release_id: int) -> str | None:
        return await conn.scalar(sa.select(r.bundle).where(r.id == release_id))

    async def active_bundle_json(self, conn: AsyncConnection) -> tuple[int, str] | None:
        row = (
            await conn.execute(
                sa.select(r.id, r.bundle).select_from(releases.join(active_release, a.release_id == r.id))
            )
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    async def insert(
        self, conn: AsyncConnection, bundle: Bundle, *, author: str, notes: str, now: datetime
    ) -> int:
        with paused_gc():  # ~100k scene and ~300k choice rows at once: see engine.gcpause
            return await self._insert(conn, bundle, author=author, notes=notes, now=now)

    async def _insert(
        self, conn: AsyncConnection, bundle: Bundle, *, author: str, notes: str, now: datetime
    ) -> int:
        release_id = await conn.scalar(
            sa.insert(releases)
            .values(
                content_hash=bundle.content_hash,
                format=bundle.format,
                bundle=bundle.to_json(),
                author=author[:128],
                notes=notes,
                scene_count=len(bundle.scenes),
                created_at=now,
            )
            .returning(r.id)
        )
        assert release_id is not None
        await self._normalized_rows(conn, int(release_id), bundle)
        return int(release_id)

    async def _normalized_rows(self, conn: AsyncConnection, rid: int, bundle: Bundle) -> None:
        chapters = [
            {
                "release_id": rid,
                "chapter": c.id,
                "position": c.order,
                "title": dict(c.title),
                "vip": c.vip,
                "unlock": c.unlock.source if c.unlock else None,
                "start_scene": c.start,
            }
            for c in bundle.chapters.values()
        ]
        scenes = [
            {
                "release_id": rid,
                "scene": s.key,
                "chapter": s.chapter,
                "text": dict(s.text),
                "ending": s.ending,
                "media": s.media.path if s.media else None,
            }
            for s in bundle.scenes.values()
        ]
        choices = [
            {
                "release_id": rid,
                "scene": s.key,
                "choice": c.key,
                "position": c.index,
                "text": dict(c.text),
                "goto": c.goto,
                "vip": c.vip,
                "cost": c.cost,
                "condition": c.condition.source if c.condition else None,
                "requires": c.requires.source if c.requires else None,
            }
            for s in bundle.scenes.values()
            for c in s.choices
        ]
        achievements = [
            {
                "release_id": rid,
                "achievement": x.id,
                "title": dict(x.title),
                "secret": x.secret,
                "tiers": [t.tier for t in x.tiers],
                "reward_points": x.reward_points,
            }
            for x in bundle.achievements.values()
        ]
        products = [
            {
                "release_id": rid,
                "product": p.id,
                "type": p.type,
                "title": dict(p.title),
                "days": p.days,
                "points": p.points,
                "stars": p.stars,
                "stripe_amount": p.stripe_amount,
                "stripe_currency": p.stripe_currency,
                "stripe_interval": p.stripe_interval,
            }
            for p in bundle.products.values()
        ]
        for table, rows in (
            (release_chapters, chapters),
            (release_scenes, scenes),
            (release_choices, choices),
            (release_achievements, achievements),
            (release_products, products),
        ):
            if not rows:
                continue
            if conn.dialect.name == "postgresql":
                await _copy(conn, table, rows)
                continue
            for start in range(0, len(rows), 5000):
                await conn.execute(sa.insert(table), rows[start : start + 5000])

    async def activate(self, conn: AsyncConnection, release_id: int, *, by: str, now: datetime) -> None:
        updated = await conn.execute(
            sa.update(active_release)
            .where(a.id == 1)
            .values(release_id=release_id, activated_at=now, activated_by=by[:128])
        )
        if updated.rowcount == 0:
            await conn.execute(
                sa.insert(active_release).values(
                    id=1, release_id=release_id, activated_at=now, activated_by=by[:128]
                )
            )
        if conn.dialect.name == "postgresql":
            await conn.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": json.dumps({"release": release_id})},
            )

    async def players_by_scene(self, conn: AsyncConnection) -> dict[str, int]:
        rows = await conn.execute(
            sa.select(player_states.c.scene, sa.func.count()).group_by(player_states.c.scene)
        )
        return {str(scene): int(n) for scene, n in rows}

    async def player_variables(self, conn: AsyncConnection) -> list[tuple[str, dict[str, Any]]]:
        """(scene, variables) of every player: for the type compatibility check."""
        rows = await conn.execute(sa.select(player_states.c.scene, player_states.c.state))
        found = []
        for scene, state in rows:
            data = json.loads(state) if isinstance(state, str) else state
            found.append((str(scene), dict((data or {}).get("variables", {}))))
        return found
