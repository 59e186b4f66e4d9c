"""Every diagnostic code, proven on a broken story and on a clean look-alike.

Each case breaks the minimal story (``lint_support.MINIMAL``) in one place and asserts the exact code,
file, line and column of the finding; its look-alike differs from the broken story by as little as
possible and must not report that code (nor any error). Positions are computed from the fixture text
(``needle`` + ``offset``), so the table says *what* the finding points at, not magic numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lint_support import (
    CHAPTER,
    MINIMAL,
    MOODS,
    STORY,
    LintStory,
    Overrides,
    codes,
    edit,
    files_with,
    lint_story,
    position,
    show,
)
from test_analysis import ANALYSIS_CODES

import engine.lint.checks  # noqa: F401  (registers every check, and any codes they add)
from engine.codes import CODES
from engine.content import yamlread
from engine.diagnostics import Severity

CH = "chapters/01-a.yaml"


@dataclass(frozen=True)
class Case:
    """``bad`` reports ``code`` once (or ``count`` times) at ``needle`` + ``offset`` in ``file``."""

    id: str
    code: str
    bad: Overrides
    file: str
    needle: str
    clean: Overrides = field(default_factory=dict)
    offset: int = 0
    occurrence: int = 1
    count: int = 1
    hint: str | None = None
    message: str | None = None


def _with(path: str, text: str) -> dict[str, str | bytes]:
    return {path: text}


def _chapter(old: str, new: str) -> dict[str, str | bytes]:
    return edit(CH, old, new)


def _story(old: str, new: str) -> dict[str, str | bytes]:
    return edit("story.yaml", old, new)


# -- conditions in every YAML scalar style, so columns are proven inside each ---------------------------
IF = 'if: "conocio and confianza >= 1"'


def _if_styles(bad: str, good: str) -> list[tuple[str, dict[str, str | bytes], dict[str, str | bytes]]]:
    """The choice's `if:` written as a double-quoted, plain, single-quoted and folded block scalar."""
    single_bad, single_good = bad.replace("'", "''"), good.replace("'", "''")
    return [
        ("double", _chapter(IF, f'if: "{bad}"'), _chapter(IF, f'if: "{good}"')),
        ("plain", _chapter(IF, f"if: {bad}"), _chapter(IF, f"if: {good}")),
        ("single", _chapter(IF, f"if: '{single_bad}'"), _chapter(IF, f"if: '{single_good}'")),
        (
            "block",
            _chapter(IF, f"if: >-\n          {bad}"),
            _chapter(IF, f"if: >-\n          {good}"),
        ),
    ]


def _expression_cases(
    code: str, name: str, bad: str, good: str, needle: str, *, hint: str | None = None
) -> list[Case]:
    cases = []
    for style, broken, fixed in _if_styles(bad, good):
        in_file = needle.replace("'", "''") if style == "single" else needle
        text = broken[CH]
        assert isinstance(text, str)
        # The needle is searched from the `if:` line on, where the expression is.
        occurrence = text[: text.index("        if: ")].count(in_file) + 1
        cases.append(
            Case(
                f"{code}-{name}-{style}",
                code,
                broken,
                CH,
                in_file,
                fixed,
                occurrence=occurrence,
                hint=hint,
            )
        )
    return cases


LONG_EMOJI = "😀" * 2049  # 4098 UTF-16 units: over the 4096 limit though only 2049 characters
FIT_EMOJI = "😀" * 2048  # exactly 4096 units
SIX_MORE_CHOICES = "".join(f'      - {{text: {{es: "o{i}", en: "o{i}"}}, goto: final}}\n' for i in range(6))
FIVE_MORE_CHOICES = "".join(f'      - {{text: {{es: "o{i}", en: "o{i}"}}, goto: final}}\n' for i in range(5))
CONSUELO = 'text: {es: "Ven aquí.", en: "Come here."}'

CASES: list[Case] = [
    # -- files and YAML -------------------------------------------------------------------------------
    Case(
        "D101-colon-in-text",
        "D101",
        _chapter(CONSUELO, 'text:\n      es: Ella dijo: hola\n      en: "She said: hi"'),
        CH,
        "dijo: hola",
        _chapter(CONSUELO, 'text:\n      es: "Ella dijo: hola"\n      en: "She said: hi"'),
        offset=4,
        hint="quotes",
    ),
    Case(
        "D101-bad-indentation",
        "D101",
        _chapter("    media: media/x.png", "   media: media/x.png"),
        CH,
        "   media",
        _chapter("    media: media/x.png", "    media:  media/x.png"),
        offset=3,
        hint="indentation",
    ),
    Case(
        "D102-duplicate-key",
        "D102",
        _chapter("order: 1\n", "order: 1\norder: 2\n"),
        CH,
        "order: 2",
        _chapter("order: 1\n", "order: 1\nvip: false\n"),
        message="first defined at line 3",
    ),
    Case(
        "D102-duplicate-locale",
        "D102",
        _chapter('title: {es: "Uno", en: "One"}', 'title: {es: "Uno", es: "One"}'),
        CH,
        'es: "One"',
        _chapter('title: {es: "Uno", en: "One"}', 'title: {en: "One", es: "Uno"}'),
    ),
    Case(
        "D103-tab-indentation",
        "D103",
        _chapter("    character: diana", "  \tcharacter: diana"),
        CH,
        "\tcharacter",
        _chapter("    character: diana", "    character: diana\t# a tab after the value is fine"),
    ),
    Case(
        "D106-latin1-byte",
        "D106",
        {CH: CHAPTER.encode().replace("aquí".encode(), b"aqu\xed")},
        CH,
        "í.",
        {CH: b"\xef\xbb\xbf" + CHAPTER.encode()},  # UTF-8 with a byte-order mark is fine
        message="0xed",
    ),
    Case(
        "D108-python-tag",
        "D108",
        _chapter("order: 1", "order: !!python/name:os.system 1"),
        CH,
        "!!python",
        _chapter("order: 1", "order: !!int 1"),
    ),
    Case(
        "D108-complex-key",
        "D108",
        _chapter("order: 1", "? [a, b]\n: 1\norder: 1"),
        CH,
        "[a, b]",
        _chapter("order: 1", "? order\n: 1"),
    ),
    Case(
        "D109-unknown-file",
        "D109",
        {"notes.yaml": "todo: more scenes\n"},
        "notes.yaml",
        "todo",
        {"media/notes.yaml": "todo: more scenes\n"},
    ),
    Case(
        "D109-nested-chapter",
        "D109",
        {"chapters/old/02-b.yaml": CHAPTER},
        "chapters/old/02-b.yaml",
        "id",
        {"chapters/old.txt": "notes"},
    ),
    # -- structure -------------------------------------------------------------------------------------
    Case(
        "D201-typo-in-scene",
        "D201",
        _chapter("    character: diana", "    charcter: diana"),
        CH,
        "charcter",
        _chapter("    character: diana", "    character: diana  # charcter"),
        hint="did you mean 'character'?",
    ),
    Case(
        "D201-typo-in-story",
        "D201",
        _story("variables:", "varibles:"),
        "story.yaml",
        "varibles",
        hint="did you mean 'variables'?",
    ),
    Case(
        "D201-typo-in-effects",
        "D201",
        _chapter("      set: {conocio", "      sets: {conocio"),
        CH,
        "sets",
        hint="did you mean 'set'?",
    ),
    Case(
        "D201-typo-in-media",
        "D201",
        _chapter("media: media/x.png", "media: {foto: media/x.png}"),
        CH,
        "foto",
        _chapter("media: media/x.png", "media: {photo: media/x.png}"),
        hint="did you mean 'photo'?",
    ),
    Case(
        "D201-typo-in-route",
        "D201",
        _chapter("      - goto: final", '      - goto: final\n        iff: "vip"'),
        CH,
        "iff",
        _chapter("      - goto: final", "      - goto: final  # iff"),
        hint="did you mean 'if'?",
    ),
    Case(
        "D202-text-for-number",
        "D202",
        _chapter("order: 1", "order: uno"),
        CH,
        "order: uno",
        _chapter("order: 1", "order: 2"),
        offset=7,
        message="expected a whole number, found the text 'uno'",
    ),
    Case(
        "D202-quoted-number",
        "D202",
        _chapter("cost: 5", 'cost: "5"'),
        CH,
        '"5"',
        _chapter("cost: 5", "cost: 6"),
    ),
    Case(
        "D202-number-for-text",
        "D202",
        _chapter('title: {es: "Uno", en: "One"}', "title: 5"),
        CH,
        "5",
        _chapter('title: {es: "Uno", en: "One"}', 'title: {es: "5", en: "5"}'),
        message="expected text or a mapping",
    ),
    Case(
        "D202-number-in-locale-map",
        "D202",
        _chapter('title: {es: "Uno", en: "One"}', 'title: {es: "Uno", en: 1}'),
        CH,
        "1}",
        _chapter('title: {es: "Uno", en: "One"}', 'title: {es: "Uno", en: "1"}'),
        message="found the number 1",
    ),
    Case(
        "D202-file-is-a-list",
        "D202",
        _with("characters.yaml", "- diana\n"),
        "characters.yaml",
        "-",
        _with("characters.yaml", "diana: {name: Diana}\n"),
    ),
    Case(
        "D203-bad-enum",
        "D203",
        _chapter("ending: good", "ending: happy"),
        CH,
        "happy",
        _chapter("ending: good", "ending: bad"),
        message="use one of: good, bad, neutral, secret",
    ),
    Case(
        "D203-below-minimum",
        "D203",
        _chapter("cost: 5", "cost: 0"),
        CH,
        "0",
        _chapter("cost: 5", "cost: 1"),
        message="the least allowed is 1",
    ),
    Case(
        "D203-yes-is-a-word",
        "D203",
        edit("rewards.yaml", "on: story_started", "on: yes"),
        "rewards.yaml",
        "yes",
        edit("rewards.yaml", "on: story_started", "on: daily_checkin"),
        message="the text 'yes'",
    ),
    Case(
        "D203-bad-locale-code",
        "D203",
        _chapter('title: {es: "Uno", en: "One"}', 'title: {es: "Uno", EN: "One"}'),
        CH,
        "EN",
        message="'EN' is not a language code",
        hint="'en'",
    ),
    Case(
        "D203-two-media-kinds",
        "D203",
        _chapter("media: media/x.png", "media: {photo: media/x.png, video: media/x.png}"),
        CH,
        "{photo",
        _chapter("media: media/x.png", "media: {video: media/x.png}"),
        message="at most 1",
    ),
    Case(
        "D204-variable-without-type",
        "D204",
        _story("conocio: {type: bool, default: false}", "conocio: {default: false}"),
        "story.yaml",
        "conocio",
        _story("conocio: {type: bool, default: false}", "conocio: {type: bool}"),
        message="'conocio' is missing the required key 'type'",
    ),
    Case(
        "D204-choice-without-goto",
        "D204",
        _chapter("        cost: 5\n        goto: charla\n", "        cost: 5\n"),
        CH,
        'text: {es: "Invitarla"',
        message="item 2 of 'choices' is missing the required key 'goto'",
    ),
    Case(
        "D204-route-without-goto",
        "D204",
        _chapter("      - goto: final", '      - if: "vip"'),
        CH,
        'if: "vip"',
        # The look-alike keeps a fallback route: without one, a free player who is not sad is stuck (D702).
        _chapter("      - goto: final", '      - if: "vip"\n        goto: final\n      - goto: final'),
        message="item 2 of 'next' is missing the required key 'goto'",
    ),
    Case(
        "D204-file-without-title",
        "D204",
        _chapter('title: {es: "Uno", en: "One"}\n', ""),
        CH,
        "id",
        message="the file is missing the required key 'title'",
    ),
    Case(
        "D205-choice-id",
        "D205",
        _chapter("- id: hablar", "- id: Hablar"),
        CH,
        "Hablar",
        _chapter("- id: hablar", "- id: hablar_2"),
        hint="'hablar'",
    ),
    Case(
        "D205-scene-key",
        "D205",
        _chapter("  consuelo:", "  Consuelo:"),
        CH,
        "Consuelo",
        hint="'consuelo'",
    ),
    Case(
        "D205-id-starting-with-digit",
        "D205",
        _chapter("id: uno", "id: 1uno"),
        CH,
        "1uno",
    ),
    Case(
        "D205-scene-reference",
        "D205",
        _chapter("next: final", "next: Final"),
        CH,
        "Final",
        _chapter("next: final", "next: uno.final"),
        hint="'final'",
    ),
    Case(
        "D206-duplicate-chapter-id",
        "D206",
        {"chapters/02-b.yaml": CHAPTER.replace("order: 1", "order: 2")},
        "chapters/02-b.yaml",
        "uno",
        {"chapters/02-b.yaml": CHAPTER.replace("order: 1", "order: 2").replace("id: uno", "id: dos")},
        message="also used by chapters/01-a.yaml",
    ),
    Case(
        "D206-alias-is-a-scene-id",
        "D206",
        _chapter("    ending: good", "    ending: good\n    aliases: [consuelo]"),
        CH,
        "consuelo]",
        _chapter("    ending: good", "    ending: good\n    aliases: [consuelo_viejo]"),
    ),
    Case(
        "D206-alias-twice",
        "D206",
        {
            CH: CHAPTER.replace("    ending: good", "    ending: good\n    aliases: [viejo]").replace(
                "    next: final\n", "    next: final\n    aliases: [viejo]\n"
            )
        },
        CH,
        "viejo",
        occurrence=2,
        message="used by two scenes",
    ),
    Case(
        "D207-ending-with-next",
        "D207",
        _chapter("    ending: good", "    ending: good\n    next: consuelo"),
        CH,
        "final:",
        _chapter("    ending: good", "    ending: good\n    next_chapter: uno"),
        message="is an ending but also has choices or next",
    ),
    Case(
        "D207-no-way-on",
        "D207",
        _chapter("    ending: good\n", "    character: diana\n"),
        CH,
        "final:",
        _chapter("    ending: good\n", "    character: diana\n    ending: neutral\n"),
        message="no choices, no next and no ending",
    ),
    Case(
        "D207-input-without-next",
        "D207",
        _chapter("    next: final\n", "    input: mood\n    ending: bad\n"),
        CH,
        "consuelo:",
        _chapter("    next: final\n", "    input: mood\n    next: final\n"),
        message="asks for input but has no next",
    ),
    Case(
        "D207-input-and-choices",
        "D207",
        _chapter("    media: media/x.png\n", "    media: media/x.png\n    input: mood\n"),
        CH,
        "inicio:",
        message="both input and choices",
    ),
    Case(
        "D207-choices-and-next",
        "D207",
        _chapter("    media: media/x.png\n", "    media: media/x.png\n    next: final\n"),
        CH,
        "inicio:",
        message="both choices and next",
    ),
    Case(
        "D207-next-chapter-without-ending",
        "D207",
        _chapter("    next: final\n", "    next: final\n    next_chapter: uno\n"),
        CH,
        "consuelo:",
        message="has next_chapter but is not an ending",
    ),
    Case(
        "D207-fallback-not-last",
        "D207",
        _chapter(
            "      - if: \"mood == 'triste'\"\n        goto: consuelo\n      - goto: final\n",
            "      - goto: final\n      - if: \"mood == 'triste'\"\n        goto: consuelo\n",
        ),
        CH,
        "goto: final\n      - if",
        message="must be the last one",
    ),
    Case(
        "D208-default-above-max",
        "D208",
        _story("default: 0, min: 0", "default: 11, min: 0"),
        "story.yaml",
        "11",
        _story("default: 0, min: 0", "default: 10, min: 0"),
        message="outside its range 0..10",
    ),
    Case(
        "D208-enum-default",
        "D208",
        _story("default: luz}", "default: gris}"),
        "story.yaml",
        "gris",
        _story("default: luz}", "default: sombra}"),
        hint="values: luz, sombra",
    ),
    Case(
        "D208-min-above-max",
        "D208",
        _story("default: 0, min: 0, max: 10", "default: 0, min: 10, max: 0"),
        "story.yaml",
        "confianza",
        _story("default: 0, min: 0, max: 10", "default: 0, min: 0, max: 0"),
    ),
    # -- references ------------------------------------------------------------------------------------
    Case(
        "D301-goto",
        "D301",
        _chapter("goto: charla", "goto: charlaa"),
        CH,
        "charlaa",
        _chapter("goto: charla", "goto: uno.charla"),
        hint="did you mean 'charla'?",
    ),
    Case(
        "D301-next",
        "D301",
        _chapter("next: final", "next: finall"),
        CH,
        "finall",
        hint="did you mean 'final'?",
    ),
    Case(
        "D301-route",
        "D301",
        _chapter("      - goto: final", "      - goto: fin"),
        CH,
        "fin\n",
    ),
    Case(
        "D301-story-start",
        "D301",
        _story("start: uno.inicio", "start: uno.inico"),
        "story.yaml",
        "uno.inico",
        _story("start: uno.inicio", "start: uno.charla"),
        hint="did you mean 'inicio'?",
    ),
    Case(
        "D301-story-start-without-chapter",
        "D301",
        _story("start: uno.inicio", "start: inicio"),
        "story.yaml",
        "inicio",
        hint="'uno.inicio'",
    ),
    Case(
        "D301-story-start-unknown-chapter",
        "D301",
        _story("start: uno.inicio", "start: dos.inicio"),
        "story.yaml",
        "dos.inicio",
        message="names chapter 'dos'",
    ),
    Case(
        "D301-chapter-start",
        "D301",
        _chapter("order: 1", "order: 1\nstart: inico"),
        CH,
        "inico",
        _chapter("order: 1", "order: 1\nstart: inicio"),
    ),
    Case(
        "D301-goto-former-id",
        "D301",
        {
            CH: CHAPTER.replace("    ending: good", "    ending: good\n    aliases: [fin_viejo]").replace(
                "        goto: final\n  charla", "        goto: fin_viejo\n  charla"
            )
        },
        CH,
        "goto: fin_viejo",
        _chapter("    ending: good", "    ending: good\n    aliases: [fin_viejo]"),
        offset=6,
        hint="'final'",
    ),
    Case(
        "D301-scene-of-other-chapter",
        "D301",
        _chapter("goto: charla", "goto: dos.charla"),
        CH,
        "dos.charla",
        message="names chapter 'dos'",
    ),
    Case(
        "D302-next-chapter",
        "D302",
        _chapter("    ending: good", "    ending: good\n    next_chapter: dos"),
        CH,
        "dos",
        _chapter("    ending: good", "    ending: good\n    next_chapter: uno"),
        hint="chapters: uno",
    ),
    Case(
        "D302-rule-chapter",
        "D302",
        edit("rewards.yaml", "    once: true", "    once: true\n    chapter: unos"),
        "rewards.yaml",
        "unos",
        edit("rewards.yaml", "    once: true", "    once: true\n    chapter: uno"),
        hint="did you mean 'uno'?",
    ),
    Case(
        "D303-speaker",
        "D303",
        _chapter("character: diana", "character: dianna"),
        CH,
        "dianna",
        hint="did you mean 'diana'?",
    ),
    Case(
        "D303-bond",
        "D303",
        _chapter("bond: {diana: 1}", "bond: {lucien: 1}"),
        CH,
        "lucien",
        _chapter("bond: {diana: 1}", "bond: {diana: -1}"),
        hint="characters: diana",
    ),
    Case(
        "D304-achievement-effect",
        "D304",
        _chapter("          points: 5", "          points: 5\n          achievement: primer_pas"),
        CH,
        "primer_pas",
        _chapter("          points: 5", "          points: 5\n          achievement: primer_paso"),
        hint="did you mean 'primer_paso'?",
    ),
    Case(
        "D305-set",
        "D305",
        _chapter("set: {conocio: true", "set: {conocido: true"),
        CH,
        "conocido",
        hint="did you mean 'conocio'?",
    ),
    Case(
        "D305-add",
        "D305",
        _chapter("add: {confianza: 1}", "add: {confianz: 1}"),
        CH,
        "confianz:",
        _chapter("add: {confianza: 1}", "add: {confianza: -1}"),
    ),
    Case(
        "D306-scene-media",
        "D306",
        _chapter("media: media/x.png", "media: media/y.png"),
        CH,
        "media/y.png",
        hint="did you mean 'media/x.png'?",
    ),
    Case(
        "D306-typed-media",
        "D306",
        _chapter("media: media/x.png", "media: {video: media/x.mp4}"),
        CH,
        "media/x.mp4",
        _chapter("media: media/x.png", "media: {animation: media/x.png}"),
    ),
    Case(
        "D306-portrait",
        "D306",
        edit("characters.yaml", '  name: "Diana"', '  name: "Diana"\n  portrait: media/diana.jpg'),
        "characters.yaml",
        "media/diana.jpg",
        {
            **edit("characters.yaml", '  name: "Diana"', '  name: "Diana"\n  portrait: media/diana.jpg'),
            "media/diana.jpg": b"\xff\xd8\xff",
        },
    ),
    Case(
        "D307-examples-for-undeclared-mood",
        "D307",
        edit("moods.yaml", '    triste: ["i am sad"', '    tristes: ["i am sad"'),
        "moods.yaml",
        "tristes",
        hint="did you mean 'triste'?",
    ),
    Case(
        "D307-input-without-moods",
        "D307",
        {"moods.yaml": None},
        CH,
        "charla:",
    ),
    Case(
        "D308-unknown-locale",
        "D308",
        _chapter('text: {es: "Fin.", en: "The end."}', 'text: {es: "Fin.", en: "The end.", fr: "La fin."}'),
        CH,
        'fr: "La fin."',
        _chapter('text: {es: "Fin.", en: "The end."}', 'text: {en: "The end.", es: "Fin."}'),
        hint="add it to locales",
    ),
    Case(
        "D309-number-for-bool",
        "D309",
        _chapter("set: {conocio: true", "set: {conocio: 1"),
        CH,
        "1,",
        _chapter("set: {conocio: true", "set: {conocio: false"),
    ),
    Case(
        "D309-number-for-text",
        "D309",
        _chapter('apodo: "amigo"', "apodo: 3"),
        CH,
        "3}",
        _chapter('apodo: "amigo"', 'apodo: "3"'),
    ),
    Case(
        "D309-add-to-bool",
        "D309",
        _chapter("add: {confianza: 1}", "add: {conocio: 1}"),
        CH,
        "1}",
        hint="use set:",
    ),
    Case(
        "D310-set-above-max",
        "D310",
        _chapter("          points: 5", "          points: 5\n          set: {confianza: 11}"),
        CH,
        "11",
        _chapter("          points: 5", "          points: 5\n          set: {confianza: 10}"),
        message="outside its range 0..10",
    ),
    Case(
        "D310-set-unknown-enum-value",
        "D310",
        _chapter("camino: sombra", "camino: sombr"),
        CH,
        "sombr,",
        _chapter("camino: sombra", "camino: luz"),
        hint="did you mean 'sombra'?",
    ),
    Case(
        "D312-mood-without-examples",
        "D312",
        edit("moods.yaml", "moods: [alegre, triste]", "moods: [alegre, triste, ansioso]"),
        "moods.yaml",
        "ansioso",
        {
            "moods.yaml": MOODS.replace("moods: [alegre, triste]", "moods: [alegre, triste, ansioso]")
            + "    ansioso: ['so nervous', 'anxious', 'worried', 'on edge', 'restless']\n"
        },
    ),
    # -- conditions: columns inside the expression, in every scalar style ------------------------------
    *_expression_cases("D401", "double-equals", "conocio and confianza >= = 1", IF[5:-1], "= 1", hint="=="),
    *_expression_cases(
        "D401", "unclosed-paren", "conocio and (confianza >= 1", "conocio and (confianza >= 1)", "("
    ),
    *_expression_cases(
        "D402",
        "typo",
        "conocio and confianzza >= 1",
        "conocio and confianza >= 1",
        "confianzza",
        hint="did you mean 'confianza'?",
    ),
    *_expression_cases(
        "D403",
        "text-vs-number",
        "conocio and confianza >= 'uno'",
        "conocio and confianza >= 1",
        "confianza >=",
    ),
    *_expression_cases(
        "D404", "enum-value", "conocio and camino == 'gris'", "conocio and camino == 'luz'", "'gris'"
    ),
    *_expression_cases(
        "D404", "mood", "conocio or mood == 'feliz'", "conocio or mood == 'alegre'", "'feliz'"
    ),
    *_expression_cases(
        "D405", "visited", "conocio and visited('fin')", "conocio and visited('final')", "'fin'"
    ),
    *_expression_cases(
        "D405",
        "chose",
        "conocio and chose('inicio.hablarr')",
        "conocio and chose('inicio.hablar')",
        "'inicio",
    ),
    *_expression_cases("D406", "number", "confianza", "confianza > 0", "confianza", hint="confianza > 0"),
    *_expression_cases(
        "D407", "unknown-function", "conocio and seen('final')", "conocio and visited('final')", "seen"
    ),
    Case(
        "D402-in-achievement-tier",
        "D402",
        edit("achievements.yaml", "  when: \"visited('uno.final')\"", '  tiers:\n    gold: "streek >= 30"'),
        "achievements.yaml",
        "streek",
        edit("achievements.yaml", "  when: \"visited('uno.final')\"", '  tiers:\n    gold: "streak >= 30"'),
        hint="did you mean 'streak'?",
    ),
    Case(
        "D402-in-chapter-unlock",
        "D402",
        _chapter("order: 1", 'order: 1\nunlock: "vip or nivel > 2"'),
        CH,
        "nivel",
        _chapter("order: 1", 'order: 1\nunlock: "vip or confianza > 2"'),
    ),
    Case(
        "D405-has",
        "D405",
        edit("achievements.yaml", "visited('uno.final')", "has('primer')"),
        "achievements.yaml",
        "'primer'",
        edit("achievements.yaml", "visited('uno.final')", "has('primer_paso')"),
        hint="did you mean 'primer_paso'?",
    ),
    Case(
        "D405-chapter-done",
        "D405",
        edit("achievements.yaml", "visited('uno.final')", "chapter_done('dos')"),
        "achievements.yaml",
        "'dos'",
        edit("achievements.yaml", "visited('uno.final')", "chapter_done('uno')"),
    ),
    Case(
        "D405-unqualified-outside-chapter",
        "D405",
        edit("achievements.yaml", "visited('uno.final')", "visited('final')"),
        "achievements.yaml",
        "'final'",
        hint="'uno.final'",
    ),
    Case(
        "D405-choice-without-id",
        "D405",
        edit("achievements.yaml", "visited('uno.final')", "chose('uno.inicio.2')"),
        "achievements.yaml",
        "'uno.inicio.2'",
        edit("achievements.yaml", "visited('uno.final')", "chose('uno.inicio.confiar')"),
    ),
    Case(
        "D407-in-reward-rule",
        "D407",
        edit("rewards.yaml", "    once: true", "    once: true\n    if: \"visto('uno.final')\""),
        "rewards.yaml",
        "visto",
        edit("rewards.yaml", "    once: true", "    once: true\n    if: \"visited('uno.final')\""),
        hint="did you mean 'visited'?",
    ),
    # -- texts -----------------------------------------------------------------------------------------
    Case(
        "D501-in-locale-map",
        "D501",
        _chapter(CONSUELO, 'text: {es: "Ven, {nombre}.", en: "Come, {nombre}."}'),
        CH,
        "{nombre}",
        _chapter(CONSUELO, 'text: {es: "Ven, {apodo}.", en: "Come, {apodo}."}'),
        count=2,
        hint="did you mean 'name'?",
    ),
    Case(
        "D501-in-block-text",
        "D501",
        _chapter(
            CONSUELO, "text:\n      es: |-\n        Ven aquí,\n        {nombre}.\n      en: Come, {nombre}."
        ),
        CH,
        "{nombre}",
        _chapter(
            CONSUELO, "text:\n      es: |-\n        Ven aquí,\n        {name}.\n      en: Come, {name}."
        ),
        count=2,
    ),
    Case(
        "D502-unknown-tag",
        "D502",
        _chapter(CONSUELO, 'text: {es: "Ven <big>aquí</big>.", en: "Come here."}'),
        CH,
        "<big>",
        _chapter(CONSUELO, 'text: {es: "Ven <b>aquí</b>.", en: "Come here."}'),
        message="<big> is not part of Telegram's HTML",
    ),
    Case(
        "D502-never-closed",
        "D502",
        _chapter(CONSUELO, 'text: {es: "Ven aquí.", en: "Come <i>here."}'),
        CH,
        "<i>",
        _chapter(CONSUELO, 'text: {es: "Ven aquí.", en: "Come <i>here</i>."}'),
        message="<i> is never closed",
    ),
    Case(
        "D502-bare-less-than",
        "D502",
        _chapter(CONSUELO, 'text: {es: "1 < 2", en: "1 < 2"}'),
        CH,
        "<",
        _chapter(CONSUELO, 'text: {es: "1 &lt; 2 & 3", en: "1 &lt; 2 & 3"}'),
        count=2,
        hint="&lt;",
    ),
    Case(
        "D503-utf16-emoji",
        "D503",
        _chapter(CONSUELO, f'text: {{es: "{LONG_EMOJI}", en: "Come here."}}'),
        CH,
        '"😀',
        _chapter(CONSUELO, f'text: {{es: "{FIT_EMOJI}", en: "Come here."}}'),
        message="text is 4098 characters",
    ),
    Case(
        "D503-ascii",
        "D503",
        _chapter(CONSUELO, f'text: {{es: "{"x" * 4097}", en: "Come here."}}'),
        CH,
        '"xxx',
        _chapter(CONSUELO, f'text: {{es: "<b>{"x" * 4096}</b>", en: "Come here."}}'),  # tags do not count
    ),
    Case(
        "D504-missing-locale",
        "D504",
        _chapter(CONSUELO, 'text: {es: "Ven aquí."}'),
        CH,
        '{es: "Ven',
        hint="add en: ...",
    ),
    Case(
        "D504-empty-translation",
        "D504",
        _chapter(CONSUELO, 'text: {es: "Ven aquí.", en: ""}'),
        CH,
        '{es: "Ven',
        _chapter(CONSUELO, 'text: {es: "Ven aquí.", en: " "}'),
    ),
    Case(
        "D504-plain-text",
        "D504",
        _chapter(CONSUELO, 'text: "Ven aquí."'),
        CH,
        '"Ven aquí."',
        _chapter(CONSUELO, 'text: "Ven aquí."  # diana: ignore[D504]'),
        message="players in en see the es text",
    ),
    Case(
        "D505-placeholders-differ",
        "D505",
        _chapter(CONSUELO, 'text: {es: "Ven aquí.", en: "Come here, {name}."}'),
        CH,
        '{es: "Ven',
        _chapter(CONSUELO, 'text: {es: "Ven aquí, {name}.", en: "Come here, {name}."}'),
        message="es: none; en: name",
    ),
    Case(
        "D506-button-text",
        "D506",
        _chapter('en: "Talk"', f'en: "{"x" * 65}"'),
        CH,
        '"xxx',
        _chapter('en: "Talk"', f'en: "{"x" * 64}"'),
        message="65 characters",
    ),
    Case(
        "D506-button-emoji",
        "D506",
        _chapter('en: "Talk"', f'en: "{"😀" * 33}"'),
        CH,
        '"😀',
        _chapter('en: "Talk"', f'en: "{"😀" * 32}"'),
        message="66 characters",
    ),
    Case(
        "D507-caption",
        "D507",
        _chapter('en: "Hello, {name}."', f'en: "Hello, {{name}}.{"x" * 1011}"'),
        CH,
        '"Hello, {name}.xxx',
        _chapter('en: "Hello, {name}."', f'en: "Hello, {{name}}.{"x" * 1010}"'),
        message="1025 characters",
    ),
    Case(
        "D507-only-under-media",
        "D507",
        _chapter('en: "Hello, {name}."', f'en: "Hello, {{name}}.{"x" * 1011}"'),
        CH,
        '"Hello, {name}.xxx',
        {
            CH: CHAPTER.replace('en: "Hello, {name}."', f'en: "Hello, {{name}}.{"x" * 1011}"').replace(
                "    media: media/x.png\n", ""
            )
        },
    ),
    Case(
        "D508-nine-choices",
        "D508",
        _chapter("    choices:\n", "    choices:\n" + SIX_MORE_CHOICES),
        CH,
        "inicio:",
        _chapter("    choices:\n", "    choices:\n" + FIVE_MORE_CHOICES),
        message="9 choices",
    ),
]

# Codes proven by the dedicated tests below rather than by the table (they need monkeypatching or a
# missing file, which has no line to point at).
SPECIAL = {"D100", "D104", "D105", "D107"} | ANALYSIS_CODES  # story analysis: test_analysis.py


def _expected(case: Case) -> tuple[int, int]:
    text = files_with(case.bad)[case.file]
    if isinstance(text, bytes):  # a byte-level breakage: positions are those of the original text
        text = MINIMAL[case.file]
        assert isinstance(text, str)
    return position(text, case.needle, case.offset, case.occurrence)


def test_minimal_story_is_clean(lint: LintStory) -> None:
    report = lint()
    assert report.diagnostics == [], show(report.diagnostics)
    assert report.content is not None
    assert report.project is not None
    assert not report.failed


def test_minimal_story_helper_writes_every_file(tmp_path: Path) -> None:
    report = lint_story(tmp_path, {"chapters/01-a.yaml": CHAPTER})
    assert report.diagnostics == []
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        MINIMAL
    )


def test_every_code_has_a_case() -> None:
    covered = {case.code for case in CASES} | SPECIAL
    assert sorted(set(CODES) - covered) == []
    assert sorted(covered - set(CODES)) == []


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_broken_story_reports_the_code_at_the_right_place(case: Case, lint: LintStory) -> None:
    report = lint(case.bad)
    found = [item for item in report.diagnostics if item.code == case.code]
    assert len(found) == case.count, show(report.diagnostics)
    item = found[0]
    info = CODES[case.code]
    assert item.name == info.name
    assert item.severity is info.severity
    assert item.file == case.file
    assert (item.line, item.column) == _expected(case), show(found)
    assert item.message
    if case.hint is not None:
        assert any(case.hint in (other.hint or "") for other in found), show(found)
    if case.message is not None:
        assert any(case.message in other.message for other in found), show(found)
    if info.severity is Severity.ERROR:
        assert report.failed


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_clean_look_alike_does_not_report_it(case: Case, lint: LintStory) -> None:
    report = lint(case.clean)
    assert case.code not in codes(report), show(report.diagnostics)
    assert report.errors == 0, show(report.diagnostics)


# -- codes that need a missing file or a monkeypatched limit -----------------------------------------------


def test_d100_missing_story_yaml(lint: LintStory) -> None:
    report = lint({"story.yaml": None})
    assert [(d.code, d.file, d.line) for d in report.diagnostics] == [("D100", "story.yaml", 0)]
    assert report.diagnostics[0].hint


def test_d100_no_chapters(lint: LintStory) -> None:
    report = lint({CH: None})
    assert [(d.code, d.file) for d in report.diagnostics] == [("D100", "chapters/")]
    assert "no chapters" in report.diagnostics[0].message


def test_d100_look_alike_any_chapter_file_name(lint: LintStory) -> None:
    report = lint({CH: None, "chapters/zz-final.yml": CHAPTER})
    assert report.diagnostics == [], show(report.diagnostics)


def test_d104_file_over_the_size_limit(lint: LintStory, monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(CHAPTER.encode("utf-8"))
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", size - 1)
    report = lint()
    assert [(d.code, d.file, d.line, d.column) for d in report.diagnostics] == [("D104", CH, 1, 1)]
    assert f"the most a content file may be is {size - 1} bytes" in report.diagnostics[0].message
    assert "chapter" in (report.diagnostics[0].hint or "")


def test_d104_look_alike_exactly_at_the_limit(lint: LintStory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", len(CHAPTER.encode("utf-8")))
    assert lint().diagnostics == []


BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""


def test_d105_billion_laughs(lint: LintStory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_NODES", 2_000)
    report = lint({"story.yaml": STORY + BOMB})
    assert [d.code for d in report.diagnostics] == ["D105"], show(report.diagnostics)
    item = report.diagnostics[0]
    # 'd' is the first entry whose expansion (9**3 + ...) crosses 2,000 nodes: the finding names it.
    assert (item.file, item.line, item.column) == ("story.yaml", *position(STORY + BOMB, "d: &d"))
    assert "the value of 'd' expands to more than 2,000 YAML nodes" in item.message
    assert "alias" in (item.hint or "")


def test_d105_alias_to_itself(lint: LintStory) -> None:
    text = STORY + "x: &x [1, *x]\n"
    report = lint({"story.yaml": text})
    assert [(d.code, d.line, d.column) for d in report.diagnostics] == [("D105", *position(text, "x: &x"))]


def test_d105_nested_too_deep(lint: LintStory) -> None:
    text = STORY + "x: " + "[" * 2000 + "]" * 2000 + "\n"
    report = lint({"story.yaml": text})
    assert [(d.code, d.file) for d in report.diagnostics] == [("D105", "story.yaml")]
    assert report.diagnostics[0].line == position(text, "\nx: ", 1)[0]
    assert "nested too deep" in report.diagnostics[0].message


def test_d105_look_alike_anchors_within_limits(lint: LintStory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_NODES", 2_000)
    chapter = CHAPTER.replace(
        'title: {es: "Uno", en: "One"}', 'title: &t {es: "Uno", en: "One"}\ndescription: *t'
    )
    report = lint({CH: chapter})
    assert report.diagnostics == [], show(report.diagnostics)


def test_d107_unreadable_file(lint: LintStory, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "01-a.yaml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = lint()
    assert [(d.code, d.file, d.line) for d in report.diagnostics] == [("D107", CH, 1)]
    assert "Permission denied" in report.diagnostics[0].message


def test_d107_look_alike_unreadable_media_is_never_read(
    lint: LintStory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.suffix == ".png":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert lint().diagnostics == []


# -- a few properties of findings that hold for every code -------------------------------------------------


def test_errors_stop_before_the_model_only_when_loading_fails(lint: LintStory) -> None:
    """A structure error is reported alone: reference checks on a half-read tree would only add noise."""
    report = lint({**_chapter("order: 1", "order: uno"), **_story("start: uno.inicio", "start: uno.nada")})
    assert codes(report) == ["D202"]
    assert report.content is None


def test_findings_are_sorted_by_file_and_position(lint: LintStory) -> None:
    report = lint(
        {
            **_chapter("goto: charla", "goto: charlaa"),
            **edit("achievements.yaml", "visited('uno.final')", "visited('uno.fin')"),
        }
    )
    assert [(d.file, d.code) for d in report.diagnostics] == [
        ("achievements.yaml", "D405"),
        (CH, "D301"),
    ]


def test_condition_over_two_lines_points_into_the_second_line(lint: LintStory) -> None:
    """A condition written over two lines points at the second line's column."""
    chapter = CHAPTER.replace(IF, "if: >-\n          conocio and\n          confianzza >= 1")
    report = lint({CH: chapter})
    (item,) = report.diagnostics
    assert (item.code, item.line, item.column) == ("D402", *position(chapter, "confianzza"))
