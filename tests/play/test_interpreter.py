"""The interpreter's rules from the writers' contract, on a small story written for each rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.content.api import build_path
from engine.content.bundle import Bundle, BundleFormatError
from engine.play import (
    Choose,
    Context,
    Continue,
    EnterChapter,
    NextChapter,
    PlayerState,
    Restart,
    Say,
    Start,
    StateFormatError,
    new_state,
    play,
)
from engine.play.interpreter import resume

STORY = """\
id: t
title: {es: "T", en: "T"}
default_locale: es
locales: [es, en]
start: uno.inicio
variables:
  confianza: {type: int, default: 0, min: 0, max: 3}
  camino: {type: enum, values: [luz, sombra], default: luz}
  abierto: {type: bool, default: false}
"""
CHARACTERS = "diana:\n  name: Diana\n  bond: {min: 0, max: 5}\n"
REWARDS = """\
currency: {id: besitos, name: {es: besitos, en: kisses}, symbol: "💋"}
rules:
  - {on: story_started, points: 10, once: true}
  - {on: choice_made, points: 1, limit: {per_day: 2}}
multipliers: {vip: 2}
daily_cap: 20
"""
ACHIEVEMENTS = """\
abrio:
  title: {es: Abrió, en: Opened}
  when: "abierto"
  reward: {points: 3}
fiel:
  title: {es: Fiel, en: Loyal}
  tiers: {bronze: "bond.diana >= 1", silver: "bond.diana >= 2", gold: "bond.diana >= 5"}
"""
MOODS = """\
moods: [alegre, triste]
examples:
  es: {alegre: ["estoy feliz", "qué alegría"], triste: ["estoy triste", "me siento solo"]}
  en: {alegre: ["i am happy"], triste: ["i am sad"]}
"""
UNO = """\
id: uno
title: {es: Uno, en: One}
scenes:
  inicio:
    text: {es: "Hola {name}, tienes {points} {currency}.", en: "Hi {name}, you have {points} {currency}."}
    choices:
      - id: subir
        text: {es: Subir, en: Up}
        goto: inicio
        effects: {set: {abierto: true}, add: {confianza: 5}, bond: {diana: 2}, points: 4}
      - id: caro
        text: {es: Caro, en: Pricey}
        cost: 50
        goto: fin
      - id: oculto
        text: {es: Oculto, en: Hidden}
        if: "confianza >= 3"
        goto: animo
      - id: vip
        text: {es: VIP, en: VIP}
        vip: true
        goto: fin
      - id: beso
        text: {es: Beso, en: Kiss}
        requires: "bond.diana >= 5"
        goto: fin
      - id: dos
        text: {es: "Ir a dos", en: "Go to two"}
        goto: dos.inicio
  animo:
    text: {es: "¿Cómo estás?", en: "How are you?"}
    input: mood
    next:
      - if: "mood == 'triste'"
        goto: fin
      - goto: inicio
  fin:
    text: {es: Fin, en: End}
    ending: good
    next_chapter: dos
    aliases: [final_viejo]
"""
DOS = """\
id: dos
title: {es: Dos, en: Two}
unlock: "chapter_done('uno')"
scenes:
  inicio:
    text: {es: "Dos", en: "Two"}
    next: fin
  fin:
    text: {es: "Fin dos", en: "End two"}
    ending: neutral
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    root = tmp_path_factory.mktemp("story")
    (root / "chapters").mkdir()
    for name, text in {
        "story.yaml": STORY,
        "characters.yaml": CHARACTERS,
        "rewards.yaml": REWARDS,
        "achievements.yaml": ACHIEVEMENTS,
        "moods.yaml": MOODS,
        "chapters/1.yaml": UNO,
        "chapters/2.yaml": DOS,
    }.items():
        (root / name).write_text(text, encoding="utf-8")
    _, compiled = build_path(Path(root))
    return compiled


def classify(text: str, _locale: str) -> str | None:
    return "triste" if "triste" in text else "alegre"


CTX = Context(locale="es", today=date(2026, 5, 1), player_name="Ana", classify=classify)


def started(bundle: Bundle, **kw: object) -> PlayerState:
    return play(bundle, new_state(bundle, **kw), Start(), CTX).state  # type: ignore[arg-type]


def button(step_view: object, index: int) -> object:
    return next(b for b in step_view.buttons if b.index == index)  # type: ignore[attr-defined]


def test_start_awards_once_and_renders_placeholders(bundle: Bundle) -> None:
    step = play(bundle, new_state(bundle), Start(), CTX)
    assert step.state.points == 10
    assert "Hola Ana, tienes 10 besitos." in step.view.text
    assert [e.type for e in step.events][:2] == ["story_started", "scene_entered"]
    again = play(bundle, step.state, Start(), CTX)
    assert again.outcome == "unchanged"
    assert again.state.points == 10


def test_effects_apply_in_order_with_clamping(bundle: Bundle) -> None:
    state = started(bundle)
    step = play(bundle, state, Choose(0, state.turn), CTX)
    assert step.state.variables["abierto"] is True
    assert step.state.variables["confianza"] == 3  # add 5 clamped to max 3
    assert step.state.bonds["diana"] == 2
    # 10 start + 1 choice_made + 4 effect + 3 achievement reward (abrio) = 18
    assert step.state.points == 18
    assert step.state.achievements["abrio"] == ""
    assert step.state.achievements["fiel"] == "silver"  # bronze then silver, in order
    assert "encuentro" not in step.state.chosen
    assert "uno.inicio.subir" in step.state.chosen


def test_hidden_locked_vip_and_priced_buttons(bundle: Bundle) -> None:
    view = play(bundle, started(bundle), Start(), CTX).view
    by_index = {b.index: b for b in view.buttons}
    assert 2 not in by_index  # `if` false: hidden
    assert by_index[1].status == "unaffordable"
    assert "50" in by_index[1].label
    assert by_index[3].status == "vip"
    assert by_index[4].status == "locked"
    assert "vínculo con Diana ≥ 5" in (by_index[4].reason or "")
    assert by_index[5].status == "locked"  # goto into a chapter whose unlock is false
    assert "Dos" in (by_index[5].reason or "")


def test_locked_choices_are_refused_and_vip_offers(bundle: Bundle) -> None:
    state = started(bundle)
    vip = play(bundle, state, Choose(3, state.turn), CTX)
    assert vip.outcome == "locked"
    assert vip.view.offer == "vip"
    assert vip.state == state
    pricey = play(bundle, state, Choose(1, state.turn), CTX)
    assert pricey.outcome == "locked"
    assert pricey.state.points == state.points  # never below zero, nothing spent


def test_vip_player_gets_the_multiplier_and_the_vip_choice(bundle: Bundle) -> None:
    state = started(bundle, vip=True)
    assert state.points == 20  # 10 x 2
    step = play(bundle, state, Choose(3, state.turn), CTX)
    assert step.applied
    assert step.state.scene == "uno.fin"


def test_cost_is_spent_atomically_with_the_move(bundle: Bundle) -> None:
    state = started(bundle, points=60)
    step = play(bundle, state, Choose(1, state.turn), CTX)
    assert step.applied
    assert step.state.scene == "uno.fin"
    spent = [a for a in step.awards if a.kind == "spend"]
    assert [a.amount for a in spent] == [-50]
    assert step.state.points == state.points - 50 + 1  # + choice_made


def test_stale_turn_is_refused(bundle: Bundle) -> None:
    state = started(bundle)
    moved = play(bundle, state, Choose(0, state.turn), CTX)
    stale = play(bundle, moved.state, Choose(0, state.turn), CTX)
    assert stale.outcome == "stale"
    assert stale.state == moved.state
    assert stale.events == ()


def test_daily_limit_and_cap(bundle: Bundle) -> None:
    state = started(bundle)
    for _ in range(3):
        state = play(bundle, state, Choose(0, state.turn), CTX).state
    assert state.economy.rule_counts["choice_made#2"] == 2  # limit per_day: 2 (the third did not fire)
    assert state.economy.earned_today == 20  # exactly the daily cap, never more
    next_day = play(bundle, state, Choose(0, state.turn), Context(locale="es", today=date(2026, 5, 2)))
    assert any(a.reason.startswith("rule:choice") for a in next_day.awards)


def test_mood_routes_and_ending_unlocks_the_next_chapter(bundle: Bundle) -> None:
    state = play(bundle, started(bundle), Choose(0, 1), CTX).state  # confianza 3: hidden choice shows
    mood_scene = play(bundle, state, Choose(2, state.turn), CTX)
    assert mood_scene.view.expects == "mood"
    assert play(bundle, mood_scene.state, Continue(mood_scene.state.turn), CTX).outcome == "invalid"
    ending = play(bundle, mood_scene.state, Say("hoy estoy triste"), CTX)
    assert ending.state.mood == "triste"
    assert ending.state.scene == "uno.fin"
    assert "uno" in ending.state.chapters_done
    assert {e.type for e in ending.events} >= {"ending_reached", "chapter_completed"}
    onward = play(bundle, ending.state, NextChapter(ending.state.turn), CTX)
    assert onward.state.scene == "dos.inicio"
    assert onward.view.buttons[0].action == "continue"


def test_restart_keeps_points_and_achievements(bundle: Bundle) -> None:
    state = play(bundle, started(bundle), Choose(0, 1), CTX).state
    again = play(bundle, state, Restart(), CTX)
    assert again.state.scene == "uno.inicio"
    assert again.state.variables["confianza"] == 0
    assert again.state.points == state.points + 0
    assert again.state.achievements == state.achievements


def test_enter_chapter_respects_its_gate(bundle: Bundle) -> None:
    refused = play(bundle, started(bundle), EnterChapter("dos"), CTX)
    assert refused.outcome == "locked"


def test_resume_by_alias_then_chapter_start(bundle: Bundle) -> None:
    by_alias, notice = resume(bundle, PlayerState(scene="uno.final_viejo"), "es")
    assert by_alias.scene == "uno.fin"
    assert notice is None
    gone, notice = resume(bundle, PlayerState(scene="uno.borrada"), "en")
    assert gone.scene == "uno.inicio"
    assert notice is not None and "updated" in notice


def test_bundle_and_state_round_trip_with_versions(bundle: Bundle) -> None:
    again = Bundle.from_json(bundle.to_json())
    assert again == bundle
    assert again.content_hash == bundle.content_hash
    with pytest.raises(BundleFormatError, match="cannot be read"):
        Bundle.from_json('{"format": 99}')
    state = started(bundle)
    assert PlayerState.from_dict(state.to_dict()).to_dict() == state.to_dict()
    with pytest.raises(StateFormatError):
        PlayerState.from_dict({**state.to_dict(), "format": 99})


def test_a_bond_default_of_zero_is_kept_with_a_negative_minimum(tmp_path: Path) -> None:
    root = tmp_path / "story"
    (root / "chapters").mkdir(parents=True)
    (root / "story.yaml").write_text("id: s\ntitle: S\ndefault_locale: es\nlocales: [es]\nstart: a.b\n")
    (root / "characters.yaml").write_text("ana:\n  name: Ana\n  bond: {min: -5, max: 5, default: 0}\n")
    (root / "chapters" / "a.yaml").write_text(
        "id: a\ntitle: A\nscenes:\n  b:\n    text: Hola\n    ending: good\n"
    )
    report, compiled = build_path(root)
    assert compiled.characters["ana"].bond_default == 0
    # a one-language story without rewards.yaml is not told it lacks other locales
    assert not [d for d in report.diagnostics if d.code == "D308"]
