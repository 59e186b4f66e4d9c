"""Unparse: canonical text, minimal parentheses, and the references a tree reads."""

from __future__ import annotations

import pytest
from expr_support import ENV

from engine.expr import (
    And,
    Bond,
    BoolLit,
    Call,
    Compare,
    In,
    IntLit,
    Name,
    NoneLit,
    Not,
    Or,
    References,
    StrLit,
    check_source,
    parse,
    references,
    unparse,
)

a, b, c = Name("a"), Name("b"), Name("c")


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("a  and(b)", "a and b"),
        ("((a or b)) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("a and (b or c)", "a and (b or c)"),
        ("not(a)", "not a"),
        ("not (a == 1)", "not a == 1"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("x in [1,2,]", "x in [1, 2]"),
        ("x not in[]", "x not in []"),
        ('s == "it\'s"', "s == 'it\\'s'"),
        ('s == "back\\\\slash"', "s == 'back\\\\slash'"),
        ("bond . diana>=-1", "bond.diana >= -1"),
        ('visited( "x" )', "visited('x')"),
        ("mood==none", "mood == none"),
        ("v == true or w != false", "v == true or w != false"),
        ("a == (b == c)", "a == (b == c)"),
    ],
)
def test_canonical_text(source: str, canonical: str) -> None:
    assert unparse(parse(source)) == canonical
    assert parse(canonical) == parse(source)


@pytest.mark.parametrize(
    "tree",
    [
        And((a, And((b, c)))),
        And((And((a, b)), c)),
        Or((Or((a, b)), c)),
        Or((a, Or((b, c)))),
        Not(Not(a)),
        Not(Or((a, b))),
        Not(Compare("==", a, b)),
        Compare("==", Not(a), b),
        Compare("<", Compare("==", a, b), Compare("!=", b, c)),
        In(Not(a), (BoolLit(True),)),
        In(In(a, ()), (BoolLit(False),), negated=True),
        Compare("==", In(a, (IntLit(1),)), BoolLit(True)),
        Compare("==", StrLit("'\\\""), NoneLit()),
        Or((And((a, b)), Not(c))),
        Bond("diana"),
        Call("has", StrLit("x")),
    ],
)
def test_shapes_survive_a_round_trip(tree: object) -> None:
    assert parse(unparse(tree)) == tree  # type: ignore[arg-type]


def test_references_of_a_checked_tree() -> None:
    result = check_source(
        "confianza > 1 and vip and bond.diana > 2 and mood == none and camino == 'luz'"
        " and (visited('inicio') or chose('inicio.acercarse'))"
        " and not chapter_done('prologo') and has('primer_beso') and points > streak",
        ENV,
        "encuentro",
    )
    assert result.tree is not None
    assert references(result.tree) == References(
        variables=frozenset({"confianza", "camino"}),
        builtins=frozenset({"vip", "mood", "points", "streak"}),
        bonds=frozenset({"diana"}),
        scenes=frozenset({"encuentro.inicio"}),
        choices=frozenset({"encuentro.inicio.acercarse"}),
        chapters=frozenset({"prologo"}),
        achievements=frozenset({"primer_beso"}),
    )


def test_references_of_an_unchecked_tree_are_as_written() -> None:
    assert references(parse("visited('inicio') and x in [1]")) == References(
        variables=frozenset({"x"}), scenes=frozenset({"inicio"})
    )


def test_references_are_hashable_and_frozen() -> None:
    refs = references(parse("vip"))
    assert hash(refs) == hash(References(builtins=frozenset({"vip"})))
    with pytest.raises(AttributeError):
        refs.variables = frozenset()  # type: ignore[misc]
