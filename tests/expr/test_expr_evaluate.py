"""Evaluation: compiled closures over a plain Facts object, and how cheap the hot path is."""

from __future__ import annotations

import sys
from types import FrameType

import pytest
from expr_support import ENV, FakeFacts, interpret

from engine.expr import Call, Expr, Name, StrLit, check_source, compile_expr, evaluate, parse

FACTS = FakeFacts(
    variables={"confianza": 4, "conocio_diana": True, "camino": "sombra", "apodo": "Dani"},
    points=120,
    vip=False,
    streak=3,
    mood=None,
    bonds={"diana": 6, "lucia": -2},
    scenes=frozenset({"encuentro.inicio", "encuentro.saludo"}),
    choices=frozenset({"encuentro.inicio.acercarse"}),
    chapters=frozenset({"prologo"}),
    achievements=frozenset({"primer_beso"}),
)


def checked(source: str, chapter: str | None = "encuentro") -> Expr:
    result = check_source(source, ENV, chapter)
    assert result.tree is not None, result.issues
    return result.tree


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("confianza >= 3 and vip", False),
        ("confianza >= 3 or vip", True),
        ("confianza == 4", True),
        ("confianza != 4", False),
        ("confianza < 4", False),
        ("confianza <= 4", True),
        ("confianza > 3", True),
        ("3 < confianza", True),
        ("confianza > streak", True),
        ("conocio_diana", True),
        ("not conocio_diana", False),
        ("not not conocio_diana", True),
        ("points >= 100 and streak == 3", True),
        ("bond.diana >= 5", True),
        ("bond.lucia < -1", True),
        ("camino == 'sombra'", True),
        ("camino != 'sombra'", False),
        ("camino in ['luz']", False),
        ("camino not in ['luz']", True),
        ("camino in ['luz', 'sombra']", True),
        ("camino in []", False),
        ("camino not in []", True),
        ("mood == none", True),
        ("mood != none", False),
        ("mood == 'alegre'", False),
        ("mood in [none, 'alegre']", True),
        ("mood not in [none]", False),
        ("apodo == 'Dani'", True),
        ("apodo != ''", True),
        ("confianza in [1, 4]", True),
        ("visited('inicio')", True),
        ("visited('beso')", False),
        ("visited('encuentro.saludo')", True),
        ("chose('inicio.acercarse')", True),
        ("chose('jardin.entrada.entrar')", False),
        ("chapter_done('prologo')", True),
        ("chapter_done('jardin')", False),
        ("has('primer_beso')", True),
        ("has('constante')", False),
        ("vip or conocio_diana and confianza > 10", False),
        ("(vip or conocio_diana) and confianza > 1", True),
        ("vip == false", True),
        ("(confianza > 1) == conocio_diana", True),
        ("true", True),
        ("false or false or false or true", True),
        ("true and true and true and false", False),
        ("vip or vip or conocio_diana", True),
        ("conocio_diana and conocio_diana and vip", False),
    ],
)
def test_evaluation(source: str, expected: bool) -> None:
    tree = checked(source)
    assert compile_expr(tree)(FACTS) is expected
    assert evaluate(tree, FACTS) is expected
    assert interpret(tree, FACTS) is expected


def test_unqualified_reference_reads_the_qualified_fact() -> None:
    facts = FakeFacts(scenes=frozenset({"jardin.entrada"}))
    assert evaluate(checked("visited('entrada')", "jardin"), facts) is True
    assert evaluate(checked("visited('entrada')", "jardin"), FakeFacts()) is False


def test_non_boolean_values_evaluate_to_the_value() -> None:
    # Trees that are not conditions still evaluate (the linter may want a value).
    assert evaluate(parse("confianza"), FACTS) == 4
    assert evaluate(parse("bond.diana"), FACTS) == 6
    assert evaluate(parse("'x'"), FACTS) == "x"
    assert evaluate(parse("none"), FACTS) is None
    assert evaluate(parse("mood"), FACTS) is None
    assert evaluate(parse("points"), FACTS) == 120


def test_compiled_closure_is_reusable_across_facts() -> None:
    condition = compile_expr(checked("confianza >= 3 and vip"))
    assert condition(FakeFacts(variables={"confianza": 3}, vip=True)) is True
    assert condition(FakeFacts(variables={"confianza": 2}, vip=True)) is False
    assert condition(FakeFacts(variables={"confianza": 9}, vip=False)) is False


def test_and_or_short_circuit() -> None:
    # The second operand would raise (undeclared in these facts) if it were evaluated.
    assert evaluate(parse("vip and confianza > 1"), FakeFacts(vip=False)) is False
    assert evaluate(parse("vip or confianza > 1"), FakeFacts(vip=True)) is True
    many_and = parse("vip and vip and vip and confianza > 1")
    assert evaluate(many_and, FakeFacts(vip=False)) is False
    many_or = parse("vip or vip or vip or confianza > 1")
    assert evaluate(many_or, FakeFacts(vip=True)) is True


def test_unchecked_call_is_refused_at_compile_time() -> None:
    with pytest.raises(ValueError, match="unchecked call"):
        compile_expr(Call("visit", StrLit("x")))


def test_builtins_are_not_read_as_variables() -> None:
    facts = FakeFacts(points=7)
    assert evaluate(Name("points"), facts) == 7


def _engine_python_calls(function: object, argument: object) -> int:
    """Python-level frames entered inside engine/expr while calling `function(argument)`."""
    count = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event == "call" and "engine/expr" in frame.f_code.co_filename.replace("\\", "/"):
            count += 1

    sys.setprofile(profile)
    try:
        function(argument)  # type: ignore[operator]
    finally:
        sys.setprofile(None)
    return count


def test_hot_path_is_a_handful_of_calls() -> None:
    condition = compile_expr(checked("confianza >= 3 and vip"))
    facts = FakeFacts(variables={"confianza": 5}, vip=True)
    # The `and` closure and the comparison closure; reading the facts runs in C.
    assert _engine_python_calls(condition, facts) == 2
    assert _engine_python_calls(compile_expr(checked("vip")), facts) == 0
    assert _engine_python_calls(compile_expr(checked("camino in ['luz']")), FACTS) == 1
