"""Story analysis (graph, softlocks, economy, variables, achievements, moods): every code on a broken
story and on a clean look-alike, in the table style of test_codes.py.

Each case changes the minimal story (``lint_support.MINIMAL``) in one place; the finding's file, line and
column are computed from the fixture text. The look-alike differs as little as possible and must report
neither the code nor any error: many look-alikes are exactly the situations where a weaker analysis would
guess wrong (a condition that looks falsifiable but never is on any real path).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from lint_support import ACHIEVEMENTS, CHAPTER, MOODS, STORY, LintStory, Overrides, codes, position, show

import engine.lint.checks  # noqa: F401  (registers every check)
from engine.codes import CODES
from engine.diagnostics import Severity
from engine.lint.checks.moods import MIN_FOR_ACCURACY, cross_validate

CH = "chapters/01-a.yaml"
CH2 = "chapters/02-b.yaml"


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    bad: Overrides
    file: str
    needle: str
    clean: Overrides = field(default_factory=dict)
    offset: int = 0
    occurrence: int = 1
    message: str | None = None


def chapter_text(*pairs: tuple[str, str]) -> str:
    text = CHAPTER
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def chapter(*pairs: tuple[str, str]) -> dict[str, str | bytes]:
    return {CH: chapter_text(*pairs)}


def story(*pairs: tuple[str, str]) -> dict[str, str | bytes]:
    text = STORY
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return {"story.yaml": text}


CONSUELO = '  consuelo:\n    text: {es: "Ven aquí.", en: "Come here."}\n    next: final\n'
SAD = "      - if: \"mood == 'triste'\"\n        goto: consuelo\n"
FALLBACK = "      - goto: final\n"
CONFIAR_IF = 'if: "conocio and confianza >= 1"'
FINAL = '  final:\n    text: {es: "Fin.", en: "The end."}\n    ending: good\n'


def consuelo_choices(choices: str) -> dict[str, str | bytes]:
    return chapter(
        (CONSUELO, '  consuelo:\n    text: {es: "Ven aquí.", en: "Come here."}\n    choices:\n' + choices)
    )


def choice(text: str, extra: str = "", goto: str = "final") -> str:
    return f'      - text: {{es: "{text}", en: "{text}"}}\n{extra}        goto: {goto}\n'


def second_chapter(body: str) -> dict[str, str | bytes]:
    return {CH2: 'id: dos\ntitle: {es: "Dos", en: "Two"}\norder: 2\n' + body}


def moods_with(es: dict[str, list[str]]) -> dict[str, str | bytes]:
    """The minimal moods.yaml with other Spanish examples (the English ones stay: too few to measure)."""
    block = "".join(f"    {mood}: [{', '.join(repr(t) for t in texts)}]\n" for mood, texts in es.items())
    english = MOODS[MOODS.index("  en:") :]
    return {"moods.yaml": "moods: [alegre, triste]\nexamples:\n  es:\n" + block + english}


HAPPY_ES = [
    f"feliz {w}"
    for w in [
        "hoy",
        "ahora",
        "siempre",
        "mucho",
        "bastante",
        "tanto",
        "otra",
        "vez",
        "sí",
        "claro",
        "también",
    ]
]
SAD_ES = [
    f"triste {w}"
    for w in [
        "hoy",
        "ahora",
        "siempre",
        "mucho",
        "bastante",
        "tanto",
        "otra",
        "vez",
        "sí",
        "claro",
        "también",
    ]
]
GOOD_MOODS = moods_with({"alegre": HAPPY_ES, "triste": SAD_ES})
# Every example its own words: nothing a held-out reply shares with the rest.
WORDS = [
    "sol",
    "luna",
    "mar",
    "río",
    "monte",
    "nube",
    "lluvia",
    "viento",
    "fuego",
    "nieve",
    "roca",
    "hoja",
    "flor",
    "árbol",
    "piedra",
    "arena",
]
POOR_MOODS = moods_with({"alegre": WORDS[:11], "triste": [w + "s" for w in WORDS[:11]]})

CASES: list[Case] = [
    # -- the story graph ------------------------------------------------------------------------------
    Case(
        "D601-scene-nothing-leads-to",
        "D601",
        {CH: CHAPTER + '  perdida:\n    text: {es: "Nadie.", en: "Nobody."}\n    next: final\n'},
        CH,
        "  perdida:",
        {
            CH: chapter_text(("    next: final\n", "    next: perdida\n"))
            + '  perdida:\n    text: {es: "Nadie.", en: "Nobody."}\n    next: final\n'
        },
        offset=2,
        message="nothing leads there",
    ),
    Case(
        "D601-only-an-impossible-choice-leads-there",
        "D601",
        chapter(
            (CONFIAR_IF, 'if: "conocio and confianza >= 11"'),
            ("        goto: final\n  charla:", "        goto: consuelo\n  charla:"),
            (SAD, ""),
        ),
        CH,
        "  consuelo:",
        chapter(
            (CONFIAR_IF, 'if: "conocio and confianza >= 10"'),
            ("        goto: final\n  charla:", "        goto: consuelo\n  charla:"),
            (SAD, ""),
        ),
        offset=2,
        message="condition that can never be true",
    ),
    Case(
        "D602-chapter-nobody-enters",
        "D602",
        second_chapter('scenes:\n  fin:\n    text: {es: "Fin.", en: "End."}\n    ending: good\n'),
        CH2,
        "dos",
        second_chapter(
            'unlock: "chapter_done(\'uno\')"\nscenes:\n  fin:\n    text: {es: "Fin.", en: "End."}\n'
            "    ending: good\n"
        ),
    ),
    Case(
        "D603-ending-nobody-reaches",
        "D603",
        {CH: CHAPTER + '  secreto:\n    text: {es: "Otro fin.", en: "Another end."}\n    ending: secret\n'},
        CH,
        "  secreto:",
        {
            CH: chapter_text(("    next: final\n", "    next: secreto\n"))
            + '  secreto:\n    text: {es: "Otro fin.", en: "Another end."}\n    ending: secret\n'
        },
        offset=2,
    ),
    Case(
        "D604-every-route-impossible",
        "D604",
        chapter(("    next: final\n", '    next:\n      - if: "confianza > 10"\n        goto: final\n')),
        CH,
        "  consuelo:",
        chapter(
            ("    next: final\n", '    next:\n      - if: "confianza > 9"\n        goto: final\n' + FALLBACK)
        ),
        offset=2,
    ),
    Case(
        "D605-two-scenes-in-a-loop",
        "D605",
        {
            CH: chapter_text(("    next: final\n", "    next: eco\n"))
            + '  eco:\n    text: {es: "Eco.", en: "Echo."}\n    next: consuelo\n'
        },
        CH,
        "  consuelo:",
        {
            CH: chapter_text(("    next: final\n", "    next: eco\n"))
            + '  eco:\n    text: {es: "Eco.", en: "Echo."}\n    choices:\n'
            + choice("Otra vez", goto="consuelo")
            + choice("Salir")
        },
        offset=2,
        message="uno.consuelo, uno.eco",
    ),
    Case(
        "D606-chapter-without-ending",
        "D606",
        second_chapter(
            'unlock: "chapter_done(\'uno\')"\nscenes:\n  puente:\n    text: {es: "Puente.", en: "Bridge."}\n'
            "    next: uno.final\n"
        ),
        CH2,
        "dos",
        second_chapter(
            'unlock: "chapter_done(\'uno\')"\nscenes:\n  puente:\n    text: {es: "Puente.", en: "Bridge."}\n'
            "    ending: neutral\n"
        ),
    ),
    # -- softlocks ------------------------------------------------------------------------------------
    Case(
        # Who says 'triste' after paying for the invitation arrives with confianza 0: the choice is hidden.
        "D701-only-choice-hidden-on-one-path",
        "D701",
        consuelo_choices(choice("Abrazarla", '        if: "confianza >= 1"\n')),
        CH,
        "  consuelo:",
        consuelo_choices(choice("Abrazarla", '        if: "confianza >= 1"\n') + choice("Irte")),
        offset=2,
        message="[2]",
    ),
    Case(
        # The look-alike looks just as falsifiable to a static pass (conocio starts false), but inicio
        # sets it before anyone gets here: no playthrough can arrive with it false, so no finding.
        "D701-requires-locked",
        "D701",
        consuelo_choices(choice("Abrazarla", '        requires: "bond.diana >= 1"\n')),
        CH,
        "  consuelo:",
        consuelo_choices(choice("Abrazarla", '        requires: "conocio"\n')),
        offset=2,
        message="bond.diana 0",
    ),
    Case(
        "D702-mood-routes-without-fallback",
        "D702",
        chapter((FALLBACK, "")),
        CH,
        "  charla:",
        chapter((FALLBACK, "      - if: \"mood != 'triste'\"\n        goto: final\n")),
        offset=2,
        message="mood 'alegre' or a mood the model does not recognise",
    ),
    Case(
        "D702-continue-without-fallback",
        "D702",
        chapter(("    next: final\n", '    next:\n      - if: "confianza >= 1"\n        goto: final\n')),
        CH,
        "  consuelo:",
        chapter(
            (
                "    next: final\n",
                '    next:\n      - if: "confianza >= 1 or not conocio"\n        goto: final\n' + FALLBACK,
            )
        ),
        offset=2,
    ),
    Case(
        "D703-only-vip-ways-on",
        "D703",
        consuelo_choices(choice("Seguirla al jardín", "        vip: true\n")),
        CH,
        "  consuelo:",
        consuelo_choices(choice("Seguirla al jardín", "        vip: true\n") + choice("Irte")),
        offset=2,
        message="only VIP ways on",
    ),
    Case(
        "D703-into-a-vip-chapter",
        "D703",
        {
            **chapter(("    next: final\n", "    next: dos.jardin\n")),
            **second_chapter(
                'vip: true\nscenes:\n  jardin:\n    text: {es: "Jardín.", en: "Garden."}\n    ending: good\n'
            ),
        },
        CH,
        "  consuelo:",
        {
            # The paywall pattern: the free path ends, and the ending offers the VIP chapter.
            **chapter(("    ending: good\n", "    ending: good\n    next_chapter: dos\n")),
            **second_chapter(
                'vip: true\nscenes:\n  jardin:\n    text: {es: "Jardín.", en: "Garden."}\n    ending: good\n'
            ),
        },
        offset=2,
    ),
    Case(
        "D704-cost-nobody-can-pay",
        "D704",
        chapter(("cost: 5", "cost: 500")),
        CH,
        "cost: 500",
        chapter(("cost: 5", "cost: 25")),
        offset=6,
        message="at most 25",
    ),
    # -- variables and achievements -------------------------------------------------------------------
    Case(
        "D705-declared-never-read",
        "D705",
        story(("variables:\n", "variables:\n  olvidada: {type: int, default: 0}\n")),
        "story.yaml",
        "olvidada:",
        {
            **story(("variables:\n", "variables:\n  olvidada: {type: int, default: 0}\n")),
            **chapter(
                ('"Ven aquí."', '"Ven aquí, {olvidada}."'), ('"Come here."', '"Come here, {olvidada}."')
            ),
        },
    ),
    Case(
        "D705-written-never-read",
        "D705",
        {
            **story(("variables:\n", "variables:\n  olvidada: {type: int, default: 0}\n")),
            **chapter(("add: {confianza: 1}", "add: {confianza: 1, olvidada: 1}")),
        },
        "story.yaml",
        "olvidada:",
        {
            **story(("variables:\n", "variables:\n  olvidada: {type: int, default: 0}\n")),
            **chapter(
                ("add: {confianza: 1}", "add: {confianza: 1, olvidada: 1}"),
                (CONFIAR_IF, 'if: "conocio and confianza >= 1 and olvidada < 3"'),
            ),
        },
        message="set by effects",
    ),
    Case(
        "D706-read-never-written",
        "D706",
        {
            **story(("variables:\n", "variables:\n  secreto: {type: bool, default: false}\n")),
            **chapter((CONFIAR_IF, 'if: "conocio and confianza >= 1 and secreto"')),
        },
        "story.yaml",
        "secreto:",
        {
            **story(("variables:\n", "variables:\n  secreto: {type: bool, default: false}\n")),
            **chapter(
                (CONFIAR_IF, 'if: "conocio and confianza >= 1 and secreto"'),
                ('apodo: "amigo"}', 'apodo: "amigo", secreto: true}'),
            ),
        },
        message="always false",
    ),
    Case(
        "D707-above-max",
        "D707",
        chapter((CONFIAR_IF, 'if: "conocio and confianza >= 11"')),
        CH,
        "confianza >= 11",
        chapter((CONFIAR_IF, 'if: "conocio and confianza >= 10"')),
        message="confianza is only 0..10",
    ),
    Case(
        "D707-enum-value-never-set",
        "D707",
        {
            **story(("values: [luz, sombra]", "values: [luz, sombra, niebla]")),
            **chapter(("camino == 'sombra'", "camino == 'niebla'")),
        },
        CH,
        "camino == 'niebla'",
        {
            **story(("values: [luz, sombra]", "values: [luz, sombra, niebla]")),
            **chapter(("camino == 'sombra'", "camino == 'luz'")),
        },
        message="only 'luz', 'sombra'",
    ),
    Case(
        "D707-visited-unreachable-scene",
        "D707",
        {
            CH: chapter_text((CONFIAR_IF, "if: \"visited('perdida')\""))
            + '  perdida:\n    text: {es: "Nadie.", en: "Nobody."}\n    next: final\n'
        },
        CH,
        "visited('perdida')",
        {CH: chapter_text((CONFIAR_IF, "if: \"visited('consuelo')\""))},
        message="no player can reach 'uno.perdida'",
    ),
    Case(
        "D708-value-out-of-range",
        "D708",
        {"achievements.yaml": ACHIEVEMENTS.replace("visited('uno.final')", "confianza > 10")},
        "achievements.yaml",
        "confianza > 10",
        {"achievements.yaml": ACHIEVEMENTS.replace("visited('uno.final')", "confianza >= 10")},
        message="can never be unlocked",
    ),
    Case(
        "D709-nothing-grants-it",
        "D709",
        {"achievements.yaml": ACHIEVEMENTS + 'olvidado:\n  title: {es: "Olvidado", en: "Forgotten"}\n'},
        "achievements.yaml",
        "olvidado:",
        {
            "achievements.yaml": ACHIEVEMENTS + 'olvidado:\n  title: {es: "Olvidado", en: "Forgotten"}\n',
            **chapter(("points: 5", "points: 5\n          achievement: olvidado")),
        },
    ),
    # -- moods ----------------------------------------------------------------------------------------
    Case(
        "D801-four-examples",
        "D801",
        {"moods.yaml": MOODS.replace(', "de bajón"]', "]")},
        "moods.yaml",
        "    triste:",
        offset=4,
        message="4 example(s) in es",
    ),
    Case(
        "D802-accuracy-reported",
        "D802",
        GOOD_MOODS,
        "moods.yaml",
        "    alegre:",
        offset=4,
        message="100%",
    ),
    Case(
        "D803-low-accuracy",
        "D803",
        POOR_MOODS,
        "moods.yaml",
        "    alegre:",
        GOOD_MOODS,
        offset=4,
        message="only 0%",
    ),
]

ANALYSIS_CODES = {case.code for case in CASES}


def _expected(case: Case) -> tuple[int, int]:
    from lint_support import files_with

    text = files_with(case.bad)[case.file]
    assert isinstance(text, str)
    return position(text, case.needle, case.offset, case.occurrence)


def test_every_analysis_code_has_a_case() -> None:
    assert sorted(c for c in CODES if c[1] in "678" and c not in ANALYSIS_CODES) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_broken_story_reports_the_code_at_the_right_place(case: Case, lint: LintStory) -> None:
    report = lint(case.bad)
    found = [item for item in report.diagnostics if item.code == case.code]
    assert len(found) == 1, show(report.diagnostics)
    item = found[0]
    info = CODES[case.code]
    assert (item.name, item.severity) == (info.name, info.severity)
    assert item.file == case.file
    assert (item.line, item.column) == _expected(case), show(found)
    assert item.hint or info.severity is Severity.INFO
    if case.message is not None:
        assert case.message in item.message, show(found)
    if info.severity is Severity.ERROR:
        assert report.failed


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_clean_look_alike_does_not_report_it(case: Case, lint: LintStory) -> None:
    report = lint(case.clean)
    assert case.code not in codes(report), show(report.diagnostics)
    assert report.errors == 0, show(report.diagnostics)


def test_cross_validation_is_deterministic_and_stratified() -> None:
    examples = {"alegre": tuple(HAPPY_ES), "triste": tuple(SAD_ES)}
    first = cross_validate("es", examples)
    assert first == cross_validate("es", examples)
    assert (first.correct, first.total) == (22, 22)
    assert first.by_mood == {"alegre": (11, 11), "triste": (11, 11)}


def test_accuracy_needs_enough_examples_to_mean_something(lint: LintStory) -> None:
    """The minimal story's 5 examples per mood give no figure (and no warning): too few to measure."""
    assert len(HAPPY_ES) >= MIN_FOR_ACCURACY
    assert not {"D802", "D803"} & set(codes(lint()))


def test_a_mood_route_to_an_undeclared_mood_is_d404(lint: LintStory) -> None:
    """Issue item 'a mood route to a mood not declared' is the existing D404, not a new code."""
    report = lint(chapter(("mood == 'triste'", "mood == 'feliz'")))
    assert "D404" in codes(report)


def test_a_product_without_a_price_is_refused_by_the_schema(lint: LintStory) -> None:
    """Issue item 'a product with no price' is the schema's required key (D204), not a new code."""
    shop = "products:\n  vip_30:\n    type: vip\n    days: 30\n    title: {es: VIP, en: VIP}\n"
    assert codes(lint({"shop.yaml": shop})) == ["D204"]
    assert codes(lint({"shop.yaml": shop + "    price: {}\n"})) == ["D203"]
