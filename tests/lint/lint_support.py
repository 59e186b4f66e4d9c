"""A minimal valid story, written file by file, and helpers to break it one line at a time.

Every lint test starts from :data:`MINIMAL` (which lints with zero diagnostics) and changes one file,
so a test's fixture differs from a clean story by exactly the mistake it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from engine.content.api import lint_path
from engine.content.files import ContentFiles
from engine.diagnostics import Diagnostic
from engine.lint import LintConfig, LintReport, lint_files

STORY = """\
id: mini
title: {es: "Mini", en: "Mini"}
default_locale: es
locales: [es, en]
start: uno.inicio
variables:
  confianza: {type: int, default: 0, min: 0, max: 10}
  conocio: {type: bool, default: false}
  camino: {type: enum, values: [luz, sombra], default: luz}
  apodo: {type: str, default: ""}
"""

CHARACTERS = """\
diana:
  name: "Diana"
  bond: {min: 0, max: 10}
"""

ACHIEVEMENTS = """\
primer_paso:
  title: {es: "Primer paso", en: "First step"}
  description: {es: "Llegaste al final", en: "You reached the end"}
  when: "visited('uno.final')"
  reward: {points: 5}
"""

REWARDS = """\
currency: {id: besitos, name: {es: "besitos", en: "kisses"}, symbol: "💋"}
rules:
  - on: story_started
    points: 20
    once: true
"""

SHOP = """\
products:
  vip_30:
    type: vip
    days: 30
    title: {es: "VIP 30 días", en: "VIP 30 days"}
    price: {stars: 250}
"""

MOODS = """\
moods: [alegre, triste]
examples:
  es:
    alegre: ["estoy feliz", "qué buen día", "me siento genial", "contento", "de buen humor"]
    triste: ["estoy triste", "me siento solo", "día gris", "tengo ganas de llorar", "de bajón"]
  en:
    alegre: ["i am happy", "what a great day", "i feel great", "glad", "in a good mood"]
    triste: ["i am sad", "i feel lonely", "grey day", "i want to cry", "feeling down"]
"""

CHAPTER = """\
id: uno
title: {es: "Uno", en: "One"}
order: 1
scenes:
  inicio:
    text: {es: "Hola, {name}.", en: "Hello, {name}."}
    character: diana
    media: media/x.png
    on_enter:
      set: {conocio: true, camino: sombra, apodo: "amigo"}
    choices:
      - id: hablar
        text: {es: "Hablar", en: "Talk"}
        goto: charla
        effects:
          add: {confianza: 1}
          bond: {diana: 1}
          points: 5
      - text: {es: "Invitarla", en: "Invite her"}
        cost: 5
        goto: charla
      - id: confiar
        text: {es: "Confiar", en: "Trust"}
        if: "conocio and confianza >= 1"
        requires: "bond.diana >= 1 and camino == 'sombra'"
        goto: final
  charla:
    text: {es: "¿Cómo estás, {apodo}?", en: "How are you, {apodo}?"}
    input: mood
    next:
      - if: "mood == 'triste'"
        goto: consuelo
      - goto: final
  consuelo:
    text: {es: "Ven aquí.", en: "Come here."}
    next: final
  final:
    text: {es: "Fin.", en: "The end."}
    ending: good
"""

MINIMAL: dict[str, str | bytes] = {
    "story.yaml": STORY,
    "characters.yaml": CHARACTERS,
    "achievements.yaml": ACHIEVEMENTS,
    "rewards.yaml": REWARDS,
    "shop.yaml": SHOP,
    "moods.yaml": MOODS,
    "chapters/01-a.yaml": CHAPTER,
    "media/x.png": b"\x89PNG\r\n\x1a\n",
}

Overrides = Mapping[str, str | bytes | None]
MakeStory = Callable[..., Path]  # the make_story fixture: overrides -> a fresh content folder
LintStory = Callable[..., LintReport]  # the lint fixture: overrides, config -> report


def files_with(overrides: Overrides | None = None) -> dict[str, str | bytes]:
    """The minimal story's files with some replaced (text or bytes), added, or removed (None)."""
    files = dict(MINIMAL)
    for path, text in (overrides or {}).items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    return files


def story_files(root: Path, overrides: Overrides | None = None) -> Path:
    """Write the minimal story (with ``overrides``) into ``root`` and return ``root``."""
    for path, text in files_with(overrides).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    return root


def lint_story(
    root: Path, overrides: Overrides | None = None, config: LintConfig | None = None
) -> LintReport:
    """Write the story into ``root`` and lint it through the public entry point."""
    return lint_path(story_files(root, overrides), config)


def lint_memory(overrides: Overrides | None = None, config: LintConfig | None = None) -> LintReport:
    """Lint without touching the disk (for property tests that run hundreds of examples)."""
    yaml_files: dict[str, bytes] = {}
    media: set[str] = set()
    for path, text in files_with(overrides).items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        if path.endswith((".yaml", ".yml")) and not path.startswith("media/"):
            yaml_files[path] = data
        else:
            media.add(path)
    return lint_files(ContentFiles("content", yaml_files, frozenset(media)), config)


def edit(path: str, old: str, new: str, *, count: int = 1) -> dict[str, str | bytes]:
    """The minimal story's ``path`` with ``old`` replaced by ``new`` (which must be there)."""
    text = MINIMAL[path]
    assert isinstance(text, str)
    assert old in text, f"{old!r} is not in the minimal {path}"
    return {path: text.replace(old, new, count)}


def position(text: str, needle: str, offset: int = 0, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of ``needle`` (its ``occurrence``-th appearance) plus ``offset`` chars."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def codes(report: LintReport) -> list[str]:
    return [item.code for item in report.diagnostics]


def show(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"{d.loc} {d.code} {d.message} (hint: {d.hint})" for d in diagnostics)
