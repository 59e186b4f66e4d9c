"""Property tests of the pure economy rules: balance = ledger sum, the cap holds, ``once`` fires once.

Hypothesis draws a rule set (points, once, per-day limits, streak bonuses, a cap, a VIP multiplier)
and a run of events over several days; the rules are applied as the services apply them and the
invariants are checked after every event.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.content.bundle import RewardsSpec, RuleSpec
from engine.economy import EconomyState, checkin, earn, rewards_for
from engine.events import EVENT_TYPES, Event

DAY0 = date(2026, 10, 20)

rules = st.lists(
    st.builds(
        RuleSpec,
        key=st.sampled_from(["a", "b", "c", "d", "e"]),
        on=st.sampled_from(EVENT_TYPES),
        points=st.integers(0, 200),
        once=st.booleans(),
        per_day=st.none() | st.integers(1, 3),
        streak_per_day=st.integers(0, 10),
        streak_max=st.integers(0, 40),
    ),
    max_size=6,
    unique_by=lambda r: r.key,
)
specs = st.builds(
    RewardsSpec,
    currency_id=st.just("besitos"),
    currency_name=st.just({"es": "besitos"}),
    rules=rules.map(tuple),
    vip_multiplier=st.sampled_from([1.0, 1.5, 2.0]),
    daily_cap=st.none() | st.integers(0, 300),
    grace_days=st.integers(0, 2),
)
# (day offset, event type, vip) in time order
runs = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(EVENT_TYPES), st.booleans()), max_size=40).map(
    lambda xs: sorted(xs, key=lambda x: x[0])
)


def always(_: RuleSpec) -> bool:
    return True


@settings(max_examples=300, deadline=None)
@given(specs, runs)
def test_balance_is_the_ledger_sum_the_cap_holds_and_once_fires_once(
    rewards: RewardsSpec, run: list[tuple[int, str, bool]]
) -> None:
    econ = EconomyState()
    ledger: list[int] = []
    balance = 0
    earned_per_day: Counter[date] = Counter()
    fired: Counter[str] = Counter()
    fired_per_day: Counter[tuple[date, str]] = Counter()
    for offset, event_type, vip in run:
        today = DAY0 + timedelta(days=offset)
        econ = econ.for_day(today)
        streak = econ.streak
        if event_type == "daily_checkin":
            econ, _ = checkin(econ, today, rewards.grace_days)
            streak = econ.streak
        awards, econ = rewards_for(rewards, econ, Event(event_type), vip=vip, streak=streak, condition=always)
        for award in awards:
            assert award.amount > 0 and award.kind == "earn"
            ledger.append(award.amount)
            balance += award.amount
            earned_per_day[today] += award.amount
            fired[award.reason] += 1
            fired_per_day[(today, award.reason)] += 1
        assert balance == sum(ledger)
        assert econ.total_earned == sum(ledger)
        assert econ.earned_today == earned_per_day[today]
        if rewards.daily_cap is not None:
            assert all(total <= rewards.daily_cap for total in earned_per_day.values())
        for rule in rewards.rules:
            if rule.once:
                assert fired[f"rule:{rule.key}"] <= 1
            if rule.per_day is not None:
                assert all(
                    n <= rule.per_day for (_, r), n in fired_per_day.items() if r == f"rule:{rule.key}"
                )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.booleans(),
    st.sampled_from([1.0, 1.5, 2.0]),
    st.none() | st.integers(0, 500),
)
def test_earn_never_passes_the_cap_and_multiplies_earned_points_only(
    already: int, amount: int, vip: bool, multiplier: float, cap: int | None
) -> None:
    rewards = RewardsSpec("besitos", {"es": "besitos"}, vip_multiplier=multiplier, daily_cap=cap)
    econ = EconomyState(day=DAY0.isoformat(), earned_today=already, total_earned=already)
    granted, after = earn(rewards, econ, amount, vip)
    expected = int(amount * multiplier) if vip else amount
    if cap is not None:
        expected = max(0, min(expected, cap - already))
    assert granted == expected
    assert after.total_earned == already + granted
    assert cap is None or granted == 0 or after.earned_today <= cap


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=30), st.integers(0, 2))
def test_streak_counts_consecutive_days_and_breaks_after_grace(gaps: list[int], grace: int) -> None:
    econ = EconomyState()
    day = DAY0
    expected = 0
    for number, gap in enumerate(gaps):
        day += timedelta(days=gap)
        econ, fresh = checkin(econ, day, grace)
        if number == 0:
            expected = 1
        elif gap == 0:
            assert not fresh  # the same local day: once
            continue
        elif gap <= 1 + grace:
            expected += 1
        else:
            expected = 1
        assert fresh and econ.streak == expected and econ.last_checkin == day.isoformat()
