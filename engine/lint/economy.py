"""The most currency a player can hold on arriving at each scene, on the first way through the story.

An upper bound, so that "no path can afford this" is never said wrongly. Earned on the way: every reward
rule an event along the path can trigger (``story_started``, ``choice_made`` for each choice,
``scene_entered``, ``ending_reached``, ``chapter_completed``), ``points`` effects, and every achievement
reward (as if all were unlocked). A rule limited by ``once`` or ``limit.per_day`` counts at most that many
times (the path is taken as one day's play); the VIP multiplier is applied to everything. Rule
conditions (``if``) are taken as true. Spending is not subtracted. Not counted: daily check-ins,
purchases, referrals, and replays (restarting, or re-entering a chapter from the menu).

A cycle of scenes that earns something can be gone round for ever: every scene after it is unbounded
(no finding there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.content.model import RewardRule, Scene
from engine.lint.graph import Analysis, Exit

PATH_EVENTS = ("story_started", "choice_made", "scene_entered", "chapter_completed", "ending_reached")


@dataclass
class Arrival:
    most: dict[str, int | None]  # scene -> the bound (None: unbounded)
    best: dict[str, str | None] = field(default_factory=dict)  # scene -> the scene before, on the richest way

    def path(self, key: str) -> list[str]:
        found = [key]
        seen = {key}
        while (before := self.best.get(found[-1])) is not None and before not in seen:
            seen.add(before)
            found.append(before)
        return [*reversed(found)]


def _limited(rule: RewardRule) -> int | None:
    if rule.once:
        return 1
    return rule.per_day


def richest_arrival(found: Analysis) -> Arrival:
    content = found.content
    rewards = content.rewards
    rules = [rule for rule in rewards.rules if rule.on in PATH_EVENTS or rule.on == "achievement_unlocked"]
    per_event: dict[tuple[str, str | None], int] = {}
    for rule in rules:
        if _limited(rule) is None:
            where = rule.chapter.value if rule.chapter else None
            per_event[(rule.on, where)] = per_event.get((rule.on, where), 0) + rule.points

    def unlimited(event: str, chapter: str) -> int:
        return per_event.get((event, None), 0) + per_event.get((event, chapter), 0)

    unlocks = sum(len(a.tiers) or 1 for a in content.achievements.values())
    constant = sum(rule.points * (_limited(rule) or 0) for rule in rules if rule.on != "achievement_unlocked")
    constant += sum(a.reward_points for a in content.achievements.values())
    for rule in rules:
        if rule.on == "achievement_unlocked":
            limit = _limited(rule)
            constant += rule.points * (unlocks if limit is None else min(limit, unlocks))

    def enter(scene: Scene) -> int:
        gain = scene.on_enter.points.value if scene.on_enter and scene.on_enter.points else 0
        gain += unlimited("scene_entered", scene.chapter)
        if scene.ending:
            gain += unlimited("ending_reached", scene.chapter) + unlimited("chapter_completed", scene.chapter)
        return max(gain, 0)

    def step(item: Exit) -> int:
        gain = 0
        if item.choice is not None:
            gain += unlimited("choice_made", item.source.partition(".")[0])
            effects = item.choice.effects
            if effects and effects.points:
                gain += max(effects.points.value, 0)
        target = content.scene(item.target)
        return gain + (enter(target) if target is not None else 0)

    start = found.story.start
    first = content.scene(start) if start is not None else None
    assert start is not None and first is not None
    value: dict[str, float] = {}
    best: dict[str, str | None] = {start: None}
    # Components come in topological order: every way into one comes from those before it.
    for members in found.components:
        inside = set(members)
        offers: dict[str, tuple[float, str | None]] = {}
        if start in inside:
            offers[start] = (float(enter(first)), None)
        earning = False
        for key in members:
            for item in found.story.incoming.get(key, ()):
                gain = step(item)
                if item.source in inside:
                    earning |= gain > 0 and found.can_take(item)
                elif item.source in value and found.can_take(item):
                    offer = value[item.source] + gain
                    if key not in offers or offer > offers[key][0]:
                        offers[key] = (offer, item.source)
        if not offers:
            continue  # no way in from the start (the menu and replays are not counted)
        if found.cyclic(members):
            # Inside a cycle every member can be reached from every entry at no cost.
            top, source = max(offers.values(), key=lambda pair: pair[0])
            for key in members:
                value[key] = math.inf if earning else top
                best.setdefault(key, source)
            continue
        (key,) = members
        value[key], best[key] = offers[key]
    multiplier = max(1.0, rewards.vip_multiplier)
    most: dict[str, int | None] = {
        key: None if math.isinf(total) else int((total + constant) * multiplier)
        for key, total in value.items()
    }
    return Arrival(most, best)
