"""PlayService: a player's decisions, each applied exactly once in one database transaction.

One decision: lock the player's row → refuse a replayed update (``update_id``) or a stale/forged button
(the per-view ``nonce``) → run the pure interpreter → write state, balance, decision record, ledger rows,
achievements and outbox events → commit. Two clicks on the same button race for the row lock; the
second finds a new nonce and gets the current view instead of a second application.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from engine.content.bundle import Bundle
from engine.economy import Award, EconomyState, level_for
from engine.events import Event
from engine.play import (
    Action,
    Choose,
    Context,
    Continue,
    EnterChapter,
    NextChapter,
    PlayerState,
    Refresh,
    Restart,
    Say,
    Start,
    Step,
    View,
    new_state,
    play,
)
from engine.play.messages import t
from engine.services.clock import Clock, SystemClock, aware
from engine.services.content import ContentSource
from engine.services.economy import ledger_rows, reward_referral
from engine.store.database import Database
from engine.store.players import DecisionWrite, PlayerRow, PlayerStore, UserInfo, local_day
from engine.store.players_pg import store_for

TOUCH_AFTER = timedelta(minutes=5)
TokenSource = Callable[[], str]


def _token() -> str:
    return secrets.token_urlsafe(6)[:8]


@dataclass(frozen=True, slots=True)
class Decision:
    """What a front-end needs to answer the player."""

    outcome: str  # applied | unchanged | stale | locked | invalid | duplicate | banned | unknown_user
    view: View | None = None
    nonce: str = ""
    message: str | None = None
    events: tuple[Event, ...] = ()
    awards: tuple[Award, ...] = ()

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


class PlayService:
    def __init__(
        self,
        database: Database,
        content: ContentSource,
        *,
        clock: Clock | None = None,
        tokens: TokenSource = _token,
        store: PlayerStore | None = None,
    ) -> None:
        self.db = database
        self.content = content
        self.clock = clock or SystemClock()
        self.tokens = tokens
        self.store = store or store_for(database.dialect)

    # -- the use cases ---------------------------------------------------------------------
    async def start(self, user: UserInfo, *, update_id: int | None = None) -> Decision:
        """Register (or refresh) the user and begin the story, or show where they are.

        A user seen for the first time who came through a ``/start ref_<id>`` link earns their referrer
        the ``referral_joined`` rewards, in the same transaction that creates them (so exactly once).
        """
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if await self.store.ensure_user(conn, user, now) and user.referred_by is not None:
                await reward_referral(
                    conn, self.store, self.content.current(), user.id, user.referred_by, now
                )
        return await self._decide(user.id, lambda _: Start(), "start", update_id=update_id)

    async def choose(self, user_id: int, nonce: str, index: int, *, update_id: int | None = None) -> Decision:
        return await self._decide(
            user_id,
            lambda s: Choose(index, s.turn),
            "choose",
            update_id=update_id,
            nonce=nonce,
            choice_index=index,
        )

    async def continue_(self, user_id: int, nonce: str, *, update_id: int | None = None) -> Decision:
        return await self._decide(
            user_id, lambda s: Continue(s.turn), "continue", update_id=update_id, nonce=nonce
        )

    async def next_chapter(self, user_id: int, nonce: str, *, update_id: int | None = None) -> Decision:
        return await self._decide(
            user_id, lambda s: NextChapter(s.turn), "next_chapter", update_id=update_id, nonce=nonce
        )

    async def say(self, user_id: int, text: str, *, update_id: int | None = None) -> Decision:
        return await self._decide(user_id, lambda _: Say(text[:2000]), "say", update_id=update_id)

    async def restart(
        self, user_id: int, *, update_id: int | None = None, nonce: str | None = None
    ) -> Decision:
        """Start over; from a button, ``nonce`` keeps an old "start over" button from firing."""
        return await self._decide(user_id, lambda _: Restart(), "restart", update_id=update_id, nonce=nonce)

    async def press(
        self, user_id: int, nonce: str, action: str, index: int = 0, *, update_id: int | None = None
    ) -> Decision:
        """A tap on one of a view's buttons (its ``Button.action`` and ``Button.index``), as every
        front-end sends it; the nonce guards every button, "start over" included."""
        if action == "choose":
            return await self.choose(user_id, nonce, index, update_id=update_id)
        if action == "continue":
            return await self.continue_(user_id, nonce, update_id=update_id)
        if action == "next_chapter":
            return await self.next_chapter(user_id, nonce, update_id=update_id)
        if action == "restart":
            return await self.restart(user_id, update_id=update_id, nonce=nonce)
        raise ValueError(f"no button does {action!r}")

    async def enter_chapter(self, user_id: int, chapter: str, *, update_id: int | None = None) -> Decision:
        return await self._decide(user_id, lambda _: EnterChapter(chapter), "chapter", update_id=update_id)

    async def current(self, user_id: int) -> Decision:
        """The player's current view and its button nonce, read-only (for /menu, re-sends)."""
        bundle = self.content.current()
        async with self.db.connect() as conn:
            row = await self.store.read(conn, user_id)
        if row is None:
            return Decision("unknown_user")
        if row.banned:
            return Decision("banned")
        return self._current(row, bundle, self.clock.now(), "unchanged")

    async def state(self, user_id: int, locale: str | None = None) -> tuple[PlayerState, View] | None:
        """The player's current state and view, read-only (no lock, nothing written)."""
        bundle = self.content.current()
        now = self.clock.now()
        async with self.db.connect() as conn:
            row = await self.store.read(conn, user_id)
        if row is None or not row.has_state:
            return None
        state = self._state(row, bundle, now)
        ctx = self._context(row, bundle, now, locale)
        step = play(bundle, state, Refresh(), ctx)  # a started player: nothing applied
        return step.state, step.view

    # -- the one transaction ---------------------------------------------------------------
    def _state(self, row: PlayerRow, bundle: Bundle, now: datetime) -> PlayerState:
        vip_until = aware(row.vip_until)
        vip = vip_until is not None and vip_until > now
        economy = EconomyState.from_dict(row.economy or {})
        if row.state is None:
            return replace(new_state(bundle, points=row.balance, vip=vip), economy=economy)
        data = dict(row.state)
        # The columns are authoritative (publishing queries and migrates them); JSON holds the rest.
        data["points"] = row.balance
        data["turn"] = row.turn
        data["scene"] = row.scene
        state = PlayerState.from_dict(data, vip=vip)
        return replace(state, economy=economy)

    def _context(self, row: PlayerRow, bundle: Bundle, now: datetime, locale: str | None = None) -> Context:
        wanted = locale or row.language or bundle.default_locale
        chosen = wanted if wanted in bundle.locales else wanted.split("-")[0]
        if chosen not in bundle.locales:
            chosen = bundle.default_locale
        return Context(
            locale=chosen,
            today=local_day(now, row.timezone),
            player_name=row.first_name,
            classify=self.content.classifier(bundle),
        )

    async def _decide(
        self,
        user_id: int,
        make: Callable[[PlayerState], Action],
        kind: str,
        *,
        update_id: int | None = None,
        nonce: str | None = None,
        choice_index: int | None = None,
    ) -> Decision:
        bundle = self.content.current()  # the release this decision runs on, start to finish
        now = self.clock.now()
        async with self.db.transaction() as conn:
            row, fresh = await self.store.lock_and_mark(conn, user_id, update_id, now)
            if row is None:
                return Decision("unknown_user")
            if row.banned:
                return Decision("banned")
            if not fresh:
                return self._current(row, bundle, now, "duplicate")
            if nonce is not None and row.nonce != nonce:
                return self._current(row, bundle, now, "stale", stale_message=True)
            state = self._state(row, bundle, now)
            ctx = self._context(row, bundle, now)
            step = play(bundle, state, make(state), ctx)
            if not step.applied:
                return Decision(step.outcome, step.view, row.nonce or "", step.message)
            new_nonce = self.tokens()
            await self._write(conn, row, bundle, state, step, kind, choice_index, new_nonce, now)
        return Decision("applied", step.view, new_nonce, step.message, step.events, step.awards)

    def _current(
        self,
        row: PlayerRow,
        bundle: Bundle,
        now: datetime,
        outcome: str,
        *,
        stale_message: bool = False,
    ) -> Decision:
        if not row.has_state:
            return Decision(outcome)
        state = self._state(row, bundle, now)
        ctx = self._context(row, bundle, now)
        step = play(bundle, state, Refresh(), ctx)  # a started player: nothing applied
        message = t(ctx.locale, "stale") if stale_message else None
        return Decision(outcome, step.view, row.nonce or "", message)

    async def _write(
        self,
        conn: Any,
        row: PlayerRow,
        bundle: Bundle,
        before: PlayerState,
        step: Step,
        kind: str,
        choice_index: int | None,
        nonce: str,
        now: datetime,
    ) -> None:
        after = step.state
        uid = row.user_id
        data = after.to_dict()
        for column_owned in ("points", "economy", "turn", "scene"):
            data.pop(column_owned, None)
        ledger, balance = ledger_rows(step.awards, row.balance, f"play:{uid}:{before.turn}")
        if balance != after.points:  # pragma: no cover - an interpreter bug, never a player's
            raise AssertionError(f"ledger {balance} disagrees with state {after.points}")
        economy = after.economy
        gamification = None
        if ledger or economy != before.economy:
            gamification = {
                "balance": after.points,
                "total_earned": economy.total_earned,
                "level": level_for(bundle.rewards, economy.total_earned),
                "streak": economy.streak,
                "economy": economy.to_dict(),
            }
        scene_before = bundle.scenes.get(before.scene) if before.scene else None
        choice = None
        if choice_index is not None and scene_before is not None:
            choice = scene_before.choices[choice_index].key
        last_seen = aware(row.last_seen_at)
        # Points earned, on the event that earned them: the leaderboards consumer adds them up.
        earned: dict[int, int] = {}
        for award in step.awards:
            if award.kind == "earn" and step.events:
                number = next((n for n, e in enumerate(step.events) if e.type == award.event), 0)
                earned[number] = earned.get(number, 0) + award.amount
        write = DecisionWrite(
            user_id=uid,
            is_new_state=not row.has_state,
            release=bundle.content_hash,
            scene=after.scene,
            turn=after.turn,
            nonce=nonce,
            state=data,
            now=now,
            gamification=gamification,
            decision={
                "action": kind,
                "chapter": before.chapter or after.chapter,
                "scene": before.scene or after.scene,
                "choice": choice,
                "turn": before.turn,
            },
            ledger=ledger,
            events=[
                {
                    "event_id": f"{uid}:{before.turn}:{number}",
                    "type": event.type,
                    "payload": {
                        **event.to_dict(),
                        "release": bundle.content_hash,
                        "at": now.isoformat(),
                        **({"points": earned[number]} if number in earned else {}),
                    },
                }
                for number, event in enumerate(step.events)
            ],
            achievements=[
                {"achievement_id": aid, "tier": tier}
                for aid, tier in after.achievements.items()
                if before.achievements.get(aid) != tier
            ],
            bonds={c: b for c, b in after.bonds.items() if before.bonds.get(c) != b},
            touch=last_seen is None or now - last_seen > TOUCH_AFTER,
            progress=_progress(step, before),
        )
        await self.store.commit_decision(conn, write)


def _progress(step: Step, before: PlayerState) -> list[dict[str, Any]]:
    """Chapter progress rows the step's events call for, one per chapter (entered, or completed with
    its ending: a completion wins over an entry into the same chapter, as applying them in turn did)."""
    rows: dict[str, dict[str, Any]] = {}
    for event in step.events:
        if (
            event.type == "scene_entered"
            and event.chapter
            and (event.chapter != before.chapter or not before.scene)
        ):
            rows.setdefault(event.chapter, {"chapter": event.chapter, "completed": False, "ending": None})
        elif event.type == "ending_reached" and event.chapter:
            ending = str(event.data.get("ending", ""))
            rows[event.chapter] = {"chapter": event.chapter, "completed": True, "ending": ending}
    return list(rows.values())
