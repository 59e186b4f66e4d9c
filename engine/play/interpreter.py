"""Run one player action against a bundle: pure, synchronous and deterministic.

``play(bundle, state, action, ctx)`` returns a :class:`Step`: the view to show, the new state, the domain
events and the ledger awards. Nothing here reads a clock, a database or a random source: the day and the
mood classifier come in through :class:`Context`, so the same inputs always give the same step, and the
service can run this inside its database transaction.

Order inside a step (the writers' contract): cost is spent first, then effects ``set`` → ``add`` →
``bond`` → ``points`` → ``achievement``; entering a scene applies ``on_enter``; then reward rules run over
the step's events, then achievements are checked (their unlocks are events too, so rules see them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from engine.content.bundle import Bundle, ChapterSpec, EffectsSpec, RuleSpec, SceneSpec
from engine.economy import Award, EconomyState, earn, rewards_for
from engine.events import Event
from engine.play.actions import (
    Action,
    Choose,
    Continue,
    EnterChapter,
    NextChapter,
    Refresh,
    Restart,
    Say,
    Start,
)
from engine.play.messages import t
from engine.play.reasons import describe
from engine.play.render import render_text
from engine.play.state import PlayerState, default_bonds, default_variables, reconcile
from engine.play.view import LOCKED, OPEN, UNAFFORDABLE, VIP, Button, View

Classifier = Callable[[str, str], str | None]
MAX_ACHIEVEMENT_ROUNDS = 16


@dataclass(frozen=True, slots=True)
class Context:
    """What a step may know about the world: the player's locale and local day, name, mood model."""

    locale: str = "es"
    today: date = date(2000, 1, 1)
    player_name: str = ""
    classify: Classifier | None = None


@dataclass(frozen=True, slots=True)
class Step:
    view: View
    state: PlayerState
    events: tuple[Event, ...] = ()
    awards: tuple[Award, ...] = ()
    outcome: str = "applied"  # applied | stale | locked | invalid | unchanged
    message: str | None = None  # a localized note for the player when nothing was applied

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True, slots=True)
class Gate:
    status: str  # locked | vip
    reason: str


class _Turn:
    """The mutable working copy of a state during one step; also the Facts conditions read."""

    def __init__(self, bundle: Bundle, state: PlayerState, ctx: Context) -> None:
        self.bundle = bundle
        self.ctx = ctx
        self.scene = state.scene
        self.turn = state.turn
        self.variables = dict(state.variables)
        self.bonds = dict(state.bonds)
        self.visited_set = set(state.visited)
        self.chosen_set = set(state.chosen)
        self.done = set(state.chapters_done)
        self.mood_value = state.mood
        self.unlocked = dict(state.achievements)
        self.balance = state.points
        self.is_vip = state.vip
        self.econ: EconomyState = state.economy.for_day(ctx.today)
        self.events: list[Event] = []
        self.awards: list[Award] = []
        self.notices: list[str] = []

    # -- Facts -----------------------------------------------------------------------------
    def variable(self, name: str) -> int | bool | str:
        return self.variables[name]

    @property
    def points(self) -> int:
        return self.balance

    @property
    def vip(self) -> bool:
        return self.is_vip

    @property
    def streak(self) -> int:
        return self.econ.streak

    @property
    def mood(self) -> str | None:
        return self.mood_value

    def bond(self, character: str) -> int:
        return self.bonds.get(character, 0)

    def visited(self, scene: str) -> bool:
        return scene in self.visited_set

    def chose(self, choice: str) -> bool:
        return choice in self.chosen_set

    def chapter_done(self, chapter: str) -> bool:
        return chapter in self.done

    def has(self, achievement: str) -> bool:
        return achievement in self.unlocked

    # -- changes ---------------------------------------------------------------------------
    def state(self, base: PlayerState) -> PlayerState:
        return replace(
            base,
            scene=self.scene,
            turn=self.turn,
            variables=self.variables,
            bonds=self.bonds,
            visited=frozenset(self.visited_set),
            chosen=frozenset(self.chosen_set),
            chapters_done=frozenset(self.done),
            mood=self.mood_value,
            achievements=self.unlocked,
            points=self.balance,
            economy=self.econ,
        )

    def currency(self) -> str:
        return self.bundle.text(dict(self.bundle.rewards.currency_name), self.ctx.locale)

    def earn(self, amount: int, reason: str, event: str | None) -> None:
        granted, self.econ = earn(self.bundle.rewards, self.econ, amount, self.is_vip)
        if granted:
            self.balance += granted
            self.awards.append(Award(granted, "earn", reason, event))
            self.notices.append(t(self.ctx.locale, "earned", amount=granted, currency=self.currency()))

    def spend(self, amount: int, reason: str) -> None:
        self.balance -= amount
        self.awards.append(Award(-amount, "spend", reason, "choice_made"))
        self.notices.append(t(self.ctx.locale, "spent", amount=amount, currency=self.currency()))

    def apply(self, effects: EffectsSpec | None, reason: str) -> None:
        if effects is None:
            return
        for name, value in effects.set.items():
            self.variables[name] = value
        for name, delta in effects.add.items():
            spec = self.bundle.variables[name]
            current = self.variables.get(name, spec.default)
            assert isinstance(current, int)
            value = current + delta
            if spec.min is not None:
                value = max(value, spec.min)
            if spec.max is not None:
                value = min(value, spec.max)
            self.variables[name] = value
        for character, delta in effects.bond.items():
            char = self.bundle.characters[character]
            current = self.bonds.get(character, char.bond_default)
            self.bonds[character] = min(max(current + delta, char.bond_min), char.bond_max)
        if effects.points:
            self.earn(effects.points, f"effect:{reason}", None)
        if effects.achievement:
            self.grant(effects.achievement)

    def grant(self, achievement_id: str, tier: str = "") -> None:
        spec = self.bundle.achievements[achievement_id]
        first = achievement_id not in self.unlocked
        if not tier and spec.tiers and first:
            tier = spec.tiers[0].tier
        if not first and (not tier or _tier_rank(tier) <= _tier_rank(self.unlocked[achievement_id])):
            return
        self.unlocked[achievement_id] = tier
        self.events.append(Event("achievement_unlocked", data={"achievement": achievement_id, "tier": tier}))
        title = self.bundle.text(dict(spec.title), self.ctx.locale)
        icon = f"{spec.icon} " if spec.icon else ""
        if tier:
            self.notices.append(
                t(
                    self.ctx.locale,
                    "achievement_tier",
                    title=icon + title,
                    tier=t(self.ctx.locale, f"tier.{tier}"),
                )
            )
        else:
            self.notices.append(t(self.ctx.locale, "achievement", title=icon + title))
        if first and spec.reward_points:
            self.earn(spec.reward_points, f"achievement:{achievement_id}", "achievement_unlocked")

    def enter(self, key: str) -> None:
        scene = self.bundle.scenes[key]
        self.scene = key
        self.visited_set.add(key)
        self.events.append(Event("scene_entered", scene.chapter, key))
        self.apply(scene.on_enter, key)
        if scene.ending:
            self.events.append(Event("ending_reached", scene.chapter, key, {"ending": scene.ending}))
            if scene.chapter not in self.done:
                self.done.add(scene.chapter)
                self.events.append(Event("chapter_completed", scene.chapter, key))

    def settle(self, achievements: bool = True) -> None:
        """Reward rules over the step's events, then achievements, until nothing new unlocks."""
        cursor = 0
        for _ in range(MAX_ACHIEVEMENT_ROUNDS):
            while cursor < len(self.events):
                event = self.events[cursor]
                cursor += 1
                awards, self.econ = rewards_for(
                    self.bundle.rewards,
                    self.econ,
                    event,
                    vip=self.is_vip,
                    streak=self.streak,
                    condition=self.rule_condition,
                )
                for award in awards:
                    self.balance += award.amount
                    self.awards.append(award)
                    self.notices.append(
                        t(self.ctx.locale, "earned", amount=award.amount, currency=self.currency())
                    )
            before = len(self.events)
            if achievements:
                self.check_achievements()
            if len(self.events) == before:
                return

    def rule_condition(self, rule: RuleSpec) -> bool:
        return rule.condition is None or rule.condition(self)

    def check_achievements(self) -> None:
        for spec in self.bundle.achievements.values():
            if spec.when is not None and spec.id not in self.unlocked and spec.when(self):
                self.grant(spec.id)
            current = self.unlocked.get(spec.id)
            for tier in spec.tiers:
                if current is not None and _tier_rank(tier.tier) <= _tier_rank(current):
                    continue
                if not tier.condition(self):
                    break  # tiers unlock in order
                self.grant(spec.id, tier.tier)
                current = tier.tier


_TIERS = {"": 0, "bronze": 1, "silver": 2, "gold": 3}


def _tier_rank(tier: str) -> int:
    return _TIERS.get(tier, 0)


# -- gates and buttons ---------------------------------------------------------------------------


def chapter_gate(bundle: Bundle, chapter: ChapterSpec, facts: _Turn) -> Gate | None:
    """Why a player may not enter ``chapter`` now (VIP first: it is the one they can fix by buying)."""
    locale = facts.ctx.locale
    title = bundle.text(dict(chapter.title), locale)
    if chapter.vip and not facts.vip:
        return Gate(VIP, t(locale, "chapter_vip", title=title))
    if chapter.unlock is not None and not chapter.unlock(facts):
        condition = describe(chapter.unlock.tree, bundle, locale)
        return Gate(LOCKED, t(locale, "chapter_locked", title=title, condition=condition))
    return None


def _target_gate(bundle: Bundle, from_scene: SceneSpec, target: str, facts: _Turn) -> Gate | None:
    chapter = bundle.scenes[target].chapter
    if chapter == from_scene.chapter:
        return None
    return chapter_gate(bundle, bundle.chapters[chapter], facts)


def _route_target(scene: SceneSpec, facts: _Turn) -> str | None:
    for route in scene.routes:
        if route.condition is None or route.condition(facts):
            return route.goto
    return None


def _button(kind: str, index: int, text: str, gate: Gate | None, cost: int = 0, symbol: str = "") -> Button:
    status, reason = (gate.status, gate.reason) if gate else (OPEN, None)
    return Button(kind, index, text, _label(text, status, cost, symbol), status, reason, cost)


def _label(text: str, status: str, cost: int, symbol: str) -> str:
    price = f" · {cost}{symbol and ' ' + symbol}" if cost else ""
    if status == VIP:
        return f"💎 {text}{price}"
    if status in (LOCKED, UNAFFORDABLE):
        return f"🔒 {text}{price}"
    return f"{text}{price}"


def buttons(bundle: Bundle, scene: SceneSpec, facts: _Turn) -> list[Button]:
    locale = facts.ctx.locale
    symbol = bundle.rewards.symbol
    values = _placeholders(bundle, facts)
    found: list[Button] = []
    for choice in scene.choices:
        if choice.condition is not None and not choice.condition(facts):
            continue
        text = render_text(bundle.text(dict(choice.text), locale), values)
        gate: Gate | None = None
        if choice.vip and not facts.vip:
            gate = Gate(VIP, t(locale, "vip_only"))
        elif choice.requires is not None and not choice.requires(facts):
            gate = Gate(
                LOCKED,
                t(locale, "requires", condition=describe(choice.requires.tree, bundle, locale)),
            )
        else:
            gate = _target_gate(bundle, scene, choice.goto, facts)
        if gate is None and choice.cost > facts.points:
            gate = Gate(
                UNAFFORDABLE,
                t(
                    locale,
                    "unaffordable",
                    missing=choice.cost - facts.points,
                    currency=facts.currency(),
                ),
            )
        found.append(_button("choose", choice.index, text, gate, choice.cost, symbol))
    if scene.choices or scene.input:
        return found
    if scene.routes:
        target = _route_target(scene, facts)
        if target is not None:
            gate = _target_gate(bundle, scene, target, facts)
            found.append(_button("continue", 0, t(locale, "continue"), gate))
        return found
    if scene.ending:
        if scene.next_chapter:
            chapter = bundle.chapters[scene.next_chapter]
            title = bundle.text(dict(chapter.title), locale)
            found.append(
                _button(
                    "next_chapter",
                    0,
                    t(locale, "next_chapter", title=title),
                    chapter_gate(bundle, chapter, facts),
                )
            )
        found.append(_button("restart", 0, t(locale, "restart"), None))
    return found


def _placeholders(bundle: Bundle, facts: _Turn) -> dict[str, object]:
    values: dict[str, object] = dict(facts.variables)
    values.update(
        name=facts.ctx.player_name or ("amigo" if facts.ctx.locale == "es" else "friend"),
        points=facts.points,
        currency=facts.currency(),
        streak=facts.streak,
    )
    return values


def _view(bundle: Bundle, work: _Turn, *, offer: str | None = None) -> View:
    scene = bundle.scenes[work.scene]
    locale = work.ctx.locale
    values = _placeholders(bundle, work)
    speaker = None
    if scene.character:
        speaker = bundle.text(dict(bundle.characters[scene.character].name), locale)
    notices = list(work.notices)
    if scene.ending:
        notices.append(t(locale, f"ending.{scene.ending}"))
    return View(
        scene=scene.key,
        chapter=scene.chapter,
        turn=work.turn,
        locale=locale,
        text=render_text(
            bundle.text(dict(scene.text), locale), values, yes=t(locale, "yes"), no=t(locale, "no")
        ),
        buttons=tuple(buttons(bundle, scene, work)),
        points=work.balance,
        currency=work.currency(),
        speaker=speaker,
        media=scene.media,
        ending=scene.ending,
        expects=scene.input,
        notices=tuple(notices),
        offer=offer,
    )


# -- entry points ----------------------------------------------------------------------------


def resume(bundle: Bundle, state: PlayerState, locale: str = "es") -> tuple[PlayerState, str | None]:
    """Fit a saved state to ``bundle``: the scene by id, then by alias, else its chapter's start.

    Returns the state and a localized notice when the player was moved.
    """
    state = reconcile(bundle, state)
    if not state.scene or state.scene in bundle.scenes:
        return state, None
    if state.scene in bundle.aliases:
        return replace(state, scene=bundle.aliases[state.scene]), None
    chapter = bundle.chapters.get(state.chapter)
    if chapter is not None:
        title = bundle.text(dict(chapter.title), locale)
        return replace(state, scene=chapter.start), t(locale, "chapter_start", title=title)
    return replace(state, scene=bundle.start), t(locale, "moved")


def play(bundle: Bundle, state: PlayerState, action: Action, ctx: Context) -> Step:
    """Apply ``action`` for one player. Never raises for player input: bad input is an outcome."""
    state, moved = resume(bundle, state, ctx.locale)
    work = _Turn(bundle, state, ctx)
    if moved:
        work.notices.append(moved)
    if not state.started:  # whatever the action, a new player begins the story
        work.events.append(Event("story_started", data={"story": bundle.story_id}))
        work.enter(bundle.start)
        return _applied(bundle, work, state)
    if isinstance(action, Start | Refresh):
        return _unchanged(bundle, work, state, "unchanged")
    if isinstance(action, Restart):
        return _restart(bundle, work, state)
    if isinstance(action, EnterChapter):
        return _enter_chapter(bundle, work, state, action.chapter)
    if isinstance(action, Say):
        return _say(bundle, work, state, action.text)
    assert isinstance(action, Choose | Continue | NextChapter)
    if action.turn != state.turn:
        return _unchanged(bundle, work, state, "stale", t(ctx.locale, "stale"))
    scene = bundle.scenes[state.scene]
    current = buttons(bundle, scene, work)
    wanted = (
        "choose"
        if isinstance(action, Choose)
        else ("continue" if isinstance(action, Continue) else "next_chapter")
    )
    index = action.index if isinstance(action, Choose) else 0
    button = next((b for b in current if b.action == wanted and b.index == index), None)
    if button is None:
        return _unchanged(bundle, work, state, "invalid", t(ctx.locale, "stale"))
    if not button.enabled:
        offer = "vip" if button.status == VIP else None
        return _unchanged(bundle, work, state, "locked", button.reason, offer=offer)
    if isinstance(action, Choose):
        choice = scene.choices[action.index]
        choice_key = f"{scene.key}.{choice.key}"
        if choice.cost:
            work.spend(choice.cost, f"cost:{choice_key}")
        work.chosen_set.add(choice_key)
        work.events.append(
            Event("choice_made", scene.chapter, scene.key, {"choice": choice.key, "cost": choice.cost})
        )
        work.apply(choice.effects, choice_key)
        work.enter(choice.goto)
    elif isinstance(action, Continue):
        target = _route_target(scene, work)
        assert target is not None  # the button exists only when a route matched
        work.enter(target)
    else:
        assert scene.next_chapter is not None
        work.enter(bundle.chapters[scene.next_chapter].start)
    return _applied(bundle, work, state)


@dataclass(frozen=True, slots=True)
class Settled:
    """What events from outside the story did to a player: the new state, every event (the given ones
    and the achievement unlocks they caused), the ledger awards and the localized notices."""

    state: PlayerState
    events: tuple[Event, ...]
    awards: tuple[Award, ...]
    notices: tuple[str, ...]


def settle(
    bundle: Bundle, state: PlayerState, events: Sequence[Event], ctx: Context, *, achievements: bool = True
) -> Settled:
    """Events that happen outside a story step (a daily check-in, a referral, a purchase): the same
    reward rules and achievement checks a step runs after its moves (``_Turn.settle``), so a streak
    achievement unlocks at the check-in that reaches it, not at the next story move. The scene is
    left alone. ``achievements=False`` for a player without a story state to judge them on."""
    work = _Turn(bundle, state, ctx)
    work.events.extend(events)
    work.settle(achievements)
    return Settled(work.state(state), tuple(work.events), tuple(work.awards), tuple(work.notices))


def _applied(bundle: Bundle, work: _Turn, base: PlayerState) -> Step:
    work.settle()
    work.turn += 1
    return Step(_view(bundle, work), work.state(base), tuple(work.events), tuple(work.awards))


def _unchanged(
    bundle: Bundle,
    work: _Turn,
    base: PlayerState,
    outcome: str,
    message: str | None = None,
    offer: str | None = None,
) -> Step:
    """Nothing applied: the current view again, and the unchanged state (bar a resume move)."""
    view = _view(bundle, work, offer=offer)
    return Step(view, work.state(base), (), (), outcome, message)


def _restart(bundle: Bundle, work: _Turn, base: PlayerState) -> Step:
    work.variables = default_variables(bundle)
    work.bonds = default_bonds(bundle)
    work.visited_set = set()
    work.chosen_set = set()
    work.mood_value = None
    work.enter(bundle.start)
    return _applied(bundle, work, base)


def _enter_chapter(bundle: Bundle, work: _Turn, base: PlayerState, chapter_id: str) -> Step:
    chapter = bundle.chapters.get(chapter_id)
    locale = work.ctx.locale
    if chapter is None:
        return _unchanged(bundle, work, base, "invalid", t(locale, "stale"))
    gate = chapter_gate(bundle, chapter, work)
    reachable = (
        chapter.unlock is not None
        or chapter_id in work.done
        or any(key in work.visited_set for key in chapter.scenes)
        or bundle.start.startswith(chapter_id + ".")
    )
    if gate is not None or not reachable:
        reason = (
            gate.reason
            if gate
            else t(
                locale,
                "chapter_locked",
                title=bundle.text(dict(chapter.title), locale),
                condition="…",
            )
        )
        return _unchanged(
            bundle,
            work,
            base,
            "locked",
            reason,
            offer="vip" if gate and gate.status == VIP else None,
        )
    work.enter(chapter.start)
    return _applied(bundle, work, base)


def _say(bundle: Bundle, work: _Turn, base: PlayerState, text: str) -> Step:
    scene = bundle.scenes[base.scene]
    locale = work.ctx.locale
    if scene.input != "mood":
        return _unchanged(bundle, work, base, "invalid", t(locale, "not_here"))
    mood = work.ctx.classify(text, locale) if work.ctx.classify else None
    work.mood_value = mood if mood in bundle.moods.moods else None
    if work.mood_value:
        names = bundle.moods.names.get(work.mood_value)
        shown = bundle.text(dict(names), locale) if names else work.mood_value
        work.notices.append(t(locale, "mood_detected", mood=shown))
    target = _route_target(scene, work)
    if target is None:
        return _unchanged(bundle, work, base, "locked", t(locale, "no_way_on"))
    gate = _target_gate(bundle, scene, target, work)
    if gate is not None:
        return _unchanged(
            bundle, work, base, "locked", gate.reason, offer="vip" if gate.status == VIP else None
        )
    work.enter(target)
    return _applied(bundle, work, base)


__all__ = ["Context", "Step", "chapter_gate", "play", "resume"]
