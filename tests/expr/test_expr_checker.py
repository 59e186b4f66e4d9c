"""Checker: every issue code with its position, typing rules, and qualification."""

from __future__ import annotations

import pytest
from expr_support import ENV

from engine.expr import (
    CODE_NAMES,
    BoolType,
    Call,
    EnumType,
    Environment,
    ExprIssue,
    IntType,
    StrLit,
    StrType,
    check,
    check_source,
    parse,
    unparse,
)


def issues_of(
    source: str, chapter: str | None = "encuentro", env: Environment = ENV
) -> list[tuple[str, int, int]]:
    result = check_source(source, env, chapter)
    return [(issue.code, issue.start, issue.end) for issue in result.issues]


def only_issue(source: str, chapter: str | None = "encuentro", env: Environment = ENV) -> ExprIssue:
    result = check_source(source, env, chapter)
    assert len(result.issues) == 1, result.issues
    assert result.tree is None
    return result.issues[0]


# -- clean conditions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "confianza >= 3 and vip",
        "conocio_diana",
        "not vip",
        "true",
        "points > 100 or streak >= 7",
        "bond.diana >= 5",
        "bond.lucia < -2",
        "camino == 'luz'",
        "'sombra' != camino",
        "camino == senda",
        "camino in ['luz', 'sombra']",
        "camino not in []",
        "mood == none",
        "none != mood",
        "mood == 'triste'",
        "mood in [none, 'alegre']",
        "apodo == ''",
        "apodo != 'Dani'",
        "confianza == streak",
        "confianza in [1, 2, 3]",
        "vip == conocio_diana",
        "(confianza > 1) == vip",
        "vip in [true]",
        "visited('inicio') and visited('jardin.entrada')",
        "chose('inicio.acercarse') or chose('jardin.entrada.entrar')",
        "chapter_done('prologo') and has('primer_beso')",
        "1 < 2",
        "'a' == 'b'",
    ],
)
def test_clean_conditions(source: str) -> None:
    result = check_source(source, ENV, "encuentro")
    assert result.issues == ()
    assert result.ok
    assert result.type == BoolType()
    assert result.tree == check(parse(source), ENV, "encuentro").tree


# -- each code with its exact position ---------------------------------------------------------

ISSUES = [
    # D402 undeclared-name
    ("confianz > 3", "D402", 0, 8, "did you mean 'confianza'?"),
    ("vip and apodos == 'x'", "D402", 8, 14, "did you mean 'apodo'?"),
    ("bond.dianna > 2", "D402", 0, 11, "did you mean 'bond.diana'?"),
    ("bond.zeus > 2", "D402", 0, 9, "characters.yaml"),
    ("bond_diana > 2", "D402", 0, 10, "did you mean 'bond.diana'?"),
    ("bond > 2", "D402", 0, 4, "bond.diana"),
    ("puntos > 3", "D402", 0, 6, "did you mean 'points'?"),
    ("zzz", "D402", 0, 3, "story.yaml"),
    ("camino.luz", "D402", 0, 10, "camino == 'luz'"),
    ("foo.bar", "D402", 0, 7, "bond.<character>"),
    ("visited", "D402", 0, 7, "visited('scene')"),
    ("mood == null", "D402", 8, 12, "none"),
    # D403 type-mismatch
    ("confianza == 'alta'", "D403", 0, 19, "same kind"),
    ("confianza == '3'", "D403", 0, 16, "remove the quotes: 3"),
    ("vip == 'true'", "D403", 0, 13, "remove the quotes: true"),
    ("vip == 1", "D403", 0, 8, "quotes"),
    ("camino == 2", "D403", 0, 11, "put the value in quotes: '2'"),
    ("camino == apodo", "D403", 0, 15, "same kind"),
    ("camino == ruta", "D403", 0, 14, "value"),
    ("apodo < 'b'", "D403", 0, 11, "== or !="),
    ("camino >= 'luz'", "D403", 0, 15, "== or !="),
    ("vip > conocio_diana", "D403", 0, 19, "not vip"),
    ("mood < none", "D403", 0, 11, "== or !="),
    ("1 < 'a'", "D403", 0, 7, "== or !="),
    ("confianza == none", "D403", 0, 17, "mood"),
    ("none == vip", "D403", 0, 11, "mood"),
    ("camino != none", "D403", 0, 14, "mood"),
    ("none == none", "D403", 0, 12, "mood"),
    ("vip and confianza", "D403", 8, 17, "compare it, e.g. confianza > 0"),
    ("camino or vip", "D403", 0, 6, "compare it, e.g. camino == 'luz'"),
    ("not apodo", "D403", 4, 9, "compare it, e.g. apodo != ''"),
    ("vip and 3", "D403", 8, 9, "compare it"),
    ("not none", "D403", 4, 8, "mood == none"),
    ("vip and (bond.diana)", "D403", 9, 19, "bond.diana > 0"),
    ("confianza in [1, 'dos']", "D403", 17, 22, "same kind"),
    ("confianza in [1, true]", "D403", 17, 21, "quotes"),
    ("camino in ['luz', 3]", "D403", 18, 19, "quotes: '3'"),
    ("vip in [1]", "D403", 8, 9, "quotes"),
    ("apodo in [none]", "D403", 10, 14, "mood"),
    ("none in [1]", "D403", 0, 4, "mood in"),
    # D404 unknown-enum-value
    ("camino == 'lux'", "D404", 10, 15, "did you mean 'luz'?"),
    ("'sombre' == camino", "D404", 0, 8, "did you mean 'sombra'?"),
    ("camino == 'xyz'", "D404", 10, 15, "camino can be luz, sombra"),
    ("mood == 'tristee'", "D404", 8, 17, "did you mean 'triste'?"),
    ("mood != 'zzz'", "D404", 8, 13, "the moods are alegre, triste, enfadado"),
    ("camino in ['luz', 'sobra']", "D404", 18, 25, "did you mean 'sombra'?"),
    ("mood not in [none, 'alegr']", "D404", 19, 26, "did you mean 'alegre'?"),
    # D405 unknown-reference
    ("visited('inico')", "D405", 8, 15, "did you mean 'inicio'?"),
    ("visited('jardin.entrda')", "D405", 8, 23, "did you mean 'jardin.entrada'?"),
    ("visited('bosque.claro')", "D405", 8, 22, "no chapter 'bosque'"),
    ("chose('inicio.besar')", "D405", 6, 20, "`id: besar`"),
    ("chose('inicio.acercarce')", "D405", 6, 24, "did you mean 'inicio.acercarse'?"),
    ("chose('nada.x')", "D405", 6, 14, None),
    ("visited('zzz')", "D405", 8, 13, "spelling"),
    ("chose('acercarse')", "D405", 6, 17, "did you mean 'inicio.acercarse'?"),
    ("chose('zzz')", "D405", 6, 11, "'scene.choice_id'"),
    ("chapter_done('prolog')", "D405", 13, 21, "did you mean 'prologo'?"),
    ("chapter_done('encuentro.inicio')", "D405", 13, 31, "plain chapter id"),
    ("has('primer_bso')", "D405", 4, 16, "did you mean 'primer_beso'?"),
    # D406 not-a-condition
    ("confianza", "D406", 0, 9, "compare it, e.g. confianza > 0"),
    ("bond.diana", "D406", 0, 10, "compare it, e.g. bond.diana > 0"),
    ("camino", "D406", 0, 6, "compare it, e.g. camino == 'luz'"),
    ("apodo", "D406", 0, 5, "compare it, e.g. apodo != ''"),
    ("mood", "D406", 0, 4, "mood != none"),
    ("  points  ", "D406", 2, 8, "compare it, e.g. points > 0"),
    ("(streak)", "D406", 1, 7, "compare it, e.g. streak > 0"),
    ("3", "D406", 0, 1, "compare it"),
    ("'texto'", "D406", 0, 7, "compare it"),
    ("none", "D406", 0, 4, "mood == none"),
    # D407 unknown-function
    ("visit('x')", "D407", 0, 5, "did you mean 'visited'?"),
    ("vip and chosen('a.b.c')", "D407", 8, 14, "did you mean 'chose'?"),
    ("done('prologo')", "D407", 0, 4, "the functions are visited, chose, chapter_done and has"),
    ("confianza('x')", "D407", 0, 9, "confianza is a value"),
    # D401 through check_source
    ("a = 1", "D401", 2, 3, "use == to compare"),
]


@pytest.mark.parametrize(
    ("source", "code", "start", "end", "in_hint"),
    ISSUES,
    ids=[f"{case[1]}:{case[0]}" for case in ISSUES],
)
def test_issue_codes_and_positions(source: str, code: str, start: int, end: int, in_hint: str | None) -> None:
    issue = only_issue(source)
    assert (issue.code, issue.start, issue.end) == (code, start, end), issue.message
    assert issue.name == CODE_NAMES[code]
    assert issue.message.endswith(".")
    assert (
        issue.message[0].isupper()
        or issue.message[0] in "'(0123456789"
        or issue.message.startswith(("none", "visited", "chose", "chapter_done", "has"))
    )
    if in_hint is not None:
        assert issue.hint is not None
        assert in_hint in issue.hint


def test_every_code_is_exercised() -> None:
    assert {case[1] for case in ISSUES} == set(CODE_NAMES)


def test_messages_name_the_offending_token() -> None:
    assert "'confianz'" in only_issue("confianz > 3").message
    assert "'lux'" in only_issue("camino == 'lux'").message
    assert "'inicio.besar'" not in only_issue("chose('inicio.besar')").message
    assert "'besar'" in only_issue("chose('inicio.besar')").message
    assert "'visit'" in only_issue("visit('x')").message
    assert "'<'" in only_issue("camino < 'luz'").message


def test_several_issues_are_all_reported_in_source_order() -> None:
    assert issues_of("confianz > 1 and camino == 'lux' or visit('x') and apodo") == [
        ("D402", 0, 8),
        ("D404", 27, 32),
        ("D407", 36, 41),
        ("D403", 51, 56),
    ]


def test_an_unknown_name_does_not_cascade() -> None:
    # The unknown name's type is unknown: no type mismatch on top, no "not a condition".
    assert issues_of("zzz == 'x'") == [("D402", 0, 3)]
    assert issues_of("not zzz") == [("D402", 4, 7)]
    assert issues_of("zzz") == [("D402", 0, 3)]
    assert issues_of("zzz in [1, 'a']") == [("D402", 0, 3)]


def test_result_type() -> None:
    assert check_source("confianza", ENV, None).type == IntType(0, 10)
    assert check_source("apodo", ENV, None).type == StrType()
    assert check_source("mood", ENV, None).type == EnumType(ENV.moods, nullable=True)
    assert check_source("none", ENV, None).type is None
    assert check_source("zzz", ENV, None).type is None
    assert check_source("(", ENV, None).type is None
    assert check_source("vip", ENV, None).type == BoolType()


def test_tree_only_when_clean() -> None:
    assert check_source("vip", ENV, None).tree is not None
    assert check_source("confianza", ENV, None).tree is None
    assert check_source("(", ENV, None).tree is None


def test_builtins_cannot_be_shadowed() -> None:
    env = Environment(variables={"points": StrType(), "vip": IntType()})
    assert check_source("points > 3 and vip", env, None).ok
    assert not check_source("points == 'x'", env, None).ok


def test_mood_without_declared_moods() -> None:
    env = Environment()
    issue = only_issue("mood == 'alegre'", None, env)
    assert issue.code == "D404"
    assert issue.hint is not None
    assert "moods.yaml" in issue.hint
    assert check_source("mood == none", env, None).ok


def test_nullable_enum_variable_accepts_none() -> None:
    env = Environment(variables={"pareja": EnumType(("ana", "luis"), nullable=True)})
    assert check_source("pareja == none or pareja == 'ana'", env, None).ok


# -- qualification -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "chapter", "qualified"),
    [
        ("visited('inicio')", "encuentro", "visited('encuentro.inicio')"),
        ("visited('encuentro.saludo')", "encuentro", "visited('encuentro.saludo')"),
        ("visited('jardin.entrada')", "encuentro", "visited('jardin.entrada')"),
        ("visited('entrada')", "jardin", "visited('jardin.entrada')"),
        ("visited('jardin.entrada')", None, "visited('jardin.entrada')"),
        ("chose('inicio.acercarse')", "encuentro", "chose('encuentro.inicio.acercarse')"),
        ("chose('encuentro.inicio.acercarse')", "jardin", "chose('encuentro.inicio.acercarse')"),
        ("chose('encuentro.inicio.acercarse')", None, "chose('encuentro.inicio.acercarse')"),
        ("chapter_done('prologo')", "encuentro", "chapter_done('prologo')"),
        ("has('primer_beso')", "encuentro", "has('primer_beso')"),
        (
            "not (visited('inicio') and chose('inicio.acercarse')) or vip",
            "encuentro",
            "not (visited('encuentro.inicio') and chose('encuentro.inicio.acercarse')) or vip",
        ),
        (
            "visited('saludo') == (mood in [none])",
            "encuentro",
            "visited('encuentro.saludo') == (mood in [none])",
        ),
    ],
)
def test_qualification(source: str, chapter: str | None, qualified: str) -> None:
    result = check_source(source, ENV, chapter)
    assert result.issues == ()
    assert result.tree is not None
    assert unparse(result.tree) == qualified


def test_qualification_keeps_offsets() -> None:
    source = "vip and visited('inicio')"
    result = check_source(source, ENV, "encuentro")
    assert result.tree is not None
    tree = parse(source)
    qualified_call = result.tree.operands[1]  # type: ignore[union-attr]
    assert isinstance(qualified_call, Call)
    assert qualified_call.argument == StrLit("encuentro.inicio")
    assert (qualified_call.argument.start, qualified_call.argument.end) == (16, 24)
    assert (qualified_call.start, qualified_call.end) == (8, 25)
    assert (result.tree.start, result.tree.end) == (tree.start, tree.end)


def test_check_does_not_mutate_the_input_tree() -> None:
    tree = parse("visited('inicio')")
    check(tree, ENV, "encuentro")
    assert tree == Call("visited", StrLit("inicio"))


@pytest.mark.parametrize(
    ("source", "start", "end", "hint"),
    [
        ("visited('inicio')", 8, 16, "qualify it: 'chapter.scene', e.g. 'encuentro.inicio'"),
        ("visited('nada')", 8, 14, "qualify it: 'chapter.scene'"),
        ("chose('inicio.acercarse')", 6, 24, "qualify it: 'chapter.scene.choice_id'"),
        ("chose('acercarse')", 6, 17, "qualify it: 'chapter.scene.choice_id'"),
    ],
)
def test_unqualified_outside_a_chapter(source: str, start: int, end: int, hint: str) -> None:
    issue = only_issue(source, chapter=None)
    assert (issue.code, issue.start, issue.end) == ("D405", start, end)
    assert issue.hint is not None
    assert issue.hint.startswith(hint)


def test_chose_of_a_choice_without_id_says_it_needs_one() -> None:
    issue = only_issue("chose('encuentro.inicio.besar')", chapter=None)
    assert issue.code == "D405"
    assert "`id`" in issue.message
    assert "exist" in issue.message


def test_unknown_chapter_scene_in_chapter_suggests_local_spelling() -> None:
    issue = only_issue("visited('salud')", "encuentro")
    assert issue.hint == "did you mean 'saludo'?"
    issue = only_issue("visited('encuentro.salud')", "jardin")
    assert issue.hint == "did you mean 'encuentro.saludo'?"


def test_codes_agree_with_the_engine_table() -> None:
    codes = pytest.importorskip("engine.codes")
    for code, name in CODE_NAMES.items():
        assert codes.CODES[code].name == name
