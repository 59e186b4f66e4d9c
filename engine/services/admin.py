"""AdminService: what an operator does to the running game, shared by the bot's admin commands and the CLI.

Every change an admin makes (ban, unban, a broadcast) is written to ``audit_log`` in the same
transaction as the change itself, so the log can never claim something that did not happen nor miss
something that did. Reads (``stats``) change nothing and are not logged.

Broadcasts are resumable: the ``broadcasts`` row keeps a cursor (the last recipient whose delivery was
recorded) and the sender asks for the next recipients *after* it, in ascending user id. A sender that
crashes and restarts (or another replica that takes over once the first one's lease ran out) continues
after the cursor instead of starting again. Recording after every message gives at most one repeated
message per crash; recording after a batch of ``n`` gives at most ``n``. The Telegram side (rate limits,
retries, blocked bots) lives in ``bot/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.services.clock import Clock, SystemClock, aware
from engine.store.database import Database
from engine.store.tables import audit_log, broadcasts, payments, story_decisions, users

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
TOP_CHOICES = 5
MAX_BROADCAST_TEXT = 4096  # Telegram's limit for one text message
DEFAULT_LEASE = timedelta(seconds=60)
SYSTEM_ACTOR = "system:broadcast"  # the sender finishing a broadcast: not a person, but still logged

RUNNING, DONE, CANCELLED = "running", "done", "cancelled"

b = broadcasts.c


def user_subject(user_id: int) -> str:
    """The ``audit_log.subject`` of an action about one user (erasure rewrites exactly this form)."""
    return f"user:{user_id}"


async def write_audit(
    conn: AsyncConnection,
    actor: str,
    action: str,
    subject: str | None,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """One audit row on the caller's connection, so it commits or rolls back with the change it logs."""
    await conn.execute(
        sa.insert(audit_log).values(
            actor=actor[:64], action=action[:64], subject=subject, details=details, created_at=now
        )
    )


@dataclass(frozen=True, slots=True)
class Stats:
    """The /stats numbers. Windows are rolling ("today" = the last 24 hours), not calendar days:
    players live in many time zones and the admin wants one comparable number."""

    at: datetime
    players_today: int
    players_7d: int
    new_users_7d: int
    decisions_today: int
    decisions_7d: int
    top_choices: list[tuple[str, str, int]] = field(default_factory=list)  # (scene, choice, count)
    revenue: dict[str, int] = field(default_factory=dict)  # currency -> amount in minor units (XTR: stars)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "players_today": self.players_today,
            "players_7d": self.players_7d,
            "new_users_7d": self.new_users_7d,
            "decisions_today": self.decisions_today,
            "decisions_7d": self.decisions_7d,
            "top_choices": [
                {"scene": scene, "choice": choice, "count": count}
                for scene, choice, count in self.top_choices
            ],
            "revenue": dict(self.revenue),
        }


@dataclass(frozen=True, slots=True)
class BroadcastInfo:
    """One broadcast's progress, for `diana broadcast status` and the bot's admin panel."""

    id: int
    text: str
    created_by: str
    created_at: datetime
    status: str
    cursor: int
    sent: int
    failed: int
    owner: str | None
    lease_until: datetime | None
    finished_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "cursor": self.cursor,
            "sent": self.sent,
            "failed": self.failed,
            "owner": self.owner,
            "lease_until": self.lease_until.isoformat() if self.lease_until else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class AdminService:
    def __init__(self, database: Database, clock: Clock | None = None) -> None:
        self.db = database
        self.clock = clock or SystemClock()

    # -- who is an admin ---------------------------------------------------------------------
    async def is_admin(self, user_id: int, admin_ids: frozenset[int]) -> bool:
        """ADMIN_IDS (configuration) always wins; ``users.is_admin`` lets admins exist without a deploy."""
        if user_id in admin_ids:
            return True
        async with self.db.connect() as conn:
            flag = await conn.scalar(sa.select(users.c.is_admin).where(users.c.id == user_id))
        return bool(flag)

    async def audit(
        self,
        conn: AsyncConnection | None,
        actor: str,
        action: str,
        subject: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Log an admin action: inside the caller's transaction when given one, else in its own."""
        now = self.clock.now()
        if conn is not None:
            await write_audit(conn, actor, action, subject, details or {}, now)
            return
        async with self.db.transaction() as own:
            await write_audit(own, actor, action, subject, details or {}, now)

    # -- stats -------------------------------------------------------------------------------
    async def stats(self, now: datetime | None = None) -> Stats:
        now = now or self.clock.now()
        day_ago, week_ago = now - DAY, now - WEEK
        u, d = users.c, story_decisions.c
        seen = sa.select(
            sa.func.count().filter(u.last_seen_at >= day_ago),
            sa.func.count().filter(u.last_seen_at >= week_ago),
            sa.func.count().filter(u.created_at >= week_ago),
        )
        decided = sa.select(
            sa.func.count().filter(d.created_at >= day_ago),
            sa.func.count(),
        ).where(d.created_at >= week_ago)
        count = sa.func.count().label("n")
        top = (
            sa.select(d.scene, d.choice, count)
            .where(d.created_at >= week_ago, d.choice.is_not(None))
            .group_by(d.scene, d.choice)
            .order_by(count.desc(), d.scene, d.choice)
            .limit(TOP_CHOICES)
        )
        async with self.db.connect() as conn:
            players_today, players_7d, new_7d = (await conn.execute(seen)).one()
            decisions_today, decisions_7d = (await conn.execute(decided)).one()
            choices = [(str(s), str(c), int(n)) for s, c, n in (await conn.execute(top)).all()]
            revenue = await self._revenue(conn, week_ago, now)
        return Stats(
            at=now,
            players_today=int(players_today),
            players_7d=int(players_7d),
            new_users_7d=int(new_7d),
            decisions_today=int(decisions_today),
            decisions_7d=int(decisions_7d),
            top_choices=choices,
            revenue=revenue,
        )

    async def _revenue(self, conn: AsyncConnection, since: datetime, until: datetime) -> dict[str, int]:
        """Revenue per currency between ``since`` and ``until``: completed payments, refunded ones left out.

        Amounts are in each currency's minor units (XTR: stars, EUR: cents); currencies are never added
        together (there is no exchange rate here, and Stars are not money until Telegram pays out).
        """
        total = sa.func.sum(payments.c.amount)
        query = (
            sa.select(payments.c.currency, total)
            .where(
                payments.c.status == "completed",
                payments.c.created_at >= since,
                payments.c.created_at <= until,
            )
            .group_by(payments.c.currency)
            .order_by(payments.c.currency)
        )
        return {str(currency): int(amount) for currency, amount in (await conn.execute(query)).all()}

    # -- bans --------------------------------------------------------------------------------
    async def ban(self, user_id: int, *, actor: str) -> bool:
        """Stop a player: PlayService answers every decision of theirs with outcome "banned"."""
        return await self._set_banned(user_id, True, actor=actor)

    async def unban(self, user_id: int, *, actor: str) -> bool:
        return await self._set_banned(user_id, False, actor=actor)

    async def _set_banned(self, user_id: int, banned: bool, *, actor: str) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await conn.scalar(
                sa.select(users.c.banned).where(users.c.id == user_id).with_for_update()
            )
            if before is None:
                return False
            await conn.execute(sa.update(users).where(users.c.id == user_id).values(banned=banned))
            await write_audit(
                conn,
                actor,
                "user.ban" if banned else "user.unban",
                user_subject(user_id),
                {"was_banned": bool(before)},
                now,
            )
        return True

    # -- broadcasts --------------------------------------------------------------------------
    async def create_broadcast(self, text: str, *, actor: str) -> int:
        """Store a broadcast as running; the bot's sender picks it up (``running()``) and sends it."""
        if not text.strip():
            raise ValueError("a broadcast needs some text")
        if len(text) > MAX_BROADCAST_TEXT:
            raise ValueError(f"a broadcast is at most {MAX_BROADCAST_TEXT} characters (got {len(text)})")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sa.insert(broadcasts).values(
                    text=text,
                    created_by=actor[:64],
                    created_at=now,
                    status=RUNNING,
                    cursor=0,
                    sent=0,
                    failed=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            broadcast_id = int(key[0])
            await write_audit(
                conn,
                actor,
                "broadcast.create",
                f"broadcast:{broadcast_id}",
                {"length": len(text)},
                now,
            )
        return broadcast_id

    async def broadcast(self, broadcast_id: int) -> BroadcastInfo | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(sa.select(broadcasts).where(b.id == broadcast_id))).first()
        if row is None:
            return None
        created_at = aware(row.created_at)
        assert created_at is not None
        return BroadcastInfo(
            id=int(row.id),
            text=row.text,
            created_by=row.created_by,
            created_at=created_at,
            status=row.status,
            cursor=int(row.cursor),
            sent=int(row.sent),
            failed=int(row.failed),
            owner=row.owner,
            lease_until=aware(row.lease_until),
            finished_at=aware(row.finished_at),
        )

    async def running(self) -> list[int]:
        """Broadcasts still to send, oldest first: what a starting bot resumes."""
        async with self.db.connect() as conn:
            rows = await conn.scalars(sa.select(b.id).where(b.status == RUNNING).order_by(b.id))
            return [int(x) for x in rows]

    async def claim(self, broadcast_id: int, owner: str, *, lease: timedelta = DEFAULT_LEASE) -> bool:
        """Take (or renew) the right to send a running broadcast for ``lease``.

        Several bot replicas all see the same ``running()`` list after a deploy; only the one holding
        the lease sends, so players do not get the message once per replica. A crashed sender's lease
        runs out and another (or the restarted one) takes over from the cursor. ``record_batch`` with
        ``owner`` renews the lease.
        """
        now = self.clock.now()
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sa.update(broadcasts)
                .where(
                    b.id == broadcast_id,
                    b.status == RUNNING,
                    sa.or_(b.owner.is_(None), b.owner == owner, b.lease_until < now),
                )
                .values(owner=owner[:64], lease_until=now + lease)
            )
        return result.rowcount == 1

    async def next_batch(self, broadcast_id: int, size: int) -> list[int]:
        """The next ``size`` recipients after the cursor: not banned, ascending user id.

        The audience is the players registered when the broadcast was created, so who gets it does
        not depend on where the cursor happened to be when someone joined. Empty once the broadcast
        is done, cancelled or unknown.
        """
        if size <= 0:
            return []
        u = users.c
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(b.status, b.cursor, b.created_at).where(b.id == broadcast_id))
            ).first()
            if row is None or row.status != RUNNING:
                return []
            ids = await conn.scalars(
                sa.select(u.id)
                .where(u.id > row.cursor, u.banned.is_(False), u.created_at <= row.created_at)
                .order_by(u.id)
                .limit(size)
            )
            return [int(x) for x in ids]

    async def record_batch(
        self,
        broadcast_id: int,
        last_user_id: int,
        sent: int,
        failed: int,
        *,
        owner: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> bool:
        """Move the cursor to ``last_user_id`` and add the batch's counts; True if it was recorded.

        The cursor only moves forward, so recording the same batch twice (a retry after a timeout)
        neither moves it back nor counts the batch twice. With ``owner`` the record is refused unless
        that sender still holds the lease (another replica took over), and the lease is renewed.
        """
        if sent < 0 or failed < 0:
            raise ValueError("sent and failed are counts: never negative")
        now = self.clock.now()
        conditions = [b.id == broadcast_id, b.status == RUNNING, b.cursor < last_user_id]
        values: dict[str, Any] = {
            "cursor": last_user_id,
            "sent": b.sent + sent,
            "failed": b.failed + failed,
        }
        if owner is not None:
            conditions.append(b.owner == owner)
            values["lease_until"] = now + lease
        async with self.db.transaction() as conn:
            result = await conn.execute(sa.update(broadcasts).where(*conditions).values(**values))
        return result.rowcount == 1

    async def finish(self, broadcast_id: int) -> bool:
        """Mark a running broadcast done (the sender found no more recipients)."""
        return await self._close(broadcast_id, DONE, actor=SYSTEM_ACTOR)

    async def cancel(self, broadcast_id: int, *, actor: str) -> bool:
        """Stop a running broadcast; the sender sees an empty ``next_batch`` and stops."""
        return await self._close(broadcast_id, CANCELLED, actor=actor)

    async def _close(self, broadcast_id: int, status: str, *, actor: str) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            result = await conn.execute(
                sa.update(broadcasts)
                .where(b.id == broadcast_id, b.status == RUNNING)
                .values(status=status, finished_at=now, owner=None, lease_until=None)
            )
            if result.rowcount != 1:
                return False
            counts = (await conn.execute(sa.select(b.sent, b.failed).where(b.id == broadcast_id))).one()
            await write_audit(
                conn,
                actor,
                f"broadcast.{'finish' if status == DONE else 'cancel'}",
                f"broadcast:{broadcast_id}",
                {"sent": int(counts.sent), "failed": int(counts.failed)},
                now,
            )
        return True
