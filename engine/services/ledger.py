"""LedgerService: what an operator reads about the economy, for ``diana users show`` and ``economy verify``.

The ledger (``points_transactions``) is the record; ``user_gamification`` holds what it adds up to so
that a decision need not sum it. ``verify`` checks that the two agree, row by row, without trusting
either: per player it recomputes the balance (sum of amounts), the earned total (sum of ``earn`` rows)
and walks the ``balance_after`` chain (each row's ``balance_after`` is the previous one's plus its
amount, the first one's is its amount). Any difference is reported, never repaired: a difference means
a bug or a hand edit, and an operator must look at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine.services.clock import aware
from engine.store.database import Database
from engine.store.tables import points_transactions, user_gamification, users

t, g, u = points_transactions.c, user_gamification.c, users.c


@dataclass(frozen=True, slots=True)
class Transaction:
    id: int
    amount: int
    kind: str
    reason: str
    event: str | None
    idempotency_key: str
    balance_after: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount": self.amount,
            "kind": self.kind,
            "reason": self.reason,
            "event": self.event,
            "idempotency_key": self.idempotency_key,
            "balance_after": self.balance_after,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class UserReport:
    """One player's standing and last transactions (newest first)."""

    user_id: int
    first_name: str
    username: str | None
    language: str | None
    timezone: str
    banned: bool
    referred_by: int | None
    created_at: datetime
    last_seen_at: datetime
    balance: int
    total_earned: int
    level: int
    streak: int
    last_checkin: date | None
    vip_until: datetime | None
    transactions: list[Transaction] = field(default_factory=list)
    transaction_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "username": self.username,
            "language": self.language,
            "timezone": self.timezone,
            "banned": self.banned,
            "referred_by": self.referred_by,
            "created_at": self.created_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "balance": self.balance,
            "total_earned": self.total_earned,
            "level": self.level,
            "streak": self.streak,
            "last_checkin": self.last_checkin.isoformat() if self.last_checkin else None,
            "vip_until": self.vip_until.isoformat() if self.vip_until else None,
            "transaction_count": self.transaction_count,
            "transactions": [x.to_dict() for x in self.transactions],
        }


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement: ``check`` is balance | total_earned | chain; ``expected`` is what the ledger
    says, ``actual`` what is stored (for chain: the row's ``balance_after``; ``transaction`` its id)."""

    user_id: int
    check: str
    expected: int
    actual: int
    transaction: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "check": self.check,
            "expected": self.expected,
            "actual": self.actual,
            "transaction": self.transaction,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    players: int
    transactions: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "players": self.players,
            "transactions": self.transactions,
            "differences": [d.to_dict() for d in self.differences],
        }


class LedgerService:
    def __init__(self, database: Database) -> None:
        self.db = database

    async def user(self, user_id: int, *, last: int = 10) -> UserReport | None:
        """The player's row, balance and their ``last`` transactions; None for an unknown user."""
        head = (
            sa.select(
                u.first_name,
                u.username,
                u.language,
                u.timezone,
                u.banned,
                u.referred_by,
                u.created_at,
                u.last_seen_at,
                g.balance,
                g.total_earned,
                g.level,
                g.streak,
                g.last_checkin,
                g.vip_until,
            )
            .select_from(users.outerjoin(user_gamification, g.user_id == u.id))
            .where(u.id == user_id)
        )
        recent = (
            sa.select(
                t.id, t.amount, t.kind, t.reason, t.event, t.idempotency_key, t.balance_after, t.created_at
            )
            .where(t.user_id == user_id)
            .order_by(t.id.desc())
            .limit(max(last, 0))
        )
        async with self.db.connect() as conn:
            row = (await conn.execute(head)).first()
            if row is None:
                return None
            rows = (await conn.execute(recent)).all()
            count = await conn.scalar(sa.select(sa.func.count()).where(t.user_id == user_id))
        transactions = [
            Transaction(int(i), int(a), k, r, e, key, int(after), aware(at) or at)
            for i, a, k, r, e, key, after, at in rows
        ]
        return UserReport(
            user_id=user_id,
            first_name=row.first_name,
            username=row.username,
            language=row.language,
            timezone=row.timezone,
            banned=bool(row.banned),
            referred_by=row.referred_by,
            created_at=aware(row.created_at) or row.created_at,
            last_seen_at=aware(row.last_seen_at) or row.last_seen_at,
            balance=int(row.balance or 0),
            total_earned=int(row.total_earned or 0),
            level=int(row.level or 1),
            streak=int(row.streak or 0),
            last_checkin=row.last_checkin,
            vip_until=aware(row.vip_until),
            transactions=transactions,
            transaction_count=int(count or 0),
        )

    async def verify(self, user_id: int | None = None) -> Verification:
        """Recompute every player's balance and earned total from the ledger and walk its chain."""
        sums = (
            sa.select(
                t.user_id,
                sa.func.sum(t.amount).label("balance"),
                sa.func.sum(sa.case((t.kind == "earn", t.amount), else_=0)).label("earned"),
                sa.func.count().label("rows"),
            )
            .group_by(t.user_id)
            .subquery()
        )
        totals = sa.select(
            g.user_id,
            g.balance,
            g.total_earned,
            sa.func.coalesce(sums.c.balance, 0),
            sa.func.coalesce(sums.c.earned, 0),
            sa.func.coalesce(sums.c.rows, 0),
        ).select_from(user_gamification.outerjoin(sums, sums.c.user_id == g.user_id))
        # The chain, in SQL: a row whose balance_after is not the previous balance_after plus its amount.
        previous = sa.func.lag(t.balance_after).over(partition_by=t.user_id, order_by=t.id)
        chained = sa.select(t.id, t.user_id, t.amount, t.balance_after, previous.label("before")).subquery()
        broken = sa.select(chained).where(
            chained.c.balance_after != sa.func.coalesce(chained.c.before, 0) + chained.c.amount
        )
        if user_id is not None:
            totals = totals.where(g.user_id == user_id)
            broken = broken.where(chained.c.user_id == user_id)
        differences: list[Difference] = []
        players = transactions = 0
        async with self.db.connect() as conn:
            for uid, balance, earned, ledger_balance, ledger_earned, rows in await conn.execute(
                totals.order_by(g.user_id)
            ):
                players += 1
                transactions += int(rows)
                if int(balance) != int(ledger_balance):
                    differences.append(Difference(int(uid), "balance", int(ledger_balance), int(balance)))
                if int(earned) != int(ledger_earned):
                    differences.append(Difference(int(uid), "total_earned", int(ledger_earned), int(earned)))
            for row in await conn.execute(broken.order_by(chained.c.user_id, chained.c.id)):
                expected = int(row.before or 0) + int(row.amount)
                differences.append(
                    Difference(int(row.user_id), "chain", expected, int(row.balance_after), int(row.id))
                )
        differences.sort(key=lambda d: (d.user_id, d.check, d.transaction or 0))
        return Verification(players, transactions, differences)
