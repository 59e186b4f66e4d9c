"""Parser: tree shapes, offsets, precedence, and every syntax error with its position."""

from __future__ import annotations

import pytest

from engine.expr import (
    And,
    Bond,
    BoolLit,
    Call,
    Compare,
    ExprSyntaxError,
    In,
    IntLit,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
    parse,
)
from engine.expr.lexer import TokenKind, tokenize


def test_tokens_carry_offsets() -> None:
    tokens = tokenize("confianza >= -3 and 'a\\'b'")
    assert [(t.kind, t.text, t.start, t.end) for t in tokens] == [
        (TokenKind.NAME, "confianza", 0, 9),
        (TokenKind.COMPARE, ">=", 10, 12),
        (TokenKind.INT, "-3", 13, 15),
        (TokenKind.KEYWORD, "and", 16, 19),
        (TokenKind.STRING, "'a\\'b'", 20, 26),
        (TokenKind.END, "", 26, 26),
    ]
    assert tokens[2].value == -3
    assert tokens[4].value == "a'b"


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("'plain'", "plain"),
        ('"double"', "double"),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'back\\\\slash'", "back\\slash"),
        ("'mixed \" quote'", 'mixed " quote'),
        ("''", ""),
        ("'ñandú 💋'", "ñandú 💋"),
    ],
)
def test_string_literals(source: str, value: str) -> None:
    assert parse(source) == StrLit(value)


def test_literals() -> None:
    assert parse("42") == IntLit(42)
    assert parse("-7") == IntLit(-7)
    assert parse("007") == IntLit(7)
    assert parse("true") == BoolLit(True)
    assert parse("false") == BoolLit(False)
    assert parse("none") == NoneLit()


def test_names_bonds_and_calls() -> None:
    assert parse("confianza") == Name("confianza")
    assert parse("_x1") == Name("_x1")
    assert parse("bond.diana") == Bond("diana")
    assert parse("bond . diana") == Bond("diana")
    assert parse("camino.luz") == Name("camino.luz")
    assert parse("visited('inicio')") == Call("visited", StrLit("inicio"))
    assert parse('chose( "a.b" )') == Call("chose", StrLit("a.b"))


def test_offsets_of_every_node() -> None:
    source = "not (bond.diana >= 3 or vip) and camino in ['luz', \"sombra\"]"
    tree = parse(source)
    assert isinstance(tree, And)
    assert (tree.start, tree.end) == (0, len(source))
    negation, membership = tree.operands
    assert isinstance(negation, Not)
    assert source[negation.start : negation.end] == "not (bond.diana >= 3 or vip)"
    inner = negation.operand
    assert isinstance(inner, Or)
    # A parenthesised node keeps the span of its inside.
    assert source[inner.start : inner.end] == "bond.diana >= 3 or vip"
    compare = inner.operands[0]
    assert isinstance(compare, Compare)
    assert source[compare.start : compare.end] == "bond.diana >= 3"
    assert source[compare.left.start : compare.left.end] == "bond.diana"
    assert source[compare.right.start : compare.right.end] == "3"
    assert isinstance(membership, In)
    assert source[membership.start : membership.end] == "camino in ['luz', \"sombra\"]"
    assert [source[i.start : i.end] for i in membership.items] == ["'luz'", '"sombra"']


def test_call_argument_offsets() -> None:
    source = "  visited( 'inicio' )"
    tree = parse(source)
    assert isinstance(tree, Call)
    assert (tree.start, tree.end) == (2, len(source))
    assert (tree.argument.start, tree.argument.end) == (11, 19)


def test_operands_in_parentheses_are_inside_the_parent_span() -> None:
    source = "(a) == (b)"
    tree = parse(source)
    assert (tree.start, tree.end) == (0, 10)
    assert isinstance(tree, Compare)
    assert (tree.left.start, tree.right.start) == (1, 8)


def test_equality_ignores_offsets() -> None:
    assert parse("a and b") == parse("  a   and\tb ")
    assert hash(parse("a and b")) == hash(parse("(a)and(b)"))


a, b, c, d = Name("a"), Name("b"), Name("c"), Name("d")


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a or b and c", Or((a, And((b, c))))),
        ("a and b or c", Or((And((a, b)), c))),
        ("a or b or c", Or((a, b, c))),
        ("a and b and c and d", And((a, b, c, d))),
        ("not a and b", And((Not(a), b))),
        ("not a or b", Or((Not(a), b))),
        ("a and not b", And((a, Not(b)))),
        ("not not a", Not(Not(a))),
        ("not a == b", Not(Compare("==", a, b))),
        ("not a in [1]", Not(In(a, (IntLit(1),)))),
        ("a == b and c != d", And((Compare("==", a, b), Compare("!=", c, d)))),
        ("a < 1 or b >= 2", Or((Compare("<", a, IntLit(1)), Compare(">=", b, IntLit(2))))),
        ("(a or b) and c", And((Or((a, b)), c))),
        ("a and (b and c)", And((a, And((b, c))))),
        ("(a and b) and c", And((And((a, b)), c))),
        ("not (a and b)", Not(And((a, b)))),
        ("(a == b) == c", Compare("==", Compare("==", a, b), c)),
        ("(not a) == b", Compare("==", Not(a), b)),
        ("((a))", a),
        ("a or not b and c", Or((a, And((Not(b), c))))),
    ],
)
def test_precedence(source: str, tree: object) -> None:
    assert parse(source) == tree


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a in [1, 2]", In(a, (IntLit(1), IntLit(2)))),
        ("a in [1, 2,]", In(a, (IntLit(1), IntLit(2)))),
        ("a in []", In(a, ())),
        ("a not in ['x']", In(a, (StrLit("x"),), negated=True)),
        ("a not  in ['x']", In(a, (StrLit("x"),), negated=True)),
        ("mood in [none, 'alegre']", In(Name("mood"), (NoneLit(), StrLit("alegre")))),
        ("a in [true, -1, 'x']", In(a, (BoolLit(True), IntLit(-1), StrLit("x")))),
        ("bond.diana not in [0]", In(Bond("diana"), (IntLit(0),), negated=True)),
        ("a in [1] and b", And((In(a, (IntLit(1),)), b))),
        ("(a) not in [1] or b", Or((In(a, (IntLit(1),), negated=True), b))),
    ],
)
def test_membership(source: str, tree: object) -> None:
    assert parse(source) == tree


def test_in_and_not_in_differ() -> None:
    assert parse("a in [1]") != parse("a not in [1]")
    assert parse("a not in [1]") != parse("not a in [1]")


def test_keyword_after_bond_dot_is_a_character_id() -> None:
    assert parse("bond.none") == Bond("none")


def _syntax_error(source: str) -> tuple[str, int, int, str, str | None]:
    with pytest.raises(ExprSyntaxError) as caught:
        parse(source)
    issue = caught.value.issue
    assert str(caught.value) == issue.message
    return issue.code, issue.start, issue.end, issue.message, issue.hint


# (source, start, end, a word the message must contain, a word the hint must contain)
SYNTAX_ERRORS = [
    ("", 0, 0, "empty", "e.g."),
    ("   ", 0, 3, "empty", "e.g."),
    ("a = 3", 2, 3, "'='", "use == to compare"),
    ("a && b", 2, 4, "'&&'", "use and / or / not"),
    ("a || b", 2, 4, "'||'", "use and / or / not"),
    ("!a", 0, 1, "'!'", "use and / or / not"),
    ("a & b", 2, 3, "'&'", "write and"),
    ("vip == True", 7, 11, "'True'", "use true / false"),
    ("False", 0, 5, "'False'", "use true / false"),
    ("mood == None", 8, 12, "'None'", "none"),
    ("a And b", 2, 5, "'And'", "use and / or / not"),
    ("Confianza > 3", 0, 9, "'Confianza'", "confianza"),
    ("años > 3", 0, 4, "'años'", "accents"),
    ("a < b < c", 6, 7, "chained", "and"),
    ("1 <= a <= 5", 7, 9, "chained", "and"),
    ("a == b in [1]", 7, 9, "chained", "and"),
    ("a == b not in [1]", 7, 13, "chained", "and"),
    ("a in [1] == b", 9, 11, "chained", "and"),
    ("(a", 0, 1, "'('", ")"),
    ("x and ((a or b)", 6, 7, "'('", ")"),
    ("a)", 1, 2, "')'", "("),
    ("(a b)", 3, 4, "'b'", "and / or"),
    ("()", 0, 2, "empty", "condition"),
    ("'abc", 0, 4, "never closed", "'"),
    ('x == "abc', 5, 9, "never closed", '"'),
    ("'a\\n'", 2, 4, "\\n", "backslash"),
    ("a b", 2, 3, "'b'", "and / or"),
    ("vip 3", 4, 5, "'3'", "and / or"),
    ("a not b", 2, 5, "'not'", "not in"),
    ("a ==", 2, 4, "'=='", "value"),
    ("a == and b", 5, 8, "'and'", "before and"),
    ("and a", 0, 3, "'and'", "before and"),
    ("a and", 2, 5, "'and'", "after and"),
    ("a or", 2, 4, "'or'", "after or"),
    ("not", 0, 3, "'not'", "not vip"),
    ("== 3", 0, 2, "'=='", "before =="),
    (", a", 0, 1, "','", "comma"),
    ("a, b", 1, 2, "','", "comma"),
    ("3.5 > a", 0, 3, "'3.5'", "whole numbers"),
    ("3abc", 0, 4, "'3abc'", "letter"),
    ("- 3", 0, 1, "'-'", "-3"),
    ("a => 3", 2, 4, "'=>'", ">="),
    ("a =< 3", 2, 4, "'=<'", "<="),
    ("a <> 3", 2, 4, "'<>'", "!="),
    ("a ; b", 2, 3, "';'", "and / or / not"),
    ("‘luz’", 0, 1, "typographic", "straight quotes"),
    ("x in y", 5, 6, "'y'", "brackets"),
    ("x in", 2, 4, "'in'", "brackets"),
    ("x in [1", 5, 6, "'['", "]"),
    ("x in [1,", 5, 6, "'['", "]"),
    ("x in [a]", 6, 7, "'a'", "values"),
    ("x in [1 2]", 8, 9, "'2'", "commas"),
    ("x in [,]", 6, 7, "','", "commas"),
    ("x in [(1)]", 6, 7, "'('", "commas"),
    ("visited(inicio)", 8, 14, "inicio", "visited('inicio')"),
    ("visited(encuentro.inicio)", 8, 24, "encuentro.inicio", "visited('encuentro.inicio')"),
    ("has(3)", 4, 5, "3", "has('3')"),
    ("visited()", 0, 9, "visited()", "visited('scene')"),
    ("visited('a', 'b')", 11, 12, "one argument", "and / or"),
    ("visited('a'", 7, 8, "never closed", ")"),
    ("visited(", 7, 8, "never closed", "visited('scene')"),
    ("visited('a' 'b')", 12, 15, "'b'", "visited('a')"),
    ("visited([1])", 8, 9, "'['", "visited('scene')"),
    ("bond.", 0, 5, "'bond.'", "bond.diana"),
    ("bond.3 > 1", 5, 6, "'3'", "bond.diana"),
    ("bond.diana.x", 10, 11, "'.'", "bond.<character>"),
    ("camino.", 0, 7, "'camino.'", "bond.<character>"),
    ("vip (1)", 4, 5, "'('", "visited"),
    ("a.b('x')", 3, 4, "'('", "visited"),
    ("[1]", 0, 1, "'['", "after in"),
    (".", 0, 1, "'.'", "bond"),
    ("1" * 19, 0, 19, "too large", "18 digits"),
    ("(" * 70 + "a" + ")" * 70, 64, 65, "too deeply", "simpler"),
    ("not " * 70 + "a", 256, 259, "too deeply", "simpler"),
]


@pytest.mark.parametrize(
    ("source", "start", "end", "in_message", "in_hint"),
    SYNTAX_ERRORS,
    ids=[repr(case[0])[:40] for case in SYNTAX_ERRORS],
)
def test_syntax_errors(source: str, start: int, end: int, in_message: str, in_hint: str) -> None:
    code, got_start, got_end, message, hint = _syntax_error(source)
    assert code == "D401"
    assert (got_start, got_end) == (start, end), message
    assert in_message in message
    assert hint is not None
    assert in_hint in hint
    # One sentence, for a writer: capitalised or starting with the token, ending with a period.
    assert message.endswith(".")
    assert message.count(". ") == 0 or "'.'" in message or "3.5" in message


def test_deep_but_reasonable_nesting_parses() -> None:
    depth = 40
    assert parse("(" * depth + "a" + ")" * depth) == Name("a")
    assert parse("not " * depth + "a") is not None


def test_long_flat_conditions_do_not_recurse() -> None:
    source = " and ".join(f"x{i} > {i}" for i in range(2000))
    tree = parse(source)
    assert isinstance(tree, And)
    assert len(tree.operands) == 2000
