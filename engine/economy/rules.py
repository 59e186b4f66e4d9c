"""Reward rules from ``rewards.yaml`` applied to events, with no I/O.

The counters a rule needs (what was earned today, how often each rule fired today, which ``once`` rules
already fired) travel in :class:`EconomyState`, so the same function serves the in-memory playtest and the
database-backed service, and property tests can check the cap and ``once`` invariants directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from engine.content.bundle import RewardsSpec, RuleSpec
from engine.events import Event


@dataclass(frozen=True, slots=True)
class Award:
    """One change of balance. ``kind``: earn (capped, multiplied), spend, purchase, refund."""

    amount: int
    kind: str
    reason: str
    event: str | None = None


@dataclass(frozen=True, slots=True)
class EconomyState:
    day: str = ""  # the player's local day the daily counters belong to (ISO date)
    earned_today: int = 0
    rule_counts: Mapping[str, int] = field(default_factory=dict)
    once_fired: frozenset[str] = frozenset()
    total_earned: int = 0
    streak: int = 0
    last_checkin: str = ""

    def for_day(self, today: date) -> EconomyState:
        iso = today.isoformat()
        if self.day == iso:
            return self
        return replace(self, day=iso, earned_today=0, rule_counts={})

    def to_dict(self) -> dict[str, object]:
        return {
            "day": self.day,
            "earned_today": self.earned_today,
            "rule_counts": dict(self.rule_counts),
            "once_fired": sorted(self.once_fired),
            "total_earned": self.total_earned,
            "streak": self.streak,
            "last_checkin": self.last_checkin,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> EconomyState:
        counts = data.get("rule_counts") or {}
        fired = data.get("once_fired") or []
        assert isinstance(counts, dict)
        assert isinstance(fired, list)
        return cls(
            day=str(data.get("day", "")),
            earned_today=int(str(data.get("earned_today", 0))),
            rule_counts={str(k): int(v) for k, v in counts.items()},
            once_fired=frozenset(str(x) for x in fired),
            total_earned=int(str(data.get("total_earned", 0))),
            streak=int(str(data.get("streak", 0))),
            last_checkin=str(data.get("last_checkin", "")),
        )


def earn(rewards: RewardsSpec, econ: EconomyState, amount: int, vip: bool) -> tuple[int, EconomyState]:
    """Earned (not purchased) points: VIP multiplier first, then what is left of the daily cap."""
    if amount <= 0:
        return 0, econ
    if vip and rewards.vip_multiplier != 1.0:
        amount = int(amount * rewards.vip_multiplier)
    if rewards.daily_cap is not None:
        amount = max(0, min(amount, rewards.daily_cap - econ.earned_today))
    if amount == 0:
        return 0, econ
    return amount, replace(
        econ, earned_today=econ.earned_today + amount, total_earned=econ.total_earned + amount
    )


def _rule_applies(
    rule: RuleSpec, event: Event, econ: EconomyState, condition: Callable[[RuleSpec], bool]
) -> bool:
    if rule.on != event.type:
        return False
    if rule.chapter is not None and rule.chapter != event.chapter:
        return False
    if rule.once and rule.key in econ.once_fired:
        return False
    if rule.per_day is not None and econ.rule_counts.get(rule.key, 0) >= rule.per_day:
        return False
    return rule.condition is None or condition(rule)


def rewards_for(
    rewards: RewardsSpec,
    econ: EconomyState,
    event: Event,
    *,
    vip: bool,
    streak: int,
    condition: Callable[[RuleSpec], bool],
) -> tuple[list[Award], EconomyState]:
    """Every matching rule applies (in file order), each honouring once, per-day limit and the cap."""
    awards: list[Award] = []
    for rule in rewards.rules:
        if not _rule_applies(rule, event, econ, condition):
            continue
        base = rule.points
        if rule.streak_per_day:
            bonus = rule.streak_per_day * max(streak - 1, 0)
            base += min(bonus, rule.streak_max) if rule.streak_max else bonus
        counts = dict(econ.rule_counts)
        counts[rule.key] = counts.get(rule.key, 0) + 1
        econ = replace(
            econ,
            rule_counts=counts,
            once_fired=econ.once_fired | {rule.key} if rule.once else econ.once_fired,
        )
        granted, econ = earn(rewards, econ, base, vip)
        if granted:
            awards.append(Award(granted, "earn", f"rule:{rule.key}", event.type))
    return awards, econ


def checkin(econ: EconomyState, today: date, grace_days: int) -> tuple[EconomyState, bool]:
    """Daily check-in: (new state, True) once per local day; the streak survives ``grace_days`` misses."""
    iso = today.isoformat()
    if econ.last_checkin == iso:
        return econ, False
    streak = 1
    if econ.last_checkin:
        gap = (today - date.fromisoformat(econ.last_checkin)).days
        if 1 <= gap <= 1 + grace_days:
            streak = econ.streak + 1
    return replace(econ, last_checkin=iso, streak=streak), True


def level_for(rewards: RewardsSpec, total_earned: int) -> int:
    """1-based level: the number of thresholds reached (level 1 at the first, or 1 with none)."""
    reached = sum(1 for level in rewards.levels if total_earned >= level.points)
    return max(reached, 1)
