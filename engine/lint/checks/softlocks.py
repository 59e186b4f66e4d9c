"""Softlocks and the economy: a player who cannot go on, or a price nobody can pay.

Two stages keep findings certain. First a cheap static pass picks *candidates*: scenes all of whose exits
have a condition (or are VIP-only), where those conditions can be false together given what the
variables can hold. Then each candidate must be confirmed by a *witness*: a real playthrough on the
interpreter (``engine.play``), by a fresh player, that arrives at the scene with every way on closed.
A candidate without a witness inside the search budget is not reported: the analysis could not decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from engine.codes import diagnostic
from engine.content.bundle import Bundle
from engine.content.compile import compile_bundle
from engine.content.project import Project
from engine.diagnostics import ContentError, Diagnostic, Severity
from engine.expr import Expr
from engine.lint.checks.references import references
from engine.lint.checks.shape import scene_shape
from engine.lint.checks.values import effect_values
from engine.lint.domain import all_false_together
from engine.lint.economy import richest_arrival
from engine.lint.explore import StateFacts, Verdict, Witness, describe_path, search
from engine.lint.graph import Analysis, Exit, analysis
from engine.lint.registry import check
from engine.play import Step
from engine.play.view import LOCKED, OPEN, UNAFFORDABLE, VIP

SEARCH_BUDGET = 20_000  # interpreter moves per player profile


@dataclass(frozen=True, slots=True)
class Candidate:
    scene: str
    free_only: bool  # only a non-VIP player can be stuck here (VIP exits are what is left)


def _closers(found: Analysis, item: Exit) -> list[Expr] | None:
    """The conditions that close an exit when false (None: one of them does not check)."""
    chapter = item.source.partition(".")[0]
    trees: list[Expr] = []
    conditions = [(item.if_, chapter), (item.requires, chapter)]
    other = found.enters_other_chapter(item)
    if other is not None:
        conditions.append((found.unlock(other), other))
    for condition, where in conditions:
        if condition is None:
            continue
        tree = found.tree(condition, where)
        if tree is None:
            return None
        trees.append(tree)
    return trees


def _vip_only(found: Analysis, item: Exit) -> bool:
    other = found.enters_other_chapter(item)
    return item.vip or (other is not None and found.content.chapters[other].vip)


def candidates(found: Analysis) -> list[Candidate]:
    """Reachable scenes where the static pass cannot rule a softlock out."""
    picked: list[Candidate] = []
    for key in sorted(found.reachable):
        scene = found.content.scene(key)
        items = found.story.exits.get(key, [])
        if scene is None or scene.ending or not items:
            continue
        groups: list[list[Expr]] = []
        vip_closed = 0
        for item in items:
            trees = _closers(found, item)
            if trees is None:
                break  # a condition with errors: reported elsewhere, nothing to decide here
            if _vip_only(found, item):
                vip_closed += 1
                continue
            if not trees:
                break  # an exit nothing can close: no softlock here
            groups.append(trees)
        else:
            together = all_false_together(found.possible, groups) if groups else True
            if together is not False:
                picked.append(Candidate(key, free_only=vip_closed > 0))
    return picked


def verdict(bundle: Bundle, step: Step) -> tuple[str, str] | None:
    """(code, detail) when the player on ``step`` cannot go on from its scene, else None."""
    scene = bundle.scenes[step.state.scene]
    if scene.ending:
        return None
    if scene.input:
        stuck = [
            mood
            for mood in (*bundle.moods.moods, None)
            if not any(
                r.condition is None or r.condition(StateFacts(step.state, mood, keep_mood=False))
                for r in scene.routes
            )
        ]
        if not stuck:
            return None
        words = [f"mood '{m}'" for m in stuck if m][:3]
        if None in stuck:
            words.append("a mood the model does not recognise")
        return "D702", "a reply in " + " or ".join(words)
    kind = "choose" if scene.choices else "continue"
    buttons = [b for b in step.view.buttons if b.action == kind]
    if any(b.status in (OPEN, UNAFFORDABLE) for b in buttons):
        return None
    if not buttons:
        return ("D702", "this state") if kind == "continue" else ("D701", "")
    if any(b.status == VIP for b in buttons):
        return "D703", ""
    return ("D701", "") if any(b.status == LOCKED for b in buttons) else None


def playable(project: Project) -> bool:
    """The interpreter may only run stories whose references, effects and shapes are sound."""
    checks = (scene_shape, references, effect_values)
    return not any(d.severity is Severity.ERROR for check_fn in checks for d in check_fn(project))


def _witnesses(project: Project, picked: list[Candidate]) -> dict[str, Witness]:
    if not playable(project):
        return {}  # its errors come first; no witness can be played on a broken story
    try:
        bundle = compile_bundle(project)
        goals: dict[str, Verdict] = {c.scene: partial(verdict, bundle) for c in picked}
        witnesses = search(bundle, goals, vip=False, budget=SEARCH_BUDGET)
        rest = {c.scene: goals[c.scene] for c in picked if c.scene not in witnesses and not c.free_only}
        if rest:
            witnesses.update(search(bundle, rest, vip=True, budget=SEARCH_BUDGET))
    except ContentError:
        return {}
    return witnesses


def _state_words(witness: Witness) -> str:
    state = witness.state
    parts = [
        f"{name} {value!r}" if isinstance(value, str) else f"{name} {str(value).lower()}"
        for name, value in sorted(state.variables.items())
    ]
    parts += [f"bond.{name} {value}" for name, value in sorted(state.bonds.items())]
    if state.mood:
        parts.append(f"mood {state.mood}")
    return ", ".join(parts[:8]) + (", …" if len(parts) > 8 else "")


@check("softlocks", "D701", "D702", "D703", "D704", order=70)
def softlocks(project: Project) -> Iterator[Diagnostic]:
    found = analysis(project)
    if found.story.start is None:
        return
    yield from _costs(found)
    picked = candidates(found)
    if not picked:
        return
    witnesses = _witnesses(project, picked)
    for candidate in picked:
        witness = witnesses.get(candidate.scene)
        scene = project.content.scene(candidate.scene)
        if witness is None or scene is None:
            continue
        how = describe_path(witness.path)
        if witness.verdict == "D703":
            message = f"a free player can reach '{scene.id}' and find only VIP ways on: {how}"
            hint = "give free players a way on (or an ending whose next_chapter is the VIP chapter)"
        elif witness.verdict == "D702":
            message = (
                f"no route of next matches {witness.detail}, and there is no fallback: {how} "
                f"(with {_state_words(witness)})"
            )
            hint = "add a last route without if: it is the fallback"
        else:
            message = (
                f"softlock: every way on from '{scene.id}' is hidden or locked after {how} "
                f"(with {_state_words(witness)})"
            )
            hint = "add a choice without if/requires, or make the conditions cover every case"
        yield diagnostic(witness.verdict, scene.loc, message, hint=hint)


def _costs(found: Analysis) -> Iterator[Diagnostic]:
    costly = [
        (key, item)
        for key in found.reachable
        for item in found.story.exits.get(key, [])
        if item.cost > 0 and item.choice is not None
    ]
    if not costly:
        return
    arrival = richest_arrival(found)
    currency = (
        found.content.rewards.currency_name.get(
            found.content.story.default_locale, found.content.story.default_locale
        )
        or found.content.rewards.currency_id
    )
    for key, item in sorted(costly, key=lambda pair: (pair[1].loc.file, pair[1].loc.line)):
        most = arrival.most.get(key)
        if most is None or most >= item.cost:
            continue
        choice = item.choice
        assert choice is not None
        yield diagnostic(
            "D704",
            choice.cost_loc or choice.loc,
            f"costs {item.cost} {currency}, but a player can have earned at most {most} on arriving "
            f"at '{key}' (richest way: {describe_path(arrival.path(key))}; daily check-ins, purchases "
            "and replays not counted)",
            hint="lower the cost, or award more points on the way (rewards.yaml, effects points:)",
        )
