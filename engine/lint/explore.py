"""Playing a story on the real interpreter, move by move: what randomtest and the softlock checks share.

A *move* is what a player can do on a view: press an enabled button, reply to a mood question (with any
declared mood, or one the classifier does not recognise), restart, or open a chapter from the menu. The
classifier is replaced by one that returns the reply itself, so a move can name the mood it stands for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engine.content.bundle import Bundle
from engine.expr import references
from engine.play import (
    Action,
    Choose,
    Context,
    Continue,
    EnterChapter,
    NextChapter,
    PlayerState,
    Restart,
    Say,
    Start,
    Step,
    new_state,
    play,
)

NO_MOOD = ""  # a reply the mood model does not recognise


@dataclass(frozen=True, slots=True)
class Move:
    action: Action
    label: str


def context(bundle: Bundle) -> Context:
    """A context whose mood model answers with the reply itself (``Say('triste')`` is 'triste')."""
    return Context(locale=bundle.default_locale, classify=lambda text, _locale: text or None)


def moves(bundle: Bundle, step: Step, *, menu: bool = True) -> list[Move]:
    """Everything a player can do on ``step``'s view. The chapter menu is offered on endings."""
    state, view = step.state, step.view
    found: list[Move] = []
    scene = bundle.scenes[state.scene]
    if view.expects == "mood":
        found.extend(Move(Say(mood), f"say {mood}") for mood in bundle.moods.moods)
        found.append(Move(Say(NO_MOOD), "say something unrecognised"))
    for button in view.buttons:
        if not button.enabled:
            continue
        if button.action == "choose":
            choice = scene.choices[button.index]
            found.append(Move(Choose(button.index, state.turn), f"[{choice.key}]"))
        elif button.action == "continue":
            found.append(Move(Continue(state.turn), "[continue]"))
        elif button.action == "next_chapter":
            found.append(Move(NextChapter(state.turn), "[next chapter]"))
        elif button.action == "restart":
            found.append(Move(Restart(), "[restart]"))
    if menu and view.ending:
        found.extend(Move(EnterChapter(chapter), f"[menu: {chapter}]") for chapter in bundle.chapters)
    return found


def begin(bundle: Bundle, ctx: Context, *, vip: bool = False, points: int = 0) -> Step:
    return play(bundle, new_state(bundle, vip=vip, points=points), Start(), ctx)


class StateFacts:
    """A saved state read as the facts conditions see (optionally with another mood)."""

    def __init__(self, state: PlayerState, mood: str | None = None, *, keep_mood: bool = True) -> None:
        self.state = state
        self._mood = state.mood if keep_mood else mood

    def variable(self, name: str) -> int | bool | str:
        return self.state.variables[name]

    @property
    def points(self) -> int:
        return self.state.points

    @property
    def vip(self) -> bool:
        return self.state.vip

    @property
    def streak(self) -> int:
        return self.state.streak

    @property
    def mood(self) -> str | None:
        return self._mood

    def bond(self, character: str) -> int:
        return self.state.bonds.get(character, 0)

    def visited(self, scene: str) -> bool:
        return scene in self.state.visited

    def chose(self, choice: str) -> bool:
        return choice in self.state.chosen

    def chapter_done(self, chapter: str) -> bool:
        return chapter in self.state.chapters_done

    def has(self, achievement: str) -> bool:
        return achievement in self.state.achievements


@dataclass(frozen=True, slots=True)
class Witness:
    verdict: str  # what the goal's test found (a diagnostic code)
    detail: str  # and in what words
    path: tuple[str, ...]
    state: PlayerState


Verdict = Callable[[Step], tuple[str, str] | None]


class _Keys:
    """What two states must share to count as the same place in the search (the rest cannot matter)."""

    def __init__(self, bundle: Bundle) -> None:
        scenes: set[str] = set()
        choices: set[str] = set()
        self.reads_points = False
        trees = []
        for scene in bundle.scenes.values():
            trees += [c.condition for c in scene.choices] + [c.requires for c in scene.choices]
            trees += [r.condition for r in scene.routes]
        trees += [chapter.unlock for chapter in bundle.chapters.values()]
        for achievement in bundle.achievements.values():
            trees += [achievement.when, *(tier.condition for tier in achievement.tiers)]
        for predicate in trees:
            if predicate is None:
                continue
            found = references(predicate.tree)
            scenes |= found.scenes
            choices |= found.choices
            self.reads_points |= "points" in found.builtins
        self.scenes = frozenset(scenes)
        self.choices = frozenset(choices)
        costs = [c.cost for s in bundle.scenes.values() for c in s.choices]
        self.points_cap = max(costs, default=0) + 1

    def __call__(self, state: PlayerState) -> tuple[object, ...]:
        points = state.points if self.reads_points else min(state.points, self.points_cap)
        return (
            state.scene,
            tuple(sorted(state.variables.items())),
            tuple(sorted(state.bonds.items())),
            state.mood,
            state.chapters_done,
            frozenset(state.achievements.items()),
            state.visited & self.scenes,
            state.chosen & self.choices,
            points,
        )


def search(bundle: Bundle, goals: dict[str, Verdict], *, vip: bool, budget: int) -> dict[str, Witness]:
    """Breadth-first over the states a fresh player (VIP or not) can reach, until every goal scene has
    a verdict or ``budget`` moves were played; the first (shortest) witness per scene is kept."""
    ctx = context(bundle)
    found: dict[str, Witness] = {}
    key = _Keys(bundle)
    first = begin(bundle, ctx, vip=vip)
    seen = {key(first.state)}
    queue: deque[tuple[Step, tuple[str, ...]]] = deque([(first, (first.state.scene,))])
    played = 0
    while queue and played < budget and len(found) < len(goals):
        step, path = queue.popleft()
        scene = step.state.scene
        if scene in goals and scene not in found:
            verdict = goals[scene](step)
            if verdict is not None:
                found[scene] = Witness(*verdict, path, step.state)
        for move in moves(bundle, step):
            played += 1
            following = play(bundle, step.state, move.action, ctx)
            if not following.applied:
                continue
            state_key = key(following.state)
            if state_key in seen:
                continue
            seen.add(state_key)
            queue.append((following, (*path, move.label, following.state.scene)))
    return found


def describe_path(path: Iterable[str], limit: int = 14) -> str:
    parts = list(path)
    if len(parts) > limit:
        parts = [*parts[: limit // 2], "…", *parts[-limit // 2 :]]
    return " ".join(parts)
