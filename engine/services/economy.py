"""Events from outside a story step (check-in, referral) applied to one locked player.

The story's own moves go through PlayService and the interpreter; a daily check-in or a friend joining
happens outside the story but must earn and unlock exactly as a move would. So this module runs the
interpreter's own ``settle`` (reward rules, then achievements, until nothing new unlocks) on the player's
saved state and writes what it decided (ledger rows with their idempotency keys, the balance, the
counters, new achievements and outbox events) inside the caller's transaction, after the caller locked
the player's row. One implementation of the rules, whoever the caller is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.content.bundle import Bundle
from engine.economy import Award, EconomyState, level_for
from engine.events import Event
from engine.play import Context, PlayerState, Settled, new_state, settle
from engine.play.state import reconcile
from engine.services.clock import aware
from engine.store.players import PlayerRow, PlayerStore, dialect_insert, local_day
from engine.store.tables import claims, outbox, player_states, points_transactions, user_gamification


def is_vip(row: PlayerRow, now: datetime) -> bool:
    until = aware(row.vip_until)
    return until is not None and until > now


def locale_for(bundle: Bundle, language: str | None) -> str:
    """The player's language if the story has it (``es-MX`` falls back to ``es``), else the default."""
    wanted = language or bundle.default_locale
    chosen = wanted if wanted in bundle.locales else wanted.split("-")[0]
    return chosen if chosen in bundle.locales else bundle.default_locale


def story_state(bundle: Bundle, row: PlayerRow, now: datetime) -> PlayerState:
    """The player's saved story state fitted to the live bundle (a new player's defaults without one);
    the columns (balance, turn, scene, economy) are authoritative over the JSON, as in PlayService."""
    vip = is_vip(row, now)
    economy = EconomyState.from_dict(row.economy or {})
    if row.state is None:
        return replace(new_state(bundle, points=row.balance, vip=vip), economy=economy)
    data = dict(row.state)
    data["points"] = row.balance
    data["turn"] = row.turn or 0
    data["scene"] = row.scene or ""
    return replace(reconcile(bundle, PlayerState.from_dict(data, vip=vip)), economy=economy)


@dataclass(frozen=True, slots=True)
class Applied:
    settled: Settled
    balance: int
    awarded: int  # what the events earned in all (rules, achievement rewards)
    today: date


def ledger_rows(awards: Sequence[Award], balance: int, key: str) -> tuple[list[dict[str, Any]], int]:
    """One ledger row per award, in order, each with the balance after it and the idempotency key
    ``{key}:{n}``; and the balance after them all. Every writer of awards (decisions, check-ins,
    referrals, purchases' bonuses) builds its rows here, so the chain ``economy verify`` walks is
    built one way."""
    rows = []
    for number, award in enumerate(awards):
        balance += award.amount
        rows.append(
            {
                "amount": award.amount,
                "kind": award.kind,
                "reason": award.reason[:200],
                "event": award.event,
                "idempotency_key": f"{key}:{number}",
                "balance_after": balance,
            }
        )
    return rows, balance


async def apply_events(
    conn: AsyncConnection,
    store: PlayerStore,
    bundle: Bundle,
    row: PlayerRow,
    events: Sequence[Event],
    *,
    key: str,
    now: datetime,
    economy: EconomyState | None = None,
    gamification: Mapping[str, Any] | None = None,
) -> Applied:
    """Settle ``events`` for the locked player ``row`` and write the result in ``conn``'s transaction.

    ``key`` makes the writes idempotent: ledger rows get ``{key}:{n}``, outbox events ``{key}`` (the
    first) and ``{key}:{n}``; a unique violation means the caller applied the same thing twice, which
    the caller prevents under the row lock. ``economy`` replaces the saved counters first (the check-in
    passes its new streak); ``gamification`` adds column values (``last_checkin``). The first outbox
    event's payload says how much the events ``awarded`` in all.
    """
    today = local_day(now, row.timezone)
    state = story_state(bundle, row, now)
    if economy is not None:
        state = replace(state, economy=economy)
    ctx = Context(locale=locale_for(bundle, row.language), today=today, player_name=row.first_name)
    settled = settle(bundle, state, events, ctx, achievements=row.state is not None)
    entries, balance = ledger_rows(settled.awards, row.balance, key)
    if entries:
        ledger = [{**entry, "user_id": row.user_id, "created_at": now} for entry in entries]
        await conn.execute(sa.insert(points_transactions), ledger)
    econ = settled.state.economy
    await conn.execute(
        sa.update(user_gamification)
        .where(user_gamification.c.user_id == row.user_id)
        .values(
            balance=balance,
            total_earned=econ.total_earned,
            level=level_for(bundle.rewards, econ.total_earned),
            streak=econ.streak,
            economy=econ.to_dict(),
            updated_at=now,
            **dict(gamification or {}),
        )
    )
    unlocked = {
        aid: tier for aid, tier in settled.state.achievements.items() if state.achievements.get(aid) != tier
    }
    if unlocked:
        await store.add_achievements(
            conn,
            [
                {"user_id": row.user_id, "achievement_id": aid, "tier": tier, "unlocked_at": now}
                for aid, tier in unlocked.items()
            ],
        )
        # The story state carries the unlocked set the interpreter judges "once" by: keep it in step,
        # or the next story move would unlock (and reward) the same achievement again.
        assert row.state is not None  # achievements are only evaluated on a saved story state
        data = {**row.state, "achievements": dict(settled.state.achievements)}
        await conn.execute(
            sa.update(player_states).where(player_states.c.user_id == row.user_id).values(state=data)
        )
    awarded = balance - row.balance
    await conn.execute(
        sa.insert(outbox),
        [
            {
                "event_id": key if number == 0 else f"{key}:{number}",
                "user_id": row.user_id,
                "type": event.type,
                "payload": {
                    **event.to_dict(),
                    **({"awarded": awarded} if number == 0 else {}),
                    "release": bundle.content_hash,
                    "at": now.isoformat(),
                },
                "created_at": now,
            }
            for number, event in enumerate(settled.events)
        ],
    )
    return Applied(settled, balance, awarded, today)


async def claim(conn: AsyncConnection, key: str, kind: str, user_id: int, now: datetime) -> bool:
    """Take the once-only ``key`` in the caller's transaction; False if it was taken before."""
    stmt = (
        dialect_insert(conn, claims)
        .values(key=key, kind=kind, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return (await conn.execute(stmt)).rowcount == 1


async def reward_referral(
    conn: AsyncConnection, store: PlayerStore, bundle: Bundle, referred: int, referrer: int, now: datetime
) -> Applied | None:
    """A genuinely new player arrived through ``referrer``'s link: ``referral_joined`` for the referrer.

    Called in the transaction that created ``referred`` (so only for a user id never seen before).
    Never for oneself, an unknown or banned referrer, and once per referred id ever: the claim
    ``referral:<referred>`` outlives an erased and re-created account, so leaving and coming back
    through the same link earns nothing twice. The referrer's own caps and rules apply as for any event.
    """
    if referred == referrer:
        return None
    row = await store.lock(conn, referrer)
    if row is None or row.banned:
        return None
    if not await claim(conn, f"referral:{referred}", "referral", referrer, now):
        return None
    event = Event("referral_joined", data={"referred": referred})
    return await apply_events(conn, store, bundle, row, [event], key=f"referral:{referred}", now=now)
